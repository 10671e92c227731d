package autoassign.model;

import autoassign.config.CspArch;
import autoassign.config.CspDarknetConfig;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * MMDetection 3.3.0's {@code CSPDarknet} ({@code mmdet/models/backbones/csp_darknet.py}), YOLOv5 / YOLOX's backbone:
 * {@code stem} ({@link Focus}, 3×3) then {@code stage1..stageN}, each an {@code nn.Sequential} of a stride-2 3×3
 * conv ({@code stageK.0}: ConvModule or, with use_depthwise, DepthwiseSeparableConvModule), an
 * {@link SppBottleneck} ({@code stageK.1}) where the arch says use_spp, and a {@link CspLayer} (last). Out index 0 is
 * the stem, i stage i. State-dict names are upstream's ({@code stem.conv.conv.weight},
 * {@code stage4.1.conv1.bn.running_mean}, {@code stage1.1.blocks.0.conv2.conv.weight}, ...).
 */
public final class CspDarknet extends CspBackbone {
    private final CspDarknetConfig cfg;
    public final Focus stem;

    public CspDarknet(CspDarknetConfig cfg) {
        this.cfg = cfg;
        var norm = cfg.normCfg();
        var act = cfg.act();
        stem = child("stem", new Focus(3, cfg.stemChannels(), 3, norm, act));
        buildStages(norm, act, cfg.useDepthwise(), cfg.sppKernelSizes(), cfg.frozenStages(), cfg.normEval());
    }

    public CspDarknetConfig config() { return cfg; }

    @Override CspArch arch() { return cfg; }

    @Override Module stem() { return stem; }

    @Override CspLayer cspLayer(int i, int channels) {
        return new CspLayer(channels, channels, 0.5, cfg.stageBlocks(i), cfg.stageAddIdentity(i), cfg.useDepthwise(), cfg.normCfg(),
                cfg.act());
    }

    @Override Tensor stemForward(Tensor x) { return stem.forward(x); }

    /**
     * Upstream's init_cfg {@code Kaiming(layer='Conv2d', a=sqrt(5), distribution='uniform', mode='fan_in',
     * nonlinearity='leaky_relu')}: every conv weight U(−1/√fan_in, +1/√fan_in) (gain √(2/(1+5)) times √(3/fan_in));
     * norms keep weight 1, bias 0.
     */
    @Override public void initWeights(Random rng) {
        for (Tensor t : namedParameters().values())
            if (t.rank() == 4) {
                double bound = 1.0 / Math.sqrt(Init.fanIn(t));
                Init.uniform(t, -bound, bound, rng);
            }
    }

    @Override public List<Tensor> forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != 3)
            throw new IllegalArgumentException("CSPDarknet: input must be [N, 3, H, W], got " + x);
        if (x.dim(2) % 2 != 0 || x.dim(3) % 2 != 0)
            throw new IllegalArgumentException("CSPDarknet: input " + x.dim(2) + "x" + x.dim(3)
                    + " must have an even height and width (Focus slices it into 2x2 blocks; pad the batch to a multiple of 32)");
        return forwardLayers(x);
    }

}
