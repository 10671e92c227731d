package autoassign.backend.cpu;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** Max-pooling and nearest-neighbour resampling over NCHW planes. */
final class Pooling {
    private Pooling() {}

    private static int pooledSize(String op, int[] shape, int in, int kernel, int stride, int pad) {
        if (kernel < 1 || stride < 1 || pad < 0 || 2 * pad > kernel)
            throw new IllegalArgumentException(op + ": invalid kernel=" + kernel + " stride=" + stride + " pad=" + pad
                    + " (pad must be at most half the kernel) for input " + Shape.str(shape));
        if (in + 2 * pad < kernel)
            throw new IllegalArgumentException(op + ": input " + Shape.str(shape) + " is too small for kernel " + kernel
                    + " with pad " + pad);
        return (in + 2 * pad - kernel) / stride + 1;
    }

    static Tensor maxPool(Tensor x, int k, int s, int pad) {
        Shape.checkRank("maxPool2d", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int oh = pooledSize("maxPool2d", x.shape(), h, k, s, pad), ow = pooledSize("maxPool2d", x.shape(), w, k, s, pad);
        float[] in = x.data(), out = new float[n * c * oh * ow];
        Parallel.range(n * c, 1, (p0, p1) -> {
            int[] idx = new int[oh * ow];
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                argmaxPlane(in, ib, h, w, oh, ow, k, s, pad, idx);
                for (int j = 0; j < idx.length; j++) out[ob + j] = in[ib + idx[j]];
            }
        });
        return Tensor.of(out, n, c, oh, ow);
    }

    /**
     * For every output position of one plane, the index within the plane of the window's maximum, first maximum in row-major order
     * (PyTorch: strict >, a NaN wins), with the window bounds hoisted out of the inner loop (the per-window version was most of
     * the pooling time).
     */
    private static void argmaxPlane(float[] in, int ib, int h, int w, int oh, int ow, int k, int s, int pad, int[] idx) {
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * s - pad, ky0 = Math.max(0, -y0), ky1 = Math.min(k, h - y0);
            for (int ox = 0; ox < ow; ox++) {
                int x0 = ox * s - pad, kx0 = Math.max(0, -x0), kx1 = Math.min(k, w - x0);
                int best = -1;
                float bv = Float.NEGATIVE_INFINITY;
                for (int ky = ky0; ky < ky1; ky++) {
                    int rowIdx = (y0 + ky) * w + x0;
                    for (int kx = kx0; kx < kx1; kx++) {
                        float v = in[ib + rowIdx + kx];
                        // v != v: NaN wins (the last one), as in PyTorch
                        if (v > bv || v != v || best < 0) { bv = v; best = rowIdx + kx; }
                    }
                }
                idx[oy * ow + ox] = best;
            }
        }
    }

    static Tensor maxPoolBackward(Tensor gradOut, Tensor x, int k, int s, int pad) {
        Shape.checkRank("maxPool2dBackward", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int oh = pooledSize("maxPool2dBackward", x.shape(), h, k, s, pad), ow = pooledSize("maxPool2dBackward", x.shape(), w, k, s, pad);
        Shape.checkSame("maxPool2dBackward", gradOut.shape(), new int[] {n, c, oh, ow});
        float[] in = x.data(), g = gradOut.data(), gx = new float[in.length];
        Parallel.range(n * c, 1, (p0, p1) -> {
            int[] idx = new int[oh * ow];
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                argmaxPlane(in, ib, h, w, oh, ow, k, s, pad, idx);
                for (int j = 0; j < idx.length; j++) gx[ib + idx[j]] += g[ob + j];
            }
        });
        return Tensor.of(gx, x.shape());
    }

    private static int[] nearestIndex(int in, int out) {
        int[] idx = new int[out];
        float scale = (float) in / out; // float arithmetic, as PyTorch's nearest_idx
        for (int i = 0; i < out; i++) idx[i] = Math.min((int) Math.floor((float) i * scale), in - 1);
        return idx;
    }

    static Tensor upsampleNearest(Tensor x, int oh, int ow) {
        Shape.checkRank("upsampleNearest", "input", x.shape(), 4);
        if (oh <= 0 || ow <= 0)
            throw new IllegalArgumentException("upsampleNearest: invalid output size " + oh + "x" + ow + " for input " + Shape.str(x.shape()));
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int[] iy = nearestIndex(h, oh), ix = nearestIndex(w, ow);
        float[] in = x.data(), out = new float[n * c * oh * ow];
        Parallel.range(n * c, 1, (p0, p1) -> {
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                for (int y = 0; y < oh; y++) {
                    int row = ib + iy[y] * w;
                    for (int xx = 0; xx < ow; xx++) out[ob + y * ow + xx] = in[row + ix[xx]];
                }
            }
        });
        return Tensor.of(out, n, c, oh, ow);
    }

    static Tensor upsampleNearestBackward(Tensor gradOut, int h, int w) {
        Shape.checkRank("upsampleNearestBackward", "gradOut", gradOut.shape(), 4);
        if (h <= 0 || w <= 0)
            throw new IllegalArgumentException("upsampleNearestBackward: invalid input size " + h + "x" + w + " for gradient " + Shape.str(gradOut.shape()));
        int n = gradOut.dim(0), c = gradOut.dim(1), oh = gradOut.dim(2), ow = gradOut.dim(3);
        int[] iy = nearestIndex(h, oh), ix = nearestIndex(w, ow);
        float[] g = gradOut.data(), gx = new float[n * c * h * w];
        Parallel.range(n * c, 1, (p0, p1) -> {
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                for (int y = 0; y < oh; y++) {
                    int row = ib + iy[y] * w;
                    for (int xx = 0; xx < ow; xx++) gx[row + ix[xx]] += g[ob + y * ow + xx];
                }
            }
        });
        return Tensor.of(gx, n, c, h, w);
    }
}
