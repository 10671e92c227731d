package autoassign.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code model.neck}: MMDetection's {@code FPN}, {@code PAFPN} (FPN plus a bottom-up path, same keys), {@code HRFPN} or
 * {@code YOLOXPAFPN} ({@link YoloxPafpnConfig}).
 *
 * @param type                  "FPN", "PAFPN" or "HRFPN"
 * @param inChannels            channels of the backbone features it receives (one per backbone out index)
 * @param outChannels           channels of every output level
 * @param numOuts               number of output levels
 * @param startLevel            first input used (1 skips C2); HRFPN: 0
 * @param endLevel              last input used, inclusive as in MMDetection 2.x/3.x ({@code backbone_end_level =
 *                              end_level + 1}); -1 (or the last index) = all, which alone allows extra levels (HRFPN: -1)
 * @param addExtraConvs         "on_input", "on_lateral", "on_output" or "none" (YAML {@code true} = on_input,
 *                              {@code false} = none: extra levels by stride-2 max pooling); HRFPN: "none"
 * @param reluBeforeExtraConvs  ReLU before every extra conv but the first
 * @param init                  "Caffe2Xavier" or "Xavier" (uniform) for the conv weights; biases 0
 * @param norm                  FPN / PAFPN {@code norm_cfg} of every ConvModule (null: none, convs with bias); HRFPN
 *                              accepts the key but, as upstream, builds no norm layer: null
 * @param noNormOnLateral       FPN / PAFPN: the lateral 1×1 convs without the norm (and with a bias)
 * @param relu                  FPN / PAFPN {@code act_cfg=dict(type='ReLU')}: a ReLU after every ConvModule
 * @param poolingType           HRFPN's "MAX" or "AVG" ({@code F.max_pool2d} / {@code F.avg_pool2d}, kernel = stride = 2^i)
 * @param stride                HRFPN's stride of the 3×3 output convs (1 for the other types)
 * @param yoloxPafpn            YOLOXPAFPN's own keys (null for the other types); its outputs are one per input
 */
public record NeckConfig(String type, List<Integer> inChannels, int outChannels, int numOuts, int startLevel, int endLevel,
                         String addExtraConvs, boolean reluBeforeExtraConvs, String init, NormConfig norm,
                         boolean noNormOnLateral, boolean relu, String poolingType, int stride,
                         YoloxPafpnConfig yoloxPafpn) {

    public NeckConfig {
        inChannels = List.copyOf(inChannels);
    }

    /** FPN, PAFPN or HRFPN (no YOLOXPAFPN keys). */
    public NeckConfig(String type, List<Integer> inChannels, int outChannels, int numOuts, int startLevel, int endLevel,
                      String addExtraConvs, boolean reluBeforeExtraConvs, String init, NormConfig norm,
                      boolean noNormOnLateral, boolean relu, String poolingType, int stride) {
        this(type, inChannels, outChannels, numOuts, startLevel, endLevel, addExtraConvs, reluBeforeExtraConvs, init, norm,
                noNormOnLateral, relu, poolingType, stride, null);
    }

    /** MMDetection's {@code YOLOXPAFPN} ({@link #yoloxPafpn} holds its own keys). */
    public boolean isYoloxPafpn() { return YoloxPafpnConfig.TYPE.equals(type); }

    /** MMDetection's {@code CSPNeXtPAFPN} (RTMDet's neck; {@link #yoloxPafpn} holds its keys, {@code cspNext} true). */
    public boolean isCspNextPafpn() { return YoloxPafpnConfig.CSPNEXT_TYPE.equals(type); }

    public boolean isHrfpn() { return "HRFPN".equals(type); }

    public boolean isPafpn() { return "PAFPN".equals(type); }

    /** Index (exclusive) of the last backbone feature used: MMDetection's {@code backbone_end_level}. */
    public int backboneEndLevel() { return endLevel == -1 || endLevel == inChannels.size() - 1 ? inChannels.size() : endLevel + 1; }

    /** Number of extra levels above the backbone's (P6, P7); HRFPN: 0 (its levels are pooled from one map). */
    public int extraLevels() { return isHrfpn() ? 0 : numOuts - (backboneEndLevel() - startLevel); }

    public boolean extraConvs() { return !"none".equals(addExtraConvs); }

    /**
     * Strides of the outputs for backbone features of {@code backboneStrides}: FPN / PAFPN those of the levels used,
     * then doubling per extra level; HRFPN the first input's stride · 2^i · {@code stride}.
     */
    public List<Integer> outStrides(List<Integer> backboneStrides) {
        List<Integer> out = new ArrayList<>();
        if (isHrfpn()) {
            for (int i = 0; i < numOuts; i++) out.add(backboneStrides.get(0) * (1 << i) * stride);
            return List.copyOf(out);
        }
        for (int i = startLevel; i < backboneEndLevel(); i++) out.add(backboneStrides.get(i));
        while (out.size() < numOuts) out.add(out.get(out.size() - 1) * 2);
        return List.copyOf(out);
    }

    /** Parses a {@code model.neck} mapping on its own (tests, tools); errors name {@code model.neck.<key>} in {@code source}. */
    public static NeckConfig parse(String source, com.fasterxml.jackson.databind.node.ObjectNode neck) {
        return from(new ConfigNode(source, "model.neck", neck));
    }

    static NeckConfig from(ConfigNode n) {
        String type = n.choice("type", "FPN", "FPN", "PAFPN", "HRFPN", YoloxPafpnConfig.TYPE, YoloxPafpnConfig.CSPNEXT_TYPE);
        List<Integer> in = n.intList("in_channels", null);
        if (in == null) throw n.error("in_channels", "required key is missing");
        if (in.isEmpty()) throw n.error("in_channels", "must not be empty");
        for (int c : in) if (c <= 0) throw n.error("in_channels", "channels must be positive, got " + in);
        int out = n.positive("out_channels", n.integer("out_channels"));
        convCfg(n);
        if (type.equals(YoloxPafpnConfig.TYPE) || type.equals(YoloxPafpnConfig.CSPNEXT_TYPE)) return YoloxPafpnConfig.from(n, type, in, out);
        return type.equals("HRFPN") ? hrfpn(n, in, out) : fpn(n, type, in, out);
    }

    /** MMCV's {@code conv_cfg}: null or a plain convolution ({@code Conv} / {@code Conv2d}). */
    private static void convCfg(ConfigNode n) {
        if (!n.has("conv_cfg")) {
            n.raw("conv_cfg");
            return;
        }
        ConfigNode c = n.child("conv_cfg");
        String t = c.string("type");
        if (!t.equals("Conv") && !t.equals("Conv2d"))
            throw c.error("type", "only Conv / Conv2d (or conv_cfg null) is supported in the neck, got '" + t + "'");
        c.finish();
    }

    /** {@code norm_cfg}: null, BN or GN (SyncBN would need the trainer to synchronise the neck's statistics). */
    private static NormConfig normCfg(ConfigNode n) {
        if (!n.has("norm_cfg")) {
            n.raw("norm_cfg");
            return null;
        }
        NormConfig norm = NormConfig.from(n.child("norm_cfg"), new NormConfig("BN", 0, true, 1e-5));
        if (norm.isSyncBatchNorm())
            throw n.error("norm_cfg.type", "SyncBN is not supported in the neck: use BN or GN");
        return norm;
    }

    private static String initCfg(ConfigNode n, String def) {
        // null is not "the default": MMEngine then skips the neck's init and each ConvModule keeps MMCV's kaiming_normal
        if (!n.has("init_cfg") && n.keys().contains("init_cfg"))
            throw n.error("init_cfg", "null (each ConvModule keeps MMCV's own kaiming_normal fan_out init) is not supported:"
                    + " omit it for the neck's Xavier default");
        ConfigNode init = n.child("init_cfg");
        String initType = init.choice("type", def, "Caffe2Xavier", "Xavier");
        init.choice("layer", "Conv2d", "Conv2d");
        if (initType.equals("Xavier")) init.choice("distribution", "uniform", "uniform");
        init.finish();
        return initType;
    }

    private static NeckConfig fpn(ConfigNode n, String type, List<Integer> in, int out) {
        int numOuts = n.positive("num_outs", n.integer("num_outs"));
        int start = n.integer("start_level", 0);
        if (start < 0 || start >= in.size())
            throw n.error("start_level", "must be in 0.." + (in.size() - 1) + ", got " + start);
        int end = n.integer("end_level", -1);
        if (end != -1 && (end < start || end >= in.size()))
            throw n.error("end_level", "must be -1 or in " + start + ".." + (in.size() - 1)
                    + " (the last input used, inclusive), got " + end);
        String extra;
        var raw = n.raw("add_extra_convs");
        if (raw == null) extra = "none";
        else if (raw.isBoolean()) extra = raw.asBoolean() ? "on_input" : "none";
        else if (raw.isTextual() && List.of("on_input", "on_lateral", "on_output").contains(raw.asText())) extra = raw.asText();
        else throw n.error("add_extra_convs", "must be true, false, on_input, on_lateral or on_output, got "
                    + ConfigNode.describe(raw));
        boolean reluExtra = n.bool("relu_before_extra_convs", false);
        boolean noNormOnLateral = n.bool("no_norm_on_lateral", false);
        NormConfig norm = normCfg(n);
        boolean relu = false;
        if (n.has("act_cfg")) {
            ConfigNode act = n.child("act_cfg");
            act.fixed("type", "ReLU");
            act.bool("inplace", true); // in-place or not: the same values
            act.finish();
            relu = true;
        } else {
            n.raw("act_cfg");
        }
        String initType = initCfg(n, "Xavier");
        n.finish();
        NeckConfig c = new NeckConfig(type, in, out, numOuts, start, end, extra, reluExtra, initType, norm, noNormOnLateral,
                relu, "MAX", 1);
        int used = c.backboneEndLevel() - start;
        if (numOuts < used)
            throw n.error("num_outs", "must be >= the " + used + " backbone levels used, got " + numOuts);
        if (c.extraLevels() > 0 && c.backboneEndLevel() != in.size())
            throw n.error("num_outs", "must equal the " + used + " levels start_level.." + end
                    + " when end_level is not the last input (no extra levels), got " + numOuts);
        if (norm != null) norm.checkDivides(n, "norm_cfg", out, "out_channels");
        return c;
    }

    private static NeckConfig hrfpn(ConfigNode n, List<Integer> in, int out) {
        int numOuts = n.positive("num_outs", n.integer("num_outs", 5));
        String pooling = n.choice("pooling_type", "AVG", "MAX", "AVG");
        normCfg(n); // accepted, unused: upstream's HRFPN passes no norm_cfg to its ConvModules
        n.bool("with_cp", false); // activation checkpointing trades memory for time only: the same values
        int stride = n.positive("stride", n.integer("stride", 1));
        String initType = initCfg(n, "Caffe2Xavier");
        n.finish();
        if (numOuts > 16) throw n.error("num_outs", "at most 16 levels (pooling kernel 2^i), got " + numOuts);
        return new NeckConfig("HRFPN", in, out, numOuts, 0, -1, "none", false, initType, null, false, false, pooling, stride);
    }
}
