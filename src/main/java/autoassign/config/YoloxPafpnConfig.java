package autoassign.config;

import java.util.List;

/**
 * The {@code model.neck} keys of {@code type: YOLOXPAFPN} beyond {@link NeckConfig}'s: MMDetection 3.3.0's
 * {@code YOLOXPAFPN(in_channels, out_channels, num_csp_blocks=3, use_depthwise=False,
 * upsample_cfg=dict(scale_factor=2, mode='nearest'), conv_cfg=None, norm_cfg=dict(type='BN', momentum=0.03,
 * eps=0.001), act_cfg=dict(type='Swish'), init_cfg=Kaiming)} ({@code mmdet/models/necks/yolox_pafpn.py}).
 *
 * @param numCspBlocks DarknetBottlenecks in each CSPLayer
 * @param useDepthwise DepthwiseSeparableConvModule for the downsampling convs and the bottlenecks' 3×3 convs
 * @param norm         BN or GN of every ConvModule (BN: batch statistics in training, a plain BatchNorm2d)
 * @param act          Swish (SiLU), ReLU, LeakyReLU or none
 * @param cspNext      MMDetection's {@code CSPNeXtPAFPN} ({@code mmdet/models/necks/cspnext_pafpn.py}, RTMDet's neck) instead:
 *                     the same paths with CSPNeXtBlocks in the CSPLayers (whose {@code use_depthwise} upstream leaves
 *                     False: it reaches only the downsamples), {@code expand_ratio}, 3×3 out_convs; SyncBN allowed
 * @param expandRatio  the CSPLayers' {@code expand_ratio} (YOLOXPAFPN: 0.5)
 */
public record YoloxPafpnConfig(int numCspBlocks, boolean useDepthwise, NormConfig norm, ActivationConfig act, boolean cspNext,
                               double expandRatio) {
    public static final String TYPE = "YOLOXPAFPN", CSPNEXT_TYPE = "CSPNeXtPAFPN";

    /** YOLOXPAFPN. */
    public YoloxPafpnConfig(int numCspBlocks, boolean useDepthwise, NormConfig norm, ActivationConfig act) {
        this(numCspBlocks, useDepthwise, norm, act, false, 0.5);
    }

    /** The whole neck config of {@code type} (YOLOXPAFPN or CSPNeXtPAFPN): one output per input, at the inputs' strides. */
    static NeckConfig from(ConfigNode n, String type, List<Integer> in, int out) {
        boolean cspNext = type.equals(CSPNEXT_TYPE);
        if (in.size() < 2) throw n.error("in_channels", type + " needs at least two inputs, got " + in);
        int blocks = n.positive("num_csp_blocks", n.integer("num_csp_blocks", 3));
        boolean dw = n.bool("use_depthwise", false);
        double expand = cspNext ? n.positive("expand_ratio", n.number("expand_ratio", 0.5)) : 0.5;
        ConfigNode up = n.child("upsample_cfg");
        if (up.has("scale_factor") && up.number("scale_factor") != 2.0)
            throw up.error("scale_factor", "only 2 is supported (each level doubles the next), got " + up.number("scale_factor"));
        up.choice("mode", "nearest", "nearest");
        up.finish();
        if (!n.has("norm_cfg") && n.keys().contains("norm_cfg"))
            throw n.error("norm_cfg", "null (convolutions without a norm layer) is not supported: give BN or GN");
        // upstream's default norm_cfg is BN(momentum=0.03, eps=0.001); a given norm_cfg is passed to nn.BatchNorm2d as
        // written, so its missing keys take torch's defaults (eps 1e-5, momentum 0.1)
        NormConfig norm = n.has("norm_cfg") ? NormConfig.from(n.child("norm_cfg"), NormConfig.RESNET_DEFAULT) : CspDarknetConfig.DEFAULT_NORM;
        // CSPNeXtPAFPN (RTMDet's configs use SyncBN): the trainer syncs the neck's batch statistics across workers
        if (norm.isSyncBatchNorm() && !cspNext) throw n.error("norm_cfg.type", "SyncBN is not supported in the neck: use BN or GN");
        ActivationConfig act = ActivationConfig.from(n, "act_cfg", ActivationConfig.SWISH_DEFAULT);
        if (!n.has("init_cfg") && n.keys().contains("init_cfg"))
            throw n.error("init_cfg", "null (each ConvModule keeps MMCV's own kaiming_normal fan_out init) is not supported:"
                    + " omit it for upstream's Kaiming-uniform default");
        ConfigNode init = n.child("init_cfg");
        if (init.has("type")) {
            // a given init_cfg is built as written: its missing keys take MMEngine's KaimingInit defaults (layer None
            // initializes nothing; a 0, mode fan_out, nonlinearity relu, distribution normal), not upstream's default dict
            init.fixed("type", "Kaiming");
            kaimingKey(init, "layer", null, "Conv2d");
            double a = init.number("a", 0.0);
            if (Math.abs(a - Math.sqrt(5)) > 1e-9)
                throw init.error("a", "only sqrt(5) (upstream's default) is supported, got " + a + (init.has("a") ? "" : " (KaimingInit's default)"));
            kaimingKey(init, "distribution", "normal", "uniform");
            kaimingKey(init, "mode", "fan_out", "fan_in");
            kaimingKey(init, "nonlinearity", "relu", "leaky_relu");
        }
        init.finish();
        n.finish();
        YoloxPafpnConfig y = new YoloxPafpnConfig(blocks, dw, norm, act, cspNext, expand);
        for (int c : in)
            if ((int) (c * expand) < 1)
                throw n.error("expand_ratio", "gives a CSPLayer of " + c + " channels " + (int) (c * expand) + " hidden channels");
        if (norm.isGroupNorm()) {
            for (int c : in) {
                norm.checkDivides(n, "norm_cfg", c, "an in_channels level");
                norm.checkDivides(n, "norm_cfg", (int) (c * expand), "a CSPLayer's hidden channels");
            }
            norm.checkDivides(n, "norm_cfg", out, "out_channels");
        }
        return new NeckConfig(type, in, out, in.size(), 0, -1, "none", false, "Kaiming", norm, false, false, "MAX", 1, y);
    }

    /** A key of a given Kaiming init_cfg: only upstream's default value {@code only}; absent, it is KaimingInit's {@code kaimingDefault}. */
    private static void kaimingKey(ConfigNode init, String key, String kaimingDefault, String only) {
        String v = init.string(key, kaimingDefault);
        if (!only.equals(v))
            throw init.error(key, "only " + only + " (upstream's default) is supported, got "
                    + (init.has(key) ? "'" + v + "'" : "none: a given init_cfg's missing keys take KaimingInit's default ("
                    + (v == null ? "None" : v) + ")"));
    }
}
