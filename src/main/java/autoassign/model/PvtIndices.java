package autoassign.model;

import autoassign.backend.GatherIndex;

import java.util.function.Supplier;

/**
 * The {@link GatherIndex} gathers of MMDetection's PVT attention (torch's {@code F.multi_head_attention_forward} on
 * token rows [B·L, C] in torch's [B, L, C] order): slices of the packed {@code in_proj_weight} / {@code in_proj_bias}
 * and the head split / merge. Whole rows of {@code d} (or C) channels, never element-wise. Built once per shape and
 * shared by every layer in an {@link IndexCache} of 16 M elements (a training run sees a few input
 * shapes; an index keeps its identity, so the CUDA backend's device copies stay valid).
 */
final class PvtIndices {
    private PvtIndices() {}

    /** A few input shapes of a full-size PVT (each index is at most a few ten thousand rows). */
    private static final IndexCache CACHE = new IndexCache(16L << 20);

    private static GatherIndex cached(String key, Supplier<GatherIndex> build) { return CACHE.get(key, build); }

    /**
     * Rows [from, from + count) of a [rows, block] matrix: {@code w.split([E, 2E])} of the packed in-projection
     * ({@code in_proj_weight} [3C, C] with block C, {@code in_proj_bias} [3C] viewed [3, C]).
     */
    static GatherIndex rowSlice(int rows, int block, int from, int count, int... outShape) {
        return cached("slice " + rows + " " + block + " " + from + " " + count + " " + java.util.Arrays.toString(outShape), () -> {
            int[] r = new int[count];
            for (int i = 0; i < count; i++) r[i] = from + i;
            return new GatherIndex(r, block, rows, outShape);
        });
    }

    /**
     * The head split of a projection [B·L, parts·C] (parts 1: q; 2: the kv projection, whose first C columns are k and
     * last C are v, torch's {@code chunk(2, dim=-1)}) to [B·nH, L, d] for part t:
     * {@code x.view(L, B·nH, d).transpose(0, 1)} in torch's sequence-first layout.
     */
    static GatherIndex headSplit(int batch, int len, int heads, int d, int parts, int t) {
        return cached("split " + batch + " " + len + " " + heads + " " + d + " " + parts + " " + t, () -> {
            int[] rows = new int[batch * heads * len];
            int k = 0;
            for (int b = 0; b < batch; b++)
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < len; i++) rows[k++] = ((b * len + i) * parts + t) * heads + h;
            return new GatherIndex(rows, d, batch * len * parts * heads, batch * heads, len, d);
        });
    }

    /** {@code attn_output.transpose(0, 1).contiguous().view(L·B, C)}: [B·nH, L, d] → [B·L, C] (rows of d). */
    static GatherIndex headMerge(int batch, int len, int heads, int d) {
        return cached("merge " + batch + " " + len + " " + heads + " " + d, () -> {
            int[] rows = new int[batch * len * heads];
            int k = 0;
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < len; i++)
                    for (int h = 0; h < heads; h++) rows[k++] = (b * heads + h) * len + i;
            return new GatherIndex(rows, d, batch * heads * len, batch * len, heads * d);
        });
    }

    /** The position embedding [L, C] repeated for each of B samples: [B·L, C] (x + pos_embed's broadcast). */
    static GatherIndex repeatRows(int batch, int len, int c) {
        return cached("repeat " + batch + " " + len + " " + c, () -> {
            int[] rows = new int[batch * len];
            for (int i = 0; i < rows.length; i++) rows[i] = i % len;
            return new GatherIndex(rows, c, len, batch * len, c);
        });
    }
}
