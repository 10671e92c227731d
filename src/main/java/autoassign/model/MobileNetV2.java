package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.BackboneSpec;
import autoassign.config.MobileNetV2Config;
import autoassign.config.NormConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * MMDetection's {@code MobileNetV2} ({@code mmdet/models/backbones/mobilenet_v2.py}, open-mmlab/mmdetection
 * 584ef842): {@code conv1} (3×3/2 ConvModule), {@code layer1..layer7} (Sequentials of mmdet's
 * {@code InvertedResidual}, {@code mmdet/models/layers/inverted_residual.py}) and {@code conv2} (1×1 ConvModule);
 * out index i returns the i-th of those eight after conv1.
 *
 * <p>State-dict names are upstream's: {@code conv1.conv.weight}, {@code conv1.bn.*}; per block
 * {@code layerK.j.expand_conv.*} (absent when expand_ratio is 1), {@code layerK.j.depthwise_conv.*} (groups =
 * channels) and {@code layerK.j.linear_conv.*} (no activation); {@code conv2.*}. ConvModules with a norm have no
 * conv bias. conv2 is built whatever the out_indices (its weights are in upstream's checkpoints); the forward stops
 * after the last returned stage (upstream runs them all; the returned maps are the same).
 */
public final class MobileNetV2 extends Backbone {
    private final MobileNetV2Config cfg;
    public final ConvModule conv1, conv2;
    /** layer1..layer7. */
    public final List<ModuleList<InvertedResidual>> layers = new ArrayList<>();

    public MobileNetV2(MobileNetV2Config cfg) {
        this.cfg = cfg;
        NormConfig norm = cfg.normCfg();
        Activation act = new Activation(cfg.activation(), (float) cfg.negativeSlope());
        int in = cfg.stemChannels();
        conv1 = child("conv1", new ConvModule(3, in, 3, 2, 1, norm, act));
        for (int i = 0; i < 7; i++) {
            int[] a = MobileNetV2Config.ARCH[i];
            int out = cfg.layerChannels(i);
            ModuleList<InvertedResidual> layer = new ModuleList<>();
            for (int b = 0; b < a[2]; b++) {
                layer.add(new InvertedResidual(in, out, in * a[0], b == 0 ? a[3] : 1, a[0] != 1, norm, act));
                in = out;
            }
            layers.add(child("layer" + (i + 1), layer));
        }
        conv2 = child("conv2", new ConvModule(in, cfg.lastChannels(), 1, 1, 0, norm, act));
        // upstream's _freeze_stages: conv1's parameters only (its BN keeps training statistics), then layer1..K
        // in eval mode with frozen parameters
        if (cfg.frozenStages() >= 0) conv1.freeze();
        for (int i = 1; i <= cfg.frozenStages(); i++) layers.get(i - 1).freeze();
        if (!cfg.normEval()) {
            Norms.forEachBatchNorm(conv1, bn -> bn.useBatchStatistics(true));
            for (int i = Math.max(1, cfg.frozenStages() + 1); i <= 7; i++)
                Norms.forEachBatchNorm(layers.get(i - 1), bn -> bn.useBatchStatistics(true));
            Norms.forEachBatchNorm(conv2, bn -> bn.useBatchStatistics(true));
        }
    }

    public MobileNetV2Config config() { return cfg; }

    /**
     * Parameters (names relative to the backbone) of the stages after the last returned one: no output depends on
     * them, so they never get a gradient, and upstream's optimizer skips their None grads. Left out of the
     * optimizer so that a data-parallel step (which averages a missing gradient as zeros) does not decay them.
     */
    @Override public java.util.Set<String> parametersAfterTheLastOutput() {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (int i = cfg.lastStage() + 1; i < 7; i++)
            for (String k : layers.get(i).namedParameters().keySet()) out.add("layer" + (i + 1) + "." + k);
        if (cfg.lastStage() < 7) for (String k : conv2.namedParameters().keySet()) out.add("conv2." + k);
        return out;
    }

    @Override public BackboneSpec spec() { return cfg; }

    /**
     * Upstream's default init_cfg without a checkpoint: Kaiming on Conv2d (MMEngine's KaimingInit: normal,
     * fan_out, ReLU gain, bias 0), Constant 1 on norms (bias 0).
     */
    @Override public void initWeights(Random rng) {
        for (Tensor t : namedParameters().values())
            if (t.rank() == 4) Init.normal(t, 0, Math.sqrt(2.0 / Init.fanOut(t)), rng);
        // norm weights are 1 and biases 0 from construction
    }

    @Override public List<Tensor> forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != 3)
            throw new IllegalArgumentException("MobileNetV2: input must be [N, 3, H, W], got " + x);
        List<Tensor> outs = new ArrayList<>();
        Tensor y = conv1.forward(x);
        int last = cfg.lastStage();
        for (int i = 0; i <= last; i++) {
            Tensor in = y;
            if (i < 7) {
                for (InvertedResidual b : layers.get(i)) {
                    Tensor prev = y;
                    y = b.forward(prev);
                    if (prev != in) MemoryScope.dispose(prev);
                }
            } else {
                y = conv2.forward(in);
            }
            if (!isReturned(i - 1)) MemoryScope.dispose(in); // conv1's output, or a stage not returned
            if (isReturned(i)) outs.add(y);
        }
        return outs;
    }

    /** Whether stage i (-1: conv1) is one of the returned maps. */
    private boolean isReturned(int i) { return i >= 0 && cfg.outIndices().contains(i); }

    /** A ConvModule's activation: type ("ReLU6", "ReLU", "LeakyReLU" or null: none) and LeakyReLU's slope. */
    record Activation(String type, float negativeSlope) {
        static final Activation NONE = new Activation(null, 0f);
    }

    /**
     * MMCV's {@code ConvModule} (conv → norm → activation): children {@code conv} (no bias with a norm) and
     * {@code bn} / {@code gn}; the activation ({@code activate}) has no parameters.
     */
    public static final class ConvModule extends Module {
        public final Conv2d conv;
        public final Module norm;
        /** "ReLU6", "ReLU", "LeakyReLU" or null (none). */
        public final String activation;
        /** LeakyReLU's negative_slope (unused by the others). */
        public final float negativeSlope;

        ConvModule(int in, int out, int kernel, int stride, int pad, int groups, NormConfig norm, Activation activation) {
            this.conv = child("conv", new Conv2d(in, out, kernel, stride, pad, 1, groups, false));
            this.norm = child(Norms.abbr(norm), Norms.build(norm, out));
            this.activation = activation.type();
            this.negativeSlope = activation.negativeSlope();
        }

        ConvModule(int in, int out, int kernel, int stride, int pad, NormConfig norm, Activation activation) {
            this(in, out, kernel, stride, pad, 1, norm, activation);
        }

        public int groups() { return conv.groups(); }

        /** conv → norm (+ residual) → activation (ReLU fused where {@link Norms#convNormAct} can). */
        public Tensor forward(Tensor x) { return forward(x, null); }

        Tensor forward(Tensor x, Tensor residual) {
            boolean relu = MobileNetV2Config.RELU.equals(activation);
            Tensor y = Norms.convNormAct(conv, norm, x, residual, relu);
            boolean leaky = MobileNetV2Config.LEAKY_RELU.equals(activation);
            if (!leaky && !MobileNetV2Config.RELU6.equals(activation)) return y;
            Tensor r = leaky ? F.leakyRelu(y, negativeSlope) : F.relu6(y);
            MemoryScope.dispose(y);
            return r;
        }
    }

    /**
     * mmdet's {@code InvertedResidual}: {@code expand_conv} (1×1, only when with_expand_conv), {@code depthwise_conv}
     * (3×3, stride 1 or 2, groups = mid channels), {@code linear_conv} (1×1, no activation); x + out when the stride
     * is 1 and the channels are kept.
     */
    public static final class InvertedResidual extends Module {
        public final ConvModule expandConv, depthwiseConv, linearConv;
        public final boolean residual;
        public final int stride;

        InvertedResidual(int in, int out, int mid, int stride, boolean expand, NormConfig norm, Activation act) {
            this.stride = stride;
            this.residual = stride == 1 && in == out;
            this.expandConv = expand ? child("expand_conv", new ConvModule(in, mid, 1, 1, 0, norm, act)) : null;
            this.depthwiseConv = child("depthwise_conv", new ConvModule(mid, mid, 3, stride, 1, mid, norm, act));
            this.linearConv = child("linear_conv", new ConvModule(mid, out, 1, 1, 0, norm, Activation.NONE));
        }

        public Tensor forward(Tensor x) {
            Tensor e = expandConv == null ? x : expandConv.forward(x);
            Tensor d = depthwiseConv.forward(e);
            if (e != x) MemoryScope.dispose(e);
            Tensor y = linearConv.forward(d, residual ? x : null); // the residual is added after the norm, as x + out
            MemoryScope.dispose(d);
            return y;
        }
    }
}
