package autoassign.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of the Swin Transformer graph ({@link SwinGraph}) that depend on the input's height and width, for a
 * symbolic input size: every size is computed in the graph from {@code Shape} with int64 arithmetic, as torch.onnx's
 * trace of MMDetection's {@code swin.py} (and MMDeploy's dynamic Swin export) computes it. The tokens stay
 * {@code [B·H·W, C]} matrices; a grid value {@code [B, H, W]} (int64, rank 1) travels with them.
 * <ul>
 *   <li>PatchEmbed's AdaptivePadding('corner'): {@code Pad} by {@code (p − H mod p) mod p} at the bottom / right;</li>
 *   <li>ShiftWindowMSA: tokens {@code Reshape}d to {@code [B, H, W, C]}, {@code Pad} by {@code (ws − H mod ws) mod ws},
 *       the cyclic shift {@code torch.roll(−s)} as two {@code Slice}s ({@code [s:]}, {@code [:s]}) and a {@code Concat}
 *       per axis, window_partition as {@code Reshape [B·nWh, ws, nWw, ws, C]} → {@code Transpose [0, 2, 1, 3, 4]} →
 *       {@code Reshape [−1, C]}; window_reverse the same backwards, {@code roll(+s)}, the crop {@code [:H, :W]} a
 *       {@code Slice} with ends from the grid;</li>
 *   <li>the shifted windows' mask from Hp, Wp: region ids per row and column ({@code Range}, {@code Greater} against
 *       Hp − ws − 1 and Hp − s − 1, {@code Cast}, {@code Add}), the map {@code row·3 + col} window-partitioned,
 *       {@code Equal} of every pair of a window's ids, {@code Where(·, 0, −100)} → {@code [nW, 1, N, N]}, added to the
 *       logits viewed as {@code [B, nW, nH, N, N]}; built once per grid;</li>
 *   <li>head split / merge: {@code Reshape} / {@code Transpose} / {@code Gather} with constant sizes;</li>
 *   <li>PatchMerging: {@code Pad} at the bottom / right to {@code max((Ho − 1)·s + 2, H)} (Ho = ⌈H / s⌉), the four
 *       2×2 positions as strided {@code Slice}s, {@code Concat}enated to {@code [T', 4, C]} in (ki, kj) order.</li>
 * </ul>
 * Each reshuffle moves the same floats as the engine's {@code GatherIndex} gathers, so the graph computes the fixed-size
 * graph's values at every size.
 */
final class SwinShapeGraph {
    private final OnnxGraph g;
    /** The shift mask per (grid value, window, shift). */
    private final Map<String, String> masks = new HashMap<>();

    SwinShapeGraph(OnnxGraph g) { this.g = g; }

    // ------------------------------------------------------------------------------------------------ PatchEmbed

    /** image [N, 3, H, W] padded at the bottom / right to multiples of {@code patch} (AdaptivePadding 'corner'). */
    String padImage(String image, int patch, String prefix) {
        if (patch == 1) return image;
        String hw = slice1(shape(image, prefix), 2, 4, prefix);
        String pads = concat(prefix, i64(0, 0, 0, 0, 0, 0), padToMultiple(hw, patch, prefix));
        return g.node("Pad", prefix, List.of(image, pads), Map.of("mode", "constant"));
    }

    /** conv [B, C, h, w] → {tokens [B·h·w, C], grid [B, h, w]}. */
    String[] tokens(String conv, int c, String prefix) {
        String grid = g.node("Gather", prefix, List.of(shape(conv, prefix), i64(0, 2, 3)), Map.of("axis", 0L));
        String flat = reshape(conv, prefix, i64(0, c, -1));
        String t = g.node("Transpose", prefix, List.of(flat), Map.of("perm", new long[] {0, 2, 1}));
        return new String[] {reshape(t, prefix, i64(-1, c)), grid};
    }

    /** tokens [B·H·W, C] → [B, C, H, W]. */
    String tokensToNchw(String x, String grid, int c, String prefix) {
        String map = reshape(x, prefix, concat(prefix, grid, i64(c)));
        return g.node("Transpose", prefix, List.of(map), Map.of("perm", new long[] {0, 3, 1, 2}));
    }

    // ------------------------------------------------------------------------------------------------ ShiftWindowMSA

    /** F.pad to multiples of ws, torch.roll by −shift, window_partition: tokens [B·H·W, C] → windows [B·nW·ws·ws, C]. */
    String windowPartition(String x, String grid, int c, int ws, int shift, String prefix) {
        String hw = slice1(grid, 1, 3, prefix);
        String map = reshape(x, prefix, concat(prefix, grid, i64(c)));
        String padded = g.node("Pad", prefix, List.of(map, concat(prefix, i64(0, 0, 0, 0, 0), padToMultiple(hw, ws, prefix), i64(0))),
                Map.of("mode", "constant"));
        String rolled = shift > 0 ? roll(roll(padded, shift, 1, prefix), shift, 2, prefix) : padded;
        String nww = slice1(windowsPerAxis(grid, ws, prefix), 1, 2, prefix);
        String split = reshape(rolled, prefix, concat(prefix, i64(-1, ws), nww, i64(ws, c)));
        String t = g.node("Transpose", prefix, List.of(split), Map.of("perm", new long[] {0, 2, 1, 3, 4}));
        return reshape(t, prefix, i64(-1, c));
    }

    /** window_reverse, torch.roll by +shift and the crop [:H, :W]: windows [B·nW·ws·ws, C] → tokens [B·H·W, C]. */
    String windowReverse(String y, String grid, int c, int ws, int shift, String prefix) {
        String hw = slice1(grid, 1, 3, prefix);
        String nw = windowsPerAxis(grid, ws, prefix);
        String split = reshape(y, prefix, concat(prefix, i64(-1), slice1(nw, 1, 2, prefix), i64(ws, ws, c)));
        String t = g.node("Transpose", prefix, List.of(split), Map.of("perm", new long[] {0, 2, 1, 3, 4}));
        String hpwp = g.node("Mul", prefix, List.of(nw, i64(ws)));
        String map = reshape(t, prefix, concat(prefix, slice1(grid, 0, 1, prefix), hpwp, i64(c)));
        String rolled = shift > 0 ? roll(roll(map, -shift, 1, prefix), -shift, 2, prefix) : map;
        String crop = g.node("Slice", prefix, List.of(rolled, i64(0, 0), hw, i64(1, 2)));
        return reshape(crop, prefix, i64(-1, c));
    }

    /**
     * The shifted windows' mask [nW, 1, N, N] (0 within a region, −100 across), upstream's {@code img_mask} slices
     * (0, −ws), (−ws, −shift), (−shift, None) per axis of the padded map; one per grid, window and shift.
     */
    String shiftMask(String grid, int ws, int shift, String prefix) {
        String key = grid + " " + ws + " " + shift;
        String known = masks.get(key);
        if (known != null) return known;
        String p = prefix + ".attn_mask";
        String nw = windowsPerAxis(grid, ws, p);
        String hpwp = g.node("Mul", p, List.of(nw, i64(ws)));
        String rows = band(g.node("Gather", p, List.of(hpwp, i64s(0)), Map.of("axis", 0L)), ws, shift, p);
        String cols = band(g.node("Gather", p, List.of(hpwp, i64s(1)), Map.of("axis", 0L)), ws, shift, p);
        String region = g.node("Add", p, List.of(g.node("Mul", p, List.of(reshape(rows, p, i64(-1, 1)), i64(3))), cols)); // [Hp, Wp]
        String split = reshape(region, p, concat(p, i64(-1, ws), slice1(nw, 1, 2, p), i64(ws)));
        String windows = g.node("Transpose", p, List.of(split), Map.of("perm", new long[] {0, 2, 1, 3})); // [nWh, nWw, ws, ws]
        int n = ws * ws;
        String eq = g.node("Equal", p, List.of(reshape(windows, p, i64(-1, 1, n, 1)), reshape(windows, p, i64(-1, 1, 1, n))));
        String mask = g.node("Where", p, List.of(eq, g.scalar("swin.mask.same", 0f), g.scalar("swin.mask.other", -100f)));
        masks.put(key, mask);
        return mask;
    }

    /** logits [B·nW, nH·N·N] + mask [nW, 1, N, N] over the logits viewed as [B, nW, nH, N, N]. */
    String addMask(String logits, String mask, String grid, int ws, int heads, String prefix) {
        String nw = windowsPerAxis(grid, ws, prefix);
        String count = g.node("Mul", prefix, List.of(slice1(nw, 0, 1, prefix), slice1(nw, 1, 2, prefix)));
        long n = (long) ws * ws;
        String view = reshape(logits, prefix, concat(prefix, i64(-1), count, i64(heads, n, n)));
        return g.node("Add", prefix, List.of(view, mask));
    }

    /** Upstream's region id along one axis of padded length {@code len} (0-d): (v ≥ len − ws) + (v ≥ len − shift). */
    private String band(String len, int ws, int shift, String prefix) {
        String v = g.node("Range", prefix, List.of(i64s(0), len, i64s(1)));
        String a = g.node("Greater", prefix, List.of(v, g.node("Sub", prefix, List.of(len, i64s(ws + 1L)))));
        String b = g.node("Greater", prefix, List.of(v, g.node("Sub", prefix, List.of(len, i64s(shift + 1L)))));
        Map<String, Object> toLong = Map.of("to", (long) OnnxProto.DataType.INT64);
        return g.node("Add", prefix, List.of(g.node("Cast", prefix, List.of(a), toLong), g.node("Cast", prefix, List.of(b), toLong)));
    }

    /** torch.roll of a [B, H, W, C] map along {@code axis} by −{@code by} ({@code by} &gt; 0: [by:] ++ [:by]) or +|by|. */
    private String roll(String x, int by, int axis, String prefix) {
        String a = g.node("Slice", prefix, List.of(x, i64(by), i64(Long.MAX_VALUE), i64(axis)));
        String b = g.node("Slice", prefix, List.of(x, i64(0), i64(by), i64(axis)));
        return g.node("Concat", prefix, List.of(a, b), Map.of("axis", (long) axis));
    }

    /** [Hp / ws, Wp / ws] of a grid [B, H, W] (int64, rank 1). */
    private String windowsPerAxis(String grid, int ws, String prefix) {
        String hw = slice1(grid, 1, 3, prefix);
        return g.node("Div", prefix, List.of(g.node("Add", prefix, List.of(hw, i64(ws - 1L))), i64(ws)));
    }

    // ------------------------------------------------------------------------------------------------ WindowMSA heads

    /** {@code qkv.reshape(B, N, 3, nH, d).permute(2, 0, 3, 1, 4)}: [B·N, 3C] → [3, B, nH, N, d]. */
    String headsOf(String qkv, int n, int heads, int d, String prefix) {
        String v = reshape(qkv, prefix, i64(-1, n, 3, heads, d));
        return g.node("Transpose", prefix, List.of(v), Map.of("perm", new long[] {2, 0, 3, 1, 4}));
    }

    /** q, k or v ({@code t} 0, 1, 2) of {@link #headsOf}: [B·nH, N, d]. */
    String head(String heads5, int n, int d, int t, String prefix) {
        return reshape(g.node("Gather", prefix, List.of(heads5, i64s(t)), Map.of("axis", 0L)), prefix, i64(-1, n, d));
    }

    /** {@code (attn @ v).transpose(1, 2).reshape(B, N, C)}: [B·nH, N, d] → [B·N, C]. */
    String headMerge(String o, int n, int heads, int d, String prefix) {
        String v = reshape(o, prefix, i64(-1, heads, n, d));
        String t = g.node("Transpose", prefix, List.of(v), Map.of("perm", new long[] {0, 2, 1, 3}));
        return reshape(t, prefix, i64(-1, (long) heads * d));
    }

    // ------------------------------------------------------------------------------------------------ PatchMerging

    /**
     * PatchMerging's AdaptivePadding('corner') and nn.Unfold(2, stride) position order: tokens [B·H·W, C] →
     * {[B·Ho·Wo, 4, C] in (ki, kj) order, the new grid [B, Ho, Wo]}.
     */
    String[] patchMergingRows(String x, String grid, int c, int stride, String prefix) {
        String hw = slice1(grid, 1, 3, prefix);
        String out = g.node("Div", prefix, List.of(g.node("Add", prefix, List.of(hw, i64(stride - 1L))), i64(stride))); // ⌈H / s⌉
        String last = g.node("Mul", prefix, List.of(g.node("Sub", prefix, List.of(out, i64(1))), i64(stride))); // (Ho − 1)·s
        String padEnd = g.node("Max", prefix, List.of(g.node("Sub", prefix, List.of(g.node("Add", prefix, List.of(last, i64(2))), hw)),
                i64(0)));
        String map = reshape(x, prefix, concat(prefix, grid, i64(c)));
        String padded = g.node("Pad", prefix, List.of(map, concat(prefix, i64(0, 0, 0, 0, 0), padEnd, i64(0))), Map.of("mode", "constant"));
        String ends = g.node("Add", prefix, List.of(last, i64(1)));
        List<String> parts = new ArrayList<>();
        for (int ki = 0; ki < 2; ki++)
            for (int kj = 0; kj < 2; kj++) {
                String s = g.node("Slice", prefix, List.of(padded, i64(ki, kj), g.node("Add", prefix, List.of(ends, i64(ki, kj))),
                        i64(1, 2), i64(stride, stride)));
                parts.add(reshape(s, prefix, i64(-1, 1, c)));
            }
        String rows = g.node("Concat", prefix, parts, Map.of("axis", 1L));
        return new String[] {rows, concat(prefix, slice1(grid, 0, 1, prefix), out)};
    }

    // ------------------------------------------------------------------------------------------------ pieces

    /** (m − v mod m) mod m of an int64 vector: the padding to the next multiple of m. */
    private String padToMultiple(String v, int m, String prefix) {
        String r = g.node("Mod", prefix, List.of(v, i64(m)), Map.of("fmod", 0L));
        return g.node("Mod", prefix, List.of(g.node("Sub", prefix, List.of(i64(m), r)), i64(m)), Map.of("fmod", 0L));
    }

    private String shape(String x, String prefix) { return g.node("Shape", prefix, List.of(x)); }

    /** v[from:to] of a rank-1 int64 value. */
    private String slice1(String v, int from, int to, String prefix) {
        return g.node("Slice", prefix, List.of(v, i64(from), i64(to), i64(0)));
    }

    private String concat(String prefix, String... parts) {
        return g.node("Concat", prefix, List.of(parts), Map.of("axis", 0L));
    }

    private String reshape(String x, String prefix, String shape) { return g.node("Reshape", prefix, List.of(x, shape)); }

    /** An int64 vector constant. */
    private String i64(long... v) {
        StringBuilder b = new StringBuilder("swin.i64");
        for (long x : v) b.append('.').append(x == Long.MAX_VALUE ? "max" : Long.toString(x));
        return g.longs(b.toString(), v, v.length);
    }

    /** An int64 scalar (0-d) constant. */
    private String i64s(long v) { return g.longs("swin.i64s." + v, new long[] {v}); }
}
