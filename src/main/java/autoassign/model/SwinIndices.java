package autoassign.model;

import autoassign.backend.GatherIndex;

import java.util.function.Supplier;

/**
 * The {@link GatherIndex} gathers of MMDetection's Swin Transformer ({@code mmdet/models/backbones/swin.py}) and the
 * constants of its window attention, built once per shape and kept in an LRU cache bounded by size (a training run
 * sees a few input shapes; multi-scale training rebuilds the rare ones). Tokens are rows [B·H·W, C] in torch's [B, L, C] order
 * (L = y·W + x).
 */
public final class SwinIndices {
    private SwinIndices() {}

    /** About 384 MB of elements, a few input shapes of a full-size Swin-T. */
    private static final IndexCache CACHE = new IndexCache(96L << 20);

    private static <T> T cached(String key, Supplier<T> build) { return CACHE.get(key, build); }

    /** AdaptivePadding('corner')'s padded size of one axis: ceil(in / stride) windows of {@code kernel}. */
    public static int cornerPadded(int in, int kernel, int stride) {
        int out = (in + stride - 1) / stride;
        return Math.max((out - 1) * stride + kernel, in);
    }

    /**
     * PatchEmbed's AdaptivePadding: F.pad(x, [0, pw, 0, ph]) of an NCHW image, element-wise (zeros bottom / right).
     */
    public static GatherIndex padImage(int n, int c, int h, int w, int hp, int wp) {
        return cached("padImage " + n + " " + c + " " + h + " " + w + " " + hp + " " + wp, () -> {
            int[] rows = new int[n * c * hp * wp];
            int i = 0;
            for (int p = 0; p < n * c; p++)
                for (int y = 0; y < hp; y++)
                    for (int x = 0; x < wp; x++) rows[i++] = y < h && x < w ? (p * h + y) * w + x : -1;
            return new GatherIndex(rows, 1, n * c * h * w, n, c, hp, wp);
        });
    }

    /**
     * ShiftWindowMSA's F.pad to multiples of the window, torch.roll by −shift and window_partition in one gather:
     * tokens [B·H·W, C] → windows [B·nWh·nWw·ws·ws, C], window (b, wy, wx) position (i, j) reading the token at
     * ((wy·ws + i + shift) mod Hp, (wx·ws + j + shift) mod Wp), zeros where that lies in the padding.
     */
    public static GatherIndex windowPartition(int b, int h, int w, int c, int ws, int shift) {
        return cached("windowPartition " + b + " " + h + " " + w + " " + c + " " + ws + " " + shift, () -> {
            int hp = padTo(h, ws), wp = padTo(w, ws), nwh = hp / ws, nww = wp / ws;
            int[] rows = new int[b * hp * wp];
            int k = 0;
            for (int n = 0; n < b; n++)
                for (int wy = 0; wy < nwh; wy++)
                    for (int wx = 0; wx < nww; wx++)
                        for (int i = 0; i < ws; i++)
                            for (int j = 0; j < ws; j++) {
                                int y = (wy * ws + i + shift) % hp, x = (wx * ws + j + shift) % wp;
                                rows[k++] = y < h && x < w ? (n * h + y) * w + x : -1;
                            }
            return new GatherIndex(rows, c, b * h * w, b * hp * wp, c);
        });
    }

    /**
     * window_reverse, torch.roll by +shift and the crop {@code x[:, :H, :W, :]}: windows [B·nW·ws·ws, C] → tokens
     * [B·H·W, C], the token at (y, x) reading window position ((y − shift) mod Hp, (x − shift) mod Wp).
     */
    public static GatherIndex windowReverse(int b, int h, int w, int c, int ws, int shift) {
        return cached("windowReverse " + b + " " + h + " " + w + " " + c + " " + ws + " " + shift, () -> {
            int hp = padTo(h, ws), wp = padTo(w, ws), nww = wp / ws;
            int[] rows = new int[b * h * w];
            int k = 0;
            for (int n = 0; n < b; n++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) {
                        int ys = Math.floorMod(y - shift, hp), xs = Math.floorMod(x - shift, wp);
                        int win = (n * (hp / ws) + ys / ws) * nww + xs / ws;
                        rows[k++] = (win * ws + ys % ws) * ws + xs % ws;
                    }
            return new GatherIndex(rows, c, b * hp * wp, b * h * w, c);
        });
    }

    /**
     * WindowMSA's head split {@code qkv.reshape(B, N, 3, nH, d).permute(2, 0, 3, 1, 4)[t]}: rows of d from
     * qkv [B·N, 3C] to [B·nH, N, d] for t = 0 (q), 1 (k), 2 (v).
     */
    public static GatherIndex headSplit(int batch, int n, int heads, int d, int t) {
        return cached("headSplit " + batch + " " + n + " " + heads + " " + d + " " + t, () -> {
            int[] rows = new int[batch * heads * n];
            int k = 0;
            for (int b = 0; b < batch; b++)
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < n; i++) rows[k++] = ((b * n + i) * 3 + t) * heads + h;
            return new GatherIndex(rows, d, batch * n * 3 * heads, batch * heads, n, d);
        });
    }

    /** {@code (attn @ v).transpose(1, 2).reshape(B, N, C)}: rows of d from [B·nH, N, d] to [B·N, C]. */
    public static GatherIndex headMerge(int batch, int n, int heads, int d) {
        return cached("headMerge " + batch + " " + n + " " + heads + " " + d, () -> {
            int[] rows = new int[batch * n * heads];
            int k = 0;
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < n; i++)
                    for (int h = 0; h < heads; h++) rows[k++] = (b * heads + h) * n + i;
            return new GatherIndex(rows, d, batch * heads * n, batch * n, heads * d);
        });
    }

    /**
     * WindowMSA's {@code relative_position_index} buffer ([N, N], N = ws²): double_step_seq(2·ws − 1, ws, 1, ws),
     * plus its transpose, flipped along the last axis.
     */
    public static int[] relativePositionIndex(int ws) {
        int n = ws * ws;
        int[] seq = new int[n];
        for (int a = 0; a < ws; a++)
            for (int b = 0; b < ws; b++) seq[a * ws + b] = a * (2 * ws - 1) + b;
        int[] idx = new int[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) idx[i * n + j] = seq[i] + seq[n - 1 - j]; // (seq + seqᵀ).flip(1)
        return idx;
    }

    /** The rows of a [rows, c] tensor repeated {@code times} over a leading axis (torch's broadcast of [1, L, C] over B). */
    public static GatherIndex repeatRows(int times, int rows, int c) {
        return cached("repeatRows " + times + " " + rows + " " + c, () -> {
            int[] r = new int[times * rows];
            for (int i = 0; i < r.length; i++) r[i] = i % rows;
            return new GatherIndex(r, c, rows, times * rows, c);
        });
    }

    /**
     * {@code table[index.view(-1)].view(N, N, nH).permute(2, 0, 1)}: element-wise from the table
     * [(2ws−1)², nH] to the bias [nH, N, N] (rows read many times: the backward adds them up).
     */
    public static GatherIndex relativeBias(int ws, int heads) {
        return cached("relativeBias " + ws + " " + heads, () -> {
            int n = ws * ws, len = (2 * ws - 1) * (2 * ws - 1);
            int[] rel = relativePositionIndex(ws);
            int[] rows = new int[heads * n * n];
            for (int h = 0; h < heads; h++)
                for (int p = 0; p < n * n; p++) rows[h * n * n + p] = rel[p] * heads + h;
            return new GatherIndex(rows, 1, len * heads, heads, n, n);
        });
    }

    /**
     * The shifted windows' attention mask, upstream's {@code img_mask} regions (slices (0, −ws), (−ws, −shift),
     * (−shift, None) per axis) partitioned into windows: −100 between tokens of different regions, else 0; repeated
     * over the heads as the logits are laid out, [nW·nH·N·N] (host values).
     */
    public static float[] shiftMask(int hp, int wp, int ws, int shift, int heads) {
        return cached("shiftMask " + hp + " " + wp + " " + ws + " " + shift + " " + heads, () -> {
            int[] region = new int[hp * wp];
            for (int y = 0; y < hp; y++)
                for (int x = 0; x < wp; x++) region[y * wp + x] = band(y, hp, ws, shift) * 3 + band(x, wp, ws, shift);
            int nwh = hp / ws, nww = wp / ws, n = ws * ws;
            float[] m = new float[nwh * nww * heads * n * n];
            int k = 0;
            for (int wy = 0; wy < nwh; wy++)
                for (int wx = 0; wx < nww; wx++) {
                    int[] r = new int[n];
                    for (int i = 0; i < ws; i++)
                        for (int j = 0; j < ws; j++) r[i * ws + j] = region[(wy * ws + i) * wp + wx * ws + j];
                    for (int h = 0; h < heads; h++)
                        for (int i = 0; i < n; i++)
                            for (int j = 0; j < n; j++) m[k++] = r[j] - r[i] != 0 ? -100f : 0f;
                }
            return m;
        });
    }

    /** Which of the three slices of one axis of length {@code len} holds {@code v}. */
    private static int band(int v, int len, int ws, int shift) {
        if (v < len - ws) return 0;
        return v < len - shift ? 1 : 2;
    }

    /**
     * PatchMerging's AdaptivePadding('corner') to cover 2×2 windows at {@code stride} and nn.Unfold(2, stride), as a
     * gather of whole tokens: tokens [B·H·W, C] → [B·Ho·Wo·4, C], output token (n, oy, ox) position ki·2 + kj reading
     * the token at (oy·stride + ki, ox·stride + kj), zeros where that lies in the padding. Transposing each [4, C] to
     * [C, 4] ({@code SequenceOps.transpose2d}) gives Unfold's channel order c·4 + (ki·2 + kj).
     */
    public static GatherIndex patchMergingRows(int b, int h, int w, int c, int stride) {
        return cached("patchMergingRows " + b + " " + h + " " + w + " " + c + " " + stride, () -> {
            int[] o = mergedSize(h, w, stride);
            int ho = o[0], wo = o[1];
            int[] rows = new int[b * ho * wo * 4];
            int k = 0;
            for (int n = 0; n < b; n++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++)
                        for (int ki = 0; ki < 2; ki++)
                            for (int kj = 0; kj < 2; kj++) {
                                int y = oy * stride + ki, x = ox * stride + kj;
                                rows[k++] = y < h && x < w ? (n * h + y) * w + x : -1;
                            }
            return new GatherIndex(rows, c, b * h * w, b * ho * wo * 4, c);
        });
    }

    /** PatchMerging's output size (Ho, Wo) for an H × W input. */
    public static int[] mergedSize(int h, int w, int stride) {
        int hp = cornerPadded(h, 2, stride), wp = cornerPadded(w, 2, stride);
        return new int[] {(hp - 2) / stride + 1, (wp - 2) / stride + 1};
    }

    public static int padTo(int v, int ws) { return (v + ws - 1) / ws * ws; }
}
