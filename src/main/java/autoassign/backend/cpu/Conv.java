package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import autoassign.backend.ShapeChecks;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.nio.FloatBuffer;

/**
 * 2-d convolution as im2col + OpenBLAS sgemm, blocked over output rows.
 *
 * <p>The output rows of each image are split into one contiguous range per core ({@link Parallel}); each worker
 * walks its range in blocks of a few output rows, unfolds the block's columns (about {@value #BLOCK_FLOATS}
 * floats, so they are still in cache when sgemm reads them) into its own native scratch buffer and multiplies
 * with a single-threaded sgemm. All parallelism is Java's: OpenBLAS runs one thread per call
 * ({@link Blas}), so the two never oversubscribe the cores, and no image-sized column matrix is allocated.
 * 1×1 stride-1 unpadded convs copy the image columns instead of unfolding them. Grouped convs (groups &gt; 1) go
 * to {@link GroupedConv}, the same im2col + sgemm per group; the fast paths here (Winograd, shifted GEMM) are dense only.
 *
 * <ul>
 * <li>forward: C[Cout, block] = W[Cout, K] · col[K, block], copied (+ bias) into the output.</li>
 * <li>backward data: col[K, block] = Wᵀ · G[Cout, block], folded back (col2im). Neighbouring blocks add into
 *     shared input rows, so each worker first does its range minus the last {@code halo} output rows, and the
 *     calling thread then does the halo rows, one after the other.</li>
 * <li>backward filter: dW[Cout, K] = Σ G[Cout, block] · col[K, block]ᵀ, accumulated per worker in native
 *     memory and summed at the end.</li>
 * </ul>
 */
final class Conv {
    /** Target size of one column block (floats): 4 MiB, cache-resident between im2col and sgemm. */
    static final int BLOCK_FLOATS = 1 << 20;
    static final int MIN_BLOCK_COLS = 256;
    /** Block size in use (tests shrink it to exercise many blocks on small images). */
    static volatile int blockFloats = Integer.getInteger("autoassign.conv.blockFloats", BLOCK_FLOATS),
            minBlockCols = MIN_BLOCK_COLS;

    /** Stride-1 convs run as shifted GEMMs ({@link ShiftConv}); false forces im2col everywhere (A/B timing, tests). */
    static volatile boolean shiftGemm = !Boolean.getBoolean("autoassign.conv.im2col");
    /**
     * 3×3 stride-1 convs by Winograd F(2×2, 3×3): forward and backward data ({@link WinogradConv}), filter gradient
     * ({@link WinogradFilter}); false (-Dautoassign.conv.noWinograd=true): shifted GEMM.
     */
    static volatile boolean winograd = !Boolean.getBoolean("autoassign.conv.noWinograd");
    /**
     * Large 3×3 maps with ≥ 128 channels use F(4×4, 3×3) instead ({@link Winograd4Conv}): 1.2–1.4× faster than F(2×2)
     * there, max error ≈ 1e-5 of max |y| (F(2×2): ≈ 6e-7); false (-Dautoassign.conv.noWinograd4=true) keeps F(2×2).
     */
    static volatile boolean winograd4 = !Boolean.getBoolean("autoassign.conv.noWinograd4");

    /**
     * For a conv that Winograd runs: F(4×4) pays where both channel counts are ≥ 128 and the output map
     * ({@code tileMap}: y forward, dx backward) has ≥ 250 4×4 tiles (measured; smaller ones lose).
     */
    static boolean useWinograd4(int[] ws, int[] tileMap) {
        long tiles = (long) tileMap[0] * ((tileMap[2] + 3) / 4) * ((tileMap[3] + 3) / 4);
        return winograd4 && ws[0] >= 128 && ws[1] >= 128 && tiles >= 250;
    }
    /** Strided convs unfold from the input's stride phases ({@link Im2col#phaseSplit}); false: strided gathers. */
    static volatile boolean phased = !Boolean.getBoolean("autoassign.conv.noPhases");

    private Conv() {}


    /** Output rows per block: about {@link #blockFloats} column floats, at least {@link #minBlockCols} columns. */
    static int blockRows(int k, int ow) {
        int cols = Math.max(minBlockCols, blockFloats / Math.max(1, k));
        return Math.max(1, cols / ow);
    }

    /** Least output rows per parallel chunk: about 4 MFLOP, so that handing a chunk to a helper pays off. */
    static int minChunkRows(int n, int cout, int k, int ow) {
        return (int) Math.max(1, 4_000_000L / Math.max(1L, 2L * n * cout * k * ow));
    }

    /** Copies a host array region into native scratch {@code slot} of the calling thread. */
    private static OffHeap.Buf stage(int slot, float[] src, int off, int len) {
        OffHeap.Buf b = OffHeap.get(slot, len);
        b.buf().put(0, src, off, len);
        return b;
    }

    static Tensor forward(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        int[] xs = x.shape(), ws = w.shape(), os = ShapeChecks.convOutput("conv2d", xs, ws, p);
        if (bias != null && bias.numel() != ws[0])
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias.shape()) + " does not match weight "
                    + Shape.str(ws) + " (" + ws[0] + " output channels)");
        if (p.grouped()) return GroupedConv.forward(x, w, bias, p, os); // the fast paths below assume one group
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], kh = ws[2], kw = ws[3], cout = ws[0], k = cin * kh * kw;
        int oh = os[2], ow = os[3], ohw = oh * ow, inPlane = cin * h * wd, outPlane = cout * ohw;
        float[] b = bias == null ? null : bias.data();
        if (winograd && WinogradConv.applies(xs, ws, p)) {
            Tensor outT = HostArrays.empty(os);
            if (useWinograd4(ws, os)) Winograd4Conv.forward(x.data(), xs, w.data(), cout, b, p, os, outT.data());
            else WinogradConv.forward(x.data(), xs, w.data(), cout, b, p, os, outT.data());
            return outT;
        }
        if (shiftGemm && ShiftConv.applies(p)) return ShiftConv.forward(x.data(), xs, w.data(), cout, kh, kw, b, p, os);
        Tensor outT = HostArrays.empty(os); // every block copies all its channels out
        float[] xd = x.data(), out = outT.data();
        if (n == 0) return outT;
        OffHeap.Buf a = stage(OffHeap.CONV_W, w.data(), 0, cout * k);
        int rowsPerBlock = blockRows(k, ow);
        Im2col.Phased xp = phased && Im2col.strided(p) ? Im2col.phaseSplit(xd, n, cin, h, wd, kh, kw, p) : null;
        Parallel.range(oh, minChunkRows(n, cout, k, ow), (r0, r1) -> {
            int maxNb = Math.min(rowsPerBlock, r1 - r0) * ow;
            OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) k * maxNb);
            OffHeap.Buf c = OffHeap.get(OffHeap.CONV_OUT, (long) cout * maxNb);
            float[] row = new float[maxNb];
            for (int i = 0; i < n; i++) {
                for (int oy0 = r0; oy0 < r1; oy0 += rowsPerBlock) {
                    int oy1 = Math.min(r1, oy0 + rowsPerBlock), nb = (oy1 - oy0) * ow;
                    long t0 = OpProfile.start();
                    if (xp != null) Im2col.im2colBlockPhased(xp, i, cin, kh, kw, p, oy0, oy1, ow, col.buf(), row);
                    else Im2col.im2colBlock(xd, i * inPlane, cin, h, wd, kh, kw, p, oy0, oy1, ow, col.buf(), row);
                    long t1 = OpProfile.start();
                    Blas.sgemm(false, false, cout, nb, k, 1f, a.ptr(), 0, k, col.ptr(), 0, nb, 0f, c.ptr(), 0, nb);
                    long t2 = OpProfile.start();
                    copyOut(c.buf(), nb, out, i * outPlane + oy0 * ow, ohw, cout, b);
                    if (OpProfile.ENABLED) {
                        OpProfile.addSpan("  (thread time) fwd im2col", t0, t1, 0);
                        OpProfile.addSpan("  (thread time) fwd sgemm", t1, t2, 2L * cout * nb * k);
                        OpProfile.add("  (thread time) fwd copy-out", t2, 0);
                    }
                }
            }
        });
        if (xp != null) HostArrays.giveBack(xp.data());
        return outT;
    }

    /** out[dst + ch·ld + j] = src[ch·nb + j] (+ bias[ch]) for j &lt; nb. */
    private static void copyOut(FloatBuffer src, int nb, float[] out, int dst, int ld, int channels, float[] bias) {
        for (int ch = 0; ch < channels; ch++) {
            int base = dst + ch * ld;
            src.get(ch * nb, out, base, nb);
            if (bias != null) {
                float v = bias[ch];
                for (int j = 0; j < nb; j++) out[base + j] += v;
            }
        }
    }

    static Tensor backwardInput(Tensor gradOut, Tensor w, int[] xs, ConvParams p) {
        int[] ws = w.shape(), os = ShapeChecks.convOutput("conv2dBackwardInput", xs, ws, p);
        Shape.checkSame("conv2dBackwardInput", gradOut.shape(), os);
        if (p.grouped()) return GroupedConv.backwardInput(gradOut, w, xs, p, os);
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], kh = ws[2], kw = ws[3], cout = ws[0], k = cin * kh * kw;
        int oh = os[2], ow = os[3], ohw = oh * ow, inPlane = cin * h * wd, outPlane = cout * ohw;
        if (winograd && WinogradConv.applies(xs, ws, p)) {
            Tensor gxT = HostArrays.empty(xs);
            if (useWinograd4(ws, xs)) Winograd4Conv.backwardInput(gradOut.data(), os, w.data(), ws, p, xs, gxT.data());
            else WinogradConv.backwardInput(gradOut.data(), os, w.data(), ws, p, xs, gxT.data());
            return gxT;
        }
        if (shiftGemm && ShiftConv.applies(p)) return ShiftConv.backwardInput(gradOut.data(), xs, w.data(), cout, kh, kw, p, os);
        Tensor gxT = HostArrays.zeros(xs); // col2im adds into it
        float[] gx = gxT.data();
        if (n == 0) return gxT;
        OffHeap.Buf a = stage(OffHeap.CONV_W, w.data(), 0, cout * k);
        OffHeap.Buf g = stage(OffHeap.CONV_G, gradOut.data(), 0, n * outPlane);
        int rowsPerBlock = blockRows(k, ow);
        // output rows whose col2im may touch the input rows of the next range
        int halo = (kh - 1) * p.dilationH() / p.strideH();
        int minRows = Math.max(Math.max(1, 2 * halo), minChunkRows(n, cout, k, ow));
        int chunks = Parallel.chunkCount(oh, minRows);
        BlockBody body = (r0, r1) -> {
            int maxNb = Math.min(rowsPerBlock, r1 - r0) * ow;
            OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) k * maxNb);
            float[] row = new float[maxNb];
            for (int i = 0; i < n; i++) {
                for (int oy0 = r0; oy0 < r1; oy0 += rowsPerBlock) {
                    int oy1 = Math.min(r1, oy0 + rowsPerBlock), nb = (oy1 - oy0) * ow;
                    // col[K, nb] = Wᵀ[K, Cout] · G[Cout, block]
                    long t0 = OpProfile.start();
                    Blas.sgemm(true, false, k, nb, cout, 1f, a.ptr(), 0, k, g.ptr(), (long) i * outPlane + oy0 * ow, ohw,
                            0f, col.ptr(), 0, nb);
                    long t1 = OpProfile.start();
                    Im2col.col2imBlock(col.buf(), cin, h, wd, kh, kw, p, oy0, oy1, ow, gx, i * inPlane, row);
                    if (OpProfile.ENABLED) {
                        OpProfile.addSpan("  (thread time) bwd-data sgemm", t0, t1, 2L * cout * nb * k);
                        OpProfile.add("  (thread time) bwd-data col2im", t1, 0);
                    }
                }
            }
        };
        if (chunks <= 1) {
            body.run(0, oh);
        } else {
            Parallel.chunks(oh, minRows, (c, r0, r1) -> {
                int end = c == chunks - 1 ? r1 : Math.max(r0, r1 - halo);
                if (end > r0) body.run(r0, end);
            });
            for (int c = 0; c < chunks - 1; c++) {
                int r1 = Parallel.chunkStart(oh, chunks, c + 1), r0 = Math.max(Parallel.chunkStart(oh, chunks, c), r1 - halo);
                if (r1 > r0) body.run(r0, r1);
            }
        }
        return gxT;
    }

    private interface BlockBody { void run(int r0, int r1); }

    static Tensor backwardWeight(Tensor gradOut, Tensor x, int[] ws, ConvParams p) {
        int[] xs = x.shape(), os = ShapeChecks.convOutput("conv2dBackwardWeight", xs, ws, p);
        Shape.checkSame("conv2dBackwardWeight", gradOut.shape(), os);
        if (p.grouped()) return GroupedConv.backwardWeight(gradOut, x, ws, p, os);
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], kh = ws[2], kw = ws[3], cout = ws[0], k = cin * kh * kw;
        int oh = os[2], ow = os[3], ohw = oh * ow, inPlane = cin * h * wd, outPlane = cout * ohw;
        if (winograd && WinogradFilter.applies(xs, ws, p)) {
            Tensor gwT = HostArrays.empty(ws);
            WinogradFilter.backwardWeight(gradOut.data(), os, x.data(), xs, ws, p, gwT.data());
            return gwT;
        }
        if (shiftGemm && ShiftConv.applies(p)) return ShiftConv.backwardWeight(gradOut.data(), x.data(), xs, ws, p, os);
        Tensor gwT = HostArrays.zeros(ws); // the chunks' partial sums are added into it
        float[] xd = x.data(), gw = gwT.data();
        if (n == 0) return gwT;
        OffHeap.Buf g = stage(OffHeap.CONV_G, gradOut.data(), 0, n * outPlane);
        int rowsPerBlock = blockRows(k, ow);
        Im2col.Phased xp = phased && Im2col.strided(p) ? Im2col.phaseSplit(xd, n, cin, h, wd, kh, kw, p) : null;
        // one partial dW per chunk, summed in chunk order below (deterministic whichever thread ran which chunk)
        int chunks = Parallel.chunkCount(oh, minChunkRows(n, cout, k, ow));
        float[][] partials = new float[chunks][];
        Parallel.chunks(oh, minChunkRows(n, cout, k, ow), (ck, r0, r1) -> {
            int maxNb = Math.min(rowsPerBlock, r1 - r0) * ow;
            OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) k * maxNb);
            OffHeap.Buf acc = OffHeap.get(OffHeap.CONV_OUT, (long) cout * k);
            float[] row = new float[maxNb];
            boolean first = true;
            for (int i = 0; i < n; i++) {
                for (int oy0 = r0; oy0 < r1; oy0 += rowsPerBlock) {
                    int oy1 = Math.min(r1, oy0 + rowsPerBlock), nb = (oy1 - oy0) * ow;
                    long t0 = OpProfile.start();
                    if (xp != null) Im2col.im2colBlockPhased(xp, i, cin, kh, kw, p, oy0, oy1, ow, col.buf(), row);
                    else Im2col.im2colBlock(xd, i * inPlane, cin, h, wd, kh, kw, p, oy0, oy1, ow, col.buf(), row);
                    long t1 = OpProfile.start();
                    // dW[Cout, K] (+)= G[Cout, block] · colᵀ[block, K]
                    Blas.sgemm(false, true, cout, k, nb, 1f, g.ptr(), (long) i * outPlane + oy0 * ow, ohw,
                            col.ptr(), 0, nb, first ? 0f : 1f, acc.ptr(), 0, k);
                    if (OpProfile.ENABLED) {
                        OpProfile.addSpan("  (thread time) bwd-filter im2col", t0, t1, 0);
                        OpProfile.add("  (thread time) bwd-filter sgemm", t1, 2L * cout * nb * k);
                    }
                    first = false;
                }
            }
            float[] part = new float[cout * k];
            acc.buf().get(0, part, 0, part.length);
            partials[ck] = part;
        });
        for (float[] part : partials) for (int j = 0; j < gw.length; j++) gw[j] += part[j];
        if (xp != null) HostArrays.giveBack(xp.data());
        return gwT;
    }
}
