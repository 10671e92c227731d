package autoassign.config;

import java.util.List;

/**
 * {@code model.bbox_head} (MMDetection {@code AutoAssignHead}); the loss settings are read by the loss.
 *
 * @param numClasses       classes C (80 for COCO)
 * @param inChannels       channels of the FPN levels
 * @param featChannels     channels of the towers
 * @param stackedConvs     conv3x3+GN+ReLU layers per tower
 * @param strides          stride of each level (one per FPN output)
 * @param normCfg          GN of the towers ({@code num_groups} must divide {@code feat_channels})
 * @param convBias         tower convs keep a bias (AutoAssign: true)
 * @param topk             loss option (9; used by force_topk only)
 */
public record HeadConfig(int numClasses, int inChannels, int featChannels, int stackedConvs, List<Integer> strides,
                         NormConfig normCfg, boolean convBias, int topk) {

    public HeadConfig {
        strides = List.copyOf(strides);
    }

    // the loss settings a config may only state at MMDetection's values (the loss is built with them)
    public boolean forceTopk() { return false; }

    public double posLossWeight() { return LossConstants.POS; }

    public double negLossWeight() { return LossConstants.NEG; }

    public double centerLossWeight() { return LossConstants.CENTER; }

    /** {@code loss_bbox.loss_weight}. */
    public double giouLossWeight() { return LossConstants.GIOU; }

    /** {@code loss_bbox.eps}. */
    public double giouEps() { return LossConstants.GIOU_EPS; }

    public int[] stridesArray() { return strides.stream().mapToInt(Integer::intValue).toArray(); }

    static HeadConfig from(ConfigNode n) {
        n.fixed("type", "AutoAssignHead");
        int classes = n.positive("num_classes", n.integer("num_classes"));
        int in = n.positive("in_channels", n.integer("in_channels"));
        int feat = n.positive("feat_channels", n.integer("feat_channels", 256));
        int stacked = n.atLeast("stacked_convs", n.integer("stacked_convs", 4), 0);
        List<Integer> strides = n.intList("strides", List.of(8, 16, 32, 64, 128));
        if (strides.isEmpty()) throw n.error("strides", "must not be empty");
        for (int s : strides) if (s <= 0) throw n.error("strides", "must be positive, got " + strides);
        NormConfig norm = NormConfig.from(n.child("norm_cfg"), new NormConfig("GN", 32, true, 1e-5));
        if (!norm.isGroupNorm()) throw n.error("norm_cfg.type", "the head uses GroupNorm: must be GN");
        if (stacked > 0) norm.checkDivides(n, "norm_cfg", feat, "feat_channels");
        boolean bias = n.bool("conv_bias", true);
        if (!n.bool("centerness_on_reg", true))
            throw n.error("centerness_on_reg", "AutoAssign puts objectness on the regression tower: must be true");
        // the loss (CPU op and CUDA kernels alike) is AutoAssign's with MMDetection's constants: other values are refused,
        // not silently trained with the defaults
        if (n.bool("force_topk", false)) throw n.error("force_topk", "only false (MMDetection's default) is supported");
        int topk = n.positive("topk", n.integer("topk", 9)); // used by force_topk only
        recipeOnly(n, "pos_loss_weight", LossConstants.POS);
        recipeOnly(n, "neg_loss_weight", LossConstants.NEG);
        recipeOnly(n, "center_loss_weight", LossConstants.CENTER);
        ConfigNode lb = n.child("loss_bbox");
        lb.fixed("type", "GIoULoss");
        recipeOnly(lb, "loss_weight", LossConstants.GIOU);
        recipeOnly(lb, "eps", LossConstants.GIOU_EPS);
        lb.finish();
        n.finish();
        return new HeadConfig(classes, in, feat, stacked, strides, norm, bias, topk);
    }

    /** The loss's constants (spec AA_3; {@code autoassign.loss.LossKernels} holds the same in float). */
    static final class LossConstants {
        static final double POS = 0.25, NEG = 0.75, CENTER = 0.75, GIOU = 5.0, GIOU_EPS = 1e-6;

        private LossConstants() {}
    }

    private static void recipeOnly(ConfigNode n, String key, double expected) {
        double value = n.number(key, expected);
        if (value != expected) throw n.error(key, "only " + expected + " (MMDetection's AutoAssign value) is supported, got " + value);
    }
}
