package autoassign.model;

import autoassign.config.ModelConfig;
import autoassign.nn.Module;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The AutoAssign detector: {@code backbone} ({@link Backbone}: the {@link ResNet} family or {@link HrNet}) →
 * {@code neck} ({@link Neck}: FPN, PAFPN or HRFPN) →
 * {@code bbox_head} ({@link AutoAssignHead}). State-dict names equal MMDetection's
 * ({@code backbone.layer1.0.conv1.weight}, {@code neck.fpn_convs.0.conv.weight},
 * {@code bbox_head.scales.0.scale}, ...). Construction is deterministic in the seed.
 */
public final class AutoAssignDetector extends Module {
    private final ModelConfig cfg;
    public final Backbone backbone;
    public final Neck neck;
    public final AutoAssignHead bboxHead;
    private Device device = Device.CPU;

    /** Builds and randomly initialises the model (backbone: Kaiming; neck: Caffe2Xavier; head: AA_2 §5). */
    public AutoAssignDetector(ModelConfig cfg, long seed) {
        this.cfg = cfg;
        backbone = child("backbone", Backbone.build(cfg.backboneSpec()));
        neck = child("neck", Neck.build(cfg.neck()));
        bboxHead = child("bbox_head", new AutoAssignHead(cfg.bboxHead()));
        Random rng = new Random(seed);
        backbone.initWeights(rng);
        neck.initWeights(rng);
        bboxHead.initWeights(rng);
    }

    public ModelConfig config() { return cfg; }

    public Device device() { return device; }

    /**
     * @param images {@code [B, 3, H, W]} normalised, padded batch on the model's device
     * @return per-level head outputs, strides and points
     */
    public HeadOutputs forward(Tensor images) {
        if (!images.device().equals(device))
            throw new IllegalArgumentException("AutoAssignDetector: input on " + images.device() + ", model on " + device);
        List<Tensor> feats = backbone.forward(images);
        return bboxHead.forward(neck.forward(feats));
    }

    /** Moves every parameter and buffer to {@code target}. */
    @Override public void to(Device target) {
        super.to(target);
        device = target;
    }

    /**
     * SyncBN in a data-parallel run: the BatchNorm layers that use batch statistics take them over every worker, summed
     * by {@code allReduceSum} (the workers' host all-reduce): the backbone's when its norm_cfg is SyncBN with
     * {@code norm_eval: false}, the neck's when its norm_cfg is SyncBN (only CSPNeXtPAFPN accepts it; the other necks'
     * BatchNorm layers stay per worker). True when any layer was switched.
     */
    public boolean syncBatchStatistics(java.util.function.UnaryOperator<double[]> allReduceSum) {
        boolean any = false;
        var spec = cfg.backboneSpec();
        if (spec.normCfg() != null && spec.normCfg().isSyncBatchNorm() && !spec.normEval()) {
            Norms.forEachBatchNorm(backbone, bn -> bn.syncBatchStatistics(allReduceSum));
            any = true;
        }
        if (neckSyncsBatchStatistics()) {
            Norms.forEachBatchNorm(neck, bn -> bn.syncBatchStatistics(allReduceSum));
            any = true;
        }
        return any;
    }

    /** The neck's norm_cfg is SyncBN (CSPNeXtPAFPN, RTMDet's configs). */
    public boolean neckSyncsBatchStatistics() {
        var norm = cfg.neck().norm();
        return norm != null && norm.isSyncBatchNorm();
    }

    /** The learnable center prior (read by the loss). */
    public CenterPrior centerPrior() { return bboxHead.centerPrior; }

    /**
     * Names of the parameters of norm layers (GN, BN): MMEngine's {@code norm_decay_mult} applies to these.
     */
    public Set<String> normParameterNames() {
        Set<String> out = new LinkedHashSet<>();
        collectNorms(this, "", out);
        return out;
    }

    private static void collectNorms(Module m, String prefix, Set<String> out) {
        for (var e : m.children().entrySet()) {
            Module c = e.getValue();
            String p = prefix + e.getKey() + ".";
            if (Norms.isNorm(c)) for (String k : c.namedParameters().keySet()) out.add(p + k);
            else collectNorms(c, p, out);
        }
    }

    /** Every parameter that trains, by full name (frozen stages and frozen BN excluded). */
    public java.util.Map<String, Tensor> namedTrainableParameters() {
        java.util.Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        namedParameters().forEach((k, v) -> { if (v.requiresGrad()) out.put(k, v); });
        return out;
    }
}
