package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

import java.nio.FloatBuffer;

/**
 * 3×3 stride-1 dilation-1 convolution by Winograd F(4×4, 3×3) (Lavin and Gray, interpolation points 0, ±1, ±2, ∞):
 * 36 GEMMs of K = Cin per 4×4 output tile instead of 9 taps × 16 outputs, i.e. 4× fewer multiply-adds than the
 * direct convolution and 1.78× fewer than F(2×2, 3×3) ({@link WinogradConv}), for larger transforms and a larger
 * rounding error (the transform entries reach 8, and 1/24 in G).
 *
 * <pre>
 *      Bᵀ = | 4  0 -5  0  1  0 |     G = |  1/4     0     0 |     Aᵀ = | 1  1  1  1  1  0 |
 *           | 0 -4 -4  1  1  0 |         | -1/6  -1/6  -1/6 |          | 0  1 -1  2 -2  0 |
 *           | 0  4 -4 -1  1  0 |         | -1/6   1/6  -1/6 |          | 0  1  1  4  4  0 |
 *           | 0 -2 -1  2  1  0 |         | 1/24  1/12   1/6 |          | 0  1 -1  8 -8  1 |
 *           | 0  2 -1 -2  1  0 |         | 1/24 -1/12   1/6 |
 *           | 0  4  0 -5  0  1 |         |    0     0     1 |
 * </pre>
 *
 * Same structure as {@link WinogradConv}: {@code U = G g Gᵀ} once per call (in double, rounded once), then per
 * block of tiles (6×6 input patches at stride 4, over all images) {@code V = Bᵀ d B} into 36 native matrices
 * {@code V_k[Cin, tiles]}, 36 single-threaded sgemm calls {@code M_k = U_k · V_k}, and {@code Y = Aᵀ M A}
 * (+ bias) into the output; blocks split over the cores. Backward data is the same correlation of the output
 * gradient with the 180°-rotated, transposed kernel and padding {@code 2 − pad}.
 *
 * <p>The transform loops index every array with the loop variable alone (C2 on JDK 17 vectorises only those);
 * the stride-4 steps (splitting image rows into the 6 columns of each tile, storing the 4 output columns) are
 * plain scalar copies.
 */
final class Winograd4Conv {
    /** Target floats of a worker's larger block buffer (V or M, {@code 36 · channels · tiles}); tests lower it. */
    static volatile int blockFloats = Integer.getInteger("autoassign.wino4.blockFloats", 1 << 20);
    /** Least tiles per block and per parallel chunk: sgemm packs all of U_k per call, so narrow blocks pay for it
     *  (16 ran 256→256 at 25×38 and 512→512 at 25×38 ~20 % slower than 32; 64 left those on one core). */
    static volatile int minBlockTiles = Integer.getInteger("autoassign.wino4.minBlockTiles", 32);
    /** Floats per Java scratch row (channels × tiles of a group): 72 such rows are live during the input
     *  transform, so smaller than F(2×2)'s to stay in L2; still ≥ 4 KiB per host→native copy. */
    static volatile int groupFloats = Integer.getInteger("autoassign.wino4.groupFloats", 1024);
    /** Least input and output channels for {@link #applies}. */
    static volatile int minChannels = 32;
    /** Least sgemm FLOPs per parallel chunk (handing a chunk to a helper costs about as much); tests lower it. */
    static volatile long minChunkFlops = 4_000_000L;

    private Winograd4Conv() {}

    /** Whether this conv can run here: 3×3, stride 1, dilation 1, enough channels to pay for the transforms. */
    static boolean applies(int[] xShape, int[] wShape, ConvParams p) {
        return WinogradTiles.applies(xShape, wShape, p, minChannels);
    }

    /** out[n, cout, oh, ow] = conv(x, w) + bias; writes every element of {@code out}. */
    static void forward(float[] x, int[] xShape, float[] w, int cout, float[] bias, ConvParams p, int[] outShape,
                        float[] out) {
        F4.forward(x, xShape, w, cout, bias, p, outShape, out);
    }

    /** dx[n, cin, h, w] = conv2d_backward_input(gradOut, w); writes every element of {@code dx}. */
    static void backwardInput(float[] gradOut, int[] gShape, float[] w, int[] wShape, ConvParams p, int[] inputShape,
                              float[] dx) {
        F4.backwardInput(gradOut, gShape, w, wShape, p, inputShape, dx);
    }

    /** The shared tile driver ({@link WinogradTiles.Variant}) with this class's tuning and transforms. */
    private static final WinogradTiles.Variant<Scratch> F4 = new WinogradTiles.Variant<>(4, "wino4", () -> new WinogradTiles.Tuning(blockFloats, minBlockTiles, minChunkFlops, groupFloats),
            Winograd4Conv::transformWeights, Scratch::new, Winograd4Conv::inputBlock, Winograd4Conv::outputBlock);

    // ------------------------------------------------------------------------------------------------ weights

    /**
     * U_k for every kernel into the calling thread's {@link OffHeap#WINO_U}, as [36][rows][cols]: rows = Cout,
     * cols = Cin (forward), or rows = Cin, cols = Cout with each kernel rotated by 180° (backward data). One row of
     * kernels at a time, on whole arrays (vectorised). G is applied as integer combinations (1, 2, 4 multiples:
     * exact but for the additions' rounding) and the row and column scales (1/4, −1/6, 1/24, 1) as one product
     * per U_k, so that U is rounded about as little as in double; the double version took 4× longer (22 ms for
     * 512→512, as much as the rest of a 25×38 conv).
     */
    private static OffHeap.Buf transformWeights(float[] w, int cout, int cin, boolean backward) {
        return WinogradTiles.transformWeights(36, 1 << 13, w, cout, cin, backward, (g, cols) -> {
            float[][] q = new float[18][cols], uk = new float[36][cols];
            return () -> {
                // q[3k + x] = row k of the integer G times kernel column x; then the same on the 3 columns of each row
                for (int x = 0; x < 3; x++)
                    filterCombinations(g[x], g[3 + x], g[6 + x], cols, q[x], q[3 + x], q[6 + x], q[9 + x], q[12 + x], q[15 + x]);
                for (int k = 0; k < 6; k++)
                    filterCombinations(q[3 * k], q[3 * k + 1], q[3 * k + 2], cols,
                            uk[6 * k], uk[6 * k + 1], uk[6 * k + 2], uk[6 * k + 3], uk[6 * k + 4], uk[6 * k + 5]);
                for (int k = 0; k < 36; k++) scale(uk[k], SCALE[k], cols);
                return uk;
            };
        });
    }

    /** Row scales of G = diag(1/4, −1/6, −1/6, 1/24, 1/24, 1) · (integer rows of {@link #filterCombinations}). */
    static final double[] G_SCALE = {0.25, -1 / 6.0, -1 / 6.0, 1 / 24.0, 1 / 24.0, 1};
    /** U_k's scale, the product of its row's and column's G scale, rounded once. */
    private static final float[] SCALE = new float[36];
    static {
        for (int k = 0; k < 36; k++) SCALE[k] = (float) (G_SCALE[k / 6] * G_SCALE[k % 6]);
    }

    /** G's rows without their scales: a, a + b + c, a − b + c, a + 2b + 4c, a − 2b + 4c, c. */
    static void filterCombinations(float[] a, float[] b, float[] c, int n, float[] u0, float[] u1, float[] u2,
                                   float[] u3, float[] u4, float[] u5) {
        for (int j = 0; j < n; j++) {
            float x = a[j], y = b[j], z = c[j], s = x + z, t = x + 4f * z, y2 = 2f * y;
            u0[j] = x;
            u1[j] = s + y;
            u2[j] = s - y;
            u3[j] = t + y2;
            u4[j] = t - y2;
            u5[j] = z;
        }
    }

    private static void scale(float[] a, float f, int n) {
        for (int j = 0; j < n; j++) a[j] *= f;
    }

    // ------------------------------------------------------------------------------------------------ blocks

    /** Tiles per block: about {@link #blockFloats} floats in the larger of V and M ({@link WinogradTiles#blockTiles}). */
    static int blockTiles(int tiles, int cs, int co, int par) {
        return F4.blockTiles(tiles, cs, co, par);
    }

    static int rowStride(int bt) { return WinogradTiles.rowStride(bt); }

    /**
     * {@link WinogradTiles.Scratch} plus per Bᵀ row combination the 6 columns of every tile (p[6i + x]: column x of
     * combination i), reused for the 24 half-transformed rows of the output transform, and its 16 outputs y[4r + x].
     */
    static final class Scratch extends WinogradTiles.Scratch {
        final float[][] p, y;

        Scratch(int ld, int tw, int group) {
            super(4, ld, tw, group);
            int n = group * ld;
            p = rows(36, n);
            y = rows(16, n);
        }
    }

    /**
     * V_k[c, j] for the tiles [t0, t0 + nt) into native [36][cs][ld], a group of channels at a time (columns nt..ld
     * of a row carry whatever the scratch held; sgemm does not read them).
     */
    static void inputBlock(float[] src, WinogradTiles.Geom g, int t0, int nt, int ld, FloatBuffer v, Scratch s) {
        int cs = g.cs(), h = g.h(), w = g.w(), padH = g.padH(), padW = g.padW(), plane = h * w;
        float[][] p = s.p, t = s.t;
        for (int c0 = 0; c0 < cs; c0 += s.group) {
            int c1 = Math.min(cs, c0 + s.group), len = (c1 - c0) * ld;
            for (int c = c0; c < c1; c++) {
                int ch = c, off = (c - c0) * ld;
                WinogradTiles.segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int rowBase = (img * cs + ch) * plane, col0 = 4 * tx0 - padW, cols = 4 * (tx1 - tx0) + 2;
                    for (int r = 0; r < 6; r++) {
                        int iy = 4 * ty - padH + r;
                        WinogradTiles.loadRow(src, rowBase + iy * w, iy >= 0 && iy < h, w, col0, cols, s.rows[r]);
                    }
                    float[][] d = s.rows, e = s.c;
                    inputCombinations(d[0], d[1], d[2], d[3], d[4], d[5], cols, e[0], e[1], e[2], e[3], e[4], e[5]);
                    for (int i = 0; i < 6; i++)
                        tileColumns(e[i], tx1 - tx0, off + j0, p[6 * i], p[6 * i + 1], p[6 * i + 2], p[6 * i + 3],
                                p[6 * i + 4], p[6 * i + 5]);
                });
            }
            for (int i = 0; i < 6; i++) {
                int a = 6 * i;
                inputCombinations(p[a], p[a + 1], p[a + 2], p[a + 3], p[a + 4], p[a + 5], len,
                        t[a], t[a + 1], t[a + 2], t[a + 3], t[a + 4], t[a + 5]);
            }
            for (int k = 0; k < 36; k++) v.put((k * cs + c0) * ld, t[k], 0, len);
        }
    }

    /** Bᵀ on 6 values per index (rows of a tile, then columns), factored to 12 adds and 6 scalings. */
    static void inputCombinations(float[] d0, float[] d1, float[] d2, float[] d3, float[] d4, float[] d5, int n,
                                  float[] v0, float[] v1, float[] v2, float[] v3, float[] v4, float[] v5) {
        for (int j = 0; j < n; j++) {
            float x1 = d1[j], x2 = d2[j], x3 = d3[j], x4 = d4[j];
            float a = x4 - 4f * x2, b = x3 - 4f * x1, c = x4 - x2, e = 2f * (x3 - x1);
            v0[j] = 4f * d0[j] - 5f * x2 + x4;
            v1[j] = a + b;
            v2[j] = a - b;
            v3[j] = c + e;
            v4[j] = c - e;
            v5[j] = 4f * x1 - 5f * x3 + d5[j];
        }
    }

    /** Tile q of a segment covers columns 4q .. 4q+5 of row c: column x goes to px at j0 + q. */
    static void tileColumns(float[] c, int tiles, int j0, float[] p0, float[] p1, float[] p2, float[] p3, float[] p4,
                            float[] p5) {
        for (int q = 0; q < tiles; q++) {
            int l = 4 * q, j = j0 + q;
            p0[j] = c[l];
            p1[j] = c[l + 1];
            p2[j] = c[l + 2];
            p3[j] = c[l + 3];
            p4[j] = c[l + 4];
            p5[j] = c[l + 5];
        }
    }

    /** Y = Aᵀ M A (+ bias) of the tiles [t0, t0 + nt) from native M [36][co][ld] into dst, a group of channels at a time. */
    private static void outputBlock(FloatBuffer m, WinogradTiles.Geom g, int t0, int nt, int ld, float[] bias,
                                    float[] dst, Scratch s) {
        int co = g.co(), oh = g.oh(), ow = g.ow(), plane = oh * ow;
        float[][] t = s.t, h = s.p, y = s.y;
        for (int o0 = 0; o0 < co; o0 += s.group) {
            int o1 = Math.min(co, o0 + s.group), len = (o1 - o0) * ld;
            for (int k = 0; k < 36; k++) m.get((k * co + o0) * ld, t[k], 0, len);
            // Aᵀ down each of the 6 columns (h[6r + x]: output row r, column x), then along the 4 resulting rows
            for (int x = 0; x < 6; x++)
                outputCombinations(t[x], t[6 + x], t[12 + x], t[18 + x], t[24 + x], t[30 + x], len,
                        h[x], h[6 + x], h[12 + x], h[18 + x]);
            for (int r = 0; r < 4; r++) {
                int a = 6 * r;
                outputCombinations(h[a], h[a + 1], h[a + 2], h[a + 3], h[a + 4], h[a + 5], len,
                        y[4 * r], y[4 * r + 1], y[4 * r + 2], y[4 * r + 3]);
            }
            for (int o = o0; o < o1; o++) {
                float bv = bias == null ? 0f : bias[o];
                int ch = o, off = (o - o0) * ld;
                WinogradTiles.segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int oy = 4 * ty, base = (img * co + ch) * plane + oy * ow;
                    for (int r = 0, rows = Math.min(4, oh - oy); r < rows; r++)
                        storeRow(y[4 * r], y[4 * r + 1], y[4 * r + 2], y[4 * r + 3], off + j0, tx0, tx1, bv, dst,
                                base + r * ow, ow);
                });
            }
        }
    }

    /** Aᵀ on 6 values: m0 + s1 + s2, d1 + 2d2, s1 + 4s2, d1 + 8d2 + m5 (s1 = m1 + m2, d1 = m1 − m2, s2, d2 of m3, m4). */
    static void outputCombinations(float[] m0, float[] m1, float[] m2, float[] m3, float[] m4, float[] m5, int n,
                                   float[] y0, float[] y1, float[] y2, float[] y3) {
        for (int j = 0; j < n; j++) {
            float a = m1[j], b = m2[j], c = m3[j], d = m4[j];
            float s1 = a + b, d1 = a - b, s2 = c + d, d2 = c - d;
            y0[j] = m0[j] + s1 + s2;
            y1[j] = d1 + 2f * d2;
            y2[j] = s1 + 4f * s2;
            y3[j] = d1 + 8f * d2 + m5[j];
        }
    }

    /** One output row of tiles [tx0, tx1): column 4tx + x ← yx[j] (+ bias), dropping columns past ow. */
    static void storeRow(float[] y0, float[] y1, float[] y2, float[] y3, int j0, int tx0, int tx1, float bv,
                         float[] dst, int base, int ow) {
        int full = Math.min(tx1, ow / 4);
        for (int tx = tx0; tx < full; tx++) {
            int j = j0 + tx - tx0, o = base + 4 * tx;
            dst[o] = y0[j] + bv;
            dst[o + 1] = y1[j] + bv;
            dst[o + 2] = y2[j] + bv;
            dst[o + 3] = y3[j] + bv;
        }
        if (tx1 > full && full >= tx0) { // ow not a multiple of 4: the last tile's first ow − 4·full columns
            int j = j0 + full - tx0, o = base + 4 * full, rest = ow - 4 * full;
            dst[o] = y0[j] + bv;
            if (rest > 1) dst[o + 1] = y1[j] + bv;
            if (rest > 2) dst[o + 2] = y2[j] + bv;
        }
    }
}
