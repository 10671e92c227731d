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
 * mode (dropout and drop path are the identity there); at a fixed input size:
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
 * Initializers keep the checkpoint's names. With a symbolic input size ({@link #buildSymbolic}) the size-dependent
 * reshuffles (padding, cyclic shift, window partition / reverse, the shift mask, head split / merge, PatchMerging's
 * tokens) are {@link SwinShapeGraph}'s {@code Shape} arithmetic instead of index initializers; every other node is the
 * same.
 */
final class SwinGraph {
    /** A returned map: value name, channels, height, width. */
    record Out(String name, int channels, int h, int w) {}

    /** The token grid: fixed sizes ({@code dims} null), or a graph value {@code [B, H, W]} (int64) for a symbolic size. */
    private record Grid(int n, int h, int w, String dims) {}

    /** Tokens [B·H·W, C] and their grid. */
    private record Tokens(String x, Grid grid) {}

    private final OnnxGraph g;
    private final Function<Module, String> nameOf;
    /** The size-dependent parts for a symbolic input size; null at a fixed size. */
    private SwinShapeGraph shapes;

    SwinGraph(OnnxGraph g, Function<Module, String> nameOf) {
        this.g = g;
        this.nameOf = nameOf;
    }

    /** The backbone on {@code image} [n, 3, h, w]: the returned stages' NCHW maps. */
    List<Out> build(SwinTransformer sw, String image, int n, int h, int w) {
        shapes = null;
        return build(sw, image, new Grid(n, h, w, null));
    }

    /**
     * The backbone on {@code image} [N, 3, H, W] with N, H, W symbolic: the returned stages' NCHW maps, their sizes
     * −1 (computed in the graph).
     */
    List<Out> buildSymbolic(SwinTransformer sw, String image) {
        shapes = new SwinShapeGraph(g);
        return build(sw, image, null);
    }

    private List<Out> build(SwinTransformer sw, String image, Grid in) {
        var cfg = sw.config();
        SwinTransformer.PatchEmbed pe = sw.patchEmbed;
        String pfx = nameOf.apply(pe);
        int patch = pe.patchSize();
        String x = image;
        if (shapes != null) x = shapes.padImage(image, patch, pfx + ".adap_padding");
        else {
            int h = in.h(), w = in.w(), hp = SwinIndices.cornerPadded(h, patch, patch), wp = SwinIndices.cornerPadded(w, patch, patch);
            if (hp != h || wp != w)
                x = g.node("Pad", pfx + ".adap_padding", List.of(x, g.longs(pfx + ".adap_padding.pads",
                        new long[] {0, 0, 0, 0, 0, 0, hp - h, wp - w}, 8)), Map.of("mode", "constant"));
        }
        Tensor cw = pe.projection.weight;
        int c = cw.dim(0);
        String conv = g.node("Conv", nameOf.apply(pe.projection), List.of(x, init(nameOf.apply(pe.projection) + ".weight", cw),
                init(nameOf.apply(pe.projection) + ".bias", pe.projection.bias)), Map.of(
                "kernel_shape", new long[] {patch, patch}, "strides", new long[] {patch, patch},
                "pads", new long[] {0, 0, 0, 0}, "dilations", new long[] {1, 1}, "group", 1L));
        Grid grid;
        if (shapes != null) {
            String[] t = shapes.tokens(conv, c, pfx);
            x = t[0];
            grid = new Grid(-1, -1, -1, t[1]);
        } else {
            int oh = SwinIndices.cornerPadded(in.h(), patch, patch) / patch, ow = SwinIndices.cornerPadded(in.w(), patch, patch) / patch;
            x = nchwToTokens(conv, in.n(), c, oh, ow, pfx);
            grid = new Grid(in.n(), oh, ow, null);
        }
        if (pe.norm != null) x = layerNorm(x, pe.norm);
        if (sw.absolutePosEmbed != null) {
            // the engine adds [L, C] to each image's tokens as they are: the grid must hold L tokens (else Reshape fails)
            long l = shapes != null ? sw.absolutePosEmbed.dim(1) : (long) grid.h() * grid.w();
            String v = reshape(x, pfx + ".pos", shapes != null ? -1 : grid.n(), l * c);
            String pos = reshape(init("backbone.absolute_pos_embed", sw.absolutePosEmbed), "backbone.absolute_pos_embed", l * c);
            String added = g.node("Add", "backbone.absolute_pos_embed", List.of(v, pos));
            x = reshape(added, "backbone.absolute_pos_embed", shapes != null ? -1 : grid.n() * l, c);
        }
        List<Out> outs = new ArrayList<>();
        for (int i = 0; i <= cfg.lastStage(); i++) {
            SwinTransformer.SwinBlockSequence stage = sw.stages.get(i);
            c = cfg.stageChannels(i);
            for (SwinTransformer.SwinBlock blk : stage.blocks) x = block(x, blk, grid, c);
            LayerNorm norm = sw.outNorm(i);
            if (norm != null) {
                String y = layerNorm(x, norm);
                outs.add(shapes != null ? new Out(shapes.tokensToNchw(y, grid.dims(), c, nameOf.apply(norm)), c, -1, -1)
                        : new Out(tokensToNchw(y, grid.n(), grid.h(), grid.w(), c, nameOf.apply(norm)), c, grid.h(), grid.w()));
            }
            if (i < cfg.lastStage()) {
                Tokens t = patchMerging(x, stage.downsample, grid);
                x = t.x();
                grid = t.grid();
            }
        }
        return outs;
    }

    private String block(String x, SwinTransformer.SwinBlock blk, Grid grid, int c) {
        String n1 = layerNorm(x, blk.norm1);
        String a = shiftWindowMsa(n1, blk.attn, grid, c);
        String x1 = g.node("Add", nameOf.apply(blk), List.of(a, x));
        String n2 = layerNorm(x1, blk.norm2);
        SwinTransformer.Ffn ffn = blk.ffn;
        String f = linear(gelu(linear(n2, ffn.fc1), nameOf.apply(ffn)), ffn.fc2);
        return g.node("Add", nameOf.apply(blk), List.of(x1, f));
    }

    private String shiftWindowMsa(String q, SwinTransformer.ShiftWindowMsa m, Grid grid, int c) {
        boolean symbolic = shapes != null;
        int b = grid.n(), h = grid.h(), w = grid.w();
        int ws = m.windowSize(), shift = m.shiftSize(), hp = SwinIndices.padTo(h, ws), wp = SwinIndices.padTo(w, ws);
        String pfx = nameOf.apply(m);
        String windows = symbolic ? shapes.windowPartition(q, grid.dims(), c, ws, shift, pfx + ".window_partition")
                : gather(q, SwinIndices.windowPartition(b, h, w, c, ws, shift), pfx + ".window_partition");
        int nw = (hp / ws) * (wp / ws), count = symbolic ? -1 : b * nw;
        SwinTransformer.WindowMsa wm = m.wMsa;
        int heads = wm.heads(), d = c / heads, tokens = ws * ws;
        String wp0 = nameOf.apply(wm);
        String qkv = linear(windows, wm.qkv);
        String qh, kh, vh;
        if (symbolic) {
            String split = shapes.headsOf(qkv, tokens, heads, d, wp0 + ".heads");
            qh = shapes.head(split, tokens, d, 0, wp0 + ".q");
            kh = shapes.head(split, tokens, d, 1, wp0 + ".k");
            vh = shapes.head(split, tokens, d, 2, wp0 + ".v");
        } else {
            qh = gather(qkv, SwinIndices.headSplit(count, tokens, heads, d, 0), wp0 + ".q");
            kh = gather(qkv, SwinIndices.headSplit(count, tokens, heads, d, 1), wp0 + ".k");
            vh = gather(qkv, SwinIndices.headSplit(count, tokens, heads, d, 2), wp0 + ".v");
        }
        String qs = g.node("Mul", wp0, List.of(qh, g.scalar(wp0 + ".scale", wm.scale())));
        String kt = g.node("Transpose", wp0, List.of(kh), Map.of("perm", new long[] {0, 2, 1}));
        String logits = g.node("MatMul", wp0, List.of(qs, kt));
        String table = init(wp0 + ".relative_position_bias_table", wm.relativePositionBiasTable);
        long perWindow = (long) heads * tokens * tokens;
        String bias = reshape(gather(table, SwinIndices.relativeBias(ws, heads), wp0 + ".relative_position_bias"), wp0, perWindow);
        // logits viewed as [windows, nH·N·N] + the bias [nH·N·N] (the engine's addRepeated), then per image + the mask
        String att = g.node("Add", wp0, List.of(reshape(logits, wp0, count, perWindow), bias));
        if (shift > 0 && symbolic) {
            att = shapes.addMask(att, shapes.shiftMask(grid.dims(), ws, shift, pfx), grid.dims(), ws, heads, pfx);
        } else if (shift > 0) {
            float[] maskValues = SwinIndices.shiftMask(hp, wp, ws, shift, heads);
            String mask = g.floats("swin.attn_mask." + hp + "x" + wp + ".window" + ws + ".shift" + shift + ".heads" + heads,
                    maskValues, maskValues.length); // [nW·nH·N·N], one per shape, shared
            att = g.node("Add", pfx, List.of(reshape(att, pfx, b, (long) nw * perWindow), mask));
        }
        String flat = reshape(att, wp0, symbolic ? -1 : (long) count * heads, tokens, tokens);
        String soft = g.node("Softmax", wp0 + ".softmax", List.of(flat), Map.of("axis", -1L));
        String o = g.node("MatMul", wp0, List.of(soft, vh));
        String merged = symbolic ? shapes.headMerge(o, tokens, heads, d, wp0 + ".merge")
                : gather(o, SwinIndices.headMerge(count, tokens, heads, d), wp0 + ".merge");
        String y = linear(merged, wm.proj);
        return symbolic ? shapes.windowReverse(y, grid.dims(), c, ws, shift, pfx + ".window_reverse")
                : gather(y, SwinIndices.windowReverse(b, h, w, c, ws, shift), pfx + ".window_reverse");
    }

    private Tokens patchMerging(String x, SwinTransformer.PatchMerging pm, Grid grid) {
        String pfx = nameOf.apply(pm);
        int c = pm.inChannels();
        String sel;
        Grid next;
        long t;
        if (shapes != null) {
            String[] r = shapes.patchMergingRows(x, grid.dims(), c, pm.stride(), pfx + ".sampler");
            sel = r[0];
            next = new Grid(-1, -1, -1, r[1]);
            t = -1;
        } else {
            sel = gather(x, SwinIndices.patchMergingRows(grid.n(), grid.h(), grid.w(), c, pm.stride()), pfx + ".sampler");
            int[] o = SwinIndices.mergedSize(grid.h(), grid.w(), pm.stride());
            next = new Grid(grid.n(), o[0], o[1], null);
            t = (long) grid.n() * o[0] * o[1];
        }
        String u = g.node("Transpose", pfx + ".sampler", List.of(reshape(sel, pfx + ".sampler", t, 4, c)), Map.of("perm", new long[] {0, 2, 1}));
        String flat = reshape(u, pfx + ".sampler", t, 4L * c);
        String n = pm.norm == null ? flat : layerNorm(flat, pm.norm);
        return new Tokens(linear(n, pm.reduction), next);
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
