package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code model.backbone} of {@code type: CSPDarknet}: MMDetection 3.3.0's {@code CSPDarknet(arch='P5',
 * deepen_factor=1.0, widen_factor=1.0, out_indices=(2, 3, 4), frozen_stages=-1, use_depthwise=False,
 * arch_ovewrite=None, spp_kernal_sizes=(5, 9, 13), conv_cfg=None, norm_cfg=dict(type='BN', momentum=0.03,
 * eps=0.001), act_cfg=dict(type='Swish'), norm_eval=False, init_cfg=Kaiming)}
 * ({@code mmdet/models/backbones/csp_darknet.py}).
 *
 * <p>Layers: {@code stem} (Focus, out index 0, stride 2) then {@code stage1..stageN} (out index i, stride 2^(i+1)),
 * each a stride-2 3×3 conv, an SPPBottleneck where {@code use_spp}, and a CSPLayer. Channels are
 * {@code int(c · widen_factor)}, blocks {@code max(round(n · deepen_factor), 1)} (Python's round: half to even).
 *
 * @param arch           "P5" or "P6" (upstream's arch_settings), or "custom" when {@code arch_ovewrite} replaced them
 * @param stages         per stage {in, out, num_blocks, add_identity (0/1), use_spp (0/1)} before the factors
 * @param deepenFactor   block multiplier
 * @param widenFactor    channel multiplier
 * @param outIndices     returned layers (0 the stem, i stage i), increasing
 * @param frozenStages   -1 none; k ≥ 0 freezes the stem and stage1..k (parameters and BN statistics)
 * @param useDepthwise   DepthwiseSeparableConvModule for the stage convs and the bottlenecks' 3×3 convs
 * @param sppKernelSizes SPPBottleneck's max-pool kernels ({@code spp_kernal_sizes}, upstream's spelling)
 * @param normCfg        BN, SyncBN or GN
 * @param act            Swish (SiLU), ReLU, LeakyReLU or none
 * @param normEval       keep every BN on its running statistics in training
 * @param pretrained     {@code init_cfg.checkpoint} of a Pretrained init, or null (then MMDetection's Kaiming-uniform init)
 */
public record CspDarknetConfig(String arch, List<int[]> stages, double deepenFactor, double widenFactor,
                               List<Integer> outIndices, int frozenStages, boolean useDepthwise,
                               List<Integer> sppKernelSizes, NormConfig normCfg, ActivationConfig act,
                               boolean normEval, String pretrained) implements CspArch {
    public static final String TYPE = "CSPDarknet";
    /** MMDetection's defaults: BN with momentum 0.03 and eps 0.001. */
    public static final NormConfig DEFAULT_NORM = new NormConfig("BN", 0, true, 1e-3, 0.03);

    /** Upstream's {@code arch_settings}: in_channels, out_channels, num_blocks, add_identity, use_spp. */
    public static List<int[]> archSettings(String arch) {
        return switch (arch) {
            case "P5" -> List.of(new int[] {64, 128, 3, 1, 0}, new int[] {128, 256, 9, 1, 0}, new int[] {256, 512, 9, 1, 0},
                    new int[] {512, 1024, 3, 0, 1});
            case "P6" -> List.of(new int[] {64, 128, 3, 1, 0}, new int[] {128, 256, 9, 1, 0}, new int[] {256, 512, 9, 1, 0},
                    new int[] {512, 768, 3, 1, 0}, new int[] {768, 1024, 3, 0, 1});
            default -> throw new IllegalArgumentException("arch must be P5 or P6, got " + arch);
        };
    }

    public CspDarknetConfig {
        stages = List.copyOf(stages);
        outIndices = List.copyOf(outIndices);
        sppKernelSizes = List.copyOf(sppKernelSizes);
        CspArch.checkLayout("CSPDarknet", stages, outIndices, frozenStages);
    }

    /** Value equality (the stages are compared element by element, not as array references). */
    @Override public boolean equals(Object o) {
        return o instanceof CspDarknetConfig c && arch.equals(c.arch) && java.util.Arrays.deepEquals(stages.toArray(), c.stages.toArray())
                && deepenFactor == c.deepenFactor && widenFactor == c.widenFactor && outIndices.equals(c.outIndices)
                && frozenStages == c.frozenStages && useDepthwise == c.useDepthwise && sppKernelSizes.equals(c.sppKernelSizes)
                && normCfg.equals(c.normCfg) && act.equals(c.act) && normEval == c.normEval
                && java.util.Objects.equals(pretrained, c.pretrained);
    }

    @Override public int hashCode() {
        return java.util.Objects.hash(arch, java.util.Arrays.deepHashCode(stages.toArray()), deepenFactor, widenFactor, outIndices,
                frozenStages, useDepthwise, sppKernelSizes, normCfg, act, normEval, pretrained);
    }

    @Override public String type() { return TYPE; }

    @Override public String describe() {
        return "CSPDarknet " + arch + " deepen_factor " + deepenFactor + ", widen_factor " + widenFactor + ", out_indices " + outIndices;
    }

    /** Parses a {@code model.backbone} mapping on its own (tests, tools); errors name {@code model.backbone.<key>} in {@code source}. */
    public static CspDarknetConfig parse(String source, com.fasterxml.jackson.databind.node.ObjectNode backbone) {
        return from(new ConfigNode(source, "model.backbone", backbone));
    }

    static CspDarknetConfig from(ConfigNode n) {
        n.fixed("type", TYPE);
        // upstream's default norm_cfg is BN(momentum=0.03, eps=0.001)
        CspArch.Keys k = CspArch.Keys.read(n, CspDarknetConfig::archSettings, DEFAULT_NORM);
        String pretrained = BackboneSpec.pretrainedCheckpoint(n);
        n.finish();
        CspDarknetConfig c = new CspDarknetConfig(k.arch(), k.stages(), k.deepenFactor(), k.widenFactor(), k.outIndices(),
                k.frozenStages(), k.useDepthwise(), k.sppKernelSizes(), k.norm(), k.act(), k.normEval(), pretrained);
        for (int i = 1; i <= c.numStages(); i++)
            if (c.stageOut(i) < 2) throw n.error("widen_factor", "gives stage" + i + " " + c.stageOut(i) + " channels (at least 2 needed)");
        CspArch.checkChannelChain(n, c);
        NormConfig norm = k.norm();
        if (norm.isGroupNorm()) for (int[] ch : c.normChannels()) norm.checkDivides(n, "norm_cfg", ch[0], "a layer of " + ch[1] + " channels");
        return c;
    }

    /** Every norm layer's channel count (for GN's divisibility check), as {channels, channels}. */
    private List<int[]> normChannels() {
        List<int[]> out = new ArrayList<>();
        out.add(new int[] {stemChannels(), stemChannels()});
        for (int i = 1; i <= numStages(); i++) {
            int o = stageOut(i), mid = (int) (o * 0.5);
            out.add(new int[] {o, o});
            out.add(new int[] {mid, mid});
            if (stageUsesSpp(i)) out.add(new int[] {o / 2, o / 2});
            if (useDepthwise) out.add(new int[] {stageIn(i), stageIn(i)});
        }
        return out;
    }

    /** {@code arch_ovewrite}: a list of [in, out, num_blocks, add_identity, use_spp]. */
    static List<int[]> archOverwrite(ConfigNode n, JsonNode over) {
        if (!over.isArray()) throw n.error("arch_ovewrite", "must be a list of [in_channels, out_channels, num_blocks, add_identity, use_spp], got " + ConfigNode.describe(over));
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < over.size(); i++) {
            JsonNode s = over.get(i);
            String k = "arch_ovewrite[" + i + "]";
            if (!s.isArray() || s.size() != 5 || !s.get(0).canConvertToInt() || !s.get(1).canConvertToInt()
                    || !s.get(2).canConvertToInt() || !s.get(0).isIntegralNumber() || !s.get(1).isIntegralNumber()
                    || !s.get(2).isIntegralNumber() || !s.get(3).isBoolean() || !s.get(4).isBoolean())
                throw n.error(k, "must be [in_channels, out_channels, num_blocks, add_identity, use_spp] (three integers, two booleans), got "
                        + ConfigNode.describe(s));
            int a = s.get(0).asInt(), b = s.get(1).asInt(), c = s.get(2).asInt();
            if (a <= 0 || b <= 0 || c <= 0) throw n.error(k, "channels and num_blocks must be positive, got " + s);
            out.add(new int[] {a, b, c, s.get(3).asBoolean() ? 1 : 0, s.get(4).asBoolean() ? 1 : 0});
        }
        return out;
    }
}
