package autoassign.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MMDetection's {@code swin_converter} ({@code mmdet/models/backbones/swin.py}) and the key selection of
 * {@code SwinTransformer.init_weights} with a Pretrained checkpoint: an official Swin checkpoint
 * (microsoft/Swin-Transformer: {@code patch_embed.proj}, {@code layers.i.blocks.j.attn.*}, {@code mlp.fc1/fc2},
 * {@code layers.i.downsample.reduction / norm}) becomes MMDetection's names ({@code patch_embed.projection},
 * {@code stages.i.blocks.j.attn.w_msa.*}, {@code ffn.layers.0.0 / ffn.layers.1}), and PatchMerging's weights are
 * reordered from the original's cat(x0, x1, x2, x3) order to nn.Unfold's (channel-major, kernel positions (0,0), (0,1),
 * (1,0), (1,1)): {@code reduction [out, 4C]: x.reshape(out, 4, C)[:, [0, 2, 1, 3]].transpose(1, 2)}, likewise the norm.
 */
public final class SwinConverter {
    private SwinConverter() {}

    /** {@code swin_converter(ckpt)}: every key but {@code head.*}, renamed and prefixed with {@code backbone.}. */
    public static Map<String, RawTensor> convert(Map<String, RawTensor> ckpt) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, RawTensor> e : ckpt.entrySet()) {
            String k = e.getKey(), nk;
            RawTensor v = e.getValue();
            if (k.startsWith("head")) continue;
            if (k.startsWith("layers")) {
                if (k.contains("attn.")) nk = k.replace("attn.", "attn.w_msa.");
                else if (k.contains("mlp.")) {
                    if (k.contains("mlp.fc1.")) nk = k.replace("mlp.fc1.", "ffn.layers.0.0.");
                    else if (k.contains("mlp.fc2.")) nk = k.replace("mlp.fc2.", "ffn.layers.1.");
                    else nk = k.replace("mlp.", "ffn.");
                } else if (k.contains("downsample")) {
                    nk = k;
                    if (k.contains("reduction.")) v = reorderReduction(v);
                    else if (k.contains("norm.")) v = reorderNorm(v);
                } else nk = k;
                nk = nk.replaceFirst("layers", "stages");
            } else if (k.startsWith("patch_embed")) {
                nk = k.contains("proj") ? k.replaceFirst("proj", "projection") : k;
            } else nk = k;
            out.put("backbone." + nk, v);
        }
        return out;
    }

    /**
     * The backbone entries of a checkpoint as upstream's init_weights takes them: converted when
     * {@code convertWeights}, then only the keys starting with {@code backbone.} (the others are ignored).
     */
    public static StateDicts.Mapped toBackbone(Map<String, RawTensor> ckpt, boolean convertWeights) {
        Map<String, RawTensor> sd = convertWeights ? convert(ckpt) : ckpt;
        Map<String, RawTensor> kept = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        sd.forEach((k, v) -> {
            if (k.startsWith("backbone.")) kept.put(k, v);
            else ignored.add(k);
        });
        return new StateDicts.Mapped(kept, ignored);
    }

    /**
     * The rest of upstream's init_weights before load_state_dict, on the kept {@code backbone.*} entries: each
     * {@code relative_position_bias_table} whose row count differs from the model's (a pretrained window size other
     * than the model's) resized bicubically ({@link SwinBiasTableResize}); {@code absolute_pos_embed} loads when its
     * shape is the model's [1, L, C]. (Upstream's reshape of absolute_pos_embed unpacks the [1, L, C] parameter as
     * N, C, H, W — written for MMSegmentation's 4-D one — and so raises for any checkpoint holding that key; here an
     * equal shape loads and another is the usual shape error.) A {@code relative_position_index} buffer of another
     * window size is replaced by the model's own (int64, as torch stores it): it is a constant of the window size
     * (upstream's load_state_dict would stop on its size mismatch, so its resize works there only for files without
     * the buffers). Other entries are returned unchanged.
     */
    public static Map<String, RawTensor> fitToModel(Map<String, RawTensor> kept, Map<String, autoassign.tensor.Tensor> ownTensors) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        kept.forEach((k, v) -> {
            autoassign.tensor.Tensor mine = ownTensors.get(k);
            long[] own = mine == null ? null : java.util.Arrays.stream(mine.shape()).asLongStream().toArray();
            if (k.endsWith("relative_position_index") && own != null && !java.util.Arrays.equals(own, v.shape())) {
                float[] f = mine.toFloatArray();
                long[] l = new long[f.length];
                for (int i = 0; i < f.length; i++) l[i] = (long) f[i];
                out.put(k, RawTensor.ofLongs(l, own));
            } else if (k.contains("relative_position_bias_table") && own != null && own.length == 2 && v.rank() == 2
                    && !java.util.Arrays.equals(own, v.shape())) {
                float[] r = SwinBiasTableResize.resize(k, v.toFloatArray(), (int) v.dim(0), (int) v.dim(1), (int) own[0], (int) own[1]);
                out.put(k, RawTensor.ofFloats(r, own[0], own[1]));
            } else out.put(k, v);
        });
        return out;
    }

    private static final int[] ORDER = {0, 2, 1, 3};

    /** x [out, 4C]: new[o, c·4 + k] = old[o, ORDER[k]·C + c]. */
    static RawTensor reorderReduction(RawTensor x) {
        if (x.rank() != 2 || x.dim(1) % 4 != 0)
            throw new IllegalArgumentException("PatchMerging reduction weight must be [out, 4C], got " + java.util.Arrays.toString(x.shape()));
        int out = (int) x.dim(0), in = (int) x.dim(1), c = in / 4;
        float[] v = x.toFloatArray(), r = new float[v.length];
        for (int o = 0; o < out; o++)
            for (int ch = 0; ch < c; ch++)
                for (int k = 0; k < 4; k++) r[o * in + ch * 4 + k] = v[o * in + ORDER[k] * c + ch];
        return RawTensor.ofFloats(r, x.shape());
    }

    /** x [4C]: new[c·4 + k] = old[ORDER[k]·C + c]. */
    static RawTensor reorderNorm(RawTensor x) {
        if (x.rank() != 1 || x.dim(0) % 4 != 0)
            throw new IllegalArgumentException("PatchMerging norm must be [4C], got " + java.util.Arrays.toString(x.shape()));
        int in = (int) x.dim(0), c = in / 4;
        float[] v = x.toFloatArray(), r = new float[in];
        for (int ch = 0; ch < c; ch++)
            for (int k = 0; k < 4; k++) r[ch * 4 + k] = v[ORDER[k] * c + ch];
        return RawTensor.ofFloats(r, x.shape());
    }
}
