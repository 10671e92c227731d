package autoassign.config;

/**
 * {@code norm_cfg}: {@code type: BN} (BatchNorm: frozen statistics with {@code norm_eval: true}, batch statistics
 * in training with {@code norm_eval: false}; its affine trains with {@code requires_grad: true}, MMCV's default, and
 * stays fixed with {@code false}, the caffe configs' setting), {@code type: SyncBN} (on one worker BN, as MMEngine
 * reverts it; in a data-parallel run with {@code norm_eval: false} its batch statistics span every worker) or
 * {@code type: GN} with {@code num_groups}.
 *
 * @param type         "BN", "SyncBN" or "GN"
 * @param numGroups    GN groups (ignored for BN)
 * @param requiresGrad whether the affine parameters train
 * @param eps          variance epsilon (1e-5)
 * @param momentum     BN's running-statistics momentum (torch's 0.1; unused by GN)
 */
public record NormConfig(String type, int numGroups, boolean requiresGrad, double eps, double momentum) {
    public static final NormConfig FROZEN_BN = new NormConfig("BN", 0, false, 1e-5);
    /** MMDetection's ResNet default {@code norm_cfg=dict(type='BN', requires_grad=True)}. */
    public static final NormConfig RESNET_DEFAULT = new NormConfig("BN", 0, true, 1e-5);

    /** With torch's default momentum 0.1. */
    public NormConfig(String type, int numGroups, boolean requiresGrad, double eps) {
        this(type, numGroups, requiresGrad, eps, 0.1);
    }

    public boolean isGroupNorm() { return "GN".equals(type); }

    /** SyncBN: BatchNorm whose batch statistics span all devices of a data-parallel run. */
    public boolean isSyncBatchNorm() { return "SyncBN".equals(type); }

    static NormConfig from(ConfigNode n, NormConfig def) {
        String type = n.choice("type", def.type(), "BN", "SyncBN", "GN");
        boolean gn = type.equals("GN");
        int groups = gn ? n.positive("num_groups", n.integer("num_groups", def.isGroupNorm() ? def.numGroups() : 32)) : 0;
        if (!gn && n.has("num_groups")) throw n.error("num_groups", "only valid with type GN");
        boolean rg = n.bool("requires_grad", true); // MMCV's build_norm_layer default, for BN and GN alike
        double eps = n.positive("eps", n.number("eps", def.eps()));
        double momentum = def.momentum();
        if (n.has("momentum")) {
            if (gn) throw n.error("momentum", "only valid with BatchNorm (BN, SyncBN)");
            if (n.raw("momentum").isNull())
                throw n.error("momentum", "null (a cumulative average of the statistics) is not supported: give a number in [0, 1]");
            momentum = n.inRange("momentum", n.number("momentum"), 0, 1);
        }
        if (!n.bool("affine", true)) throw n.error("affine", "only true (a norm layer with weight and bias) is supported");
        if (!gn && !n.bool("track_running_stats", true))
            throw n.error("track_running_stats", "only true (BatchNorm keeps running statistics) is supported");
        n.finish();
        return new NormConfig(type, groups, rg, eps, momentum);
    }

    /** Throws naming {@code key} unless GN groups divide {@code channels}. */
    void checkDivides(ConfigNode owner, String key, int channels, String what) {
        if (isGroupNorm() && channels % numGroups != 0)
            throw new ConfigException(owner.source(), owner.key(key) + ".num_groups",
                    numGroups + " groups do not divide the " + channels + " channels of " + what);
    }
}
