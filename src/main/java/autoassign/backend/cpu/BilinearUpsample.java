package autoassign.backend.cpu;

import autoassign.backend.BilinearResize;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/**
 * CPU twin of PyTorch's {@code upsample_bilinear2d} (align_corners=False), geometry in {@link BilinearResize}, in
 * float in ATen's order (aten/src/ATen/native/cpu/UpSampleKernel.cpp, torch 1.13): forward
 * {@code (x[h0,w0]·λw0 + x[h0,w1]·λw1)·λh0 + (x[h1,w0]·λw0 + x[h1,w1]·λw1)·λh1} (height outermost); backward the
 * scatter of {@code λh·λw·g} to the four corners (00, 01, 10, 11) of every output in row-major order.
 */
final class BilinearUpsample {
    private BilinearUpsample() {}

    static Tensor forward(Tensor x, int oh, int ow, float ratioH, float ratioW) {
        Shape.checkRank("upsampleBilinear", "input", x.shape(), 4);
        if (oh <= 0 || ow <= 0)
            throw new IllegalArgumentException("upsampleBilinear: invalid output size " + oh + "x" + ow + " for input " + Shape.str(x.shape()));
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        BilinearResize.Tap[] ty = BilinearResize.taps(h, oh, ratioH), tx = BilinearResize.taps(w, ow, ratioW);
        Tensor r = HostArrays.empty(n, c, oh, ow);
        float[] in = x.data(), out = r.data();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, oh * ow)), (p0, p1) -> {
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                for (int y = 0; y < oh; y++) {
                    BilinearResize.Tap a = ty[y];
                    int r0 = ib + a.i0() * w, r1 = ib + a.i1() * w;
                    for (int xx = 0; xx < ow; xx++) {
                        BilinearResize.Tap b = tx[xx];
                        float top = in[r0 + b.i0()] * b.l0() + in[r0 + b.i1()] * b.l1();
                        float bottom = in[r1 + b.i0()] * b.l0() + in[r1 + b.i1()] * b.l1();
                        out[ob + y * ow + xx] = top * a.l0() + bottom * a.l1();
                    }
                }
            }
        });
        return r;
    }

    static Tensor backward(Tensor gradOut, int h, int w, float ratioH, float ratioW) {
        Shape.checkRank("upsampleBilinearBackward", "gradOut", gradOut.shape(), 4);
        if (h <= 0 || w <= 0)
            throw new IllegalArgumentException("upsampleBilinearBackward: invalid input size " + h + "x" + w + " for gradient "
                    + Shape.str(gradOut.shape()));
        int n = gradOut.dim(0), c = gradOut.dim(1), oh = gradOut.dim(2), ow = gradOut.dim(3);
        BilinearResize.Tap[] ty = BilinearResize.taps(h, oh, ratioH), tx = BilinearResize.taps(w, ow, ratioW);
        Tensor r = HostArrays.zeros(n, c, h, w);
        float[] g = gradOut.data(), gx = r.data();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, oh * ow)), (p0, p1) -> {
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                for (int y = 0; y < oh; y++) {
                    BilinearResize.Tap a = ty[y];
                    int r0 = ib + a.i0() * w, r1 = ib + a.i1() * w;
                    for (int xx = 0; xx < ow; xx++) {
                        BilinearResize.Tap b = tx[xx];
                        float v = g[ob + y * ow + xx];
                        gx[r0 + b.i0()] += a.l0() * b.l0() * v;
                        gx[r0 + b.i1()] += a.l0() * b.l1() * v;
                        gx[r1 + b.i0()] += a.l1() * b.l0() * v;
                        gx[r1 + b.i1()] += a.l1() * b.l1() * v;
                    }
                }
            }
        });
        return r;
    }
}
