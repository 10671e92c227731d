package autoassign.backend.cpu;

import autoassign.backend.DeformConvGrads;
import autoassign.backend.DeformConvParams;
import autoassign.tensor.Tensor;

/**
 * CPU twin of MMCV's deformable convolution (DCN: {@code deform_conv_cuda_kernel.cuh}, DCNv2:
 * {@code modulated_deform_conv_cuda_kernel.cuh}; mmcv commit 469a21c): deformable im2col, then the grouped GEMM
 * with the weight through {@link Blas#sgemm}; the backward scatters the columns' gradient back through the bilinear
 * weights (col2im) and forms the offsets' and mask's gradients per output position (col2im_coord). One image at a
 * time (MMCV's {@code im2col_step} only batches the same arithmetic). DCN is DCNv2 with a mask of ones: the kernels
 * differ only by the multiplications by the mask, exact for 1. The per-element functions are those of
 * {@code backend_kernels.cu} ({@code aaj_dcn_*}), in the same float operations.
 */
final class DeformConv {
    private DeformConv() {}

    // ------------------------------------------------------------------ per-element math (MMCV's device functions)

    /** dmcn_im2col_bilinear: the bilinear sample at (h, w) of one channel, corners outside the image read 0. */
    static float bilinear(float[] im, int base, int height, int width, float h, float w) {
        int hLow = (int) Math.floor(h), wLow = (int) Math.floor(w);
        int hHigh = hLow + 1, wHigh = wLow + 1;
        float lh = h - hLow, lw = w - wLow;
        float hh = 1 - lh, hw = 1 - lw;
        float v1 = 0, v2 = 0, v3 = 0, v4 = 0;
        if (hLow >= 0 && wLow >= 0) v1 = im[base + hLow * width + wLow];
        if (hLow >= 0 && wHigh <= width - 1) v2 = im[base + hLow * width + wHigh];
        if (hHigh <= height - 1 && wLow >= 0) v3 = im[base + hHigh * width + wLow];
        if (hHigh <= height - 1 && wHigh <= width - 1) v4 = im[base + hHigh * width + wHigh];
        float w1 = hh * hw, w2 = hh * lw, w3 = lh * hw, w4 = lh * lw;
        return w1 * v1 + w2 * v2 + w3 * v3 + w4 * v4;
    }

    /** dmcn_get_gradient_weight: the bilinear weight of pixel (h, w) in the sample at (ah, aw); 0 off the image. */
    static float gradientWeight(float ah, float aw, int h, int w, int height, int width) {
        if (ah <= -1 || ah >= height || aw <= -1 || aw >= width) return 0;
        int hLow = (int) Math.floor(ah), wLow = (int) Math.floor(aw);
        int hHigh = hLow + 1, wHigh = wLow + 1;
        float weight = 0;
        if (h == hLow && w == wLow) weight = (h + 1 - ah) * (w + 1 - aw);
        if (h == hLow && w == wHigh) weight = (h + 1 - ah) * (aw + 1 - w);
        if (h == hHigh && w == wLow) weight = (ah + 1 - h) * (w + 1 - aw);
        if (h == hHigh && w == wHigh) weight = (ah + 1 - h) * (aw + 1 - w);
        return weight;
    }

    /**
     * dmcn_get_coordinate_weight: ∂ sample / ∂h ({@code bpDir} 0) or ∂w (1) of the bilinear sample at (ah, aw) of
     * one channel; 0 off the image.
     */
    static float coordinateWeight(float ah, float aw, int height, int width, float[] im, int base, int bpDir) {
        if (ah <= -1 || ah >= height || aw <= -1 || aw >= width) return 0;
        int hLow = (int) Math.floor(ah), wLow = (int) Math.floor(aw);
        int hHigh = hLow + 1, wHigh = wLow + 1;
        float weight = 0;
        if (bpDir == 0) {
            if (hLow >= 0 && wLow >= 0) weight += -1 * (wLow + 1 - aw) * im[base + hLow * width + wLow];
            if (hLow >= 0 && wHigh <= width - 1) weight += -1 * (aw - wLow) * im[base + hLow * width + wHigh];
            if (hHigh <= height - 1 && wLow >= 0) weight += (wLow + 1 - aw) * im[base + hHigh * width + wLow];
            if (hHigh <= height - 1 && wHigh <= width - 1) weight += (aw - wLow) * im[base + hHigh * width + wHigh];
        } else {
            if (hLow >= 0 && wLow >= 0) weight += -1 * (hLow + 1 - ah) * im[base + hLow * width + wLow];
            if (hLow >= 0 && wHigh <= width - 1) weight += (hLow + 1 - ah) * im[base + hLow * width + wHigh];
            if (hHigh <= height - 1 && wLow >= 0) weight += -1 * (ah - hLow) * im[base + hHigh * width + wLow];
            if (hHigh <= height - 1 && wHigh <= width - 1) weight += (ah - hLow) * im[base + hHigh * width + wHigh];
        }
        return weight;
    }

    /** The geometry of one call, read off the shapes. */
    private record Geo(int n, int cin, int h, int w, int cout, int kh, int kw, int ho, int wo, int groups, int dg,
                       int sH, int sW, int pH, int pW, int dH, int dW) {
        static Geo of(int[] xs, int[] ws, DeformConvParams p) {
            var c = p.conv();
            return new Geo(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], p.outH(xs[2], ws[2]), p.outW(xs[3], ws[3]),
                    c.groups(), p.deformGroups(), c.strideH(), c.strideW(), c.padH(), c.padW(), c.dilationH(), c.dilationW());
        }

        int kk() { return kh * kw; }

        int hw() { return ho * wo; }

        /** Rows of the column matrix per channel group: Cin/groups·kH·kW (the GEMM's K). */
        int colRowsPerGroup() { return cin / groups * kk(); }

        int channelsPerDeformGroup() { return cin / dg; }
    }

    // ------------------------------------------------------------------ im2col / col2im / col2im_coord of one image

    /**
     * modulated_deformable_im2col (batch 1): col[(c·kH + i)·kW + j][y·Wo + x] = mask · bilinear sample of channel
     * c of image {@code img} at its tap (i, j); channels in parallel.
     */
    static void im2col(Geo g, float[] x, int img, float[] off, float[] mask, float[] col) {
        int hw = g.hw(), kk = g.kk(), cpg = g.channelsPerDeformGroup();
        Parallel.range(g.cin, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int dgi = c / cpg;
                int imBase = (img * g.cin + c) * g.h * g.w;
                int offBase = (img * g.dg + dgi) * 2 * kk * hw, maskBase = (img * g.dg + dgi) * kk * hw;
                for (int i = 0; i < g.kh; i++)
                    for (int j = 0; j < g.kw; j++) {
                        int k = i * g.kw + j, row = (c * kk + k) * hw;
                        for (int y = 0; y < g.ho; y++)
                            for (int xo = 0; xo < g.wo; xo++) {
                                int pos = y * g.wo + xo;
                                float offH = off[offBase + 2 * k * hw + pos], offW = off[offBase + (2 * k + 1) * hw + pos];
                                float m = mask == null ? 1f : mask[maskBase + k * hw + pos];
                                float hIm = y * g.sH - g.pH + i * g.dH + offH, wIm = xo * g.sW - g.pW + j * g.dW + offW;
                                float val = 0;
                                if (hIm > -1 && wIm > -1 && hIm < g.h && wIm < g.w) val = bilinear(x, imBase, g.h, g.w, hIm, wIm);
                                col[row + pos] = mask == null ? val : val * m;
                            }
                    }
            }
        });
    }

    /**
     * modulated_deformable_col2im (batch 1): every column gradient (times the mask) is added to the input pixels
     * within distance 1 of its sample in both axes, weighted by {@link #gradientWeight}, in MMCV's index order
     * (c, i, j, y, x; the CUDA kernel's atomicAdds in some order). Channels in parallel: a channel's columns touch
     * only that channel.
     */
    static void col2im(Geo g, float[] gcol, float[] off, float[] mask, int img, float[] gx) {
        int hw = g.hw(), kk = g.kk(), cpg = g.channelsPerDeformGroup();
        Parallel.range(g.cin, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int dgi = c / cpg;
                int offBase = (img * g.dg + dgi) * 2 * kk * hw, maskBase = (img * g.dg + dgi) * kk * hw;
                int gxBase = (img * g.cin + c) * g.h * g.w;
                for (int i = 0; i < g.kh; i++)
                    for (int j = 0; j < g.kw; j++) {
                        int k = i * g.kw + j, row = (c * kk + k) * hw;
                        for (int y = 0; y < g.ho; y++)
                            for (int xo = 0; xo < g.wo; xo++) {
                                int pos = y * g.wo + xo;
                                float offH = off[offBase + 2 * k * hw + pos], offW = off[offBase + (2 * k + 1) * hw + pos];
                                float invH = y * g.sH - g.pH + i * g.dH + offH, invW = xo * g.sW - g.pW + j * g.dW + offW;
                                float top = mask == null ? gcol[row + pos] : gcol[row + pos] * mask[maskBase + k * hw + pos];
                                int curH = (int) invH, curW = (int) invW;
                                for (int dy = -2; dy <= 2; dy++)
                                    for (int dx = -2; dx <= 2; dx++) {
                                        int hh = curH + dy, ww = curW + dx;
                                        if (hh >= 0 && hh < g.h && ww >= 0 && ww < g.w && Math.abs(invH - hh) < 1 && Math.abs(invW - ww) < 1)
                                            gx[gxBase + hh * g.w + ww] += gradientWeight(invH, invW, hh, ww, g.h, g.w) * top;
                                    }
                            }
                    }
            }
        });
    }

    /**
     * modulated_deformable_col2im_coord (batch 1): per offset channel (Δy or Δx of tap k of a deform group) and
     * output position, Σ over the group's channels of the column gradient · mask · ∂sample/∂coordinate, and for the
     * mask Σ column gradient · sample (a sample off the image contributes 0 to both).
     */
    static void col2imCoord(Geo g, float[] gcol, float[] x, float[] off, float[] mask, int img, float[] gOff, float[] gMask) {
        int hw = g.hw(), kk = g.kk(), cpg = g.channelsPerDeformGroup(), offsetChannels = g.dg * 2 * kk;
        Parallel.range(offsetChannels, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int dgi = c / (2 * kk), offsetC = c - dgi * 2 * kk, k = offsetC / 2, bpDir = offsetC % 2;
                int i = k / g.kw, j = k % g.kw;
                int offBase = (img * g.dg + dgi) * 2 * kk * hw, maskBase = (img * g.dg + dgi) * kk * hw;
                int imBase0 = (img * g.cin + dgi * cpg) * g.h * g.w;
                for (int y = 0; y < g.ho; y++)
                    for (int xo = 0; xo < g.wo; xo++) {
                        int pos = y * g.wo + xo;
                        float offH = off[offBase + 2 * k * hw + pos], offW = off[offBase + (2 * k + 1) * hw + pos];
                        float m = mask == null ? 1f : mask[maskBase + k * hw + pos];
                        float invH = y * g.sH - g.pH + i * g.dH + offH, invW = xo * g.sW - g.pW + j * g.dW + offW;
                        boolean outside = invH <= -1 || invW <= -1 || invH >= g.h || invW >= g.w;
                        if (outside) invH = invW = -2;
                        float val = 0, mval = 0;
                        for (int cc = 0; cc < cpg; cc++) { // MMCV's col_c = k, k + kk, ... over the group's column rows
                            int colRow = (dgi * cpg + cc) * kk + k;
                            float gc = gcol[colRow * hw + pos];
                            int imBase = imBase0 + cc * g.h * g.w;
                            if (!outside && mask != null) mval += gc * bilinear(x, imBase, g.h, g.w, invH, invW);
                            float weight = coordinateWeight(invH, invW, g.h, g.w, x, imBase, bpDir);
                            val += mask == null ? weight * gc : weight * gc * m;
                        }
                        gOff[offBase + offsetC * hw + pos] = val;
                        if (mask != null && bpDir == 0) gMask[maskBase + k * hw + pos] = mval;
                    }
            }
        });
    }

    // ------------------------------------------------------------------ the op

    static Tensor forward(Tensor x, Tensor offset, Tensor mask, Tensor w, Tensor bias, DeformConvParams p) {
        int[] ys = p.check("deformConv2d", x.shape(), offset.shape(), mask == null ? null : mask.shape(), w.shape(),
                bias == null ? null : bias.shape());
        Geo g = Geo.of(x.shape(), w.shape(), p);
        float[] xd = x.data(), od = offset.data(), md = mask == null ? null : mask.data(), wd = w.data();
        float[] y = new float[Math.multiplyExact(Math.multiplyExact(g.n, g.cout), g.hw())];
        float[] col = new float[Math.multiplyExact(g.cin * g.kk(), g.hw())];
        int k = g.colRowsPerGroup(), coutG = g.cout / g.groups;
        for (int img = 0; img < g.n; img++) {
            im2col(g, xd, img, od, md, col);
            for (int gi = 0; gi < g.groups; gi++) // out[g] = W[g] · col[g]
                Blas.sgemm(false, false, coutG, g.hw(), k, 1f, wd, gi * coutG * k, k, col, gi * k * g.hw(), g.hw(),
                        0f, y, (img * g.cout + gi * coutG) * g.hw(), g.hw());
        }
        if (bias != null) {
            float[] b = bias.data();
            for (int img = 0; img < g.n; img++)
                for (int c = 0; c < g.cout; c++) {
                    int base = (img * g.cout + c) * g.hw();
                    for (int q = 0; q < g.hw(); q++) y[base + q] += b[c];
                }
        }
        return Tensor.of(y, ys);
    }

    static DeformConvGrads backward(Tensor gradOut, Tensor x, Tensor offset, Tensor mask, Tensor w, boolean withBias,
                                    DeformConvParams p) {
        int[] ys = p.check("deformConv2dBackward", x.shape(), offset.shape(), mask == null ? null : mask.shape(), w.shape(), null);
        if (!java.util.Arrays.equals(gradOut.shape(), ys))
            throw new IllegalArgumentException("deformConv2dBackward: gradOut " + autoassign.tensor.Shape.str(gradOut.shape())
                    + " does not match the output " + autoassign.tensor.Shape.str(ys));
        Geo g = Geo.of(x.shape(), w.shape(), p);
        float[] xd = x.data(), od = offset.data(), md = mask == null ? null : mask.data(), wd = w.data(), gy = gradOut.data();
        float[] gx = new float[xd.length], gOff = new float[od.length], gMask = md == null ? null : new float[md.length];
        float[] gw = new float[wd.length];
        float[] col = new float[Math.multiplyExact(g.cin * g.kk(), g.hw())], gcol = new float[col.length];
        int k = g.colRowsPerGroup(), coutG = g.cout / g.groups, hw = g.hw();
        for (int img = 0; img < g.n; img++) {
            for (int gi = 0; gi < g.groups; gi++) // gcol[g] = W[g]ᵀ · gradOut[g]
                Blas.sgemm(true, false, k, hw, coutG, 1f, wd, gi * coutG * k, k, gy, (img * g.cout + gi * coutG) * hw, hw,
                        0f, gcol, gi * k * hw, hw);
            col2imCoord(g, gcol, xd, od, md, img, gOff, gMask);
            col2im(g, gcol, od, md, img, gx);
            im2col(g, xd, img, od, md, col);
            for (int gi = 0; gi < g.groups; gi++) // gW[g] += gradOut[g] · col[g]ᵀ
                Blas.sgemm(false, true, coutG, k, hw, 1f, gy, (img * g.cout + gi * coutG) * hw, hw, col, gi * k * hw, hw,
                        1f, gw, gi * coutG * k, k);
        }
        Tensor gb = null;
        if (withBias) {
            float[] b = new float[g.cout];
            for (int c = 0; c < g.cout; c++) {
                double s = 0;
                for (int img = 0; img < g.n; img++) {
                    int base = (img * g.cout + c) * hw;
                    for (int q = 0; q < hw; q++) s += gy[base + q];
                }
                b[c] = (float) s;
            }
            gb = Tensor.of(b, g.cout);
        }
        return new DeformConvGrads(Tensor.of(gx, x.shape()), Tensor.of(gOff, offset.shape()),
                gMask == null ? null : Tensor.of(gMask, mask.shape()), Tensor.of(gw, w.shape()), gb);
    }
}
