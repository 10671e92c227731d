package autoassign.config;

/**
 * {@code norm_cfg}: {@code type: BN} (BatchNorm with frozen statistics, {@code norm_eval}; its affine trains with
 * {@code requires_grad: true}, MMCV's default, and stays fixed with {@code false}, the caffe configs' setting) or
 * {@code type: GN} with {@code num_groups}.
 *
 * @param type         "BN" or "GN"
 * @param numGroups    GN groups (ignored for BN)
 * @param requiresGrad whether the affine parameters train
 * @param eps          variance epsilon (1e-5)
 */
public record NormConfig(String type, int numGroups, boolean requiresGrad, double eps) {
    public static final NormConfig FROZEN_BN = new NormConfig("BN", 0, false, 1e-5);
    /** MMDetection's ResNet default {@code norm_cfg=dict(type='BN', requires_grad=True)}. */
    public static final NormConfig RESNET_DEFAULT = new NormConfig("BN", 0, true, 1e-5);

    public boolean isGroupNorm() { return "GN".equals(type); }

    static NormConfig from(ConfigNode n, NormConfig def) {
        String type = n.choice("type", def.type(), "BN", "GN");
        boolean gn = type.equals("GN");
        int groups = gn ? n.positive("num_groups", n.integer("num_groups", def.isGroupNorm() ? def.numGroups() : 32)) : 0;
        if (!gn && n.has("num_groups")) throw n.error("num_groups", "only valid with type GN");
        boolean rg = n.bool("requires_grad", true); // MMCV's build_norm_layer default, for BN and GN alike
        double eps = n.positive("eps", n.number("eps", def.eps()));
        n.finish();
        return new NormConfig(type, groups, rg, eps);
    }

    /** Throws naming {@code key} unless GN groups divide {@code channels}. */
    void checkDivides(ConfigNode owner, String key, int channels, String what) {
        if (isGroupNorm() && channels % numGroups != 0)
            throw new ConfigException(owner.source(), owner.key(key) + ".num_groups",
                    numGroups + " groups do not divide the " + channels + " channels of " + what);
    }
}
