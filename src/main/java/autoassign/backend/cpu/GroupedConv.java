package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;

/**
 * Grouped 2-d convolution (groups &gt; 1: ResNeXt's 3×3, depthwise convs) as im2col + sgemm per group.
 *
 * <p>Group g reads input channels [g·Cin/G, (g+1)·Cin/G) — a contiguous slice of each image — and writes output
 * channels [g·Cout/G, (g+1)·Cout/G), with weight rows [g·Cout/G, ...) of the [Cout, Cin/G·kH·kW] matrix. So each
 * group is the dense im2col + GEMM of {@link Conv} on slices, with no copies: the column block is unfolded from the
 * group's channels ({@link Im2col}) and sgemm reads the weight and gradient at the group's offsets. The dense fast
 * paths (Winograd, shifted GEMM, stride phases) assume one group and are never taken here.
 *
 * <ul>
 * <li>forward and backward data: one task per (image, group); tasks write disjoint regions of the output (the
 *     group's output channels, or its input channels for col2im), so they need no halo or merge step.</li>
 * <li>backward filter: one task per group, summing its images in order (deterministic); each group owns its
 *     weight rows.</li>
 * </ul>
 * Every task walks its output rows in blocks of about {@link Conv#blockFloats} column floats.
 */
final class GroupedConv {
    private GroupedConv() {}

    /** Least (image, group) tasks per parallel chunk: about 4 MFLOP, so that handing a chunk to a helper pays off. */
    private static int minTasks(int coutG, int kG, int ohw) {
        return (int) Math.max(1, 4_000_000L / Math.max(1L, 2L * coutG * kG * ohw));
    }

    /** Copies a host array region into native scratch {@code slot} of the calling thread. */
    private static OffHeap.Buf stage(int slot, float[] src, int len) {
        OffHeap.Buf b = OffHeap.get(slot, len);
        b.buf().put(0, src, 0, len);
        return b;
    }

    /** y = conv(x, w) + bias with weight [Cout, Cin/G, kH, kW]; {@code os} is the checked output shape. */
    static Tensor forward(Tensor x, Tensor w, Tensor bias, ConvParams p, int[] os) {
        int[] xs = x.shape(), ws = w.shape();
        int groups = p.groups(), n = xs[0], h = xs[2], wd = xs[3], kh = ws[2], kw = ws[3];
        int cinG = ws[1], coutG = ws[0] / groups, kG = cinG * kh * kw, oh = os[2], ow = os[3], ohw = oh * ow;
        long inPlane = (long) xs[1] * h * wd, outPlane = (long) ws[0] * ohw, groupIn = (long) cinG * h * wd;
        Tensor outT = HostArrays.empty(os); // every task writes all of its group's channels
        float[] xd = x.data(), out = outT.data(), b = bias == null ? null : bias.data();
        if (n == 0) return outT;
        OffHeap.Buf a = stage(OffHeap.CONV_W, w.data(), ws[0] * kG);
        int rowsPerBlock = Conv.blockRows(kG, ow);
        Parallel.range(n * groups, minTasks(coutG, kG, ohw), (t0, t1) -> {
            int maxNb = Math.min(rowsPerBlock, oh) * ow;
            OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) kG * maxNb);
            OffHeap.Buf c = OffHeap.get(OffHeap.CONV_OUT, (long) coutG * maxNb);
            float[] row = new float[maxNb];
            for (int t = t0; t < t1; t++) {
                int i = t / groups, g = t % groups;
                for (int oy0 = 0; oy0 < oh; oy0 += rowsPerBlock) {
                    int oy1 = Math.min(oh, oy0 + rowsPerBlock), nb = (oy1 - oy0) * ow;
                    Im2col.im2colBlock(xd, (int) (i * inPlane + g * groupIn), cinG, h, wd, kh, kw, p, oy0, oy1, ow,
                            col.buf(), row);
                    // C[Cout/G, block] = W_g[Cout/G, K/G] · col[K/G, block]
                    Blas.sgemm(false, false, coutG, nb, kG, 1f, a.ptr(), (long) g * coutG * kG, kG, col.ptr(), 0, nb,
                            0f, c.ptr(), 0, nb);
                    int dst = (int) (i * outPlane + (long) g * coutG * ohw) + oy0 * ow;
                    for (int ch = 0; ch < coutG; ch++) {
                        int base = dst + ch * ohw;
                        c.buf().get(ch * nb, out, base, nb);
                        if (b != null) {
                            float v = b[g * coutG + ch];
                            for (int j = 0; j < nb; j++) out[base + j] += v;
                        }
                    }
                }
            }
        });
        return outT;
    }

    /** dx of y = conv(x, w): per group col = W_gᵀ · G_g, folded back into the group's input channels. */
    static Tensor backwardInput(Tensor gradOut, Tensor w, int[] xs, ConvParams p, int[] os) {
        int[] ws = w.shape();
        int groups = p.groups(), n = xs[0], h = xs[2], wd = xs[3], kh = ws[2], kw = ws[3];
        int cinG = ws[1], coutG = ws[0] / groups, kG = cinG * kh * kw, oh = os[2], ow = os[3], ohw = oh * ow;
        long inPlane = (long) xs[1] * h * wd, outPlane = (long) ws[0] * ohw, groupIn = (long) cinG * h * wd;
        Tensor gxT = HostArrays.zeros(xs); // col2im adds into it
        float[] gx = gxT.data();
        if (n == 0) return gxT;
        OffHeap.Buf a = stage(OffHeap.CONV_W, w.data(), ws[0] * kG);
        OffHeap.Buf gb = stage(OffHeap.CONV_G, gradOut.data(), (int) (n * outPlane));
        int rowsPerBlock = Conv.blockRows(kG, ow);
        Parallel.range(n * groups, minTasks(coutG, kG, ohw), (t0, t1) -> {
            int maxNb = Math.min(rowsPerBlock, oh) * ow;
            OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) kG * maxNb);
            float[] row = new float[maxNb];
            for (int t = t0; t < t1; t++) {
                int i = t / groups, g = t % groups;
                for (int oy0 = 0; oy0 < oh; oy0 += rowsPerBlock) {
                    int oy1 = Math.min(oh, oy0 + rowsPerBlock), nb = (oy1 - oy0) * ow;
                    // col[K/G, block] = W_gᵀ[K/G, Cout/G] · G_g[Cout/G, block]
                    Blas.sgemm(true, false, kG, nb, coutG, 1f, a.ptr(), (long) g * coutG * kG, kG, gb.ptr(),
                            i * outPlane + (long) g * coutG * ohw + (long) oy0 * ow, ohw, 0f, col.ptr(), 0, nb);
                    // blocks of one task run in order, so their overlapping input rows add up without races
                    Im2col.col2imBlock(col.buf(), cinG, h, wd, kh, kw, p, oy0, oy1, ow, gx, (int) (i * inPlane + g * groupIn), row);
                }
            }
        });
        return gxT;
    }

    /** dW of y = conv(x, w): per group dW_g = Σ over images and blocks G_g · colᵀ. */
    static Tensor backwardWeight(Tensor gradOut, Tensor x, int[] ws, ConvParams p, int[] os) {
        int[] xs = x.shape();
        int groups = p.groups(), n = xs[0], h = xs[2], wd = xs[3], kh = ws[2], kw = ws[3];
        int cinG = ws[1], coutG = ws[0] / groups, kG = cinG * kh * kw, oh = os[2], ow = os[3], ohw = oh * ow;
        long inPlane = (long) xs[1] * h * wd, outPlane = (long) ws[0] * ohw, groupIn = (long) cinG * h * wd;
        Tensor gwT = HostArrays.zeros(ws);
        float[] xd = x.data(), gw = gwT.data();
        if (n == 0) return gwT;
        OffHeap.Buf gb = stage(OffHeap.CONV_G, gradOut.data(), (int) (n * outPlane));
        int rowsPerBlock = Conv.blockRows(kG, ow);
        Parallel.range(groups, Math.max(1, minTasks(coutG, kG, ohw) / n), (g0, g1) -> {
            int maxNb = Math.min(rowsPerBlock, oh) * ow;
            OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) kG * maxNb);
            OffHeap.Buf acc = OffHeap.get(OffHeap.CONV_OUT, (long) coutG * kG);
            float[] row = new float[maxNb];
            for (int g = g0; g < g1; g++) {
                boolean first = true;
                for (int i = 0; i < n; i++) {
                    for (int oy0 = 0; oy0 < oh; oy0 += rowsPerBlock) {
                        int oy1 = Math.min(oh, oy0 + rowsPerBlock), nb = (oy1 - oy0) * ow;
                        Im2col.im2colBlock(xd, (int) (i * inPlane + g * groupIn), cinG, h, wd, kh, kw, p, oy0, oy1, ow,
                                col.buf(), row);
                        // dW_g[Cout/G, K/G] (+)= G_g[Cout/G, block] · colᵀ[block, K/G]
                        Blas.sgemm(false, true, coutG, kG, nb, 1f, gb.ptr(), i * outPlane + (long) g * coutG * ohw
                                + (long) oy0 * ow, ohw, col.ptr(), 0, nb, first ? 0f : 1f, acc.ptr(), 0, kG);
                        first = false;
                    }
                }
                acc.buf().get(0, gw, g * coutG * kG, coutG * kG);
            }
        });
        return gwT;
    }
}
