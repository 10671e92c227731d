package autoassign.config;


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
        CspArch.checkLayout("CSPNeXt", stages, outIndices, frozenStages);
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
        // upstream's default is BN(momentum=0.03, eps=0.001), as CSPDarknet's
        CspArch.Keys k = CspArch.Keys.read(n, CspNextConfig::archSettings, CspDarknetConfig.DEFAULT_NORM);
        double expand = n.positive("expand_ratio", n.number("expand_ratio", 0.5));
        boolean attention = n.bool("channel_attention", true);
        String pretrained = pretrainedCheckpoint(n);
        n.finish();
        CspNextConfig c = new CspNextConfig(k.arch(), k.stages(), k.deepenFactor(), k.widenFactor(), k.outIndices(), k.frozenStages(),
                k.useDepthwise(), expand, k.sppKernelSizes(), attention, k.norm(), k.act(), k.normEval(), pretrained);
        if (c.stemHalfChannels() < 1) throw n.error("widen_factor", "gives the stem " + c.stemHalfChannels() + " channels");
        for (int i = 1; i <= c.numStages(); i++) {
            if (c.stageMid(i) < 1)
                throw n.error("expand_ratio", "gives stage" + i + "'s CSPLayer " + c.stageMid(i) + " hidden channels (at least 1 needed)");
            if (c.stageUsesSpp(i) && c.stageOut(i) < 2)
                throw n.error("widen_factor", "gives stage" + i + "'s SPPBottleneck " + c.stageOut(i) + " channels (at least 2 needed)");
        }
        CspArch.checkChannelChain(n, c);
        NormConfig norm = k.norm();
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
