package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * {@code model.backbone} of {@code type: PyramidVisionTransformer} (PVT v1) or {@code PyramidVisionTransformerV2}:
 * MMDetection 3.3.0's {@code PyramidVisionTransformer(pretrain_img_size=224, in_channels=3, embed_dims=64,
 * num_stages=4, num_layers=[3, 4, 6, 3], num_heads=[1, 2, 5, 8], patch_sizes=[4, 2, 2, 2], strides=[4, 2, 2, 2],
 * paddings=[0, 0, 0, 0], sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratios=[8, 8, 4, 4], qkv_bias=True,
 * drop_rate=0., attn_drop_rate=0., drop_path_rate=0.1, use_abs_pos_embed=True, norm_after_stage=False,
 * use_conv_ffn=False, act_cfg=dict(type='GELU'), norm_cfg=dict(type='LN', eps=1e-6), pretrained=None,
 * convert_weights=True, init_cfg=None)} ({@code mmdet/models/backbones/pvt.py}); V2 fixes {@code patch_sizes=[7, 3, 3,
 * 3]}, {@code paddings=[3, 1, 1, 1]}, {@code use_abs_pos_embed=False}, {@code norm_after_stage=True},
 * {@code use_conv_ffn=True} (giving one of them is upstream's TypeError "multiple values", refused here).
 *
 * <p>Stage i has {@code embed_dims·num_heads[i]} channels at stride {@code Π strides[0..i]}. Upstream's configs:
 * PVT-T/S/M/L {@code num_layers} [2,2,2,2] / [3,4,6,3] / [3,4,18,3] / [3,8,27,3]; PVTv2-B0 {@code embed_dims} 32,
 * [2,2,2,2]; B1 64, [2,2,2,2]; B2 64, [3,4,6,3]; B3 64, [3,4,18,3]; B4 64, [3,8,27,3]; B5 64, [3,6,40,3] with
 * {@code mlp_ratios} (4, 4, 4, 4). Refused with a one-line error: a dropout rate of 1 or more, an {@code act_cfg} other than GELU, a {@code norm_cfg} other than LN, {@code in_channels} other than 3.
 *
 * @param v2             PyramidVisionTransformerV2 (overlapping patch embed, MixFFN's depth-wise conv, stage norms)
 * @param pretrainH      pretrain_img_size (height): the position embeddings' grid is this // Π patch_sizes[0..i]
 * @param pretrainW      pretrain_img_size (width)
 * @param embedDims      channels per head
 * @param numLayers      encoder layers per stage
 * @param numHeads       attention heads per stage (stage channels = embed_dims · heads)
 * @param patchSizes     each stage's PatchEmbed kernel
 * @param strides        each stage's PatchEmbed stride
 * @param paddings       each stage's PatchEmbed zero padding
 * @param srRatios       spatial reduction of the keys / values (a conv of this kernel and stride + LN when &gt; 1)
 * @param outIndices     returned stages, increasing
 * @param mlpRatios      MixFFN hidden channels / stage channels
 * @param qkvBias        biases of nn.MultiheadAttention's in_proj and out_proj
 * @param dropRate       {@code drop_rate}: nn.Dropout after the position embedding, on the attention's output
 *                       ({@code proj_drop}) and in MixFFN (after the activation and after fc2)
 * @param attnDropRate   {@code attn_drop_rate}: nn.MultiheadAttention's dropout on the attention weights
 * @param dropPathRate   stochastic depth: layer k of all n gets rate k·rate/(n−1) (torch.linspace)
 * @param useAbsPosEmbed v1's learnt position embedding per stage (resized bilinearly to the input's grid)
 * @param normAfterStage a LayerNorm after each stage ({@code layers.i.2})
 * @param useConvFfn     MixFFN's 3×3 depth-wise conv after fc1
 * @param lnEps          the LayerNorms' eps ({@code norm_cfg.eps}, 1e-6)
 * @param convertWeights the pretrained file is an official PVT checkpoint (mmdet's pvt_convert renames it)
 * @param pretrained     {@code init_cfg.checkpoint} of a Pretrained init, or null
 */
public record PvtConfig(boolean v2, int pretrainH, int pretrainW, int embedDims, List<Integer> numLayers,
                        List<Integer> numHeads, List<Integer> patchSizes, List<Integer> strides, List<Integer> paddings,
                        List<Integer> srRatios, List<Integer> outIndices, List<Integer> mlpRatios, boolean qkvBias,
                        double dropRate, double attnDropRate, double dropPathRate, boolean useAbsPosEmbed, boolean normAfterStage, boolean useConvFfn,
                        float lnEps, boolean convertWeights, String pretrained) implements BackboneSpec {
    public static final String TYPE = "PyramidVisionTransformer", TYPE_V2 = "PyramidVisionTransformerV2";
    private static final List<Integer> V2_PATCH = List.of(7, 3, 3, 3), V2_PAD = List.of(3, 1, 1, 1);

    public PvtConfig {
        numLayers = List.copyOf(numLayers);
        numHeads = List.copyOf(numHeads);
        patchSizes = List.copyOf(patchSizes);
        strides = List.copyOf(strides);
        paddings = List.copyOf(paddings);
        srRatios = List.copyOf(srRatios);
        outIndices = List.copyOf(outIndices);
        mlpRatios = List.copyOf(mlpRatios);
        int n = numLayers.size();
        if (n == 0 || numHeads.size() != n || patchSizes.size() < n || strides.size() != n || paddings.size() < n
                || srRatios.size() != n || mlpRatios.size() < n)
            throw new IllegalArgumentException("num_layers, num_heads, patch_sizes, strides, paddings, sr_ratios and mlp_ratios need one entry per stage");
        for (int i : outIndices)
            if (i < 0 || i >= n) throw new IllegalArgumentException("out_indices must be a subset of range(0, " + n + "), got " + outIndices);
        if (!(dropRate >= 0 && dropRate < 1)) throw new IllegalArgumentException("drop_rate must be in [0, 1), got " + dropRate);
        if (!(attnDropRate >= 0 && attnDropRate < 1)) throw new IllegalArgumentException("attn_drop_rate must be in [0, 1), got " + attnDropRate);
    }

    public static boolean isType(String t) { return TYPE.equals(t) || TYPE_V2.equals(t); }

    public int numStages() { return numLayers.size(); }

    /** Channels of stage i: embed_dims · num_heads[i]. */
    public int stageChannels(int i) { return embedDims * numHeads.get(i); }

    /** Stride of stage i's tokens to the input (Π strides[0..i]; the paddings keep it exact for v2's odd kernels). */
    public int stageStride(int i) {
        int s = 1;
        for (int k = 0; k <= i; k++) s *= strides.get(k);
        return s;
    }

    /** Stage i's position-embedding grid: pretrain_img_size // Π patch_sizes[0..i] (numpy's floor division). */
    public int[] posShape(int i) {
        int p = 1;
        for (int k = 0; k <= i; k++) p *= patchSizes.get(k);
        return new int[] {pretrainH / p, pretrainW / p};
    }

    /** The PatchEmbed conv's output size of an input extent {@code in} at stage i (floor, as nn.Conv2d). */
    public int patchOut(int i, int in) { return (in + 2 * paddings.get(i) - patchSizes.get(i)) / strides.get(i) + 1; }

    /** torch.linspace(0, drop_path_rate, sum(num_layers))[k] (float32, as .item() returns it, widened). */
    public double dropPathRate(int layer) {
        int n = numLayers.stream().mapToInt(Integer::intValue).sum();
        if (n <= 1) return 0;
        float step = ((float) dropPathRate - 0f) / (n - 1);
        return layer < n / 2 ? 0f + step * layer : (float) dropPathRate - step * (n - 1 - layer);
    }

    /** The index of layer j of stage i among all encoder layers. */
    public int layerIndex(int stage, int j) {
        int k = j;
        for (int s = 0; s < stage; s++) k += numLayers.get(s);
        return k;
    }

    /** The last stage the forward must run (the highest out index). */
    public int lastStage() {
        int m = -1;
        for (int i : outIndices) m = Math.max(m, i);
        return m;
    }

    @Override public String type() { return v2 ? TYPE_V2 : TYPE; }

    @Override public List<Integer> outChannels() {
        return BackboneSpec.perOutIndex(outIndices, this::stageChannels);
    }

    @Override public List<Integer> outStrides() {
        return BackboneSpec.perOutIndex(outIndices, this::stageStride);
    }

    @Override public String describe() {
        return type() + " embed_dims " + embedDims + ", num_layers " + numLayers + ", num_heads " + numHeads
                + ", sr_ratios " + srRatios + ", out_indices " + outIndices;
    }

    @Override public NormConfig normCfg() { return new NormConfig("LN", 0, true, lnEps); }

    /** No BatchNorm anywhere: nothing to keep in eval mode. */
    @Override public boolean normEval() { return false; }

    static PvtConfig from(ConfigNode n) {
        String type = ConfigNode.unscoped(n.string("type"));
        boolean v2 = TYPE_V2.equals(type);
        int[] pre = pretrainSize(n);
        int inChannels = n.integer("in_channels", 3);
        if (inChannels != 3) throw n.error("in_channels", "only 3 (the image's channels) is supported, got " + inChannels);
        int embed = n.positive("embed_dims", n.integer("embed_dims", 64));
        int numStages = n.positive("num_stages", n.integer("num_stages", 4));
        List<Integer> layers = n.intList("num_layers", List.of(3, 4, 6, 3));
        List<Integer> heads = n.intList("num_heads", List.of(1, 2, 5, 8));
        if (v2) for (String k : new String[] {"patch_sizes", "paddings", "use_abs_pos_embed", "norm_after_stage", "use_conv_ffn"})
            if (n.keys().contains(k))
                throw n.error(k, "PyramidVisionTransformerV2 sets it itself (upstream: got multiple values for keyword argument '" + k + "')");
        List<Integer> patches = v2 ? V2_PATCH : n.intList("patch_sizes", List.of(4, 2, 2, 2));
        List<Integer> strides = n.intList("strides", List.of(4, 2, 2, 2));
        List<Integer> paddings = v2 ? V2_PAD : n.intList("paddings", List.of(0, 0, 0, 0));
        List<Integer> sr = n.intList("sr_ratios", List.of(8, 4, 2, 1));
        List<Integer> mlp = n.intList("mlp_ratios", List.of(8, 8, 4, 4));
        // upstream: assert num_stages == len(num_layers) == len(num_heads) == len(patch_sizes) == len(strides) == len(sr_ratios)
        String[] keys = {"num_layers", "num_heads", "patch_sizes", "strides", "sr_ratios"};
        List<List<Integer>> lists = List.of(layers, heads, patches, strides, sr);
        for (int k = 0; k < keys.length; k++)
            if (lists.get(k).size() != numStages)
                throw n.error(keys[k], "needs num_stages (" + numStages + ") entries (upstream asserts equal lengths), got " + lists.get(k));
        if (paddings.size() < numStages) throw n.error("paddings", "needs an entry per stage (" + numStages + "), got " + paddings);
        if (mlp.size() < numStages) throw n.error("mlp_ratios", "needs an entry per stage (" + numStages + "), got " + mlp);
        for (int i = 0; i < numStages; i++) {
            if (layers.get(i) < 1) throw n.error("num_layers", "every stage needs at least one layer, got " + layers);
            if (heads.get(i) < 1) throw n.error("num_heads", "must be positive, got " + heads);
            if (patches.get(i) < 1) throw n.error("patch_sizes", "must be positive, got " + patches);
            if (strides.get(i) < 1) throw n.error("strides", "must be positive, got " + strides);
            if (paddings.get(i) < 0) throw n.error("paddings", "must be non-negative, got " + paddings);
            if (sr.get(i) < 1) throw n.error("sr_ratios", "must be positive, got " + sr);
            if (mlp.get(i) < 1) throw n.error("mlp_ratios", "must be positive, got " + mlp);
        }
        List<Integer> out = n.intList("out_indices", List.of(0, 1, 2, 3));
        if (out.isEmpty()) throw n.error("out_indices", "needs at least one stage (the neck takes the returned maps)");
        for (int k = 0; k < out.size(); k++) {
            if (out.get(k) < 0 || out.get(k) >= numStages)
                throw n.error("out_indices", "must be a subset of range(0, " + numStages + "), got " + out);
            if (k > 0 && out.get(k) <= out.get(k - 1))
                throw n.error("out_indices", "must increase (upstream returns the maps in forward order), got " + out);
        }
        boolean qkvBias = n.bool("qkv_bias", true);
        double dropRate = n.nonNegative("drop_rate", n.number("drop_rate", 0));
        if (dropRate >= 1) throw n.error("drop_rate", "must be in [0, 1) (nn.Dropout's rate), got " + dropRate);
        double attnDrop = n.nonNegative("attn_drop_rate", n.number("attn_drop_rate", 0));
        if (attnDrop >= 1) throw n.error("attn_drop_rate", "must be in [0, 1) (nn.Dropout's rate), got " + attnDrop);
        double dropPath = n.inRange("drop_path_rate", n.number("drop_path_rate", 0.1), 0, 0.999);
        boolean absPos = v2 ? false : n.bool("use_abs_pos_embed", true);
        boolean normAfter = v2 || n.bool("norm_after_stage", false);
        boolean convFfn = v2 || n.bool("use_conv_ffn", false);
        ConfigNode act = n.child("act_cfg");
        act.choice("type", "GELU", "GELU");
        act.finish();
        ConfigNode norm = n.child("norm_cfg");
        norm.choice("type", "LN", "LN");
        if (norm.has("requires_grad") && !norm.bool("requires_grad", true))
            throw norm.error("requires_grad", "frozen LayerNorms are not supported (true only)");
        double eps = norm.positive("eps", norm.number("eps", norm.has("type") ? 1e-5 : 1e-6));
        norm.finish();
        boolean convert = n.bool("convert_weights", true);
        String pretrained = n.string("pretrained", null);
        String fromInit = BackboneSpec.pretrainedCheckpoint(n);
        if (fromInit != null) {
            if (pretrained != null) throw n.error("init_cfg", "init_cfg and pretrained cannot be setting at the same time");
            pretrained = fromInit;
        }
        n.finish();
        return new PvtConfig(v2, pre[0], pre[1], embed, layers, heads, patches.subList(0, numStages), strides,
                paddings.subList(0, numStages), sr, out, mlp.subList(0, numStages), qkvBias, dropRate, attnDrop, dropPath, absPos, normAfter,
                convFfn, (float) eps, convert, pretrained);
    }

    /** {@code pretrain_img_size}: an int or a list of 1 or 2 ints (upstream's to_2tuple and its length assert). */
    private static int[] pretrainSize(ConfigNode n) {
        if (!n.has("pretrain_img_size")) {
            if (n.keys().contains("pretrain_img_size")) n.raw("pretrain_img_size");
            return new int[] {224, 224};
        }
        JsonNode v = n.raw("pretrain_img_size");
        if (v.isArray()) {
            List<Integer> l = n.intList("pretrain_img_size", List.of());
            if (l.size() != 1 && l.size() != 2)
                throw n.error("pretrain_img_size", "The size of image should have length 1 or 2, but got " + l.size());
            for (int s : l) if (s < 1) throw n.error("pretrain_img_size", "must be positive, got " + l);
            return new int[] {l.get(0), l.get(l.size() - 1)};
        }
        int s = n.positive("pretrain_img_size", n.integer("pretrain_img_size"));
        return new int[] {s, s};
    }
}
