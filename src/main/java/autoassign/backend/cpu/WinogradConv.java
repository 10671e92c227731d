package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

import java.nio.FloatBuffer;

/**
 * 3×3 stride-1 dilation-1 convolution by Winograd F(2×2, 3×3): 16 GEMMs of K = Cin per 2×2 output tile instead
 * of 9 taps × 4 outputs, i.e. 2.25× fewer multiply-adds than the direct (shifted-GEMM) convolution.
 *
 * <ul>
 * <li>weights, once per call: {@code U = G g Gᵀ} for every [Cout, Cin] kernel, stored as 16 native matrices
 *     {@code U_k[Cout, Cin]};</li>
 * <li>per block of tiles (4×4 input patches at stride 2, over all images): {@code V = Bᵀ d B} into 16 native
 *     matrices {@code V_k[Cin, tiles]}, then 16 single-threaded sgemm calls {@code M_k = U_k · V_k}, then
 *     {@code Y = Aᵀ M A} (+ bias) into the output. Blocks are split over the cores ({@link Parallel}), each worker
 *     with its own V and M buffers ({@link OffHeap}).</li>
 * </ul>
 * Backward data of a stride-1 conv is the same correlation of the output gradient with the 180°-rotated,
 * Cin/Cout-transposed kernel and padding {@code 2 − pad}, so it reuses the same routine on transformed weights.
 *
 * <p>The transforms work on whole blocks of tiles at a time so that their inner loops run over contiguous arrays
 * (which the JIT vectorises); see the note above {@code inputBlock}.
 */
final class WinogradConv {
    /** Target floats of a worker's larger block buffer (V or M, {@code 16 · channels · tiles}); tests lower it. */
    static volatile int blockFloats = Integer.getInteger("autoassign.wino.blockFloats", 1 << 19);
    static final int MIN_BLOCK_TILES = 16;
    /** Floats per Java scratch row: channels are transformed in groups of about this many (channels × tiles) values,
     *  so that each copy to or from native memory moves 8 KiB (a bulk FloatBuffer copy costs tens of ns per call). */
    static volatile int groupFloats = 2048;
    /**
     * Least input and output channels for {@link #applies}. The transforms cost per tile and channel, the saved
     * multiply-adds per tile and channel pair: measured (2 threads), 32→32 and up ran 1.0–1.9× faster than the
     * direct path, 16→16 0.7–1.2×, 256→4 at 25×38 and 256→1 0.2–0.6×. Map size does not matter (256→256 at 1×1
     * still gains).
     */
    static volatile int minChannels = 32;
    /** Least sgemm FLOPs per parallel chunk (handing a chunk to a helper costs about as much); tests lower it. */
    static volatile long minChunkFlops = 4_000_000L;

    private WinogradConv() {}

    /** Whether this conv runs here: 3×3, stride 1, dilation 1, enough channels to pay for the transforms. */
    static boolean applies(int[] xShape, int[] wShape, ConvParams p) {
        return WinogradTiles.applies(xShape, wShape, p, minChannels);
    }

    /** out[n, cout, oh, ow] = conv(x, w) + bias; writes every element of {@code out}. */
    static void forward(float[] x, int[] xShape, float[] w, int cout, float[] bias, ConvParams p, int[] outShape,
                        float[] out) {
        F2.forward(x, xShape, w, cout, bias, p, outShape, out);
    }

    /** dx[n, cin, h, w] = conv2d_backward_input(gradOut, w); writes every element of {@code dx}. */
    static void backwardInput(float[] gradOut, int[] gShape, float[] w, int[] wShape, ConvParams p, int[] inputShape,
                              float[] dx) {
        F2.backwardInput(gradOut, gShape, w, wShape, p, inputShape, dx);
    }

    /** The shared tile driver ({@link WinogradTiles.Variant}) with this class's tuning and transforms. */
    private static final WinogradTiles.Variant<Scratch> F2 = new WinogradTiles.Variant<>(2, "wino", () -> new WinogradTiles.Tuning(blockFloats, MIN_BLOCK_TILES, minChunkFlops, groupFloats),
            WinogradConv::transformWeights, Scratch::new, WinogradConv::inputBlock, WinogradConv::outputBlock);

    // ------------------------------------------------------------------------------------------------ weights

    /**
     * U_k for every kernel into the calling thread's {@link OffHeap#WINO_U}, as [16][rows][cols]: rows = Cout,
     * cols = Cin (forward), or rows = Cin, cols = Cout with each kernel rotated by 180° (backward data). One row of
     * kernels at a time: its 9 taps are split into 9 arrays, and G g Gᵀ runs on whole arrays (vectorised).
     */
    private static OffHeap.Buf transformWeights(float[] w, int cout, int cin, boolean backward) {
        return WinogradTiles.transformWeights(16, 1 << 14, w, cout, cin, backward, (g, cols) -> {
            float[][] q1 = new float[3][cols], q2 = new float[3][cols];
            float[][] u1 = new float[4][cols], u2 = new float[4][cols], out = new float[16][];
            // the 4 rows of G g, each as its 3 columns; rows 0 and 3 are kernel rows 0 and 2
            float[][][] q = {{g[0], g[1], g[2]}, q1, q2, {g[6], g[7], g[8]}};
            for (int y = 0; y < 4; y++) {
                out[4 * y] = q[y][0];
                out[4 * y + 1] = u1[y];
                out[4 * y + 2] = u2[y];
                out[4 * y + 3] = q[y][2];
            }
            return () -> {
                // G g (middle rows; per kernel column), then the same combinations on the columns of each row
                for (int x = 0; x < 3; x++) halfSums(g[x], g[3 + x], g[6 + x], cols, q1[x], q2[x]);
                for (int y = 0; y < 4; y++) halfSums(q[y][0], q[y][1], q[y][2], cols, u1[y], u2[y]);
                return out;
            };
        });
    }

    /** s[j] = (a[j] + b[j] + c[j]) / 2, d[j] = (a[j] − b[j] + c[j]) / 2: the middle rows of G. */
    static void halfSums(float[] a, float[] b, float[] c, int n, float[] s, float[] d) {
        for (int j = 0; j < n; j++) {
            s[j] = 0.5f * (a[j] + b[j] + c[j]);
            d[j] = 0.5f * (a[j] - b[j] + c[j]);
        }
    }

    // ------------------------------------------------------------------------------------------------ blocks

    /** Tiles per block: about {@link #blockFloats} floats in the larger of V and M ({@link WinogradTiles#blockTiles}). */
    static int blockTiles(int tiles, int cs, int co, int par) {
        return F2.blockTiles(tiles, cs, co, par);
    }

    static int rowStride(int bt) { return WinogradTiles.rowStride(bt); }

    /**
     * {@link WinogradTiles.Scratch} plus, per Bᵀ row combination, the 4 columns of every tile (e, o, en, on: columns
     * 0..3), and the 8 half-transformed rows and 4 output rows of the output transform.
     */
    static final class Scratch extends WinogradTiles.Scratch {
        final float[][] e, o, en, on, h, y;

        Scratch(int ld, int tw, int group) {
            super(2, ld, tw, group);
            int n = group * ld;
            e = rows(4, n + 1);
            o = rows(4, n + 1);
            en = rows(4, n);
            on = rows(4, n);
            h = rows(8, n);
            y = rows(4, n);
        }
    }

    /*
     * The arithmetic loops below index every array with the loop variable alone: C2 (JDK 17) left loops such as
     * a[j] = b[j] - c[j + 1] or a[j0 + j] = ... scalar (measured 4× slower). The one stride-2 step, splitting the
     * columns into the 4 columns of each tile, is a plain scalar copy.
     */

    /**
     * V_k[c, j] for the tiles [t0, t0 + nt) into native [16][cs][ld], a group of channels at a time (columns nt..ld
     * of a row carry whatever the scratch held; sgemm does not read them).
     */
    static void inputBlock(float[] src, WinogradTiles.Geom g, int t0, int nt, int ld, FloatBuffer v, Scratch s) {
        int cs = g.cs(), h = g.h(), w = g.w(), padH = g.padH(), padW = g.padW(), plane = h * w;
        for (int c0 = 0; c0 < cs; c0 += s.group) {
            int c1 = Math.min(cs, c0 + s.group), len = (c1 - c0) * ld;
            for (int c = c0; c < c1; c++) {
                int ch = c, off = (c - c0) * ld;
                WinogradTiles.segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int rowBase = (img * cs + ch) * plane, col0 = 2 * tx0 - padW, cols = 2 * (tx1 - tx0) + 2;
                    for (int r = 0; r < 4; r++) {
                        int iy = 2 * ty - padH + r;
                        WinogradTiles.loadRow(src, rowBase + iy * w, iy >= 0 && iy < h, w, col0, cols, s.rows[r]);
                    }
                    inputCombinations(s.rows[0], s.rows[1], s.rows[2], s.rows[3], cols, s.c[0], s.c[1], s.c[2], s.c[3]);
                    for (int i = 0; i < 4; i++) tileColumns(s.c[i], tx1 - tx0, off + j0, s.e[i], s.o[i], s.en[i], s.on[i]);
                });
            }
            for (int i = 0; i < 4; i++)
                inputCombinations(s.e[i], s.o[i], s.en[i], s.on[i], len, s.t[4 * i], s.t[4 * i + 1], s.t[4 * i + 2], s.t[4 * i + 3]);
            for (int k = 0; k < 16; k++) v.put((k * cs + c0) * ld, s.t[k], 0, len);
        }
    }

    /**
     * Bᵀ on 4 values per index: d0 − d2, d1 + d2, d2 − d1, d1 − d3. Used on the 4 input rows (per column), then on
     * each tile's 4 columns (e, o, en, on).
     */
    static void inputCombinations(float[] d0, float[] d1, float[] d2, float[] d3, int n,
                                  float[] v0, float[] v1, float[] v2, float[] v3) {
        for (int j = 0; j < n; j++) {
            float a = d1[j], b = d2[j];
            v0[j] = d0[j] - b;
            v1[j] = a + b;
            v2[j] = b - a;
            v3[j] = a - d3[j];
        }
    }

    /**
     * Tile p of a segment covers columns 2p .. 2p+3 of row c: columns 2p, 2p+1 go to e, o at j0 + p, and columns
     * 2p+2, 2p+3 (the next tile's first two) to en, on at j0 + p, copied from e, o shifted by one.
     */
    static void tileColumns(float[] c, int tiles, int j0, float[] e, float[] o, float[] en, float[] on) {
        for (int p = 0; p <= tiles; p++) {
            e[j0 + p] = c[2 * p];
            o[j0 + p] = c[2 * p + 1];
        }
        System.arraycopy(e, j0 + 1, en, j0, tiles);
        System.arraycopy(o, j0 + 1, on, j0, tiles);
    }

    /** Y = Aᵀ M A (+ bias) of the tiles [t0, t0 + nt) from native M [16][co][ld] into dst, a group of channels at a time. */
    private static void outputBlock(FloatBuffer m, WinogradTiles.Geom g, int t0, int nt, int ld, float[] bias,
                                    float[] dst, Scratch s) {
        int co = g.co(), oh = g.oh(), ow = g.ow(), plane = oh * ow;
        float[][] t = s.t, h = s.h, y = s.y;
        for (int o0 = 0; o0 < co; o0 += s.group) {
            int o1 = Math.min(co, o0 + s.group), len = (o1 - o0) * ld;
            for (int k = 0; k < 16; k++) m.get((k * co + o0) * ld, t[k], 0, len);
            // Aᵀ on the rows of each tile (per column k), then on the columns of the two resulting rows
            for (int k = 0; k < 4; k++) outputCombinations(t[k], t[4 + k], t[8 + k], t[12 + k], len, h[k], h[4 + k]);
            outputCombinations(h[0], h[1], h[2], h[3], len, y[0], y[1]);
            outputCombinations(h[4], h[5], h[6], h[7], len, y[2], y[3]);
            for (int o = o0; o < o1; o++) {
                float bv = bias == null ? 0f : bias[o];
                int ch = o, off = (o - o0) * ld;
                WinogradTiles.segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int oy = 2 * ty, base = (img * co + ch) * plane + oy * ow;
                    storeRow(y[0], y[1], off + j0, tx0, tx1, bv, dst, base, ow);
                    if (oy + 1 < oh) storeRow(y[2], y[3], off + j0, tx0, tx1, bv, dst, base + ow, ow);
                });
            }
        }
    }

    /** Aᵀ on 4 values: a = m0 + m1 + m2, b = m1 − m2 − m3. */
    static void outputCombinations(float[] m0, float[] m1, float[] m2, float[] m3, int n, float[] a, float[] b) {
        for (int j = 0; j < n; j++) {
            float x = m1[j], z = m2[j];
            a[j] = m0[j] + x + z;
            b[j] = x - z - m3[j];
        }
    }

    /** One output row of tiles [tx0, tx1): columns 2tx ← left[j], 2tx + 1 ← right[j] (dropped past ow). */
    static void storeRow(float[] left, float[] right, int j0, int tx0, int tx1, float bv, float[] dst, int base, int ow) {
        int full = Math.min(tx1, ow / 2);
        for (int tx = tx0; tx < full; tx++) {
            int j = j0 + tx - tx0;
            dst[base + 2 * tx] = left[j] + bv;
            dst[base + 2 * tx + 1] = right[j] + bv;
        }
        if (tx1 > full && full >= tx0) dst[base + 2 * full] = left[j0 + full - tx0] + bv; // odd ow: last half tile
    }
}
