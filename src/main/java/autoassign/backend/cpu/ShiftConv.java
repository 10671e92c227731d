package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;

import java.nio.FloatBuffer;

/**
 * Stride-1 convolution as a sum of shifted GEMMs ("implicit GEMM" without any im2col).
 *
 * <p>The input is copied once into native memory, zero-padded, as one matrix {@code X[Cin, Q]} whose columns are
 * the padded grid of all images one after the other: image i, padded row y, padded column x is column
 * {@code i·Hp·Wp + y·Wp + x} ({@code Hp = H + 2·padH}, {@code Wp = W + 2·padW}). On that grid, tap (ky, kx) of
 * the kernel is a plain column shift {@code off = ky·dH·Wp + kx·dW}, so the output at grid column q is
 * <pre>  Y[:, q] = Σ_taps W_tap · X[:, q + off_tap]      (W_tap = W[:, :, ky, kx], a [Cout, Cin] matrix)</pre>
 * which is one sgemm per tap on a shifted view of X with leading dimension Q: no column matrix, no unfolding.
 * Outputs at grid columns outside the {@code oh × ow} window (the right/bottom pad, {@code (Hp·Wp)/(oh·ow)} − 1
 * extra work: 3 % at 100×152, 13 % at 32×32) are computed and dropped.
 *
 * <ul>
 * <li>forward: per column block, {@code C[Cout, blk] = Σ_tap W_tap · X[:, blk + off]} (beta = 1 after the first
 *     tap, C stays in cache), copied (+ bias) into the output.</li>
 * <li>backward data: the gradient on the grid {@code G[Cout, Q]} (zero outside the output window, {@code maxOff}
 *     zero columns in front) gives {@code dX[:, p] = Σ_tap W_tapᵀ · G[:, p − off_tap]}; the interior of dX is the
 *     input gradient. Every column is written by one worker: no halo, no scatter-add.</li>
 * <li>backward filter: {@code dW_tap = Σ_q G[:, q] · X[:, q + off_tap]ᵀ}, per worker over its column range, summed.</li>
 * </ul>
 * Work is split over the cores by grid columns ({@link Parallel}); OpenBLAS runs single-threaded per call.
 */
final class ShiftConv {
    /** Forward / backward-data column block: about 2^19 floats of C (2 MiB), cache-resident (L2/L3) across the taps. */
    static volatile int blockFloats = Integer.getInteger("autoassign.shift.blockFloats", 1 << 19);
    static final int MIN_BLOCK_COLS = 256;
    /** Least columns per sgemm call (tests lower it to get many blocks on small images). */
    static volatile int minBlockCols = 4 * MIN_BLOCK_COLS;
    /** Backward filter splits over output channels (chunks of at least this many) when there are 2× as many. */
    static final int SPLIT_COUT_MIN = 32;

    private ShiftConv() {}

    /** Whether this geometry runs here (stride 1 both ways). */
    static boolean applies(ConvParams p) {
        return p.strideH() == 1 && p.strideW() == 1 && !p.grouped(); // grouped convs: GroupedConv
    }

    /** Grid geometry of one call. */
    private record Grid(int n, int h, int w, int hp, int wp, int oh, int ow, int padH, int padW, int kh, int kw,
                        int[] off, int maxOff) {
        static Grid of(int[] xs, int kh, int kw, ConvParams p, int oh, int ow) {
            int hp = xs[2] + 2 * p.padH(), wp = xs[3] + 2 * p.padW();
            int[] off = new int[kh * kw];
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++) off[ky * kw + kx] = ky * p.dilationH() * wp + kx * p.dilationW();
            return new Grid(xs[0], xs[2], xs[3], hp, wp, oh, ow, p.padH(), p.padW(), kh, kw, off, off[off.length - 1]);
        }

        long plane() { return (long) hp * wp; }

        /** Grid columns that hold outputs: up to the last valid output of the last image. */
        int outCols() { return Math.toIntExact((n - 1) * plane() + (long) (oh - 1) * wp + ow); }
    }

    /** Least grid columns per parallel chunk: about 4 MFLOP, so that handing a chunk to a helper pays off. */
    private static int minChunkCols(int m, int k, int taps) {
        return (int) Math.max(MIN_BLOCK_COLS, 4_000_000L / Math.max(1L, 2L * m * k * taps));
    }

    /**
     * Columns per sgemm call: a single tap writes C once, so its calls are 8× wider (up to 16 MiB of C); with
     * several taps C is accumulated per tap and a block keeps it in cache, but at least 1024 columns (narrower
     * calls repack the weights too often: 512→512 at 25×38 ran at 60 % of the im2col GEMM with 256-column blocks).
     */
    private static int blockCols(int rows, int taps) {
        return Math.max(minBlockCols, (taps == 1 ? 8 * blockFloats : blockFloats) / Math.max(1, rows));
    }

    /** W[Cout, Cin, kh, kw] → native [tap][Cout][Cin] in the calling thread's {@code slot}. */
    private static OffHeap.Buf packTaps(float[] w, int cout, int cin, int taps, int slot) {
        float[] packed = HostArrays.borrow(taps * cout * cin);
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++) {
                int src = (co * cin + ci) * taps;
                for (int t = 0; t < taps; t++) packed[(t * cout + co) * cin + ci] = w[src + t];
            }
        OffHeap.Buf b = OffHeap.get(slot, packed.length);
        b.buf().put(0, packed, 0, packed.length);
        HostArrays.giveBack(packed);
        return b;
    }

    /**
     * Copies x [n, c, h, w] into native X[c, cols] on the zero-padded grid, starting at column {@code lead}
     * ({@code lead} zero columns in front, zeros up to {@code cols} after the last image).
     */
    private static OffHeap.Buf toGrid(float[] x, int c, Grid g, int lead, long cols, int slot) {
        OffHeap.Buf b = OffHeap.get(slot, c * cols);
        FloatBuffer fb = b.buf();
        long plane = g.plane();
        Parallel.range(c, (int) Math.max(1, (1 << 16) / Math.max(1, cols)), (c0, c1) -> {
            float[] zeros = new float[Math.max(g.wp, lead)];
            float[] row = new float[g.wp];
            for (int ch = c0; ch < c1; ch++) {
                long base = ch * cols;
                if (lead > 0) fb.put((int) base, zeros, 0, lead);
                for (int i = 0; i < g.n; i++) {
                    long ib = base + lead + i * plane;
                    int src = (i * c + ch) * g.h * g.w;
                    for (int y = 0; y < g.hp; y++) {
                        int iy = y - g.padH;
                        if (iy < 0 || iy >= g.h) {
                            fb.put((int) (ib + (long) y * g.wp), zeros, 0, g.wp);
                        } else {
                            System.arraycopy(x, src + iy * g.w, row, g.padW, g.w);
                            fb.put((int) (ib + (long) y * g.wp), row, 0, g.wp);
                        }
                    }
                }
                long end = base + lead + g.n * plane, stop = base + cols;
                for (long j = end; j < stop; j += zeros.length) fb.put((int) j, zeros, 0, (int) Math.min(zeros.length, stop - j));
            }
        });
        return b;
    }

    static Tensor forward(float[] xd, int[] xs, float[] w, int cout, int kh, int kw, float[] bias, ConvParams p,
                          int[] os) {
        int cin = xs[1], taps = kh * kw, oh = os[2], ow = os[3], ohw = oh * ow;
        Grid g = Grid.of(xs, kh, kw, p, oh, ow);
        Tensor outT = HostArrays.empty(os);
        float[] out = outT.data();
        if (g.n == 0) return outT;
        int q = g.outCols();
        long cols = (long) q + g.maxOff;
        OffHeap.Buf a = packTaps(w, cout, cin, taps, OffHeap.CONV_W);
        OffHeap.Buf xg = toGrid(xd, cin, g, 0, cols, OffHeap.SHIFT_X);
        int blk = blockCols(cout, taps);
        Parallel.range(q, minChunkCols(cout, cin, taps), (q0, q1) -> {
            OffHeap.Buf c = OffHeap.get(OffHeap.SHIFT_C, (long) cout * Math.min(blk, q1 - q0));
            float[] row = new float[Math.min(blk, q1 - q0)];
            for (int b0 = q0; b0 < q1; b0 += blk) {
                int nb = Math.min(blk, q1 - b0);
                long t0 = OpProfile.start();
                for (int t = 0; t < taps; t++)
                    Blas.sgemm(false, false, cout, nb, cin, 1f, a.ptr(), (long) t * cout * cin, cin,
                            xg.ptr(), b0 + (long) g.off[t], (int) cols, t == 0 ? 0f : 1f, c.ptr(), 0, nb);
                long t1 = OpProfile.start();
                gridToOut(c.buf(), nb, b0, g, cout, out, bias, row);
                if (OpProfile.ENABLED) {
                    OpProfile.addSpan("  (thread time) shift fwd sgemm", t0, t1, 2L * cout * nb * cin * taps);
                    OpProfile.add("  (thread time) shift fwd copy-out", t1, 0);
                }
            }
        });
        return outT;
    }

    /** Copies grid columns [b0, b0 + nb) of C[ch, nb] that are outputs into out [n, ch, oh, ow] (+ bias). */
    private static void gridToOut(FloatBuffer c, int nb, int b0, Grid g, int channels, float[] out, float[] bias, float[] row) {
        long plane = g.plane();
        // walk the output rows (image i, row oy) whose grid span [start, start + ow) meets [b0, b0 + nb)
        long lo = b0, hi = (long) b0 + nb;
        int i0 = (int) (lo / plane), i1 = (int) Math.min(g.n - 1, (hi - 1) / plane);
        for (int ch = 0; ch < channels; ch++) {
            c.get(ch * nb, row, 0, nb);
            float bv = bias == null ? 0f : bias[ch];
            for (int i = i0; i <= i1; i++) {
                long ib = i * plane;
                int y0 = (int) Math.max(0, (lo - ib) / g.wp), y1 = (int) Math.min(g.oh - 1, (hi - 1 - ib) / g.wp);
                for (int oy = y0; oy <= y1; oy++) {
                    long s = ib + (long) oy * g.wp;
                    int x0 = (int) Math.max(0, lo - s), x1 = (int) Math.min(g.ow, hi - s);
                    if (x1 <= x0) continue;
                    int src = (int) (s - lo), dst = ((i * channels + ch) * g.oh + oy) * g.ow;
                    if (bias == null) {
                        System.arraycopy(row, src + x0, out, dst + x0, x1 - x0);
                    } else {
                        for (int xx = x0; xx < x1; xx++) out[dst + xx] = row[src + xx] + bv;
                    }
                }
            }
        }
    }

    static Tensor backwardInput(float[] gd, int[] xs, float[] w, int cout, int kh, int kw, ConvParams p, int[] os) {
        int cin = xs[1], taps = kh * kw;
        Grid g = Grid.of(xs, kh, kw, p, os[2], os[3]);
        Tensor gxT = HostArrays.empty(xs); // every interior grid column is written once
        float[] gx = gxT.data();
        if (g.n == 0) return gxT;
        int q = Math.toIntExact(g.n * g.plane());           // dX grid columns
        long cols = (long) g.maxOff + q;                    // G grid: maxOff zero columns in front
        OffHeap.Buf a = packTaps(w, cout, cin, taps, OffHeap.CONV_W);
        OffHeap.Buf gg = gradToGrid(gd, cout, g, cols);
        int blk = blockCols(cin, taps);
        Parallel.range(q, minChunkCols(cin, cout, taps), (q0, q1) -> {
            OffHeap.Buf c = OffHeap.get(OffHeap.SHIFT_C, (long) cin * Math.min(blk, q1 - q0));
            float[] row = new float[Math.min(blk, q1 - q0)];
            for (int b0 = q0; b0 < q1; b0 += blk) {
                int nb = Math.min(blk, q1 - b0);
                long t0 = OpProfile.start();
                for (int t = 0; t < taps; t++)
                    Blas.sgemm(true, false, cin, nb, cout, 1f, a.ptr(), (long) t * cout * cin, cin,
                            gg.ptr(), (long) g.maxOff + b0 - g.off[t], (int) cols, t == 0 ? 0f : 1f, c.ptr(), 0, nb);
                long t1 = OpProfile.start();
                gridToInput(c.buf(), nb, b0, g, cin, gx, row);
                if (OpProfile.ENABLED) {
                    OpProfile.addSpan("  (thread time) shift bwd-data sgemm", t0, t1, 2L * cin * nb * cout * taps);
                    OpProfile.add("  (thread time) shift bwd-data copy-out", t1, 0);
                }
            }
        });
        return gxT;
    }

    /** G [n, cout, oh, ow] → native [cout, cols] on the grid at column offset maxOff, zero elsewhere. */
    private static OffHeap.Buf gradToGrid(float[] gd, int cout, Grid g, long cols) {
        OffHeap.Buf b = OffHeap.get(OffHeap.SHIFT_G, cout * cols);
        FloatBuffer fb = b.buf();
        long plane = g.plane();
        int ohw = g.oh * g.ow;
        Parallel.range(cout, (int) Math.max(1, (1 << 16) / Math.max(1, cols)), (c0, c1) -> {
            float[] zeros = new float[Math.max(g.wp, g.maxOff)];
            float[] row = new float[g.wp];
            for (int ch = c0; ch < c1; ch++) {
                long base = ch * cols;
                if (g.maxOff > 0) fb.put((int) base, zeros, 0, g.maxOff);
                for (int i = 0; i < g.n; i++) {
                    long ib = base + g.maxOff + i * plane;
                    int src = (i * cout + ch) * ohw;
                    for (int y = 0; y < g.hp; y++) {
                        if (y >= g.oh) {
                            fb.put((int) (ib + (long) y * g.wp), zeros, 0, g.wp);
                        } else {
                            System.arraycopy(gd, src + y * g.ow, row, 0, g.ow);
                            fb.put((int) (ib + (long) y * g.wp), row, 0, g.wp); // row[ow..wp) stays zero
                        }
                    }
                }
            }
        });
        return b;
    }

    /** Copies the interior (non-pad) columns of dX grid block [b0, b0 + nb) into gx [n, c, h, w]. */
    private static void gridToInput(FloatBuffer c, int nb, int b0, Grid g, int channels, float[] gx, float[] row) {
        long plane = g.plane();
        long lo = b0, hi = (long) b0 + nb;
        int i0 = (int) (lo / plane), i1 = (int) Math.min(g.n - 1, (hi - 1) / plane);
        for (int ch = 0; ch < channels; ch++) {
            c.get(ch * nb, row, 0, nb);
            for (int i = i0; i <= i1; i++) {
                long ib = i * plane;
                int y0 = (int) Math.max(g.padH, (lo - ib) / g.wp), y1 = (int) Math.min(g.padH + g.h - 1, (hi - 1 - ib) / g.wp);
                for (int y = y0; y <= y1; y++) {
                    long s = ib + (long) y * g.wp;
                    int x0 = (int) Math.max(g.padW, lo - s), x1 = (int) Math.min(g.padW + g.w, hi - s);
                    if (x1 <= x0) continue;
                    int dst = ((i * channels + ch) * g.h + (y - g.padH)) * g.w - g.padW;
                    System.arraycopy(row, (int) (s - lo) + x0, gx, dst + x0, x1 - x0);
                }
            }
        }
    }

    static Tensor backwardWeight(float[] gd, float[] xd, int[] xs, int[] ws, ConvParams p, int[] os) {
        int cout = ws[0], cin = xs[1], kh = ws[2], kw = ws[3], taps = kh * kw;
        Grid g = Grid.of(xs, kh, kw, p, os[2], os[3]);
        Tensor gwT = cout >= 2 * SPLIT_COUT_MIN ? HostArrays.empty(ws) : HostArrays.zeros(ws); // rows written once / summed
        float[] gw = gwT.data();
        if (g.n == 0) { java.util.Arrays.fill(gw, 0f); return gwT; }
        int q = g.outCols();
        long xcols = (long) q + g.maxOff, gcols = (long) g.maxOff + g.n * g.plane();
        OffHeap.Buf xg = toGrid(xd, cin, g, 0, xcols, OffHeap.SHIFT_X);
        OffHeap.Buf gg = gradToGrid(gd, cout, g, gcols);
        if (cout >= 2 * SPLIT_COUT_MIN) {
            // split by output channels: each worker computes whole rows of dW over all columns, nothing to reduce
            Parallel.range(cout, SPLIT_COUT_MIN, (c0, c1) -> {
                int m = c1 - c0;
                OffHeap.Buf acc = OffHeap.get(OffHeap.SHIFT_C, (long) taps * m * cin);
                long t0 = OpProfile.start();
                for (int t = 0; t < taps; t++)
                    Blas.sgemm(false, true, m, cin, q, 1f, gg.ptr(), c0 * gcols + g.maxOff, (int) gcols,
                            xg.ptr(), g.off[t], (int) xcols, 0f, acc.ptr(), (long) t * m * cin, cin);
                if (OpProfile.ENABLED) OpProfile.add("  (thread time) shift bwd-filter sgemm", t0, 2L * m * cin * taps * q);
                float[] part = HostArrays.borrow(taps * m * cin);
                acc.buf().get(0, part, 0, part.length);
                for (int t = 0; t < taps; t++)
                    for (int co = 0; co < m; co++) {
                        int src = (t * m + co) * cin, dst = (c0 + co) * cin * taps + t;
                        for (int ci = 0; ci < cin; ci++) gw[dst + ci * taps] = part[src + ci];
                    }
                HostArrays.giveBack(part);
            });
            return gwT;
        }
        // few output channels: split by columns, one partial dW per chunk, summed in chunk order (deterministic)
        int chunks = Parallel.chunkCount(q, minChunkCols(cout, cin, taps));
        float[][] partials = new float[chunks][];
        Parallel.chunks(q, minChunkCols(cout, cin, taps), (ck, q0, q1) -> {
            OffHeap.Buf acc = OffHeap.get(OffHeap.SHIFT_C, (long) taps * cout * cin);
            long t0 = OpProfile.start();
            // dW_tap[Cout, Cin] = G[Cout, q0..q1) · X[Cin, q0+off..q1+off)ᵀ
            for (int t = 0; t < taps; t++)
                Blas.sgemm(false, true, cout, cin, q1 - q0, 1f, gg.ptr(), (long) g.maxOff + q0, (int) gcols,
                        xg.ptr(), (long) q0 + g.off[t], (int) xcols, 0f, acc.ptr(), (long) t * cout * cin, cin);
            if (OpProfile.ENABLED) OpProfile.add("  (thread time) shift bwd-filter sgemm", t0, 2L * cout * cin * taps * (q1 - q0));
            float[] part = new float[taps * cout * cin];
            acc.buf().get(0, part, 0, part.length);
            partials[ck] = part;
        });
        for (float[] part : partials)
            for (int t = 0; t < taps; t++)
                for (int co = 0; co < cout; co++) {
                    int src = (t * cout + co) * cin, dst = co * cin * taps + t;
                    for (int ci = 0; ci < cin; ci++) gw[dst + ci * taps] += part[src + ci];
                }
        return gwT;
    }
}
