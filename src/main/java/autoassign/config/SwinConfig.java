package autoassign.config;

import java.util.List;

/**
 * {@code model.backbone} of {@code type: SwinTransformer}: MMDetection 3.3.0's {@code SwinTransformer(
 * pretrain_img_size=224, in_channels=3, embed_dims=96, patch_size=4, window_size=7, mlp_ratio=4, depths=(2, 2, 6, 2),
 * num_heads=(3, 6, 12, 24), strides=(4, 2, 2, 2), out_indices=(0, 1, 2, 3), qkv_bias=True, qk_scale=None,
 * patch_norm=True, drop_rate=0., attn_drop_rate=0., drop_path_rate=0.1, use_abs_pos_embed=False,
 * act_cfg=dict(type='GELU'), norm_cfg=dict(type='LN'), with_cp=False, pretrained=None, convert_weights=False,
 * frozen_stages=-1, init_cfg=None)} ({@code mmdet/models/backbones/swin.py}).
 *
 * <p>Stage i has {@code embed_dims·2^i} channels at stride {@code patch_size·Π strides[1..i]}; out index i returns
 * stage i's output (before its PatchMerging) through {@code norm{i}}. Refused with a one-line error: a dropout rate
 * outside [0, 1), an {@code act_cfg} other than GELU, a {@code norm_cfg} other than LN, {@code in_channels} other than 3.
 *
 * @param embedDims      C of stage 0
 * @param patchSize      PatchEmbed's conv kernel (= strides[0])
 * @param windowSize     attention window (tokens per side)
 * @param mlpRatio       FFN hidden channels / C
 * @param depths         blocks per stage (odd blocks shift their windows by window_size // 2)
 * @param numHeads       attention heads per stage
 * @param strides        PatchEmbed's stride, then each PatchMerging's
 * @param outIndices     returned stages, increasing
 * @param qkvBias        bias of the qkv Linear
 * @param qkScale        {@code qk_scale}, or null for head_dims^-0.5
 * @param patchNorm      LayerNorm after PatchEmbed and before each PatchMerging's reduction
 * @param dropPathRate   stochastic depth: block k of all n gets rate k·rate/(n−1) (torch.linspace)
 * @param withCp         accepted, no effect on the results
 * @param convertWeights the pretrained file is an official Swin checkpoint (mmdet's swin_converter renames it)
 * @param frozenStages   −1: none; ≥ 0 freezes patch_embed, k also stages 0..k−1 and their norms
 * @param pretrained     {@code init_cfg.checkpoint} of a Pretrained init, or null
 * @param dropRate       {@code drop_rate}: dropout after the patch embedding (+ position embedding), after each
 *                       attention's {@code proj} and in each FFN (after the activation and after the second Linear)
 * @param attnDropRate   {@code attn_drop_rate}: dropout on the attention weights after the softmax
 * @param useAbsPosEmbed {@code use_abs_pos_embed}: a learned {@code absolute_pos_embed} [1, L, C] added to the patch
 *                       tokens, L = (pretrain_img_size / patch_size)² (upstream adds it as is: the input's patch grid
 *                       must hold exactly L tokens)
 * @param pretrainImgH   {@code pretrain_img_size} (height; an int means both)
 * @param pretrainImgW   {@code pretrain_img_size} (width)
 */
public record SwinConfig(int embedDims, int patchSize, int windowSize, int mlpRatio, List<Integer> depths,
                         List<Integer> numHeads, List<Integer> strides, List<Integer> outIndices, boolean qkvBias,
                         Double qkScale, boolean patchNorm, double dropPathRate, boolean withCp, boolean convertWeights,
                         int frozenStages, String pretrained, double dropRate, double attnDropRate, boolean useAbsPosEmbed,
                         int pretrainImgH, int pretrainImgW) implements BackboneSpec {
    public static final String TYPE = "SwinTransformer";
    /** LayerNorm's eps (build_norm_layer(dict(type='LN')) = nn.LayerNorm(C)). */
    public static final float LN_EPS = 1e-5f;
    private static final NormConfig LN = new NormConfig("LN", 0, true, 1e-5);

    /** Without dropout and without the absolute position embedding (upstream's defaults; pretrain_img_size 224). */
    public SwinConfig(int embedDims, int patchSize, int windowSize, int mlpRatio, List<Integer> depths, List<Integer> numHeads,
                      List<Integer> strides, List<Integer> outIndices, boolean qkvBias, Double qkScale, boolean patchNorm,
                      double dropPathRate, boolean withCp, boolean convertWeights, int frozenStages, String pretrained) {
        this(embedDims, patchSize, windowSize, mlpRatio, depths, numHeads, strides, outIndices, qkvBias, qkScale, patchNorm,
                dropPathRate, withCp, convertWeights, frozenStages, pretrained, 0, 0, false, 224, 224);
    }

    /** This config with dropout rates {@code drop_rate} and {@code attn_drop_rate}. */
    public SwinConfig withDropout(double drop, double attnDrop) {
        return new SwinConfig(embedDims, patchSize, windowSize, mlpRatio, depths, numHeads, strides, outIndices, qkvBias, qkScale,
                patchNorm, dropPathRate, withCp, convertWeights, frozenStages, pretrained, drop, attnDrop, useAbsPosEmbed,
                pretrainImgH, pretrainImgW);
    }

    /** This config with the absolute position embedding of a {@code pretrain_img_size} h × w. */
    public SwinConfig withAbsPosEmbed(int h, int w) {
        return new SwinConfig(embedDims, patchSize, windowSize, mlpRatio, depths, numHeads, strides, outIndices, qkvBias, qkScale,
                patchNorm, dropPathRate, withCp, convertWeights, frozenStages, pretrained, dropRate, attnDropRate, true, h, w);
    }

    /** Tokens of {@code absolute_pos_embed}: (pretrain_img_size[0] // patch_size) · (pretrain_img_size[1] // patch_size). */
    public int absPosEmbedTokens() { return (pretrainImgH / patchSize) * (pretrainImgW / patchSize); }

    public SwinConfig {
        depths = List.copyOf(depths);
        numHeads = List.copyOf(numHeads);
        strides = List.copyOf(strides);
        outIndices = List.copyOf(outIndices);
        if (depths.isEmpty() || numHeads.size() != depths.size() || strides.size() != depths.size())
            throw new IllegalArgumentException("depths, num_heads and strides need one entry per stage, got " + depths + ", "
                    + numHeads + ", " + strides);
        for (int i = 0; i < depths.size(); i++) {
            int c = stageChannels(i);
            if (numHeads.get(i) < 1 || c % numHeads.get(i) != 0)
                throw new IllegalArgumentException("num_heads[" + i + "] = " + numHeads.get(i) + " does not divide stage " + i + "'s " + c + " channels");
        }
        if (strides.get(0) != patchSize) throw new IllegalArgumentException("strides[0] must equal patch_size (non-overlapping patch embed)");
        if (!(dropRate >= 0 && dropRate < 1)) throw new IllegalArgumentException("drop_rate must be in [0, 1), got " + dropRate);
        if (!(attnDropRate >= 0 && attnDropRate < 1)) throw new IllegalArgumentException("attn_drop_rate must be in [0, 1), got " + attnDropRate);
        if (useAbsPosEmbed && (pretrainImgH < patchSize || pretrainImgW < patchSize))
            throw new IllegalArgumentException("pretrain_img_size must be at least patch_size, got " + pretrainImgH + "x" + pretrainImgW);
        for (int i : outIndices)
            if (i < 0 || i >= depths.size()) throw new IllegalArgumentException("out_indices must be a subset of range(0, " + depths.size() + "), got " + outIndices);
    }

    /** Channels of stage i: embed_dims · 2^i. */
    public int stageChannels(int i) { return embedDims << i; }

    public int numStages() { return depths.size(); }

    /** Stride of stage i's tokens to the input. */
    public int stageStride(int i) {
        int s = 1;
        for (int k = 0; k <= i; k++) s *= strides.get(k);
        return s;
    }

    /** torch.linspace(0, drop_path_rate, sum(depths))[k] (float32, as .item() returns it, widened). */
    public double dropPathRate(int block) {
        int n = depths.stream().mapToInt(Integer::intValue).sum();
        if (n <= 1) return 0;
        // torch's linspace on float32: start + step·k for k < n/2, end − step·(n−1−k) after
        float step = ((float) dropPathRate - 0f) / (n - 1);
        float v = block < n / 2 ? 0f + step * block : (float) dropPathRate - step * (n - 1 - block);
        return v;
    }

    /** The index of block j of stage i among all blocks. */
    public int blockIndex(int stage, int j) {
        int k = j;
        for (int s = 0; s < stage; s++) k += depths.get(s);
        return k;
    }

    @Override public String type() { return TYPE; }

    @Override public List<Integer> outChannels() {
        return BackboneSpec.perOutIndex(outIndices, this::stageChannels);
    }

    @Override public List<Integer> outStrides() {
        return BackboneSpec.perOutIndex(outIndices, this::stageStride);
    }

    @Override public String describe() {
        return "SwinTransformer embed_dims " + embedDims + ", depths " + depths + ", num_heads " + numHeads + ", window_size "
                + windowSize + ", out_indices " + outIndices;
    }

    @Override public NormConfig normCfg() { return LN; }

    /** No BatchNorm anywhere: nothing to keep in eval mode. */
    @Override public boolean normEval() { return false; }

    /** The last stage the forward must run (the highest out index). */
    public int lastStage() {
        int m = -1;
        for (int i : outIndices) m = Math.max(m, i);
        return m;
    }

    static SwinConfig from(ConfigNode n) {
        n.fixed("type", TYPE);
        int[] pretrainSize = {224, 224};
        if (n.has("pretrain_img_size")) { // an int or a list of 1 or 2 (to_2tuple); only used with use_abs_pos_embed
            com.fasterxml.jackson.databind.JsonNode raw = n.raw("pretrain_img_size");
            List<Integer> l = raw.isArray() ? n.intList("pretrain_img_size", List.of()) : List.of(n.integer("pretrain_img_size", 224));
            if (l.isEmpty() || l.size() > 2) throw n.error("pretrain_img_size", "must be an int or a list of 1 or 2 ints, got " + raw);
            pretrainSize = new int[] {l.get(0), l.get(l.size() - 1)};
            for (int v : pretrainSize) if (v < 1) throw n.error("pretrain_img_size", "must be positive, got " + raw);
        }
        int inChannels = n.integer("in_channels", 3);
        if (inChannels != 3) throw n.error("in_channels", "only 3 (the image's channels) is supported, got " + inChannels);
        int embed = n.positive("embed_dims", n.integer("embed_dims", 96));
        int patch = n.positive("patch_size", n.integer("patch_size", 4));
        int window = n.atLeast("window_size", n.integer("window_size", 7), 1);
        int mlp = n.positive("mlp_ratio", n.integer("mlp_ratio", 4));
        List<Integer> depths = n.intList("depths", List.of(2, 2, 6, 2));
        List<Integer> heads = n.intList("num_heads", List.of(3, 6, 12, 24));
        List<Integer> strides = n.intList("strides", List.of(4, 2, 2, 2));
        if (depths.isEmpty()) throw n.error("depths", "needs at least one stage");
        for (int d : depths) if (d < 1) throw n.error("depths", "every stage needs at least one block, got " + depths);
        if (heads.size() != depths.size()) throw n.error("num_heads", "needs one entry per stage (" + depths.size() + "), got " + heads);
        if (strides.size() < depths.size()) throw n.error("strides", "needs one entry per stage (" + depths.size() + "), got " + strides);
        strides = strides.subList(0, depths.size());
        if (strides.get(0) != patch) throw n.error("strides", "strides[0] must equal patch_size " + patch + " (upstream asserts a non-overlapping patch embed), got " + strides);
        for (int s : strides) if (s < 1) throw n.error("strides", "must be positive, got " + strides);
        for (int i = 0; i < depths.size(); i++)
            if (heads.get(i) < 1 || (embed << i) % heads.get(i) != 0)
                throw n.error("num_heads", "num_heads[" + i + "] = " + heads.get(i) + " must divide stage " + i + "'s " + (embed << i) + " channels");
        List<Integer> out = n.intList("out_indices", List.of(0, 1, 2, 3));
        if (out.isEmpty()) throw n.error("out_indices", "needs at least one stage (the neck takes the returned maps)");
        for (int k = 0; k < out.size(); k++) {
            if (out.get(k) < 0 || out.get(k) >= depths.size())
                throw n.error("out_indices", "must be a subset of range(0, " + depths.size() + "), got " + out);
            if (k > 0 && out.get(k) <= out.get(k - 1))
                throw n.error("out_indices", "must increase (upstream returns the maps in forward order), got " + out);
        }
        boolean qkvBias = n.bool("qkv_bias", true);
        Double qkScale = n.has("qk_scale") ? n.positive("qk_scale", n.number("qk_scale")) : null;
        if (!n.has("qk_scale") && n.keys().contains("qk_scale")) n.raw("qk_scale"); // qk_scale: null
        boolean patchNorm = n.bool("patch_norm", true);
        double dropRate = n.nonNegative("drop_rate", n.number("drop_rate", 0));
        if (dropRate >= 1) throw n.error("drop_rate", "must be in [0, 1) (nn.Dropout's rate), got " + dropRate);
        double attnDrop = n.nonNegative("attn_drop_rate", n.number("attn_drop_rate", 0));
        if (attnDrop >= 1) throw n.error("attn_drop_rate", "must be in [0, 1) (nn.Dropout's rate), got " + attnDrop);
        double dropPath = n.inRange("drop_path_rate", n.number("drop_path_rate", 0.1), 0, 0.999);
        boolean absPos = n.bool("use_abs_pos_embed", false);
        if (absPos && (pretrainSize[0] < patch || pretrainSize[1] < patch))
            throw n.error("pretrain_img_size", "must be at least patch_size " + patch + " (absolute_pos_embed would have no tokens)");
        ConfigNode act = n.child("act_cfg");
        act.choice("type", "GELU", "GELU");
        act.finish();
        ConfigNode norm = n.child("norm_cfg");
        norm.choice("type", "LN", "LN");
        if (norm.has("requires_grad") && !norm.bool("requires_grad", true)) // build_norm_layer would freeze every LayerNorm
            throw norm.error("requires_grad", "frozen LayerNorms are not supported (true only)");
        double eps = norm.number("eps", 1e-5);
        if (eps != 1e-5) throw norm.error("eps", "only LayerNorm's default 1e-5 is supported, got " + eps);
        norm.finish();
        boolean withCp = n.bool("with_cp", false);
        boolean convert = n.bool("convert_weights", false);
        int frozen = n.integer("frozen_stages", -1);
        if (frozen < -1 || frozen > depths.size()) throw n.error("frozen_stages", "must be in range(-1, " + (depths.size() + 1) + "), got " + frozen);
        String pretrained = n.string("pretrained", null);
        String fromInit = BackboneSpec.pretrainedCheckpoint(n);
        if (fromInit != null) {
            if (pretrained != null) throw n.error("init_cfg", "init_cfg and pretrained cannot be specified at the same time");
            pretrained = fromInit;
        }
        n.finish();
        return new SwinConfig(embed, patch, window, mlp, depths, heads, strides, out, qkvBias, qkScale, patchNorm, dropPath,
                withCp, convert, frozen, pretrained, dropRate, attnDrop, absPos, pretrainSize[0], pretrainSize[1]);
    }
}
