package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.BackboneSpec;
import autoassign.config.EfficientNetConfig;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * MMDetection 3.3.0's {@code EfficientNet} ({@code mmdet/models/backbones/efficientnet.py}): {@code layers.0} the stem
 * ConvModule (3×3/2), {@code layers.1..5} Sequentials of {@link InvertedResidual} (b archs: SE layers, Swish) or
 * {@link EdgeResidual} (the EdgeTPU archs' first layers), {@code layers.6} the last 1×1 ConvModule; out index i returns
 * layer i. Only layers 0..max(out_indices) are built, as upstream. Convs use MMCV's {@code Conv2dAdaptivePadding}
 * (TensorFlow's "same" padding from the input size at run time, {@link AdaptivePadding}) unless conv_cfg says
 * otherwise.
 *
 * <p>State-dict names are upstream's (and MMPretrain's, whose classifier checkpoints the configs load with
 * {@code prefix='backbone'}): {@code layers.0.conv.weight}, {@code layers.0.bn.*},
 * {@code layers.K.J.expand_conv.conv.weight}, {@code .depthwise_conv.*}, {@code .se.conv1.conv.weight/bias},
 * {@code .se.conv2.conv.*}, {@code .linear_conv.*}; EdgeResidual {@code layers.K.J.conv1.*}, {@code .conv2.*};
 * {@code layers.6.conv.weight}. Drop path (stochastic depth) acts on a block's residual branch in train mode with the
 * engine's seeded generator ({@link #setTrainingRandom}, as Swin's); without one it is the identity.
 */
public final class EfficientNet extends Backbone {
    private final EfficientNetConfig cfg;
    /** layers.0 .. layers.max(out_indices): AdaptiveConvModule or ModuleList of blocks. */
    public final ModuleList<Module> layers = new ModuleList<>();
    private Random dropPathRandom;

    public EfficientNet(EfficientNetConfig cfg) {
        this.cfg = cfg;
        int last = cfg.lastLayer();
        layers.add(new AdaptiveConvModule(3, cfg.stemChannels(), 3, 2, 1, cfg.adaptivePadding(), cfg.normCfg(), cfg.act()));
        List<List<EfficientNetConfig.Block>> plan = cfg.blocks();
        for (int i = 1; i <= Math.min(last, 5); i++) {
            ModuleList<Module> layer = new ModuleList<>();
            for (EfficientNetConfig.Block b : plan.get(i - 1))
                layer.add(b.edge() ? new EdgeResidual(this, b) : new InvertedResidual(this, b));
            layers.add(layer);
        }
        if (last == 6)
            layers.add(new AdaptiveConvModule(cfg.layerChannels(5), cfg.lastChannels(), 1, 1, 1, cfg.adaptivePadding(),
                    cfg.normCfg(), cfg.act()));
        child("layers", layers);
        // upstream's train(): layers 0..frozen_stages-1 in eval mode with frozen parameters; norm_eval puts every
        // nn.BatchNorm2d in eval mode (SyncBN with norm_eval is refused by the config)
        for (int i = 0; i < cfg.frozenStages(); i++) layers.get(i).freeze();
        if (!cfg.normEval())
            for (int i = cfg.frozenStages(); i < layers.size(); i++) Norms.forEachBatchNorm(layers.get(i), bn -> bn.useBatchStatistics(true));
    }

    public EfficientNetConfig config() { return cfg; }

    @Override public BackboneSpec spec() { return cfg; }

    /**
     * Upstream's train(mode) re-runs _freeze_stages: layers 0..frozen_stages−1 stay in eval mode, so the drop path of
     * a frozen layer's blocks passes x through.
     */
    @Override public void train(boolean mode) {
        super.train(mode);
        for (int i = 0; i < cfg.frozenStages(); i++) layers.get(i).train(false);
    }

    /** The generator drop path draws its per-sample keep masks from in train mode (null: drop path off). */
    @Override public void setTrainingRandom(Random rng) { this.dropPathRandom = rng; }

    /**
     * Upstream's default init_cfg: Kaiming on every Conv2d (MMEngine's KaimingInit: normal, fan_out, ReLU gain, bias
     * 0; the SE convs' biases too), Constant 1 on norms (bias 0).
     */
    @Override public void initWeights(Random rng) {
        initConvs(this, rng);
    }

    private static void initConvs(Module m, Random rng) {
        if (m instanceof autoassign.nn.Conv2d c) {
            Init.normal(c.weight, 0, Math.sqrt(2.0 / Init.fanOut(c.weight)), rng);
            if (c.bias != null) Init.constant(c.bias, 0f);
        }
        for (Module ch : m.children().values()) initConvs(ch, rng);
    }

    /** x + drop_path(out) of a block's residual (mmcv's DropPath: out·floor(keep + U[0,1)) / keep per sample). */
    Tensor residual(Tensor x, Tensor out, double rate, boolean training) {
        Tensor d = DropPath.apply(out, rate, out.dim(0), training, dropPathRandom);
        if (d != out) MemoryScope.dispose(out);
        Tensor y = F.add(x, d);
        MemoryScope.dispose(d);
        return y;
    }

    @Override public List<Tensor> forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != 3)
            throw new IllegalArgumentException("EfficientNet: input must be [N, 3, H, W], got " + x);
        List<Tensor> outs = new ArrayList<>();
        Tensor y = x;
        for (int i = 0; i < layers.size(); i++) {
            Tensor in = y;
            Module l = layers.get(i);
            if (l instanceof AdaptiveConvModule c) {
                y = c.forward(in);
            } else {
                @SuppressWarnings("unchecked") ModuleList<Module> blocks = (ModuleList<Module>) l;
                for (Module b : blocks) {
                    Tensor prev = y;
                    y = b instanceof InvertedResidual r ? r.forward(prev) : ((EdgeResidual) b).forward(prev);
                    if (prev != in) MemoryScope.dispose(prev);
                }
            }
            if (in != x && !cfg.outIndices().contains(i - 1)) MemoryScope.dispose(in);
            if (cfg.outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }
}
