package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

import java.nio.FloatBuffer;
import java.util.Arrays;

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
        if (OpProfile.ENABLED) OpProfile.add("  (wall) wino weight transform", t0, 0);
        run(x, xShape[0], cin, xShape[2], xShape[3], u, cout, p.padH(), p.padW(), outShape[2], outShape[3], bias, out);
    }

    /** dx[n, cin, h, w] = conv2d_backward_input(gradOut, w); writes every element of {@code dx}. */
    static void backwardInput(float[] gradOut, int[] gShape, float[] w, int[] wShape, ConvParams p, int[] inputShape,
                              float[] dx) {
        int cout = wShape[0], cin = wShape[1];
        if (inputShape[0] == 0) return;
        long t0 = OpProfile.start();
        OffHeap.Buf u = transformWeights(w, cout, cin, true);
        if (OpProfile.ENABLED) OpProfile.add("  (wall) wino weight transform", t0, 0);
        run(gradOut, gShape[0], cout, gShape[2], gShape[3], u, cin, 2 - p.padH(), 2 - p.padW(), inputShape[2],
                inputShape[3], null, dx);
    }

    // ------------------------------------------------------------------------------------------------ weights

    /**
     * U_k for every kernel into the calling thread's {@link OffHeap#WINO_U}, as [16][rows][cols]: rows = Cout,
     * cols = Cin (forward), or rows = Cin, cols = Cout with each kernel rotated by 180° (backward data). One row of
     * kernels at a time: its 9 taps are split into 9 arrays, and G g Gᵀ runs on whole arrays (vectorised).
     */
    private static OffHeap.Buf transformWeights(float[] w, int cout, int cin, boolean backward) {
        int rows = backward ? cin : cout, cols = backward ? cout : cin;
        OffHeap.Buf u = OffHeap.get(OffHeap.WINO_U, 16L * rows * cols);
        FloatBuffer fb = u.buf();
        Parallel.range(rows, Math.max(1, (1 << 14) / cols), (r0, r1) -> {
            float[][] g = new float[9][cols], q1 = new float[3][cols], q2 = new float[3][cols];
            float[][] u1 = new float[4][cols], u2 = new float[4][cols], out = new float[16][];
            // the 4 rows of G g, each as its 3 columns; rows 0 and 3 are kernel rows 0 and 2
            float[][][] q = {{g[0], g[1], g[2]}, q1, q2, {g[6], g[7], g[8]}};
            for (int y = 0; y < 4; y++) {
                out[4 * y] = q[y][0];
                out[4 * y + 1] = u1[y];
                out[4 * y + 2] = u2[y];
                out[4 * y + 3] = q[y][2];
            }
            for (int r = r0; r < r1; r++) {
                if (backward) {
                    for (int c = 0; c < cols; c++)
                        for (int i = 0, base = (c * cin + r) * 9 + 8; i < 9; i++) g[i][c] = w[base - i];
                } else {
                    for (int c = 0; c < cols; c++)
                        for (int i = 0, base = (r * cin + c) * 9; i < 9; i++) g[i][c] = w[base + i];
                }
                // G g (middle rows; per kernel column), then the same combinations on the columns of each row
                for (int x = 0; x < 3; x++) halfSums(g[x], g[3 + x], g[6 + x], cols, q1[x], q2[x]);
                for (int y = 0; y < 4; y++) halfSums(q[y][0], q[y][1], q[y][2], cols, u1[y], u2[y]);
                for (int k = 0; k < 16; k++) fb.put((k * rows + r) * cols, out[k], 0, cols);
            }
        });
        return u;
    }

    /** s[j] = (a[j] + b[j] + c[j]) / 2, d[j] = (a[j] − b[j] + c[j]) / 2: the middle rows of G. */
    static void halfSums(float[] a, float[] b, float[] c, int n, float[] s, float[] d) {
        for (int j = 0; j < n; j++) {
            s[j] = 0.5f * (a[j] + b[j] + c[j]);
            d[j] = 0.5f * (a[j] - b[j] + c[j]);
        }
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
        int bt = Math.max(MIN_BLOCK_TILES, blockFloats / (16 * Math.max(cs, co)));
        int blocks = (tiles + bt - 1) / bt;
        if (par > 1 && blocks < 8 * par) blocks = (blocks + par - 1) / par * par;
        blocks = Math.max(1, Math.min(blocks, tiles));
        return (tiles + blocks - 1) / blocks;
    }

    /**
     * Row length (floats) of V and M for blocks of up to {@code bt} tiles: a multiple of 16 (rows start on cache
     * lines) but not of 256, so that the K rows sgemm reads do not all map to the same cache sets (1024-tile blocks
     * ran sgemm at half speed; of the strides tried this was fastest on the shapes timed).
     */
    static int rowStride(int bt) {
        int ld = (bt + 15) & ~15;
        return ld % 256 == 0 ? ld + 16 : ld;
    }

    /** Chunks worth running in parallel: each with at least {@link #minChunkFlops} and {@link #MIN_BLOCK_TILES}. */
    private static int parallelChunks(int tiles, int cs, int co) {
        long perTile = 32L * cs * co;
        return Parallel.chunkCount(tiles, (int) Math.max(MIN_BLOCK_TILES, Math.min(tiles, minChunkFlops / perTile)));
    }

    private static void run(float[] src, int n, int cs, int h, int w, OffHeap.Buf u, int co, int padH, int padW,
                            int oh, int ow, float[] bias, float[] dst) {
        int th = (oh + 1) / 2, tw = (ow + 1) / 2;
        Geom g = new Geom(n, cs, h, w, co, padH, padW, oh, ow, th, tw);
        int tiles = Math.toIntExact((long) n * th * tw);
        if (tiles == 0) return;
        int par = parallelChunks(tiles, cs, co), bt = blockTiles(tiles, cs, co, par), blocks = (tiles + bt - 1) / bt;
        int ld = rowStride(bt);
        Parallel.range(blocks, Math.max(1, blocks / Math.max(1, par)), (b0, b1) -> {
            OffHeap.Buf v = OffHeap.get(OffHeap.WINO_V, 16L * cs * ld);
            OffHeap.Buf m = OffHeap.get(OffHeap.WINO_M, 16L * co * ld);
            Scratch s = new Scratch(ld, tw, Math.max(1, Math.min(Math.max(cs, co), groupFloats / ld)));
            for (int b = b0; b < b1; b++) {
                int t0 = b * bt, nt = Math.min(bt, tiles - t0);
                long c0 = OpProfile.start();
                inputBlock(src, g, t0, nt, ld, v.buf(), s);
                long c1 = OpProfile.start();
                for (int k = 0; k < 16; k++)
                    Blas.sgemm(false, false, co, nt, cs, 1f, u.ptr(), (long) k * co * cs, cs, v.ptr(), (long) k * cs * ld,
                            ld, 0f, m.ptr(), (long) k * co * ld, ld);
                long c2 = OpProfile.start();
                outputBlock(m.buf(), g, t0, nt, ld, bias, dst, s);
                if (OpProfile.ENABLED) {
                    OpProfile.addSpan("  (thread time) wino input transform", c0, c1, 0);
                    OpProfile.addSpan("  (thread time) wino sgemm", c1, c2, 32L * co * cs * nt);
                    OpProfile.add("  (thread time) wino output transform", c2, 0);
                }
            }
        });
    }

    /**
     * One worker's Java scratch for a group of {@code group} channels (channel c of the group at offset c·ld): 16
     * rows of V (or M); 4 padded input rows and their Bᵀ combinations; the 4 columns of every tile (e, o, en, on:
     * columns 0..3) per combination; the 8 half-transformed rows and 4 output rows of the output transform.
     */
    static final class Scratch {
        final int group;
        final float[][] t = new float[16][], rows = new float[4][], c = new float[4][], e = new float[4][],
                o = new float[4][], en = new float[4][], on = new float[4][], h = new float[8][], y = new float[4][];

        Scratch(int ld, int tw, int group) {
            this.group = group;
            int n = group * ld;
            for (int k = 0; k < 16; k++) t[k] = new float[n];
            for (int r = 0; r < 4; r++) {
                rows[r] = new float[2 * tw + 2];
                c[r] = new float[2 * tw + 2];
                e[r] = new float[n + 1];
                o[r] = new float[n + 1];
                en[r] = new float[n];
                on[r] = new float[n];
                y[r] = new float[n];
            }
            for (int r = 0; r < 8; r++) h[r] = new float[n];
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

    /*
     * The arithmetic loops below index every array with the loop variable alone: C2 (JDK 17) left loops such as
     * a[j] = b[j] - c[j + 1] or a[j0 + j] = ... scalar (measured 4× slower). The one stride-2 step, splitting the
     * columns into the 4 columns of each tile, is a plain scalar copy.
     */

    /**
     * V_k[c, j] for the tiles [t0, t0 + nt) into native [16][cs][ld], a group of channels at a time (columns nt..ld
     * of a row carry whatever the scratch held; sgemm does not read them).
     */
    static void inputBlock(float[] src, Geom g, int t0, int nt, int ld, FloatBuffer v, Scratch s) {
        int plane = g.h * g.w;
        for (int c0 = 0; c0 < g.cs; c0 += s.group) {
            int c1 = Math.min(g.cs, c0 + s.group), len = (c1 - c0) * ld;
            for (int c = c0; c < c1; c++) {
                int ch = c, off = (c - c0) * ld;
                segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int rowBase = (img * g.cs + ch) * plane, col0 = 2 * tx0 - g.padW, cols = 2 * (tx1 - tx0) + 2;
                    for (int r = 0; r < 4; r++) {
                        int iy = 2 * ty - g.padH + r;
                        loadRow(src, rowBase + iy * g.w, iy >= 0 && iy < g.h, g.w, col0, cols, s.rows[r]);
                    }
                    rowCombinations(s.rows[0], s.rows[1], s.rows[2], s.rows[3], cols, s.c[0], s.c[1], s.c[2], s.c[3]);
                    for (int i = 0; i < 4; i++) tileColumns(s.c[i], tx1 - tx0, off + j0, s.e[i], s.o[i], s.en[i], s.on[i]);
                });
            }
            for (int i = 0; i < 4; i++)
                columnCombinations(s.e[i], s.o[i], s.en[i], s.on[i], len, s.t[4 * i], s.t[4 * i + 1], s.t[4 * i + 2], s.t[4 * i + 3]);
            for (int k = 0; k < 16; k++) v.put((k * g.cs + c0) * ld, s.t[k], 0, len);
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

    /** Bᵀ d: the row combinations d0 − d2, d1 + d2, d2 − d1, d1 − d3 of the 4 input rows, per column. */
    static void rowCombinations(float[] d0, float[] d1, float[] d2, float[] d3, int len,
                                float[] c0, float[] c1, float[] c2, float[] c3) {
        for (int l = 0; l < len; l++) {
            float a = d1[l], b = d2[l];
            c0[l] = d0[l] - b;
            c1[l] = a + b;
            c2[l] = b - a;
            c3[l] = a - d3[l];
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

    /** (Bᵀ d) B on each tile's 4 columns: c0 − c2, c1 + c2, c2 − c1, c1 − c3. */
    static void columnCombinations(float[] e, float[] o, float[] en, float[] on, int n,
                                   float[] v0, float[] v1, float[] v2, float[] v3) {
        for (int j = 0; j < n; j++) {
            float a = o[j], b = en[j];
            v0[j] = e[j] - b;
            v1[j] = a + b;
            v2[j] = b - a;
            v3[j] = a - on[j];
        }
    }

    /** Y = Aᵀ M A (+ bias) of the tiles [t0, t0 + nt) from native M [16][co][ld] into dst, a group of channels at a time. */
    private static void outputBlock(FloatBuffer m, Geom g, int t0, int nt, int ld, float[] bias, float[] dst, Scratch s) {
        int plane = g.oh * g.ow;
        float[][] t = s.t, h = s.h, y = s.y;
        for (int o0 = 0; o0 < g.co; o0 += s.group) {
            int o1 = Math.min(g.co, o0 + s.group), len = (o1 - o0) * ld;
            for (int k = 0; k < 16; k++) m.get((k * g.co + o0) * ld, t[k], 0, len);
            // Aᵀ on the rows of each tile (per column k), then on the columns of the two resulting rows
            for (int k = 0; k < 4; k++) outputCombinations(t[k], t[4 + k], t[8 + k], t[12 + k], len, h[k], h[4 + k]);
            outputCombinations(h[0], h[1], h[2], h[3], len, y[0], y[1]);
            outputCombinations(h[4], h[5], h[6], h[7], len, y[2], y[3]);
            for (int o = o0; o < o1; o++) {
                float bv = bias == null ? 0f : bias[o];
                int ch = o, off = (o - o0) * ld;
                segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int oy = 2 * ty, base = (img * g.co + ch) * plane + oy * g.ow;
                    storeRow(y[0], y[1], off + j0, tx0, tx1, bv, dst, base, g.ow);
                    if (oy + 1 < g.oh) storeRow(y[2], y[3], off + j0, tx0, tx1, bv, dst, base + g.ow, g.ow);
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
