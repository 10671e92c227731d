package autoassign.config;

import java.util.List;

/**
 * {@code model.backbone} of {@code type: MobileNetV2}: MMDetection 3.x's {@code MobileNetV2(widen_factor=1.,
 * out_indices=(1, 2, 4, 7), frozen_stages=-1, conv_cfg=None, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU6'),
 * norm_eval=False, with_cp=False, pretrained=None, init_cfg=None)} ({@code mmdet/models/backbones/mobilenet_v2.py}
 * at open-mmlab/mmdetection 584ef842).
 *
 * <p>The backbone runs {@code conv1} then {@code layer1..layer7} and {@code conv2}; out index i (0..7) is the output
 * of the i-th of those eight ({@code layer(i+1)}, or {@code conv2} for 7), as upstream's {@code if i in
 * self.out_indices}. Defaults (1, 2, 4, 7) give 24, 32, 96, 1280 channels at strides 4, 8, 16, 32.
 *
 * @param widenFactor  channel multiplier ({@code make_divisible(c · widen, 8)}; conv2: 1280, or int(1280 · widen) above 1)
 * @param outIndices   which of the eight stages are returned, in the order given (a subset of 0..7)
 * @param frozenStages -1 none; ≥ 0 freezes conv1's parameters, and layer1..layerK (parameters and BN statistics)
 * @param normCfg      BN, SyncBN or GN
 * @param activation   {@code ReLU6} (upstream's default), {@code ReLU}, {@code LeakyReLU}, or null ({@code act_cfg: null}: none)
 * @param negativeSlope LeakyReLU's {@code negative_slope} (torch's default 0.01; YOLOv3-MobileNetV2: 0.1)
 * @param normEval     BN only: keep running statistics in training (upstream's default false)
 * @param withCp       accepted, no effect on the results (activation checkpointing trades memory for time)
 * @param pretrained   {@code init_cfg.checkpoint} of a Pretrained init, or null
 */
public record MobileNetV2Config(double widenFactor, List<Integer> outIndices, int frozenStages, NormConfig normCfg,
                                String activation, double negativeSlope, boolean normEval, boolean withCp,
                                String pretrained) implements BackboneSpec {
    public static final String TYPE = "MobileNetV2";
    public static final String RELU6 = "ReLU6", RELU = "ReLU", LEAKY_RELU = "LeakyReLU";
    /** torch.nn.LeakyReLU's default {@code negative_slope}. */
    public static final double DEFAULT_NEGATIVE_SLOPE = 0.01;

    /** With LeakyReLU's default slope (used only when the activation is LeakyReLU). */
    public MobileNetV2Config(double widenFactor, List<Integer> outIndices, int frozenStages, NormConfig normCfg,
                             String activation, boolean normEval, boolean withCp, String pretrained) {
        this(widenFactor, outIndices, frozenStages, normCfg, activation, DEFAULT_NEGATIVE_SLOPE, normEval, withCp, pretrained);
    }

    /** Upstream's {@code arch_settings}: expand_ratio, channel, num_blocks, stride of layer1..layer7. */
    public static final int[][] ARCH = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1},
            {6, 160, 3, 2}, {6, 320, 1, 1}};
    /** Stride of each of the eight stages (layer1..layer7, conv2) to the input. */
    private static final int[] STAGE_STRIDES = {2, 4, 8, 16, 16, 32, 32, 32};

    public MobileNetV2Config {
        outIndices = List.copyOf(outIndices);
        for (int i : outIndices)
            if (i < 0 || i > 7) throw new IllegalArgumentException("out_indices must be a subset of range(0, 8), got " + outIndices);
        if (frozenStages < -1 || frozenStages > 7) throw new IllegalArgumentException("frozen_stages must be in range(-1, 8)");
        if (!(widenFactor > 0)) throw new IllegalArgumentException("widen_factor must be positive, got " + widenFactor);
        if (!Double.isFinite(negativeSlope)) throw new IllegalArgumentException("negative_slope must be finite, got " + negativeSlope);
    }

    /**
     * MMDetection's {@code make_divisible(value, divisor, min_value=None, min_ratio=0.9)}
     * ({@code mmdet/models/utils/make_divisible.py}): the nearest multiple of divisor, at least divisor, and at
     * least 90% of value.
     */
    public static int makeDivisible(double value, int divisor) {
        int v = Math.max(divisor, (int) (value + divisor / 2.0) / divisor * divisor);
        if (v < 0.9 * value) v += divisor;
        return v;
    }

    /** conv1's output channels: {@code make_divisible(32 · widen, 8)}. */
    public int stemChannels() { return makeDivisible(32 * widenFactor, 8); }

    /** Output channels of layer{@code i+1} (i in 0..6). */
    public int layerChannels(int i) { return makeDivisible(ARCH[i][1] * widenFactor, 8); }

    /** conv2's output channels: 1280, or int(1280 · widen) when widen &gt; 1. */
    public int lastChannels() { return widenFactor > 1.0 ? (int) (1280 * widenFactor) : 1280; }

    /** Channels of stage i (0..6 the layers, 7 conv2). */
    public int stageChannels(int i) { return i == 7 ? lastChannels() : layerChannels(i); }

    @Override public String type() { return TYPE; }

    @Override public List<Integer> outChannels() {
        return BackboneSpec.perOutIndex(outIndices, this::stageChannels);
    }

    @Override public List<Integer> outStrides() {
        return BackboneSpec.perOutIndex(outIndices, i -> STAGE_STRIDES[i]);
    }

    /** The last stage the forward must run (the highest out index). */
    public int lastStage() {
        int m = -1;
        for (int i : outIndices) m = Math.max(m, i);
        return m;
    }

    @Override public String describe() {
        return "MobileNetV2 widen_factor " + widenFactor + ", out_indices " + outIndices;
    }

    static MobileNetV2Config from(ConfigNode n) {
        n.fixed("type", TYPE);
        double widen = n.positive("widen_factor", n.number("widen_factor", 1.0));
        List<Integer> out = n.intList("out_indices", List.of(1, 2, 4, 7));
        if (out.isEmpty()) throw n.error("out_indices", "needs at least one stage (the neck takes the returned maps)");
        for (int i : out)
            if (i < 0 || i > 7) throw n.error("out_indices", "must be a subset of range(0, 8), got " + out);
        for (int k = 1; k < out.size(); k++)
            if (out.get(k) <= out.get(k - 1))
                throw n.error("out_indices", "must increase (upstream returns the maps in forward order), got " + out);
        int frozen = n.integer("frozen_stages", -1);
        if (frozen < -1 || frozen > 7) throw n.error("frozen_stages", "must be in range(-1, 8), got " + frozen);
        ConfigNode conv = n.child("conv_cfg");
        if (conv.has("type")) conv.choice("type", "Conv2d", "Conv2d", "Conv");
        conv.finish();
        // upstream's norm_cfg=None builds ConvModules without a norm and with a conv bias; an empty mapping here would
        // silently give BN instead
        if (!n.has("norm_cfg") && n.keys().contains("norm_cfg"))
            throw n.error("norm_cfg", "null (convolutions without a norm layer) is not supported: give BN, SyncBN or GN");
        NormConfig norm = NormConfig.from(n.child("norm_cfg"), new NormConfig("BN", 0, true, 1e-5));
        String act = null;
        double slope = DEFAULT_NEGATIVE_SLOPE;
        if (!n.has("act_cfg") && n.keys().contains("act_cfg")) {
            n.raw("act_cfg"); // act_cfg: null, upstream's ConvModule without an activation
        } else {
            ConfigNode a = n.child("act_cfg");
            act = a.choice("type", RELU6, RELU6, RELU, LEAKY_RELU);
            if (LEAKY_RELU.equals(act)) {
                slope = a.number("negative_slope", DEFAULT_NEGATIVE_SLOPE);
                if (!Double.isFinite(slope)) throw a.error("negative_slope", "must be a finite number, got " + slope);
            }
            if (a.has("inplace")) a.bool("inplace", true); // in-place or not, the same values
            a.finish();
        }
        boolean normEval = n.bool("norm_eval", false);
        boolean withCp = n.bool("with_cp", false);
        String pretrained = n.string("pretrained", null);
        String fromInit = BackboneSpec.pretrainedCheckpoint(n);
        if (fromInit != null) {
            if (pretrained != null) throw n.error("init_cfg", "init_cfg and pretrained cannot be specified at the same time");
            pretrained = fromInit;
        }
        n.finish();
        MobileNetV2Config c = new MobileNetV2Config(widen, out, frozen, norm, act, slope, normEval, withCp, pretrained);
        if (norm.isGroupNorm()) {
            norm.checkDivides(n, "norm_cfg", c.stemChannels(), "conv1");
            int in = c.stemChannels();
            for (int i = 0; i < 7; i++) {
                norm.checkDivides(n, "norm_cfg", in * ARCH[i][0], "layer" + (i + 1) + "'s expanded channels");
                norm.checkDivides(n, "norm_cfg", c.layerChannels(i), "layer" + (i + 1));
                in = c.layerChannels(i);
            }
            norm.checkDivides(n, "norm_cfg", c.lastChannels(), "conv2");
        }
        return c;
    }
}
