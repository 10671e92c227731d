package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** 2-d convolution as im2col + sgemm (1×1 stride-1 unpadded convs skip im2col). */
final class Conv {
    private Conv() {}

    static int[] outputShape(int[] xs, int[] ws, ConvParams p) {
        Shape.checkRank("conv2d", "input", xs, 4);
        Shape.checkRank("conv2d", "weight", ws, 4);
        if (xs[1] != ws[1])
            throw new IllegalArgumentException("conv2d: input " + Shape.str(xs) + " has " + xs[1]
                    + " channels but weight " + Shape.str(ws) + " expects " + ws[1]);
        int oh = p.outH(xs[2], ws[2]), ow = p.outW(xs[3], ws[3]);
        if (oh <= 0 || ow <= 0)
            throw new IllegalArgumentException("conv2d: input " + Shape.str(xs) + " too small for weight " + Shape.str(ws));
        return new int[] {xs[0], ws[0], oh, ow};
    }

    static boolean isPointwise(int[] ws, ConvParams p) {
        return ws[2] == 1 && ws[3] == 1 && p.strideH() == 1 && p.strideW() == 1 && p.padH() == 0 && p.padW() == 0;
    }

    static Tensor forward(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        int[] xs = x.shape(), ws = w.shape(), os = outputShape(xs, ws, p);
        if (bias != null && bias.numel() != ws[0])
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias.shape()) + " does not match " + ws[0] + " output channels");
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], k = cin * ws[2] * ws[3];
        int ohw = os[2] * os[3], inPlane = cin * h * wd;
        float[] xd = x.data(), wdata = w.data(), out = new float[n * cout * ohw];
        boolean pointwise = isPointwise(ws, p);
        float[] col = pointwise ? null : new float[k * ohw];
        for (int i = 0; i < n; i++) {
            float[] src = xd;
            int srcOff = i * inPlane;
            if (!pointwise) {
                Im2col.im2col(xd, srcOff, cin, h, wd, ws[2], ws[3], p, os[2], os[3], col);
                src = col;
                srcOff = 0;
            }
            Blas.sgemm(false, false, cout, ohw, k, 1f, wdata, 0, k, src, srcOff, ohw, 0f, out, i * cout * ohw, ohw);
        }
        if (bias != null) {
            float[] b = bias.data();
            Parallel.range(n * cout, 4, (s, e) -> {
                for (int nc = s; nc < e; nc++) {
                    float v = b[nc % cout];
                    int base = nc * ohw;
                    for (int j = 0; j < ohw; j++) out[base + j] += v;
                }
            });
        }
        return Tensor.of(out, os);
    }

    static Tensor backwardInput(Tensor gradOut, Tensor w, int[] xs, ConvParams p) {
        int[] ws = w.shape(), os = outputShape(xs, ws, p);
        Shape.checkSame("conv2dBackwardInput", gradOut.shape(), os);
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], k = cin * ws[2] * ws[3];
        int ohw = os[2] * os[3], inPlane = cin * h * wd;
        float[] g = gradOut.data(), wdata = w.data(), gx = new float[n * inPlane];
        boolean pointwise = isPointwise(ws, p);
        float[] col = pointwise ? null : new float[k * ohw];
        for (int i = 0; i < n; i++) {
            if (pointwise) {
                Blas.sgemm(true, false, k, ohw, cout, 1f, wdata, 0, k, g, i * cout * ohw, ohw, 0f, gx, i * inPlane, ohw);
            } else {
                Blas.sgemm(true, false, k, ohw, cout, 1f, wdata, 0, k, g, i * cout * ohw, ohw, 0f, col, 0, ohw);
                Im2col.col2im(col, cin, h, wd, ws[2], ws[3], p, os[2], os[3], gx, i * inPlane);
            }
        }
        return Tensor.of(gx, xs);
    }

    static Tensor backwardWeight(Tensor gradOut, Tensor x, int[] ws, ConvParams p) {
        int[] xs = x.shape(), os = outputShape(xs, ws, p);
        Shape.checkSame("conv2dBackwardWeight", gradOut.shape(), os);
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], k = cin * ws[2] * ws[3];
        int ohw = os[2] * os[3], inPlane = cin * h * wd;
        float[] g = gradOut.data(), xd = x.data(), gw = new float[cout * k];
        boolean pointwise = isPointwise(ws, p);
        float[] col = pointwise ? null : new float[k * ohw];
        for (int i = 0; i < n; i++) {
            float[] src = xd;
            int srcOff = i * inPlane;
            if (!pointwise) {
                Im2col.im2col(xd, srcOff, cin, h, wd, ws[2], ws[3], p, os[2], os[3], col);
                src = col;
                srcOff = 0;
            }
            Blas.sgemm(false, true, cout, k, ohw, 1f, g, i * cout * ohw, ohw, src, srcOff, ohw, i == 0 ? 0f : 1f, gw, 0, k);
        }
        return Tensor.of(gw, ws);
    }
}
