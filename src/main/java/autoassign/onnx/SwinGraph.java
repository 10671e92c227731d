package autoassign.onnx;

import autoassign.backend.GatherIndex;
import autoassign.model.SwinIndices;
import autoassign.model.SwinTransformer;
import autoassign.nn.LayerNorm;
import autoassign.nn.Linear;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The Swin Transformer backbone as ONNX (opset 17), op for op as {@link SwinTransformer#forward} computes it in eval
 * mode (dropout and drop path are the identity there), for a fixed input size (the window indices depend on it):
 * <ul>
 *   <li>PatchEmbed: {@code Pad} (zeros at the bottom / right, AdaptivePadding 'corner') when needed, {@code Conv}
 *       (kernel = stride = patch_size), NCHW → tokens as {@code Reshape [N, C, h·w]} → {@code Transpose [0, 2, 1]} →
 *       {@code Reshape [N·h·w, C]}; tokens stay [T, C] matrices as in the engine;</li>
 *   <li>LayerNorm: {@code LayerNormalization} (axis −1, epsilon 1e-5; in the default domain from opset 17);</li>
 *   <li>Linear: {@code Gemm} (transB 1, the weight as the checkpoint stores it, [out, in]), as torch.onnx writes
 *       nn.Linear of a matrix; GELU: torch's erf form {@code x·0.5·(1 + Erf(x·√½))} ({@code Gelu} is opset 20);</li>
 *   <li>every {@link GatherIndex} reshuffle of the engine (window padding + cyclic shift + partition, window reverse,
 *       head split / merge, PatchMerging's tokens, the relative-position bias lookup): {@code Reshape} of the source to
 *       [rows, block], a zero row {@code Concat}enated when the index reads padding (−1), one {@code Gather} (axis 0)
 *       with the index as an int64 initializer, {@code Reshape} to the engine's shape;</li>
 *   <li>attention: {@code Mul} by the scale, {@code MatMul} with k {@code Transpose}d (torch.bmm), {@code Add} of the
 *       bias [nH·N·N] to the logits viewed as [windows, nH·N·N] and, in shifted blocks, of the −100 mask [nW·nH·N·N] to
 *       them viewed per image (rank ≤ 2 broadcasts),
 *       {@code Softmax} (axis −1), {@code MatMul} with v;</li>
 *   <li>PatchMerging: the token {@code Gather} to [T', 4, C], {@code Transpose [0, 2, 1]} (nn.Unfold's channel order),
 *       {@code Reshape [T', 4C]}, LayerNormalization, Gemm without bias; {@code absolute_pos_embed} an {@code Add} of
 *       the [1, L, C] parameter (viewed as [L·C]) to the tokens viewed as [N, L·C]; the returned stages' norms, then tokens → NCHW.</li>
 * </ul>
 * Initializers keep the checkpoint's names.
 */
final class SwinGraph {
    /** A returned map: value name, channels, height, width. */
    record Out(String name, int channels, int h, int w) {}

    private final OnnxGraph g;
    private final Function<Module, String> nameOf;

    SwinGraph(OnnxGraph g, Function<Module, String> nameOf) {
        this.g = g;
        this.nameOf = nameOf;
    }

    /** The backbone on {@code image} [n, 3, h, w]: the returned stages' NCHW maps. */
    List<Out> build(SwinTransformer sw, String image, int n, int h, int w) {
        var cfg = sw.config();
        SwinTransformer.PatchEmbed pe = sw.patchEmbed;
        String pfx = nameOf.apply(pe);
        int patch = pe.patchSize();
        int hp = SwinIndices.cornerPadded(h, patch, patch), wp = SwinIndices.cornerPadded(w, patch, patch);
        String x = image;
        if (hp != h || wp != w)
            x = g.node("Pad", pfx + ".adap_padding", List.of(x, g.longs(pfx + ".adap_padding.pads",
                    new long[] {0, 0, 0, 0, 0, 0, hp - h, wp - w}, 8)), Map.of("mode", "constant"));
        Tensor cw = pe.projection.weight;
        int c = cw.dim(0);
        String conv = g.node("Conv", nameOf.apply(pe.projection), List.of(x, init(nameOf.apply(pe.projection) + ".weight", cw),
                init(nameOf.apply(pe.projection) + ".bias", pe.projection.bias)), Map.of(
                "kernel_shape", new long[] {patch, patch}, "strides", new long[] {patch, patch},
                "pads", new long[] {0, 0, 0, 0}, "dilations", new long[] {1, 1}, "group", 1L));
        int oh = hp / patch, ow = wp / patch;
        x = nchwToTokens(conv, n, c, oh, ow, pfx);
        if (pe.norm != null) x = layerNorm(x, pe.norm);
        if (sw.absolutePosEmbed != null) {
            int l = oh * ow;
            String v = reshape(x, pfx + ".pos", n, (long) l * c);
            String pos = reshape(init("backbone.absolute_pos_embed", sw.absolutePosEmbed), "backbone.absolute_pos_embed", (long) l * c);
            String added = g.node("Add", "backbone.absolute_pos_embed", List.of(v, pos));
            x = reshape(added, "backbone.absolute_pos_embed", (long) n * l, c);
        }
        int[] hw = {oh, ow};
        List<Out> outs = new ArrayList<>();
        for (int i = 0; i <= cfg.lastStage(); i++) {
            SwinTransformer.SwinBlockSequence stage = sw.stages.get(i);
            c = cfg.stageChannels(i);
            for (SwinTransformer.SwinBlock blk : stage.blocks) x = block(x, blk, n, hw[0], hw[1], c);
            LayerNorm norm = sw.outNorm(i);
            if (norm != null) {
                String y = layerNorm(x, norm);
                outs.add(new Out(tokensToNchw(y, n, hw[0], hw[1], c, nameOf.apply(norm)), c, hw[0], hw[1]));
            }
            if (i < cfg.lastStage()) x = patchMerging(x, stage.downsample, n, hw);
        }
        return outs;
    }

    private String block(String x, SwinTransformer.SwinBlock blk, int b, int h, int w, int c) {
        String n1 = layerNorm(x, blk.norm1);
        String a = shiftWindowMsa(n1, blk.attn, b, h, w, c);
        String x1 = g.node("Add", nameOf.apply(blk), List.of(a, x));
        String n2 = layerNorm(x1, blk.norm2);
        SwinTransformer.Ffn ffn = blk.ffn;
        String f = linear(gelu(linear(n2, ffn.fc1), nameOf.apply(ffn)), ffn.fc2);
        return g.node("Add", nameOf.apply(blk), List.of(x1, f));
    }

    private String shiftWindowMsa(String q, SwinTransformer.ShiftWindowMsa m, int b, int h, int w, int c) {
        int ws = m.windowSize(), shift = m.shiftSize(), hp = SwinIndices.padTo(h, ws), wp = SwinIndices.padTo(w, ws);
        String pfx = nameOf.apply(m);
        String windows = gather(q, SwinIndices.windowPartition(b, h, w, c, ws, shift), pfx + ".window_partition");
        int nw = (hp / ws) * (wp / ws), count = b * nw;
        SwinTransformer.WindowMsa wm = m.wMsa;
        int heads = wm.heads(), d = c / heads, tokens = ws * ws;
        String wp0 = nameOf.apply(wm);
        String qkv = linear(windows, wm.qkv);
        String qh = gather(qkv, SwinIndices.headSplit(count, tokens, heads, d, 0), wp0 + ".q");
        String kh = gather(qkv, SwinIndices.headSplit(count, tokens, heads, d, 1), wp0 + ".k");
        String vh = gather(qkv, SwinIndices.headSplit(count, tokens, heads, d, 2), wp0 + ".v");
        String qs = g.node("Mul", wp0, List.of(qh, g.scalar(wp0 + ".scale", wm.scale())));
        String kt = g.node("Transpose", wp0, List.of(kh), Map.of("perm", new long[] {0, 2, 1}));
        String logits = g.node("MatMul", wp0, List.of(qs, kt));
        String table = init(wp0 + ".relative_position_bias_table", wm.relativePositionBiasTable);
        long perWindow = (long) heads * tokens * tokens;
        String bias = reshape(gather(table, SwinIndices.relativeBias(ws, heads), wp0 + ".relative_position_bias"), wp0, perWindow);
        // logits viewed as [windows, nH·N·N] + the bias [nH·N·N] (the engine's addRepeated), then per image + the mask
        String att = g.node("Add", wp0, List.of(reshape(logits, wp0, count, perWindow), bias));
        if (shift > 0) {
            float[] maskValues = SwinIndices.shiftMask(hp, wp, ws, shift, heads);
            String mask = g.floats("swin.attn_mask." + hp + "x" + wp + ".window" + ws + ".shift" + shift + ".heads" + heads,
                    maskValues, maskValues.length); // [nW·nH·N·N], one per shape, shared
            att = g.node("Add", pfx, List.of(reshape(att, pfx, b, (long) nw * perWindow), mask));
        }
        String flat = reshape(att, wp0, (long) count * heads, tokens, tokens);
        String soft = g.node("Softmax", wp0 + ".softmax", List.of(flat), Map.of("axis", -1L));
        String o = g.node("MatMul", wp0, List.of(soft, vh));
        String merged = gather(o, SwinIndices.headMerge(count, tokens, heads, d), wp0 + ".merge");
        String y = linear(merged, wm.proj);
        return gather(y, SwinIndices.windowReverse(b, h, w, c, ws, shift), pfx + ".window_reverse");
    }

    private String patchMerging(String x, SwinTransformer.PatchMerging pm, int b, int[] hw) {
        String pfx = nameOf.apply(pm);
        int c = pm.inChannels();
        String sel = gather(x, SwinIndices.patchMergingRows(b, hw[0], hw[1], c, pm.stride()), pfx + ".sampler");
        int[] o = SwinIndices.mergedSize(hw[0], hw[1], pm.stride());
        hw[0] = o[0];
        hw[1] = o[1];
        long t = (long) b * o[0] * o[1];
        String u = g.node("Transpose", pfx + ".sampler", List.of(reshape(sel, pfx + ".sampler", t, 4, c)), Map.of("perm", new long[] {0, 2, 1}));
        String flat = reshape(u, pfx + ".sampler", t, 4L * c);
        String n = pm.norm == null ? flat : layerNorm(flat, pm.norm);
        return linear(n, pm.reduction);
    }

    // ------------------------------------------------------------------------------------------------ pieces

    private String init(String name, Tensor t) {
        long[] dims = new long[t.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = t.dim(i);
        return g.floats(name, t.toFloatArray(), dims);
    }

    private String reshape(String x, String prefix, long... shape) {
        return g.node("Reshape", prefix, List.of(x, g.longs("swin.shape." + join(shape), shape, shape.length)));
    }

    private static String join(long[] s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length; i++) b.append(i == 0 ? "" : "x").append(s[i]);
        return b.toString();
    }

    /** x [n·h·w, c] → [n, c, h, w]. */
    private String tokensToNchw(String x, int n, int h, int w, int c, String prefix) {
        String t = g.node("Transpose", prefix, List.of(reshape(x, prefix, n, (long) h * w, c)), Map.of("perm", new long[] {0, 2, 1}));
        return reshape(t, prefix, n, c, h, w);
    }

    /** x [n, c, h, w] → [n·h·w, c]. */
    private String nchwToTokens(String x, int n, int c, int h, int w, String prefix) {
        String t = g.node("Transpose", prefix, List.of(reshape(x, prefix, n, c, (long) h * w)), Map.of("perm", new long[] {0, 2, 1}));
        return reshape(t, prefix, (long) n * h * w, c);
    }

    private String layerNorm(String x, LayerNorm ln) {
        String p = nameOf.apply(ln);
        return g.node("LayerNormalization", p, List.of(x, init(p + ".weight", ln.weight), init(p + ".bias", ln.bias)),
                Map.of("axis", -1L, "epsilon", ln.eps));
    }

    private String linear(String x, Linear l) {
        String p = nameOf.apply(l);
        List<String> in = l.bias == null ? List.of(x, init(p + ".weight", l.weight))
                : List.of(x, init(p + ".weight", l.weight), init(p + ".bias", l.bias));
        return g.node("Gemm", p, in, Map.of("transB", 1L));
    }

    /** GeluMath's order: (x·0.5)·(1 + erf(x·√½)). */
    private String gelu(String x, String prefix) {
        String p = prefix + ".gelu";
        String e = g.node("Erf", p, List.of(g.node("Mul", p, List.of(x, g.scalar("swin.sqrt1_2", autoassign.backend.GeluMath.SQRT1_2)))));
        String onePlus = g.node("Add", p, List.of(e, g.scalar("swin.one", 1f)));
        String half = g.node("Mul", p, List.of(x, g.scalar("swin.half", 0.5f)));
        return g.node("Mul", p, List.of(half, onePlus));
    }

    /** The engine's {@link GatherIndex} gather: Reshape [rows, block] (+ a zero row for −1), Gather axis 0, Reshape. */
    private String gather(String x, GatherIndex idx, String prefix) {
        int block = idx.block(), src = idx.sourceRows();
        String rows = reshape(x, prefix, src, block);
        int[] r = idx.rows();
        long[] ids = new long[r.length];
        boolean pads = false;
        for (int i = 0; i < r.length; i++) {
            pads |= r[i] < 0;
            ids[i] = r[i] < 0 ? src : r[i];
        }
        if (pads) rows = g.node("Concat", prefix, List.of(rows, g.floats("swin.zeros." + block, new float[block], 1, block)),
                Map.of("axis", 0L));
        // named by content: blocks of one stage share their window indices (a clash of hashes gets a suffix)
        String index = g.longs("swin.index." + ids.length + "." + Integer.toHexString(java.util.Arrays.hashCode(ids)), ids, ids.length);
        String gathered = g.node("Gather", prefix, List.of(rows, index), Map.of("axis", 0L));
        int[] os = idx.outShape();
        long[] shape = new long[os.length];
        for (int i = 0; i < os.length; i++) shape[i] = os[i];
        return reshape(gathered, prefix, shape);
    }
}
