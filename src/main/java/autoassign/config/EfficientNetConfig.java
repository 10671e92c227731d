package autoassign.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code model.backbone} of {@code type: EfficientNet}: MMDetection 3.3.0's {@code EfficientNet(arch='b0',
 * drop_path_rate=0., out_indices=(6,), frozen_stages=0, conv_cfg=dict(type='Conv2dAdaptivePadding'),
 * norm_cfg=dict(type='BN', eps=1e-3), act_cfg=dict(type='Swish'), norm_eval=False, with_cp=False, init_cfg=[Kaiming
 * on Conv2d, Constant 1 on norms])} ({@code mmdet/models/backbones/efficientnet.py}).
 *
 * <p>The network is {@code layers.0} (the stem ConvModule), {@code layers.1..5} (Sequentials of InvertedResidual /
 * EdgeResidual blocks) and {@code layers.6} (the last 1×1 ConvModule); out index i returns layer i. Upstream builds
 * only layers 0..max(out_indices) ("Avoid building unused layers in mmdetection"), and so does the engine.
 * {@link #blocks} computes the plan as upstream's {@code layer_settings}, {@code model_scaling} and
 * {@code make_layer} do.
 *
 * @param arch             b0..b8 (EfficientNet), es / em / el (EfficientNet-EdgeTPU)
 * @param dropPathRate     stochastic depth: block k of all n (counted over all layers, built or not) gets
 *                         torch.linspace(0, rate, n)[k]
 * @param outIndices       returned layers (0..6), increasing
 * @param frozenStages     0 none; k freezes layers 0..k−1 (parameters and BN statistics)
 * @param adaptivePadding  conv_cfg {@code Conv2dAdaptivePadding} (TensorFlow's "same" padding, computed from the
 *                         input size at run time; upstream's default) rather than nn.Conv2d with padding k // 2
 * @param normCfg          BN or SyncBN
 * @param act              the ConvModules' and the SE layers' first activation: Swish (default), ReLU, LeakyReLU
 * @param normEval         BN only: running statistics in training
 * @param withCp           accepted, no effect on the results (activation checkpointing trades memory for time)
 * @param pretrained       init_cfg's Pretrained checkpoint, or null
 * @param pretrainedPrefix init_cfg's {@code prefix} ("backbone" or "backbone.", the same prefix to MMEngine; or null)
 */
public record EfficientNetConfig(String arch, double dropPathRate, List<Integer> outIndices, int frozenStages,
                                 boolean adaptivePadding, NormConfig normCfg, ActivationConfig act, boolean normEval,
                                 boolean withCp, String pretrained, String pretrainedPrefix) implements BackboneSpec {
    public static final String TYPE = "EfficientNet";
    /** Upstream's default norm_cfg: BN with eps 1e-3 (momentum torch's 0.1). */
    public static final NormConfig DEFAULT_NORM = new NormConfig("BN", 0, true, 1e-3);
    public static final List<String> ARCHS = List.of("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "es", "em", "el");
    /** Upstream's arch_settings: width factor, depth factor (the resolution is not used by the network). */
    private static final double[][] ARCH_SETTINGS = {{1.0, 1.0}, {1.0, 1.1}, {1.1, 1.2}, {1.2, 1.4}, {1.4, 1.8},
            {1.6, 2.2}, {1.8, 2.6}, {2.0, 3.1}, {2.2, 3.6}, {1.0, 1.0}, {1.0, 1.1}, {1.2, 1.4}};
    /** The stride of layer 0..6 to the input (both families). */
    private static final int[] LAYER_STRIDES = {2, 2, 4, 8, 16, 32, 32};

    /**
     * Upstream's layer_settings: per layer its blocks as {kernel, out_channels, se_ratio, stride, expand_ratio,
     * block_type (−1 a plain ConvModule, 0 InvertedResidual, 1 EdgeResidual)}.
     */
    private static final int[][][] B = {
            {{3, 32, 0, 2, 0, -1}},
            {{3, 16, 4, 1, 1, 0}},
            {{3, 24, 4, 2, 6, 0}, {3, 24, 4, 1, 6, 0}},
            {{5, 40, 4, 2, 6, 0}, {5, 40, 4, 1, 6, 0}},
            {{3, 80, 4, 2, 6, 0}, {3, 80, 4, 1, 6, 0}, {3, 80, 4, 1, 6, 0}, {5, 112, 4, 1, 6, 0}, {5, 112, 4, 1, 6, 0},
                    {5, 112, 4, 1, 6, 0}},
            {{5, 192, 4, 2, 6, 0}, {5, 192, 4, 1, 6, 0}, {5, 192, 4, 1, 6, 0}, {5, 192, 4, 1, 6, 0}, {3, 320, 4, 1, 6, 0}},
            {{1, 1280, 0, 1, 0, -1}}};
    private static final int[][][] E = {
            {{3, 32, 0, 2, 0, -1}},
            {{3, 24, 0, 1, 3, 1}},
            {{3, 32, 0, 2, 8, 1}, {3, 32, 0, 1, 8, 1}},
            {{3, 48, 0, 2, 8, 1}, {3, 48, 0, 1, 8, 1}, {3, 48, 0, 1, 8, 1}, {3, 48, 0, 1, 8, 1}},
            {{5, 96, 0, 2, 8, 0}, {5, 96, 0, 1, 8, 0}, {5, 96, 0, 1, 8, 0}, {5, 96, 0, 1, 8, 0}, {5, 96, 0, 1, 8, 0},
                    {5, 144, 0, 1, 8, 0}, {5, 144, 0, 1, 8, 0}, {5, 144, 0, 1, 8, 0}, {5, 144, 0, 1, 8, 0}},
            {{5, 192, 0, 2, 8, 0}, {5, 192, 0, 1, 8, 0}},
            {{1, 1280, 0, 1, 0, -1}}};

    /**
     * One block of layers 1..5.
     *
     * @param edge         EdgeResidual (conv1 k×k in→mid, conv2 1×1 mid→out with the stride) rather than InvertedResidual
     * @param expandConv   InvertedResidual: an {@code expand_conv} (mid ≠ in)
     * @param seChannels   the SE layer's squeeze channels {@code int(mid / ratio)}, or 0 for no SE layer
     * @param residual     x + drop_path(out) (stride 1, in = out; EdgeResidual: and its with_residual)
     * @param dropPathRate this block's drop path rate
     */
    public record Block(int in, int out, int mid, int kernel, int stride, boolean edge, boolean expandConv,
                       int seChannels, boolean residual, double dropPathRate) {}

    public EfficientNetConfig {
        if (!ARCHS.contains(arch)) throw new IllegalArgumentException("arch must be one of " + ARCHS + ", got " + arch);
        outIndices = List.copyOf(outIndices);
        if (outIndices.isEmpty()) throw new IllegalArgumentException("out_indices needs at least one layer");
        for (int i : outIndices)
            if (i < 0 || i > 6) throw new IllegalArgumentException("out_indices must be in range(0, 7), got " + outIndices);
        int last = 0;
        for (int i : outIndices) last = Math.max(last, i);
        if (frozenStages < 0 || frozenStages > last + 1)
            throw new IllegalArgumentException("frozen_stages must be in range(0, " + (last + 2) + "), got " + frozenStages);
        if (!(dropPathRate >= 0 && dropPathRate < 1)) throw new IllegalArgumentException("drop_path_rate must be in [0, 1), got " + dropPathRate);
    }

    private int archIndex() { return ARCHS.indexOf(arch); }

    public double widthFactor() { return ARCH_SETTINGS[archIndex()][0]; }

    public double depthFactor() { return ARCH_SETTINGS[archIndex()][1]; }

    /** The highest out index: layers after it are not built. */
    public int lastLayer() {
        int m = 0;
        for (int i : outIndices) m = Math.max(m, i);
        return m;
    }

    /**
     * Upstream's {@code model_scaling}: widths through make_divisible(c · width, 8); the middle layers split where the
     * channels change, each part's depth ceil(depth · n) (cut, or its last block repeated), parts starting at stride 1
     * merged into the previous layer. Entries are {kernel, out, se_ratio, stride, expand_ratio, type}.
     */
    public List<List<int[]>> scaledLayers() {
        int[][][] setting = arch.startsWith("b") ? B : E;
        double w = widthFactor(), d = depthFactor();
        List<List<int[]>> scaled = new ArrayList<>();
        for (int[][] layer : setting) {
            List<int[]> l = new ArrayList<>();
            for (int[] b : layer) {
                int[] c = b.clone();
                c[1] = makeDivisible(b[1] * w, 8);
                l.add(c);
            }
            scaled.add(l);
        }
        List<List<int[]>> split = new ArrayList<>();
        split.add(scaled.get(0));
        for (List<int[]> layer : scaled.subList(1, scaled.size() - 1)) {
            int start = 0;
            for (int i = 0; i < layer.size() - 1; i++)
                if (layer.get(i + 1)[1] != layer.get(i)[1]) {
                    split.add(new ArrayList<>(layer.subList(start, i + 1)));
                    start = i + 1;
                }
            split.add(new ArrayList<>(layer.subList(start, layer.size())));
        }
        split.add(scaled.get(scaled.size() - 1));
        List<List<int[]>> merged = new ArrayList<>();
        merged.add(split.get(0));
        for (int i = 0; i < split.size() - 2; i++) {
            List<int[]> part = split.get(i + 1);
            int n = part.size(), want = (int) Math.ceil(d * n);
            List<int[]> t = new ArrayList<>(want <= n ? part.subList(0, want) : part);
            while (t.size() < want) t.add(part.get(n - 1));
            if (t.get(0)[3] == 1 && i != 0) merged.get(merged.size() - 1).addAll(t);
            else merged.add(t);
        }
        merged.add(split.get(split.size() - 1));
        return merged;
    }

    /** The stem's output channels (layer 0). */
    public int stemChannels() { return makeDivisible(scaledLayers().get(0).get(0)[1], 8); }

    /** The last ConvModule's output channels (layer 6). */
    public int lastChannels() { return scaledLayers().get(6).get(0)[1]; }

    /**
     * The blocks of layers 1..5 as upstream's {@code make_layer} builds them (all five, built or not: drop-path
     * rates count every block).
     */
    public List<List<Block>> blocks() {
        List<List<int[]>> layers = scaledLayers();
        List<List<int[]>> middle = layers.subList(1, layers.size() - 1);
        int total = 0;
        for (List<int[]> l : middle) total += l.size();
        int idx = 0, in = stemChannels();
        List<List<Block>> out = new ArrayList<>();
        for (List<int[]> layer : middle) {
            List<Block> bs = new ArrayList<>();
            for (int i = 0; i < layer.size(); i++) {
                int[] c = layer.get(i);
                int k = c[0], o = makeDivisible(c[1], 8), se = c[2], stride = c[3], expand = c[4], type = c[5];
                int mid = in * expand;
                boolean residual = true;
                if (type == 1 && i > 0 && expand == 3) { // upstream: the repeated EdgeTPU block loses its residual
                    residual = false;
                    expand = 4;
                }
                if (type == 1) mid = in * expand;
                int seCh = se <= 0 ? 0 : (int) (mid / (double) (expand * se));
                boolean edge = type == 1;
                bs.add(new Block(in, o, mid, k, stride, edge, mid != in, seCh,
                        stride == 1 && in == o && residual, linspace(dropPathRate, total, idx)));
                in = o;
                idx++;
            }
            out.add(bs);
        }
        return out;
    }

    /** torch.linspace(0, end, n)[k] on float32 (as {@code .item()} returns it, widened). */
    static double linspace(double end, int n, int k) {
        if (n <= 1) return 0;
        float step = ((float) end - 0f) / (n - 1);
        return k < n / 2 ? 0f + step * k : (float) end - step * (n - 1 - k);
    }

    /** Output channels of layer i (0..6). */
    public int layerChannels(int i) {
        if (i == 0) return stemChannels();
        if (i == 6) return lastChannels();
        List<Block> l = blocks().get(i - 1);
        return l.get(l.size() - 1).out();
    }

    /** MMDetection's make_divisible (the same rule as MobileNetV2's). */
    static int makeDivisible(double value, int divisor) { return MobileNetV2Config.makeDivisible(value, divisor); }

    @Override public String type() { return TYPE; }

    @Override public List<Integer> outChannels() {
        return BackboneSpec.perOutIndex(outIndices, this::layerChannels);
    }

    @Override public List<Integer> outStrides() {
        return BackboneSpec.perOutIndex(outIndices, i -> LAYER_STRIDES[i]);
    }

    @Override public String describe() { return "EfficientNet-" + arch + ", out_indices " + outIndices; }

    /** Parses a {@code model.backbone} mapping (tests, goldens). */
    public static EfficientNetConfig parse(String source, com.fasterxml.jackson.databind.node.ObjectNode backbone) {
        return from(new ConfigNode(source, "model.backbone", backbone));
    }

    static EfficientNetConfig from(ConfigNode n) {
        n.fixed("type", TYPE);
        String arch = n.choice("arch", "b0", ARCHS.toArray(new String[0]));
        double dpr = n.number("drop_path_rate", 0.0);
        if (!(dpr >= 0 && dpr < 1)) throw n.error("drop_path_rate", "must be in [0, 1), got " + dpr);
        List<Integer> out = n.intList("out_indices", List.of(6));
        if (out.isEmpty()) throw n.error("out_indices", "needs at least one layer (the neck takes the returned maps)");
        for (int i : out)
            if (i < 0 || i > 6) throw n.error("out_indices", "the items must be in range(0, 7), got " + out);
        for (int k = 1; k < out.size(); k++)
            if (out.get(k) <= out.get(k - 1))
                throw n.error("out_indices", "must increase (upstream returns the maps in forward order), got " + out);
        int last = out.get(out.size() - 1);
        int frozen = n.integer("frozen_stages", 0);
        if (frozen < 0 || frozen > 7) throw n.error("frozen_stages", "must be in range(0, 8), got " + frozen);
        if (frozen > last + 1)
            throw n.error("frozen_stages", frozen + " freezes layers not built for out_indices " + out
                    + " (upstream: IndexError); at most " + (last + 1));
        boolean adaptive = true;
        if (!n.has("conv_cfg") && n.keys().contains("conv_cfg")) {
            n.raw("conv_cfg"); // conv_cfg: None: nn.Conv2d with padding k // 2
            adaptive = false;
        } else {
            ConfigNode conv = n.child("conv_cfg");
            if (conv.has("type"))
                adaptive = "Conv2dAdaptivePadding".equals(conv.choice("type", "Conv2dAdaptivePadding", "Conv2dAdaptivePadding", "Conv2d", "Conv"));
            conv.finish();
        }
        if (!n.has("norm_cfg") && n.keys().contains("norm_cfg"))
            throw n.error("norm_cfg", "null (convolutions without a norm layer) is not supported: give BN or SyncBN");
        // upstream's default is BN(eps=1e-3); a given norm_cfg is built as written (missing keys: torch's defaults)
        NormConfig norm = n.has("norm_cfg") ? NormConfig.from(n.child("norm_cfg"), NormConfig.RESNET_DEFAULT) : DEFAULT_NORM;
        if (norm.isGroupNorm()) throw n.error("norm_cfg.type", "GN is not supported for EfficientNet: use BN or SyncBN");
        ActivationConfig act = ActivationConfig.from(n, "act_cfg", ActivationConfig.SWISH_DEFAULT);
        if (act.type() == null)
            throw n.error("act_cfg", "null is not supported (upstream's SELayer asserts a dict per activation)");
        boolean normEval = n.bool("norm_eval", false);
        if (normEval && norm.isSyncBatchNorm())
            throw n.error("norm_eval", "true with SyncBN is not supported: upstream's EfficientNet.train() puts only "
                    + "nn.BatchNorm2d in eval mode, so SyncBN keeps normalising with batch statistics; use BN, or norm_eval false");
        boolean withCp = n.bool("with_cp", false);
        String pretrained = null, prefix = null;
        if (!n.has("init_cfg") && n.keys().contains("init_cfg"))
            throw n.error("init_cfg", "null is not supported: omit it for upstream's Kaiming / Constant default, or give a Pretrained init");
        if (n.has("init_cfg") && n.raw("init_cfg").isArray())
            throw n.error("init_cfg", "a list is not supported: omit it for upstream's default [Kaiming Conv2d, Constant 1 norms], or give a Pretrained init");
        ConfigNode init = n.child("init_cfg");
        if (init.has("type") || init.has("checkpoint")) {
            init.fixed("type", "Pretrained");
            pretrained = init.string("checkpoint");
            prefix = init.string("prefix", null);
            if (prefix != null && !prefix.equals("backbone") && !prefix.equals("backbone.")) // MMEngine appends the '.'
                throw init.error("prefix", "only 'backbone' (or 'backbone.') is supported (an MMPretrain classifier's backbone.* keys), got '" + prefix + "'");
        }
        init.finish();
        n.finish();
        return new EfficientNetConfig(arch, dpr, out, frozen, adaptive, norm, act, normEval, withCp, pretrained, prefix);
    }
}
