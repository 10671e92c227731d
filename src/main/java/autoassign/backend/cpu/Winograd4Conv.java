package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

import java.nio.FloatBuffer;
import java.util.Arrays;

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
        return wShape[2] == 3 && wShape[3] == 3 && p.strideH() == 1 && p.strideW() == 1 && p.dilationH() == 1
                && p.dilationW() == 1 && wShape[0] >= minChannels && wShape[1] >= minChannels
                && p.outH(xShape[2], 3) > 0 && p.outW(xShape[3], 3) > 0;
    }

    /** out[n, cout, oh, ow] = conv(x, w) + bias; writes every element of {@code out}. */
    static void forward(float[] x, int[] xShape, float[] w, int cout, float[] bias, ConvParams p, int[] outShape,
                        float[] out) {
        int cin = xShape[1];
        if (outShape[0] == 0) return;
        long t0 = OpProfile.start();
        OffHeap.Buf u = transformWeights(w, cout, cin, false);
        if (OpProfile.ENABLED) OpProfile.add("  (wall) wino4 weight transform", t0, 0);
        run(x, xShape[0], cin, xShape[2], xShape[3], u, cout, p.padH(), p.padW(), outShape[2], outShape[3], bias, out);
    }

    /** dx[n, cin, h, w] = conv2d_backward_input(gradOut, w); writes every element of {@code dx}. */
    static void backwardInput(float[] gradOut, int[] gShape, float[] w, int[] wShape, ConvParams p, int[] inputShape,
                              float[] dx) {
        int cout = wShape[0], cin = wShape[1];
        if (inputShape[0] == 0) return;
        long t0 = OpProfile.start();
        OffHeap.Buf u = transformWeights(w, cout, cin, true);
        if (OpProfile.ENABLED) OpProfile.add("  (wall) wino4 weight transform", t0, 0);
        run(gradOut, gShape[0], cout, gShape[2], gShape[3], u, cin, 2 - p.padH(), 2 - p.padW(), inputShape[2],
                inputShape[3], null, dx);
    }

    // ------------------------------------------------------------------------------------------------ weights

    /**
     * U_k for every kernel into the calling thread's {@link OffHeap#WINO4_U}, as [36][rows][cols]: rows = Cout,
     * cols = Cin (forward), or rows = Cin, cols = Cout with each kernel rotated by 180° (backward data). One row of
     * kernels at a time, on whole arrays (vectorised). G is applied as integer combinations (1, 2, 4 multiples:
     * exact but for the additions' rounding) and the row and column scales (1/4, −1/6, 1/24, 1) as one product
     * per U_k, so that U is rounded about as little as in double; the double version took 4× longer (22 ms for
     * 512→512, as much as the rest of a 25×38 conv).
     */
    private static OffHeap.Buf transformWeights(float[] w, int cout, int cin, boolean backward) {
        int rows = backward ? cin : cout, cols = backward ? cout : cin;
        OffHeap.Buf u = OffHeap.get(OffHeap.WINO4_U, 36L * rows * cols);
        FloatBuffer fb = u.buf();
        Parallel.range(rows, Math.max(1, (1 << 13) / cols), (r0, r1) -> {
            float[][] g = new float[9][cols], q = new float[18][cols], uk = new float[36][cols];
            for (int r = r0; r < r1; r++) {
                if (backward) {
                    for (int c = 0; c < cols; c++)
                        for (int i = 0, base = (c * cin + r) * 9 + 8; i < 9; i++) g[i][c] = w[base - i];
                } else {
                    for (int c = 0; c < cols; c++)
                        for (int i = 0, base = (r * cin + c) * 9; i < 9; i++) g[i][c] = w[base + i];
                }
                // q[3k + x] = row k of the integer G times kernel column x; then the same on the 3 columns of each row
                for (int x = 0; x < 3; x++)
                    filterCombinations(g[x], g[3 + x], g[6 + x], cols, q[x], q[3 + x], q[6 + x], q[9 + x], q[12 + x], q[15 + x]);
                for (int k = 0; k < 6; k++)
                    filterCombinations(q[3 * k], q[3 * k + 1], q[3 * k + 2], cols,
                            uk[6 * k], uk[6 * k + 1], uk[6 * k + 2], uk[6 * k + 3], uk[6 * k + 4], uk[6 * k + 5]);
                for (int k = 0; k < 36; k++) {
                    scale(uk[k], SCALE[k], cols);
                    fb.put((k * rows + r) * cols, uk[k], 0, cols);
                }
            }
        });
        return u;
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

    /** Geometry of one call: src [n, cs, h, w] → dst [n, co, oh, ow], tiles th × tw per image. */
    record Geom(int n, int cs, int h, int w, int co, int padH, int padW, int oh, int ow, int th, int tw) {
        int tilesPerImage() { return th * tw; }
    }

    /**
     * Tiles per block: about {@link #blockFloats} floats in the larger of V and M, evened out over the blocks, and
     * at least {@code par} blocks (a multiple of {@code par} while there are few) so that every chunk gets work.
     */
    static int blockTiles(int tiles, int cs, int co, int par) {
        int bt = Math.max(minBlockTiles, blockFloats / (36 * Math.max(cs, co)));
        int blocks = (tiles + bt - 1) / bt;
        if (par > 1 && blocks < 8 * par) blocks = (blocks + par - 1) / par * par;
        blocks = Math.max(1, Math.min(blocks, tiles));
        return (tiles + blocks - 1) / blocks;
    }

    /** Row length of V and M: a multiple of 16 floats (cache-line rows) but not of 256 (the K rows sgemm reads
     *  would share cache sets: 1024-float rows halved F(2×2)'s sgemm speed). */
    static int rowStride(int bt) {
        int ld = (bt + 15) & ~15;
        return ld % 256 == 0 ? ld + 16 : ld;
    }

    /** Chunks worth running in parallel: each with at least {@link #minChunkFlops} and {@link #minBlockTiles}. */
    private static int parallelChunks(int tiles, int cs, int co) {
        long perTile = 72L * cs * co;
        return Parallel.chunkCount(tiles, (int) Math.max(minBlockTiles, Math.min(tiles, minChunkFlops / perTile)));
    }

    private static void run(float[] src, int n, int cs, int h, int w, OffHeap.Buf u, int co, int padH, int padW,
                            int oh, int ow, float[] bias, float[] dst) {
        int th = (oh + 3) / 4, tw = (ow + 3) / 4;
        Geom g = new Geom(n, cs, h, w, co, padH, padW, oh, ow, th, tw);
        int tiles = Math.toIntExact((long) n * th * tw);
        if (tiles == 0) return;
        int par = parallelChunks(tiles, cs, co), bt = blockTiles(tiles, cs, co, par), blocks = (tiles + bt - 1) / bt;
        int ld = rowStride(bt);
        Parallel.range(blocks, Math.max(1, blocks / Math.max(1, par)), (b0, b1) -> {
            OffHeap.Buf v = OffHeap.get(OffHeap.WINO4_V, 36L * cs * ld);
            OffHeap.Buf m = OffHeap.get(OffHeap.WINO4_M, 36L * co * ld);
            Scratch s = new Scratch(ld, tw, Math.max(1, Math.min(Math.max(cs, co), groupFloats / ld)));
            for (int b = b0; b < b1; b++) {
                int t0 = b * bt, nt = Math.min(bt, tiles - t0);
                long c0 = OpProfile.start();
                inputBlock(src, g, t0, nt, ld, v.buf(), s);
                long c1 = OpProfile.start();
                for (int k = 0; k < 36; k++)
                    Blas.sgemm(false, false, co, nt, cs, 1f, u.ptr(), (long) k * co * cs, cs, v.ptr(), (long) k * cs * ld,
                            ld, 0f, m.ptr(), (long) k * co * ld, ld);
                long c2 = OpProfile.start();
                outputBlock(m.buf(), g, t0, nt, ld, bias, dst, s);
                if (OpProfile.ENABLED) {
                    OpProfile.addSpan("  (thread time) wino4 input transform", c0, c1, 0);
                    OpProfile.addSpan("  (thread time) wino4 sgemm", c1, c2, 72L * co * cs * nt);
                    OpProfile.add("  (thread time) wino4 output transform", c2, 0);
                }
            }
        });
    }

    /**
     * One worker's Java scratch for a group of {@code group} channels (channel c at offset c·ld): 36 rows of V (or
     * M); 6 padded input rows and their Bᵀ combinations; per combination the 6 columns of every tile (p[6i + x]:
     * column x of combination i); the 24 half-transformed rows (in p) and the 16 outputs y[4r + x] of the output
     * transform.
     */
    static final class Scratch {
        final int group;
        final float[][] t = new float[36][], rows = new float[6][], c = new float[6][], p = new float[36][],
                y = new float[16][];

        Scratch(int ld, int tw, int group) {
            this.group = group;
            int n = group * ld;
            for (int k = 0; k < 36; k++) {
                t[k] = new float[n];
                p[k] = new float[n];
            }
            for (int r = 0; r < 6; r++) {
                rows[r] = new float[4 * tw + 2];
                c[r] = new float[4 * tw + 2];
            }
            for (int k = 0; k < 16; k++) y[k] = new float[n];
        }
    }

    /**
     * Calls {@code seg.run(img, ty, tx0, tx1, j0)} for each row segment of tiles [t0, t0 + nt): image img, tile
     * row ty, tile columns [tx0, tx1), the first at index j0 of the block.
     */
    static void segments(Geom g, int t0, int nt, Segment seg) {
        int per = g.tilesPerImage();
        for (int t = t0, end = t0 + nt; t < end; ) {
            int img = t / per, rem = t - img * per, ty = rem / g.tw, tx0 = rem - ty * g.tw;
            int tx1 = Math.min(g.tw, tx0 + (end - t));
            seg.run(img, ty, tx0, tx1, t - t0);
            t += tx1 - tx0;
        }
    }

    interface Segment { void run(int img, int ty, int tx0, int tx1, int j0); }

    /**
     * V_k[c, j] for the tiles [t0, t0 + nt) into native [36][cs][ld], a group of channels at a time (columns nt..ld
     * of a row carry whatever the scratch held; sgemm does not read them).
     */
    static void inputBlock(float[] src, Geom g, int t0, int nt, int ld, FloatBuffer v, Scratch s) {
        int plane = g.h * g.w;
        float[][] p = s.p, t = s.t;
        for (int c0 = 0; c0 < g.cs; c0 += s.group) {
            int c1 = Math.min(g.cs, c0 + s.group), len = (c1 - c0) * ld;
            for (int c = c0; c < c1; c++) {
                int ch = c, off = (c - c0) * ld;
                segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int rowBase = (img * g.cs + ch) * plane, col0 = 4 * tx0 - g.padW, cols = 4 * (tx1 - tx0) + 2;
                    for (int r = 0; r < 6; r++) {
                        int iy = 4 * ty - g.padH + r;
                        loadRow(src, rowBase + iy * g.w, iy >= 0 && iy < g.h, g.w, col0, cols, s.rows[r]);
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
            for (int k = 0; k < 36; k++) v.put((k * g.cs + c0) * ld, t[k], 0, len);
        }
    }

    /** row[l] = src[rowBase + col0 + l] for l in [0, len), zero outside the image (or everywhere if !inside). */
    static void loadRow(float[] src, int rowBase, boolean inside, int w, int col0, int len, float[] row) {
        int lo = Math.max(0, -col0), hi = Math.min(len, w - col0);
        if (!inside || hi <= lo) {
            Arrays.fill(row, 0, len, 0f);
            return;
        }
        if (lo > 0) Arrays.fill(row, 0, lo, 0f);
        System.arraycopy(src, rowBase + col0 + lo, row, lo, hi - lo);
        if (hi < len) Arrays.fill(row, hi, len, 0f);
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
    private static void outputBlock(FloatBuffer m, Geom g, int t0, int nt, int ld, float[] bias, float[] dst, Scratch s) {
        int plane = g.oh * g.ow;
        float[][] t = s.t, h = s.p, y = s.y;
        for (int o0 = 0; o0 < g.co; o0 += s.group) {
            int o1 = Math.min(g.co, o0 + s.group), len = (o1 - o0) * ld;
            for (int k = 0; k < 36; k++) m.get((k * g.co + o0) * ld, t[k], 0, len);
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
                segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int oy = 4 * ty, base = (img * g.co + ch) * plane + oy * g.ow;
                    for (int r = 0, rows = Math.min(4, g.oh - oy); r < rows; r++)
                        storeRow(y[4 * r], y[4 * r + 1], y[4 * r + 2], y[4 * r + 3], off + j0, tx0, tx1, bv, dst,
                                base + r * g.ow, g.ow);
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
