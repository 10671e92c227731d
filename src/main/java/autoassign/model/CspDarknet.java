package autoassign.model;

import autoassign.config.BackboneSpec;
import autoassign.config.CspDarknetConfig;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * MMDetection 3.3.0's {@code CSPDarknet} ({@code mmdet/models/backbones/csp_darknet.py}), YOLOv5 / YOLOX's backbone:
 * {@code stem} ({@link Focus}, 3×3) then {@code stage1..stageN}, each an {@code nn.Sequential} of a stride-2 3×3
 * conv ({@code stageK.0}: ConvModule or, with use_depthwise, DepthwiseSeparableConvModule), an
 * {@link SppBottleneck} ({@code stageK.1}) where the arch says use_spp, and a {@link CspLayer} (last). Out index 0 is
 * the stem, i stage i. State-dict names are upstream's ({@code stem.conv.conv.weight},
 * {@code stage4.1.conv1.bn.running_mean}, {@code stage1.1.blocks.0.conv2.conv.weight}, ...).
 */
public final class CspDarknet extends Backbone {
    private final CspDarknetConfig cfg;
    public final Focus stem;
    /** stage1..stageN. */
    public final List<ModuleList<Module>> stages = new ArrayList<>();

    public CspDarknet(CspDarknetConfig cfg) {
        this.cfg = cfg;
        var norm = cfg.normCfg();
        var act = cfg.act();
        stem = child("stem", new Focus(3, cfg.stemChannels(), 3, norm, act));
        for (int i = 1; i <= cfg.numStages(); i++) {
            int in = cfg.stageIn(i), out = cfg.stageOut(i);
            ModuleList<Module> stage = new ModuleList<>();
            stage.add(DepthwiseSeparableConvModule.conv(cfg.useDepthwise(), in, out, 3, 2, 1, norm, act));
            if (cfg.stageUsesSpp(i)) stage.add(new SppBottleneck(out, out, cfg.sppKernelSizes(), norm, act));
            stage.add(new CspLayer(out, out, 0.5, cfg.stageBlocks(i), cfg.stageAddIdentity(i), cfg.useDepthwise(), norm, act));
            stages.add(child("stage" + i, stage));
        }
        // upstream's _freeze_stages: layers[0..frozen_stages] (the stem, then stage1..k) in eval mode, parameters
        // frozen; norm_eval keeps every BN in eval mode; otherwise BN normalises with batch statistics in training
        for (int i = 0; i <= cfg.frozenStages(); i++) layer(i).freeze();
        if (!cfg.normEval())
            for (int i = cfg.frozenStages() + 1; i <= cfg.numStages(); i++)
                Norms.forEachBatchNorm(layer(i), bn -> bn.useBatchStatistics(true));
    }

    public CspDarknetConfig config() { return cfg; }

    /** Layer i: 0 the stem, i ≥ 1 stage i. */
    public Module layer(int i) { return i == 0 ? stem : stages.get(i - 1); }

    @Override public BackboneSpec spec() { return cfg; }

    /** Parameters of the stages after the last returned layer: no output depends on them (see {@link Backbone}). */
    @Override public Set<String> parametersAfterTheLastOutput() {
        Set<String> out = new LinkedHashSet<>();
        for (int i = cfg.lastLayer() + 1; i <= cfg.numStages(); i++)
            for (String k : stages.get(i - 1).namedParameters().keySet()) out.add("stage" + i + "." + k);
        return out;
    }

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
        List<Tensor> outs = new ArrayList<>();
        Tensor y = stem.forward(x);
        if (isReturned(0)) outs.add(y);
        for (int i = 1; i <= cfg.lastLayer(); i++) {
            Tensor in = y;
            for (Module m : stages.get(i - 1)) {
                Tensor prev = y;
                y = ((SingleInputLayer) m).forward(prev);
                if (prev != in) MemoryScope.dispose(prev);
            }
            if (!isReturned(i - 1)) MemoryScope.dispose(in);
            if (isReturned(i)) outs.add(y);
        }
        return outs;
    }

    private boolean isReturned(int i) { return cfg.outIndices().contains(i); }
}
