package autoassign.backend.cpu;

import autoassign.backend.ConvParams;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.nio.FloatBuffer;

/**
 * 2-d convolution as im2col + OpenBLAS sgemm, one image at a time. All sgemm operands live in per-thread
 * native buffers ({@link OffHeap}): the weights are copied once per call, the column matrix is written there
 * directly by im2col, and only the product is copied back. 1×1 stride-1 unpadded convs skip im2col (the image
 * itself is the column matrix).
 */
final class Conv {
    private Conv() {}

    static int[] outputShape(String op, int[] xs, int[] ws, ConvParams p) {
        Shape.checkRank(op, "input", xs, 4);
        Shape.checkRank(op, "weight", ws, 4);
        for (int d : xs) if (d < 0) throw new IllegalArgumentException(op + ": negative size in input shape " + Shape.str(xs));
        for (int d : ws) if (d <= 0) throw new IllegalArgumentException(op + ": non-positive size in weight shape " + Shape.str(ws));
        if (xs[1] != ws[1])
            throw new IllegalArgumentException(op + ": input " + Shape.str(xs) + " has " + xs[1]
                    + " channels but weight " + Shape.str(ws) + " expects " + ws[1]);
        int oh = p.outH(xs[2], ws[2]), ow = p.outW(xs[3], ws[3]);
        if (oh <= 0 || ow <= 0 || xs[2] + 2 * p.padH() < p.dilationH() * (ws[2] - 1) + 1
                || xs[3] + 2 * p.padW() < p.dilationW() * (ws[3] - 1) + 1)
            throw new IllegalArgumentException(op + ": input " + Shape.str(xs) + " is too small for weight " + Shape.str(ws)
                    + " with " + p);
        return new int[] {xs[0], ws[0], oh, ow};
    }

    static boolean isPointwise(int[] ws, ConvParams p) {
        return ws[2] == 1 && ws[3] == 1 && p.strideH() == 1 && p.strideW() == 1 && p.padH() == 0 && p.padW() == 0;
    }

    /** Copies a host array region into native scratch {@code slot}. */
    private static OffHeap.Buf stage(int slot, float[] src, int off, int len) {
        OffHeap.Buf b = OffHeap.get(slot, len);
        b.buf().put(0, src, off, len);
        return b;
    }

    static Tensor forward(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        int[] xs = x.shape(), ws = w.shape(), os = outputShape("conv2d", xs, ws, p);
        if (bias != null && bias.numel() != ws[0])
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias.shape()) + " does not match weight "
                    + Shape.str(ws) + " (" + ws[0] + " output channels)");
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], k = cin * ws[2] * ws[3];
        int oh = os[2], ow = os[3], ohw = oh * ow, inPlane = cin * h * wd, outPlane = cout * ohw;
        float[] xd = x.data(), out = new float[Math.toIntExact((long) n * outPlane)];
        float[] b = bias == null ? null : bias.data();
        if (n == 0) return Tensor.of(out, os);
        boolean pointwise = isPointwise(ws, p);
        OffHeap.Buf a = stage(OffHeap.CONV_W, w.data(), 0, cout * k);
        OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) k * ohw);
        OffHeap.Buf c = OffHeap.get(OffHeap.CONV_OUT, outPlane);
        for (int i = 0; i < n; i++) {
            if (pointwise) col.buf().put(0, xd, i * inPlane, inPlane);
            else Im2col.im2col(xd, i * inPlane, cin, h, wd, ws[2], ws[3], p, oh, ow, col.buf());
            Blas.sgemm(false, false, cout, ohw, k, 1f, a.ptr(), 0, k, col.ptr(), 0, ohw, 0f, c.ptr(), 0, ohw);
            copyOut(c.buf(), out, i * outPlane, cout, ohw, b);
        }
        return Tensor.of(out, os);
    }

    /** out[dst + ch·hw + j] = src[ch·hw + j] (+ bias[ch]), parallel over channels. */
    private static void copyOut(FloatBuffer src, float[] out, int dst, int channels, int hw, float[] bias) {
        Parallel.range(channels, Math.max(1, 8192 / Math.max(1, hw)), (c0, c1) -> {
            src.get(c0 * hw, out, dst + c0 * hw, (c1 - c0) * hw);
            if (bias != null) {
                for (int ch = c0; ch < c1; ch++) {
                    float v = bias[ch];
                    int base = dst + ch * hw;
                    for (int j = 0; j < hw; j++) out[base + j] += v;
                }
            }
        });
    }

    static Tensor backwardInput(Tensor gradOut, Tensor w, int[] xs, ConvParams p) {
        int[] ws = w.shape(), os = outputShape("conv2dBackwardInput", xs, ws, p);
        Shape.checkSame("conv2dBackwardInput", gradOut.shape(), os);
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], k = cin * ws[2] * ws[3];
        int oh = os[2], ow = os[3], ohw = oh * ow, inPlane = cin * h * wd, outPlane = cout * ohw;
        float[] g = gradOut.data(), gx = new float[Math.toIntExact((long) n * inPlane)];
        if (n == 0) return Tensor.of(gx, xs);
        boolean pointwise = isPointwise(ws, p);
        OffHeap.Buf a = stage(OffHeap.CONV_W, w.data(), 0, cout * k);
        OffHeap.Buf gb = OffHeap.get(OffHeap.CONV_G, outPlane);
        OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) k * ohw);
        for (int i = 0; i < n; i++) {
            gb.buf().put(0, g, i * outPlane, outPlane);
            // col[K, oHW] = Wᵀ[K, Cout] · G[Cout, oHW]
            Blas.sgemm(true, false, k, ohw, cout, 1f, a.ptr(), 0, k, gb.ptr(), 0, ohw, 0f, col.ptr(), 0, ohw);
            if (pointwise) col.buf().get(0, gx, i * inPlane, inPlane);
            else Im2col.col2im(col.buf(), cin, h, wd, ws[2], ws[3], p, oh, ow, gx, i * inPlane);
        }
        return Tensor.of(gx, xs);
    }

    static Tensor backwardWeight(Tensor gradOut, Tensor x, int[] ws, ConvParams p) {
        int[] xs = x.shape(), os = outputShape("conv2dBackwardWeight", xs, ws, p);
        Shape.checkSame("conv2dBackwardWeight", gradOut.shape(), os);
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], k = cin * ws[2] * ws[3];
        int oh = os[2], ow = os[3], ohw = oh * ow, inPlane = cin * h * wd, outPlane = cout * ohw;
        float[] g = gradOut.data(), xd = x.data(), gw = new float[cout * k];
        if (n == 0) return Tensor.of(gw, ws);
        boolean pointwise = isPointwise(ws, p);
        OffHeap.Buf gb = OffHeap.get(OffHeap.CONV_G, outPlane);
        OffHeap.Buf col = OffHeap.get(OffHeap.CONV_COL, (long) k * ohw);
        OffHeap.Buf c = OffHeap.get(OffHeap.CONV_W, (long) cout * k);
        for (int i = 0; i < n; i++) {
            gb.buf().put(0, g, i * outPlane, outPlane);
            if (pointwise) col.buf().put(0, xd, i * inPlane, inPlane);
            else Im2col.im2col(xd, i * inPlane, cin, h, wd, ws[2], ws[3], p, oh, ow, col.buf());
            // dW[Cout, K] (+)= G[Cout, oHW] · colᵀ[oHW, K]
            Blas.sgemm(false, true, cout, k, ohw, 1f, gb.ptr(), 0, ohw, col.ptr(), 0, ohw, i == 0 ? 0f : 1f, c.ptr(), 0, k);
        }
        c.buf().get(0, gw, 0, cout * k);
        return Tensor.of(gw, ws);
    }
}
