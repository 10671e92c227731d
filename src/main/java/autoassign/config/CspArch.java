package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.function.Function;

/**
 * What CSPDarknet and CSPNeXt configs share: upstream's {@code arch_settings} rows {in, out, num_blocks, add_identity,
 * use_spp} scaled by {@code widen_factor} (channels {@code int(c · w)}) and {@code deepen_factor} (blocks
 * {@code max(round(n · d), 1)}, Python's round: half to even), and out indices over the stem (0, stride 2) and the
 * stages (i, stride 2^(i+1)).
 */
public interface CspArch extends BackboneSpec {
    List<int[]> stages();

    double deepenFactor();

    double widenFactor();

    List<Integer> outIndices();

    /** Number of stages (4 for P5, 5 for P6). */
    default int numStages() { return stages().size(); }

    /** The stem's output channels: {@code int(stages[0].in · widen)}. */
    default int stemChannels() { return (int) (stages().get(0)[0] * widenFactor()); }

    /** Input channels of stage i (1-based): {@code int(in · widen)}. */
    default int stageIn(int i) { return (int) (stages().get(i - 1)[0] * widenFactor()); }

    /** Output channels of stage i (1-based). */
    default int stageOut(int i) { return (int) (stages().get(i - 1)[1] * widenFactor()); }

    /** Blocks of stage i (1-based): {@code max(round(n · deepen), 1)}, Python's round. */
    default int stageBlocks(int i) { return Math.max((int) Math.rint(stages().get(i - 1)[2] * deepenFactor()), 1); }

    default boolean stageAddIdentity(int i) { return stages().get(i - 1)[3] != 0; }

    default boolean stageUsesSpp(int i) { return stages().get(i - 1)[4] != 0; }

    /** Channels of layer i (0 the stem). */
    default int layerChannels(int i) { return i == 0 ? stemChannels() : stageOut(i); }

    @Override default List<Integer> outChannels() {
        return BackboneSpec.perOutIndex(outIndices(), this::layerChannels);
    }

    @Override default List<Integer> outStrides() {
        return BackboneSpec.perOutIndex(outIndices(), i -> 2 << i);
    }

    /** The last layer the forward must run (the highest out index). */
    default int lastLayer() {
        int m = 0;
        for (int i : outIndices()) m = Math.max(m, i);
        return m;
    }

    /** The record's invariants (the config reader reports the same with the key's name first). */
    static void checkLayout(String type, List<int[]> stages, List<Integer> outIndices, int frozenStages) {
        if (stages.isEmpty()) throw new IllegalArgumentException(type + " needs at least one stage");
        for (int i : outIndices)
            if (i < 0 || i > stages.size()) throw new IllegalArgumentException("out_indices must be a subset of range(0, "
                    + (stages.size() + 1) + "), got " + outIndices);
        if (frozenStages < -1 || frozenStages > stages.size())
            throw new IllegalArgumentException("frozen_stages must be in range(-1, " + (stages.size() + 1) + ")");
    }

    /** Each stage's in_channels equal the previous stage's out_channels, and stage1's the stem's, after widen_factor. */
    static void checkChannelChain(ConfigNode n, CspArch c) {
        for (int i = 2; i <= c.numStages(); i++)
            if (c.stageIn(i) != c.stageOut(i - 1))
                throw n.error("arch_ovewrite", "stage" + i + "'s in_channels " + c.stageIn(i) + " differ from stage" + (i - 1)
                        + "'s out_channels " + c.stageOut(i - 1) + " after widen_factor");
        if (c.stemChannels() != c.stageIn(1))
            throw n.error("arch_ovewrite", "the stem's channels feed stage1: in_channels must match after widen_factor");
    }

    /** The {@code model.backbone} keys CSPDarknet and CSPNeXt read alike (upstream's signatures share them). */
    record Keys(String arch, List<int[]> stages, double deepenFactor, double widenFactor, List<Integer> outIndices,
                int frozenStages, boolean useDepthwise, List<Integer> sppKernelSizes, NormConfig norm, ActivationConfig act,
                boolean normEval) {

        /**
         * Reads them: {@code arch} P5 / P6 from {@code archSettings} unless {@code arch_ovewrite} replaces it ("custom"),
         * increasing {@code out_indices}, odd SPP kernels, {@code conv_cfg} Conv2d only; upstream's default norm
         * {@code defaultNorm}, a given norm_cfg built as written (torch's defaults for its missing keys); norm_cfg and
         * init_cfg null refused.
         */
        static Keys read(ConfigNode n, Function<String, List<int[]>> archSettings, NormConfig defaultNorm) {
            String arch = n.choice("arch", "P5", "P5", "P6");
            List<int[]> stages = archSettings.apply(arch);
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
            List<Integer> spp = n.intList("spp_kernal_sizes", List.of(5, 9, 13));
            for (int k : spp)
                if (k < 1 || k % 2 == 0)
                    throw n.error("spp_kernal_sizes", "kernels must be odd and positive (padding k // 2 keeps the size), got " + spp);
            ConfigNode conv = n.child("conv_cfg");
            if (conv.has("type")) conv.choice("type", "Conv2d", "Conv2d", "Conv");
            conv.finish();
            if (!n.has("norm_cfg") && n.keys().contains("norm_cfg"))
                throw n.error("norm_cfg", "null (convolutions without a norm layer) is not supported: give BN, SyncBN or GN");
            NormConfig norm = n.has("norm_cfg") ? NormConfig.from(n.child("norm_cfg"), NormConfig.RESNET_DEFAULT) : defaultNorm;
            ActivationConfig act = ActivationConfig.from(n, "act_cfg", ActivationConfig.SWISH_DEFAULT);
            boolean normEval = n.bool("norm_eval", false);
            if (!n.has("init_cfg") && n.keys().contains("init_cfg"))
                throw n.error("init_cfg", "null (each ConvModule keeps MMCV's own kaiming_normal fan_out init) is not supported:"
                        + " omit it for upstream's Kaiming-uniform default, or give a Pretrained init");
            return new Keys(arch, stages, deepen, widen, out, frozen, dw, spp, norm, act, normEval);
        }
    }
}
