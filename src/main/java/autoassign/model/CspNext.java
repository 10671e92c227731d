package autoassign.model;

import autoassign.config.CspArch;
import autoassign.config.CspNextConfig;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * MMDetection 3.3.0's {@code CSPNeXt} ({@code mmdet/models/backbones/cspnext.py}), RTMDet's backbone: {@code stem} (an
 * {@code nn.Sequential} of three 3×3 ConvModules, {@code stem.0} stride 2) then {@code stage1..stageN}, each an
 * {@code nn.Sequential} of a stride-2 3×3 conv ({@code stageK.0}: ConvModule or, with use_depthwise,
 * DepthwiseSeparableConvModule), an {@link SppBottleneck} ({@code stageK.1}) where the arch says use_spp, and a
 * {@link CspLayer} of {@link CspNextBlock}s with the config's expand_ratio and channel attention (last). Out index 0 is
 * the stem, i stage i. Names are upstream's ({@code stem.0.conv.weight}, {@code stage1.1.blocks.0.conv2.depthwise_conv.bn.weight},
 * {@code stage4.2.attention.fc.bias}, ...).
 */
public final class CspNext extends CspBackbone {
    private final CspNextConfig cfg;
    public final ModuleList<CspConvModule> stem = new ModuleList<>();

    public CspNext(CspNextConfig cfg) {
        this.cfg = cfg;
        var norm = cfg.normCfg();
        var act = cfg.act();
        int half = cfg.stemHalfChannels(), full = cfg.stemChannels();
        stem.add(new CspConvModule(3, half, 3, 2, norm, act));
        stem.add(new CspConvModule(half, half, 3, 1, norm, act));
        stem.add(new CspConvModule(half, full, 3, 1, norm, act));
        child("stem", stem);
        buildStages(norm, act, cfg.useDepthwise(), cfg.sppKernelSizes(), cfg.frozenStages(), cfg.normEval());
    }

    public CspNextConfig config() { return cfg; }

    @Override CspArch arch() { return cfg; }

    @Override Module stem() { return stem; }

    @Override CspLayer cspLayer(int i, int channels) {
        return new CspLayer(channels, channels, cfg.expandRatio(), cfg.stageBlocks(i), cfg.stageAddIdentity(i), cfg.useDepthwise(),
                true, cfg.channelAttention(), cfg.normCfg(), cfg.act());
    }

    @Override Tensor stemForward(Tensor x) {
        Tensor y = x;
        for (CspConvModule m : stem) {
            Tensor prev = y;
            y = m.forward(prev);
            if (prev != x) MemoryScope.dispose(prev);
        }
        return y;
    }

    /**
     * Upstream's init_cfg {@code Kaiming(layer='Conv2d', a=sqrt(5), distribution='uniform', mode='fan_in',
     * nonlinearity='leaky_relu')}: every conv weight U(−1/√fan_in, +1/√fan_in); KaimingInit's {@code bias=0} zeroes the
     * ChannelAttention fc biases (the only conv biases); norms keep weight 1, bias 0.
     */
    @Override public void initWeights(Random rng) {
        for (var e : namedParameters().entrySet()) {
            Tensor t = e.getValue();
            if (t.rank() == 4) {
                double bound = 1.0 / Math.sqrt(Init.fanIn(t));
                Init.uniform(t, -bound, bound, rng);
            } else if (e.getKey().endsWith(".attention.fc.bias")) {
                Init.constant(t, 0f);
            }
        }
    }

    @Override public List<Tensor> forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != 3)
            throw new IllegalArgumentException("CSPNeXt: input must be [N, 3, H, W], got " + x);
        return forwardLayers(x);
    }

}
