package autoassign.model;

import autoassign.config.ActivationConfig;
import autoassign.config.BackboneSpec;
import autoassign.config.CspArch;
import autoassign.config.NormConfig;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@link CspDarknet} and {@link CspNext} share (their upstream files build them alike): after a stem, stages
 * {@code stage1..stageN}, each an {@code nn.Sequential} of a stride-2 3×3 conv ({@code stageK.0}: ConvModule or, with
 * use_depthwise, DepthwiseSeparableConvModule), an {@link SppBottleneck} ({@code stageK.1}) where the arch says
 * use_spp, and the backbone's {@link CspLayer} (last); upstream's {@code _freeze_stages} and {@code norm_eval}; out
 * index 0 the stem, i stage i; the forward stops after the last returned layer.
 */
abstract class CspBackbone extends Backbone {
    /** stage1..stageN. */
    public final List<ModuleList<Module>> stages = new ArrayList<>();

    /** The config's arch arithmetic. */
    abstract CspArch arch();

    /** Layer 0. */
    abstract Module stem();

    /** The stem's forward (layer 0) on the checked input. */
    abstract Tensor stemForward(Tensor x);

    /** Stage i's CSPLayer on {@code channels} in and out. */
    abstract CspLayer cspLayer(int i, int channels);

    /**
     * Registers the stages after the stem (call it once the stem is a child, so that the state dict keeps upstream's
     * order), then freezes: layers[0..frozen_stages] (the stem, then stage1..k) in eval mode with frozen parameters;
     * without norm_eval the other stages' BN normalise with batch statistics in training.
     */
    final void buildStages(NormConfig norm, ActivationConfig act, boolean useDepthwise, List<Integer> sppKernelSizes,
                           int frozenStages, boolean normEval) {
        CspArch a = arch();
        for (int i = 1; i <= a.numStages(); i++) {
            int in = a.stageIn(i), out = a.stageOut(i);
            ModuleList<Module> stage = new ModuleList<>();
            stage.add(DepthwiseSeparableConvModule.conv(useDepthwise, in, out, 3, 2, 1, norm, act));
            if (a.stageUsesSpp(i)) stage.add(new SppBottleneck(out, out, sppKernelSizes, norm, act));
            stage.add(cspLayer(i, out));
            stages.add(child("stage" + i, stage));
        }
        for (int i = 0; i <= frozenStages; i++) layer(i).freeze();
        if (!normEval)
            for (int i = frozenStages + 1; i <= a.numStages(); i++) Norms.forEachBatchNorm(layer(i), bn -> bn.useBatchStatistics(true));
    }

    /** Layer i: 0 the stem, i ≥ 1 stage i. */
    public Module layer(int i) { return i == 0 ? stem() : stages.get(i - 1); }

    @Override public BackboneSpec spec() { return arch(); }

    /** Parameters of the stages after the last returned layer: no output depends on them (see {@link Backbone}). */
    @Override public Set<String> parametersAfterTheLastOutput() {
        Set<String> out = new LinkedHashSet<>();
        for (int i = arch().lastLayer() + 1; i <= arch().numStages(); i++)
            for (String k : stages.get(i - 1).namedParameters().keySet()) out.add("stage" + i + "." + k);
        return out;
    }

    /** The stem, then the stages up to the last returned layer; each intermediate released once it is consumed. */
    final List<Tensor> forwardLayers(Tensor x) {
        List<Tensor> outs = new ArrayList<>();
        Tensor y = stemForward(x);
        if (isReturned(0)) outs.add(y);
        for (int i = 1; i <= arch().lastLayer(); i++) {
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

    private boolean isReturned(int i) { return arch().outIndices().contains(i); }
}
