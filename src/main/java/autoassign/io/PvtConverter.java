package autoassign.io;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;

/**
 * MMDetection's {@code pvt_convert} ({@code mmdet/models/layers/transformer/utils.py}) and the key handling of
 * {@code PyramidVisionTransformer.init_weights} with a Pretrained checkpoint: an official PVT / PVTv2 checkpoint
 * (whai362/PVT: {@code patch_embed{s}.proj / norm}, {@code pos_embed{s}}, {@code block{s}.{j}.attn.q / kv / proj / sr /
 * norm}, {@code mlp.fc1 / dwconv.dwconv / fc2}, {@code norm{s}} (v2) or {@code norm} / {@code cls_token} (v1),
 * {@code head}) becomes MMDetection's names: {@code layers.{s−1}.0.projection / norm}, {@code layers.{s−1}.1.0.pos_embed}
 * (stage 4's cls-token row removed from a 50-token table), {@code layers.{s−1}.1.{j (+1 with position embeddings)}.
 * attn.attn.in_proj_weight / in_proj_bias} (q and kv concatenated along dim 0), {@code attn.attn.out_proj},
 * {@code ffn.layers.0 / 1 / 4 (v2) or 3 (v1)} (the Linear weights reshaped to 1×1 convs), {@code layers.{s−1}.2}
 * (v2's stage norms); {@code head}, {@code norm.} and {@code cls_token} are dropped. Upstream then loads the result
 * into the backbone itself, non-strict, so every key here is relative to the backbone (prefixed {@code backbone.} for
 * the detector); without {@code convert_weights} the file's keys are taken as backbone names as they are.
 */
public final class PvtConverter {
    private PvtConverter() {}

    /** {@code pvt_convert(ckpt)}. */
    public static Map<String, RawTensor> convert(Map<String, RawTensor> ckpt) {
        boolean absPos = false, convFfn = false;
        for (String k : ckpt.keySet()) {
            if (k.startsWith("pos_embed")) absPos = true;
            if (k.contains("dwconv")) convFfn = true;
        }
        Map<String, RawTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, RawTensor> e : ckpt.entrySet()) {
            String k = e.getKey(), nk;
            RawTensor v = e.getValue(), nv = v;
            if (k.startsWith("head") || k.startsWith("norm.") || k.startsWith("cls_token")) continue;
            if (k.startsWith("pos_embed")) {
                int s = Integer.parseInt(k.substring("pos_embed".length()));
                nk = k.replace("pos_embed" + s, "layers." + (s - 1) + ".1.0.pos_embed");
                if (s == 4 && v.rank() == 3 && v.dim(1) == 50) nv = dropFirstToken(v); // 1 (cls token) + 7 * 7
            } else if (k.startsWith("patch_embed")) {
                int s = Integer.parseInt(k.split("\\.")[0].substring("patch_embed".length()));
                nk = k.replace("patch_embed" + s, "layers." + (s - 1) + ".0");
                if (nk.contains("proj.")) nk = nk.replace("proj.", "projection.");
            } else if (k.startsWith("block")) {
                String[] parts = k.split("\\.");
                int s = Integer.parseInt(parts[0].substring("block".length())), j = Integer.parseInt(parts[1]);
                nk = k.replace("block" + s + "." + j, "layers." + (s - 1) + ".1." + (j + (absPos ? 1 : 0)));
                if (nk.contains("attn.q.")) {
                    String kvKey = k.replace("q.", "kv.");
                    RawTensor kv = ckpt.get(kvKey);
                    if (kv == null) throw new IllegalArgumentException("pvt_convert: " + k + " has no " + kvKey);
                    nk = nk.replace("q.", "attn.in_proj_");
                    nv = concatRows(v, kv);
                } else if (nk.contains("attn.kv.")) {
                    continue;
                } else if (nk.contains("attn.proj.")) {
                    nk = nk.replace("proj.", "attn.out_proj.");
                } else if (nk.contains("mlp.")) {
                    nk = nk.replace("mlp.", "ffn.layers.");
                    if (nk.contains("fc1.weight") || nk.contains("fc2.weight")) nv = withUnitKernel(v);
                    nk = nk.replace("fc1.", "0.").replace("dwconv.dwconv.", "1.").replace("fc2.", convFfn ? "4." : "3.");
                }
            } else if (k.startsWith("norm")) {
                int s = k.charAt(4) - '0';
                nk = k.replace("norm" + s, "layers." + (s - 1) + ".2");
            } else nk = k;
            out.put(nk, nv);
        }
        return out;
    }

    /**
     * The detector's {@code backbone.*} entries of a Pretrained file as upstream's init_weights takes them: converted
     * when {@code convertWeights}, each key then a backbone name.
     */
    public static StateDicts.Mapped toBackbone(Map<String, RawTensor> ckpt, boolean convertWeights) {
        Map<String, RawTensor> sd = convertWeights ? convert(ckpt) : ckpt;
        Map<String, RawTensor> kept = new LinkedHashMap<>();
        sd.forEach((k, v) -> kept.put("backbone." + k, v));
        List<String> ignored = new ArrayList<>();
        return new StateDicts.Mapped(kept, ignored);
    }

    /** v[:, 1:, :] of a [1, L, C] table. */
    static RawTensor dropFirstToken(RawTensor v) {
        int l = (int) v.dim(1), c = (int) v.dim(2);
        float[] a = v.toFloatArray(), r = new float[(l - 1) * c];
        System.arraycopy(a, c, r, 0, r.length);
        return RawTensor.ofFloats(r, 1, l - 1, c);
    }

    /** torch.cat([a, b], dim=0). */
    static RawTensor concatRows(RawTensor a, RawTensor b) {
        long[] sa = a.shape(), sb = b.shape();
        if (sa.length != sb.length) throw new IllegalArgumentException("pvt_convert: cannot concatenate q " + java.util.Arrays.toString(sa) + " and kv " + java.util.Arrays.toString(sb));
        for (int i = 1; i < sa.length; i++)
            if (sa[i] != sb[i]) throw new IllegalArgumentException("pvt_convert: cannot concatenate q " + java.util.Arrays.toString(sa) + " and kv " + java.util.Arrays.toString(sb));
        float[] x = a.toFloatArray(), y = b.toFloatArray(), r = new float[x.length + y.length];
        System.arraycopy(x, 0, r, 0, x.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        long[] s = sa.clone();
        s[0] = sa[0] + sb[0];
        return RawTensor.ofFloats(r, s);
    }

    /** v.reshape(*v.shape, 1, 1). */
    static RawTensor withUnitKernel(RawTensor v) {
        long[] s = v.shape(), n = java.util.Arrays.copyOf(s, s.length + 2);
        n[s.length] = 1;
        n[s.length + 1] = 1;
        return new RawTensor(v.dtype(), n, v.data());
    }
}
