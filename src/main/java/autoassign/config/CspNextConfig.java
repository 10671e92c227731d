package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code model.backbone} of {@code type: CSPNeXt}: MMDetection 3.3.0's {@code CSPNeXt(arch='P5', deepen_factor=1.0,
 * widen_factor=1.0, out_indices=(2, 3, 4), frozen_stages=-1, use_depthwise=False, expand_ratio=0.5,
 * arch_ovewrite=None, spp_kernal_sizes=(5, 9, 13), channel_attention=True, conv_cfg=None, norm_cfg=dict(type='BN',
 * momentum=0.03, eps=0.001), act_cfg=dict(type='SiLU'), norm_eval=False, init_cfg=Kaiming)}
 * ({@code mmdet/models/backbones/cspnext.py}), RTMDet's backbone.
 *
 * <p>Layers: {@code stem} (three 3×3 ConvModules: stride 2 to {@code int(c0·w // 2)}, stride 1, stride 1 to
 * {@code int(c0·w)}; out index 0, stride 2) then {@code stage1..stageN} (out index i, stride 2^(i+1)), each a stride-2
 * 3×3 conv, an SPPBottleneck where {@code use_spp}, and a CSPLayer of CSPNeXtBlocks with {@code expand_ratio} and,
 * with {@code channel_attention}, a ChannelAttention before its final conv. Channels {@code int(c · widen_factor)},
 * blocks {@code max(round(n · deepen_factor), 1)} (Python's round: half to even).
 *
 * @param arch             "P5", "P6", or "custom" when {@code arch_ovewrite} replaced upstream's arch_settings
 * @param stages           per stage {in, out, num_blocks, add_identity (0/1), use_spp (0/1)} before the factors
 * @param expandRatio      the CSPLayers' {@code expand_ratio}: hidden channels {@code int(out · expand_ratio)}
 * @param channelAttention a ChannelAttention in every stage's CSPLayer
 * @param pretrained       {@code init_cfg.checkpoint} of a Pretrained init, or null (then upstream's Kaiming-uniform init)
 */
public record CspNextConfig(String arch, List<int[]> stages, double deepenFactor, double widenFactor,
                            List<Integer> outIndices, int frozenStages, boolean useDepthwise, double expandRatio,
                            List<Integer> sppKernelSizes, boolean channelAttention, NormConfig normCfg,
                            ActivationConfig act, boolean normEval, String pretrained) implements CspArch {
    public static final String TYPE = "CSPNeXt";

    /** Upstream's {@code arch_settings}: in_channels, out_channels, num_blocks, add_identity, use_spp. */
    public static List<int[]> archSettings(String arch) {
        return switch (arch) {
            case "P5" -> List.of(new int[] {64, 128, 3, 1, 0}, new int[] {128, 256, 6, 1, 0}, new int[] {256, 512, 6, 1, 0},
                    new int[] {512, 1024, 3, 0, 1});
            case "P6" -> List.of(new int[] {64, 128, 3, 1, 0}, new int[] {128, 256, 6, 1, 0}, new int[] {256, 512, 6, 1, 0},
                    new int[] {512, 768, 3, 1, 0}, new int[] {768, 1024, 3, 0, 1});
            default -> throw new IllegalArgumentException("arch must be P5 or P6, got " + arch);
        };
    }

    public CspNextConfig {
        stages = List.copyOf(stages);
        outIndices = List.copyOf(outIndices);
        sppKernelSizes = List.copyOf(sppKernelSizes);
        if (stages.isEmpty()) throw new IllegalArgumentException("CSPNeXt needs at least one stage");
        for (int i : outIndices)
            if (i < 0 || i > stages.size()) throw new IllegalArgumentException("out_indices must be a subset of range(0, "
                    + (stages.size() + 1) + "), got " + outIndices);
        if (frozenStages < -1 || frozenStages > stages.size())
            throw new IllegalArgumentException("frozen_stages must be in range(-1, " + (stages.size() + 1) + ")");
    }

    /** Value equality (the stages are compared element by element, not as array references). */
    @Override public boolean equals(Object o) {
        return o instanceof CspNextConfig c && arch.equals(c.arch) && java.util.Arrays.deepEquals(stages.toArray(), c.stages.toArray())
                && deepenFactor == c.deepenFactor && widenFactor == c.widenFactor && outIndices.equals(c.outIndices)
                && frozenStages == c.frozenStages && useDepthwise == c.useDepthwise && expandRatio == c.expandRatio
                && sppKernelSizes.equals(c.sppKernelSizes) && channelAttention == c.channelAttention
                && normCfg.equals(c.normCfg) && act.equals(c.act) && normEval == c.normEval
                && java.util.Objects.equals(pretrained, c.pretrained);
    }

    @Override public int hashCode() {
        return java.util.Objects.hash(arch, java.util.Arrays.deepHashCode(stages.toArray()), deepenFactor, widenFactor, outIndices,
                frozenStages, useDepthwise, expandRatio, sppKernelSizes, channelAttention, normCfg, act, normEval, pretrained);
    }

    /** The first two stem convs' channels: {@code int(c0 · widen // 2)} (Python's float floor division). */
    public int stemHalfChannels() { return (int) Math.floor(stages.get(0)[0] * widenFactor / 2); }

    /** The hidden channels of stage i's CSPLayer: {@code int(out · expand_ratio)}. */
    public int stageMid(int i) { return (int) (stageOut(i) * expandRatio); }

    @Override public String type() { return TYPE; }

    @Override public String describe() {
        return "CSPNeXt " + arch + " deepen_factor " + deepenFactor + ", widen_factor " + widenFactor + ", out_indices " + outIndices;
    }

    /** Parses a {@code model.backbone} mapping on its own (tests, tools); errors name {@code model.backbone.<key>} in {@code source}. */
    public static CspNextConfig parse(String source, com.fasterxml.jackson.databind.node.ObjectNode backbone) {
        return from(new ConfigNode(source, "model.backbone", backbone));
    }

    static CspNextConfig from(ConfigNode n) {
        n.fixed("type", TYPE);
        String arch = n.choice("arch", "P5", "P5", "P6");
        List<int[]> stages = archSettings(arch);
        JsonNode over = n.raw("arch_ovewrite");
        if (over != null && !(over.isArray() && over.isEmpty())) { // upstream: `if arch_ovewrite:`
            stages = CspDarknetConfig.archOverwrite(n, over);
            arch = "custom";
        }
        double deepen = n.positive("deepen_factor", n.number("deepen_factor", 1.0));
        double widen = n.positive("widen_factor", n.number("widen_factor", 1.0));
        List<Integer> out = n.intList("out_indices", List.of(2, 3, 4));
        if (out.isEmpty()) throw n.error("out_indices", "needs at least one layer (the neck takes the returned maps)");
        for (int i : out)
            if (i < 0 || i > stages.size())
                throw n.error("out_indices", "must be a subset of range(0, " + (stages.size() + 1) + "), got " + out);
        for (int k = 1; k < out.size(); k++)
            if (out.get(k) <= out.get(k - 1))
                throw n.error("out_indices", "must increase (upstream returns the maps in forward order), got " + out);
        int frozen = n.integer("frozen_stages", -1);
        if (frozen < -1 || frozen > stages.size())
            throw n.error("frozen_stages", "must be in range(-1, " + (stages.size() + 1) + "), got " + frozen);
        boolean dw = n.bool("use_depthwise", false);
        double expand = n.positive("expand_ratio", n.number("expand_ratio", 0.5));
        List<Integer> spp = n.intList("spp_kernal_sizes", List.of(5, 9, 13));
        for (int k : spp)
            if (k < 1 || k % 2 == 0) throw n.error("spp_kernal_sizes", "kernels must be odd and positive (padding k // 2 keeps the size), got " + spp);
        boolean attention = n.bool("channel_attention", true);
        ConfigNode conv = n.child("conv_cfg");
        if (conv.has("type")) conv.choice("type", "Conv2d", "Conv2d", "Conv");
        conv.finish();
        if (!n.has("norm_cfg") && n.keys().contains("norm_cfg"))
            throw n.error("norm_cfg", "null (convolutions without a norm layer) is not supported: give BN, SyncBN or GN");
        // upstream's default is BN(momentum=0.03, eps=0.001); a given norm_cfg is passed to nn.BatchNorm2d as written
        NormConfig norm = n.has("norm_cfg") ? NormConfig.from(n.child("norm_cfg"), NormConfig.RESNET_DEFAULT) : CspDarknetConfig.DEFAULT_NORM;
        ActivationConfig act = ActivationConfig.from(n, "act_cfg", ActivationConfig.SWISH_DEFAULT);
        boolean normEval = n.bool("norm_eval", false);
        if (!n.has("init_cfg") && n.keys().contains("init_cfg"))
            throw n.error("init_cfg", "null (each ConvModule keeps MMCV's own kaiming_normal fan_out init) is not supported:"
                    + " omit it for upstream's Kaiming-uniform default, or give a Pretrained init");
        String pretrained = pretrainedCheckpoint(n);
        n.finish();
        CspNextConfig c = new CspNextConfig(arch, stages, deepen, widen, out, frozen, dw, expand, spp, attention, norm, act,
                normEval, pretrained);
        if (c.stemHalfChannels() < 1) throw n.error("widen_factor", "gives the stem " + c.stemHalfChannels() + " channels");
        for (int i = 1; i <= c.numStages(); i++) {
            if (c.stageMid(i) < 1)
                throw n.error("expand_ratio", "gives stage" + i + "'s CSPLayer " + c.stageMid(i) + " hidden channels (at least 1 needed)");
            if (c.stageUsesSpp(i) && c.stageOut(i) < 2)
                throw n.error("widen_factor", "gives stage" + i + "'s SPPBottleneck " + c.stageOut(i) + " channels (at least 2 needed)");
            if (i > 1 && c.stageIn(i) != c.stageOut(i - 1))
                throw n.error("arch_ovewrite", "stage" + i + "'s in_channels " + c.stageIn(i) + " differ from stage" + (i - 1)
                        + "'s out_channels " + c.stageOut(i - 1) + " after widen_factor");
        }
        if (c.stemChannels() != c.stageIn(1))
            throw n.error("arch_ovewrite", "the stem's channels feed stage1: in_channels must match after widen_factor");
        if (norm.isGroupNorm())
            for (int ch : c.normChannels()) norm.checkDivides(n, "norm_cfg", ch, "a layer of " + ch + " channels");
        return c;
    }

    /**
     * RTMDet's {@code init_cfg: {type: Pretrained, prefix: 'backbone.', checkpoint: ...}}: MMEngine keeps the file's
     * {@code backbone.*} entries without the prefix, as the engine's backbone loader does (other prefixes are refused);
     * null without an init_cfg.
     */
    private static String pretrainedCheckpoint(ConfigNode n) {
        String checkpoint = null;
        ConfigNode init = n.child("init_cfg");
        if (init.has("type") || init.has("checkpoint") || init.has("prefix")) {
            init.fixed("type", "Pretrained");
            checkpoint = init.string("checkpoint");
            String prefix = init.string("prefix", "backbone.");
            if (!prefix.equals("backbone."))
                throw init.error("prefix", "only 'backbone.' (RTMDet's configs: the backbone entries of an ImageNet or detector"
                        + " checkpoint) is supported, got '" + prefix + "'");
        }
        init.finish();
        return checkpoint;
    }

    /** Every norm layer's channel count (for GN's divisibility check). */
    private List<Integer> normChannels() {
        List<Integer> out = new ArrayList<>(List.of(stemHalfChannels(), stemChannels()));
        for (int i = 1; i <= numStages(); i++) {
            out.add(stageOut(i));
            out.add(stageMid(i));
            if (stageUsesSpp(i)) out.add(stageOut(i) / 2);
            if (useDepthwise) out.add(stageIn(i));
        }
        return out;
    }
}
