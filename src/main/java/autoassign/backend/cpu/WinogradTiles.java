package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * What the Winograd F(m×m, 3×3) convolutions ({@link WinogradConv}: m = 2, {@link Winograd4Conv}: m = 4) and the
 * F(2×2) filter gradient ({@link WinogradFilter}) share: the tile grid (m×m output tiles, (m + 2)×(m + 2) input
 * patches at stride m, over all images), its cutting into blocks and row segments, the block and chunk sizes, the
 * per-worker Java scratch rows, and the block loop of the forward / backward-data routine. The transforms
 * themselves stay in the variants' classes.
 */
final class WinogradTiles {
    private WinogradTiles() {}

    /** Dense (one group), 3×3, stride 1, dilation 1, at least {@code minChannels} input and output channels, a non-empty output. */
    static boolean applies(int[] xShape, int[] wShape, ConvParams p, int minChannels) {
        return !p.grouped() && wShape[2] == 3 && wShape[3] == 3 && p.strideH() == 1 && p.strideW() == 1 && p.dilationH() == 1
                && p.dilationW() == 1 && wShape[0] >= minChannels && wShape[1] >= minChannels
                && p.outH(xShape[2], 3) > 0 && p.outW(xShape[3], 3) > 0;
    }

    /** Geometry of one call: src [n, cs, h, w] → dst [n, co, oh, ow], tiles th × tw per image. */
    record Geom(int n, int cs, int h, int w, int co, int padH, int padW, int oh, int ow, int th, int tw) {
        int tilesPerImage() { return th * tw; }
    }

    /** The grid of m×m output tiles covering [oh, ow] (the last row and column may stick out). */
    static Geom geom(int m, int n, int cs, int h, int w, int co, int padH, int padW, int oh, int ow) {
        return new Geom(n, cs, h, w, co, padH, padW, oh, ow, (oh + m - 1) / m, (ow + m - 1) / m);
    }

    /**
     * Tiles per block: about {@code blockFloats} floats in a block buffer of {@code kernels · channels · tiles}, at
     * least {@code minTiles}, evened out over the blocks, and at least {@code par} blocks (a multiple of {@code par}
     * while there are few) so that every chunk gets work.
     */
    static int blockTiles(int tiles, int kernels, int channels, int blockFloats, int minTiles, int par) {
        int bt = Math.max(minTiles, blockFloats / (kernels * channels));
        int blocks = (tiles + bt - 1) / bt;
        if (par > 1 && blocks < 8 * par) blocks = (blocks + par - 1) / par * par;
        blocks = Math.max(1, Math.min(blocks, tiles));
        return (tiles + blocks - 1) / blocks;
    }

    /**
     * Row length (floats) of the block buffers for blocks of up to {@code bt} tiles: a multiple of 16 (rows start on
     * cache lines) but not of 256, so that the K rows sgemm reads do not all map to the same cache sets (1024-tile
     * blocks ran F(2×2)'s sgemm at half speed; of the strides tried this was fastest on the shapes timed).
     */
    static int rowStride(int bt) {
        int ld = (bt + 15) & ~15;
        return ld % 256 == 0 ? ld + 16 : ld;
    }

    /** Channels per scratch group: about {@code groupFloats} floats (channels × ld) per scratch row, at least 1. */
    static int groupChannels(int ld, int channels, int groupFloats) {
        return Math.max(1, Math.min(channels, groupFloats / ld));
    }

    /**
     * One worker's Java scratch for a group of {@code group} channels (channel c of the group at offset c·ld): the
     * (m + 2)² rows of V (or M) in {@code t}; the m + 2 padded input rows of a segment and their Bᵀ combinations in
     * {@code rows} and {@code c}. The variants add their own transform rows.
     */
    static class Scratch {
        final int group;
        final float[][] t, rows, c;

        Scratch(int m, int ld, int tw, int group) {
            this.group = group;
            int a = m + 2;
            t = rows(a * a, group * ld);
            rows = rows(a, m * tw + 2);
            c = rows(a, m * tw + 2);
        }

        static float[][] rows(int count, int len) {
            return new float[count][len];
        }
    }

    /** One worker's weight transform of a kernel row: U_k's row (k < kernels) from the taps it was made with. */
    interface KernelRowTransform { float[][] apply(); }

    /** Makes a worker's {@link KernelRowTransform} of the taps g[9][cols] (refilled for every kernel row). */
    interface KernelRowWorker { KernelRowTransform make(float[][] g, int cols); }

    /**
     * U_k for every kernel into the calling thread's {@link OffHeap#WINO_U}, as [kernels][rows][cols]: rows =
     * Cout, cols = Cin (forward), or rows = Cin, cols = Cout with each kernel rotated by 180° (backward data). One
     * row of kernels at a time, its 9 taps split into 9 arrays so that the transform runs on whole arrays
     * (vectorised); rows split over the cores in chunks of about {@code chunkFloats / cols} rows.
     */
    static OffHeap.Buf transformWeights(int kernels, int chunkFloats, float[] w, int cout, int cin,
                                        boolean backward, KernelRowWorker worker) {
        int rows = backward ? cin : cout, cols = backward ? cout : cin;
        OffHeap.Buf u = OffHeap.get(OffHeap.WINO_U, (long) kernels * rows * cols);
        FloatBuffer fb = u.buf();
        Parallel.range(rows, Math.max(1, chunkFloats / cols), (r0, r1) -> {
            float[][] g = new float[9][cols];
            KernelRowTransform t = worker.make(g, cols);
            for (int r = r0; r < r1; r++) {
                kernelTaps(w, cin, r, cols, backward, g);
                float[][] uk = t.apply();
                for (int k = 0; k < kernels; k++) fb.put((k * rows + r) * cols, uk[k], 0, cols);
            }
        });
        return u;
    }

    /**
     * The 9 taps of kernel row r (of U's rows) into g[tap][col] for cols in [0, cols): w[r, col] (forward), or
     * w[col, r] rotated by 180° (backward data; rows = Cin, cols = Cout).
     */
    private static void kernelTaps(float[] w, int cin, int r, int cols, boolean backward, float[][] g) {
        if (backward) {
            for (int c = 0; c < cols; c++)
                for (int i = 0, base = (c * cin + r) * 9 + 8; i < 9; i++) g[i][c] = w[base - i];
        } else {
            for (int c = 0; c < cols; c++)
                for (int i = 0, base = (r * cin + c) * 9; i < 9; i++) g[i][c] = w[base + i];
        }
    }

    /**
     * Calls {@code seg.run(img, ty, tx0, tx1, j0)} for each row segment of tiles [t0, t0 + nt): image img, tile
     * row ty, tile columns [tx0, tx1), the first at index j0 of the block.
     */
    static void segments(Geom g, int t0, int nt, Segment seg) {
        int per = g.tilesPerImage(), tw = g.tw();
        for (int t = t0, end = t0 + nt; t < end; ) {
            int img = t / per, rem = t - img * per, ty = rem / tw, tx0 = rem - ty * tw;
            int tx1 = Math.min(tw, tx0 + (end - t));
            seg.run(img, ty, tx0, tx1, t - t0);
            t += tx1 - tx0;
        }
    }

    interface Segment { void run(int img, int ty, int tx0, int tx1, int j0); }

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

    /** A variant's tuning, read from its volatile fields once per call (tests change them between calls). */
    record Tuning(int blockFloats, int minBlockTiles, long minChunkFlops, int groupFloats) {}

    interface Weights { OffHeap.Buf transform(float[] w, int cout, int cin, boolean backward); }

    interface ScratchFactory<S> { S make(int ld, int tw, int group); }

    /** V_k[c, j] of tiles [t0, t0 + nt) into native [kernels][cs][ld]. */
    interface InputBlock<S> { void run(float[] src, Geom g, int t0, int nt, int ld, FloatBuffer v, S s); }

    /** Y = Aᵀ M A (+ bias) of tiles [t0, t0 + nt) from native M [kernels][co][ld] into dst. */
    interface OutputBlock<S> { void run(FloatBuffer m, Geom g, int t0, int nt, int ld, float[] bias, float[] dst, S s); }

    /**
     * One F(m×m, 3×3) convolution: its transforms and tuning, and
     * the shared driver: weights transformed once per call into {@code kernels} matrices U_k, then per block of
     * tiles V = Bᵀ d B, {@code kernels} single-threaded sgemm calls M_k = U_k · V_k, Y = Aᵀ M A (+ bias); blocks
     * split over the cores, each worker with its own V and M ({@link OffHeap} slots WINO_V and WINO_M, which both
     * variants share: they never run nested) and scratch.
     */
    static final class Variant<S extends Scratch> {
        final int m, kernels;
        private final String weightLabel, inputLabel, gemmLabel, outputLabel;
        private final Supplier<Tuning> tuning;
        private final Weights weights;
        private final ScratchFactory<S> scratch;
        private final InputBlock<S> inputBlock;
        private final OutputBlock<S> outputBlock;
        /** Forward transforms kept while the weights do not change (inference). */
        final WinogradWeightCache forwardWeights = new WinogradWeightCache(WinogradWeightCache.BUDGET_FLOATS);

        Variant(int m, String profileName, Supplier<Tuning> tuning, Weights weights,
                ScratchFactory<S> scratch, InputBlock<S> inputBlock, OutputBlock<S> outputBlock) {
            this.m = m;
            this.kernels = (m + 2) * (m + 2);
            weightLabel = "  (wall) " + profileName + " weight transform";
            inputLabel = "  (thread time) " + profileName + " input transform";
            gemmLabel = "  (thread time) " + profileName + " sgemm";
            outputLabel = "  (thread time) " + profileName + " output transform";
            this.tuning = tuning;
            this.weights = weights;
            this.scratch = scratch;
            this.inputBlock = inputBlock;
            this.outputBlock = outputBlock;
        }

        /** Tiles per block, with this variant's tuning. */
        int blockTiles(int tiles, int cs, int co, int par) {
            return blockTiles(tiles, cs, co, par, tuning.get());
        }

        private int blockTiles(int tiles, int cs, int co, int par, Tuning tn) {
            return WinogradTiles.blockTiles(tiles, kernels, Math.max(cs, co), tn.blockFloats(), tn.minBlockTiles(), par);
        }

        /** Chunks worth running in parallel: each with at least minChunkFlops and minBlockTiles. */
        private int parallelChunks(int tiles, int cs, int co, Tuning tn) {
            long perTile = 2L * kernels * cs * co;
            return Parallel.chunkCount(tiles, (int) Math.max(tn.minBlockTiles(), Math.min(tiles, tn.minChunkFlops() / perTile)));
        }

        /** out[n, cout, oh, ow] = conv(x, w) + bias; writes every element of {@code out}. */
        void forward(float[] x, int[] xShape, float[] w, int cout, float[] bias, ConvParams p, int[] outShape,
                     float[] out) {
            int cin = xShape[1];
            if (outShape[0] == 0) return;
            long t0 = OpProfile.start();
            OffHeap.Buf u = forwardWeights.get(w, cout, cin, (long) kernels * cout * cin,
                    () -> weights.transform(w, cout, cin, false));
            if (OpProfile.ENABLED) OpProfile.add(weightLabel, t0, 0);
            run(x, geom(m, xShape[0], cin, xShape[2], xShape[3], cout, p.padH(), p.padW(), outShape[2], outShape[3]),
                    u, bias, out);
        }

        /** dx[n, cin, h, w] = conv2d_backward_input(gradOut, w): the correlation of gradOut with the rotated,
         *  transposed kernel and padding 2 − pad; writes every element of {@code dx}. */
        void backwardInput(float[] gradOut, int[] gShape, float[] w, int[] wShape, ConvParams p,
                           int[] inputShape, float[] dx) {
            int cout = wShape[0], cin = wShape[1];
            if (inputShape[0] == 0) return;
            long t0 = OpProfile.start();
            OffHeap.Buf u = weights.transform(w, cout, cin, true);
            if (OpProfile.ENABLED) OpProfile.add(weightLabel, t0, 0);
            run(gradOut, geom(m, gShape[0], cout, gShape[2], gShape[3], cin, 2 - p.padH(), 2 - p.padW(),
                    inputShape[2], inputShape[3]), u, null, dx);
        }

        private void run(float[] src, Geom g, OffHeap.Buf u, float[] bias, float[] dst) {
            int cs = g.cs(), co = g.co(), kernels = this.kernels;
            int tiles = Math.toIntExact((long) g.n() * g.th() * g.tw());
            if (tiles == 0) return;
            Tuning tn = tuning.get();
            int par = parallelChunks(tiles, cs, co, tn), bt = blockTiles(tiles, cs, co, par, tn);
            int blocks = (tiles + bt - 1) / bt, ld = rowStride(bt), group = groupChannels(ld, Math.max(cs, co), tn.groupFloats());
            Parallel.range(blocks, Math.max(1, blocks / Math.max(1, par)), (b0, b1) -> {
                OffHeap.Buf v = OffHeap.get(OffHeap.WINO_V, (long) kernels * cs * ld);
                OffHeap.Buf m = OffHeap.get(OffHeap.WINO_M, (long) kernels * co * ld);
                S s = scratch.make(ld, g.tw(), group);
                for (int b = b0; b < b1; b++) {
                    int t0 = b * bt, nt = Math.min(bt, tiles - t0);
                    long c0 = OpProfile.start();
                    inputBlock.run(src, g, t0, nt, ld, v.buf(), s);
                    long c1 = OpProfile.start();
                    for (int k = 0; k < kernels; k++)
                        Blas.sgemm(false, false, co, nt, cs, 1f, u.ptr(), (long) k * co * cs, cs, v.ptr(),
                                (long) k * cs * ld, ld, 0f, m.ptr(), (long) k * co * ld, ld);
                    long c2 = OpProfile.start();
                    outputBlock.run(m.buf(), g, t0, nt, ld, bias, dst, s);
                    if (OpProfile.ENABLED) {
                        OpProfile.addSpan(inputLabel, c0, c1, 0);
                        OpProfile.addSpan(gemmLabel, c1, c2, 2L * kernels * co * cs * nt);
                        OpProfile.add(outputLabel, c2, 0);
                    }
                }
            });
        }
    }
}
