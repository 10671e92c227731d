package autoassign.backend.cpu;

import autoassign.backend.AvgPool2dParams;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** Max- and average pooling and nearest-neighbour resampling over NCHW planes. */
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
        Tensor r = HostArrays.empty(n, c, oh, ow);
        float[] in = x.data(), out = r.data();
        boolean fast = k == 3 && s == 2 && pad == 1;
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, h * w)), (p0, p1) -> {
            float[] hv = new float[h * ow];
            float[] eo = fast ? new float[2 * ow] : null;
            for (int pl = p0; pl < p1; pl++) {
                if (fast) poolPlane3s2(in, pl * h * w, h, w, oh, ow, hv, eo, out, pl * oh * ow);
                else poolPlane(in, pl * h * w, h, w, oh, ow, k, s, pad, hv, out, pl * oh * ow, null);
            }
        });
        return r;
    }

    /**
     * {@link #poolPlane} for the ResNet stem's 3×3 window, stride 2, pad 1, without strided loops: each input row is
     * first split into its even and odd columns ({@code eo}: evens at 0, odds at {@code ow}), so that the window of
     * output column ox is odd[ox−1], even[ox], odd[ox] and every max pass runs over contiguous arrays (which the JIT
     * vectorises). Same results, bit for bit, as the general path (PoolingSelectionTest).
     */
    private static void poolPlane3s2(float[] in, int ib, int h, int w, int oh, int ow, float[] hv, float[] eo,
                                     float[] out, int outOff) {
        for (int iy = 0; iy < h; iy++) rowMax3s2(in, ib + iy * w, w, ow, eo, hv, iy * ow, null);
        rowsAndSelection(in, ib, h, w, oh, ow, 3, 2, 1, hv, out, outOff, null);
    }

    /**
     * The maxima of one input row's windows (3 wide, stride 2, pad 1) into {@code hv[hb..]}, and when {@code hcol}
     * is not null the column of each window's first maximum into {@code hcol[hb..]} (meaningless for a NaN).
     */
    private static void rowMax3s2(float[] in, int rb, int w, int ow, float[] eo, float[] hv, int hb, int[] hcol) {
        int odd = w / 2; // odd columns 1, 3, ..: ow or ow − 1 of them
        for (int x = 0; x < odd; x++) {
            eo[x] = in[rb + 2 * x];
            eo[ow + x] = in[rb + 2 * x + 1];
        }
        if (odd < ow) eo[ow - 1] = in[rb + 2 * (ow - 1)];
        // columns 2ox and 2ox+1 (when it exists), then 2ox−1 for ox ≥ 1, which comes first when it is a maximum
        for (int ox = 0; ox < odd; ox++) hv[hb + ox] = Math.max(eo[ox], eo[ow + ox]);
        if (odd < ow) hv[hb + ow - 1] = eo[ow - 1];
        if (hcol != null)
            for (int ox = 0; ox < ow; ox++) hcol[hb + ox] = eo[ox] == hv[hb + ox] ? 2 * ox : 2 * ox + 1;
        for (int ox = 1; ox < ow; ox++) {
            float left = eo[ow + ox - 1], mx = Math.max(hv[hb + ox], left);
            if (hcol != null) hcol[hb + ox] = left == mx ? 2 * ox - 1 : hcol[hb + ox];
            hv[hb + ox] = mx;
        }
    }

    /**
     * PyTorch's element of every 3×3, stride-2, pad-1 window of a plane (index within the plane into {@code idx},
     * its value into {@code out[outOff..]}): the first row, in order, whose row maximum equals the window's
     * maximum, at that row's first maximum; a window with a NaN goes through {@link #select} (its last NaN).
     */
    private static void indices3s2(float[] in, int ib, int h, int w, int oh, int ow, float[] hv, int[] hcol, float[] eo,
                                   float[] out, int outOff, int[] idx) {
        for (int iy = 0; iy < h; iy++) rowMax3s2(in, ib + iy * w, w, ow, eo, hv, iy * ow, hcol);
        for (int oy = 0; oy < oh; oy++) {
            int y0 = 2 * oy - 1, ky0 = Math.max(0, -y0), ky1 = Math.min(3, h - y0), ob = outOff + oy * ow;
            for (int ox = 0; ox < ow; ox++) {
                float m = hv[(y0 + ky0) * ow + ox];
                for (int ky = ky0 + 1; ky < ky1; ky++) m = Math.max(m, hv[(y0 + ky) * ow + ox]);
                int at = -1;
                if (m != m) {
                    int x0 = 2 * ox - 1;
                    at = select(in, ib, w, y0, ky0, ky1, x0, Math.max(0, -x0), Math.min(3, w - x0), m);
                } else {
                    for (int ky = ky1 - 1; ky >= ky0; ky--) {
                        int r = (y0 + ky) * ow + ox;
                        at = hv[r] == m ? (y0 + ky) * w + hcol[r] : at;
                    }
                }
                out[ob + ox] = in[ib + at];
                idx[oy * ow + ox] = at;
            }
        }
    }

    /**
     * Max-pools one plane: the window maxima by two branch-free passes ({@code Math.max}, NaN-propagating), the
     * maximum over each row segment of a window (per input row and output column) and then over the window's
     * rows; data-dependent branches (a strict {@code >} per element) were most of the pooling time.
     * PyTorch's selection is then restored exactly: the selected element is the window's first element equal to
     * the maximum in row-major order (the sign of a zero maximum is that element's), or its last NaN. Values go to
     * {@code out[outOff..]} (non-null), indices within the plane to {@code idx} when it is not null; {@code hv} is
     * scratch of h·ow floats, {@code m} of oh·ow.
     */
    private static void poolPlane(float[] in, int ib, int h, int w, int oh, int ow, int k, int s, int pad,
                                  float[] hv, float[] out, int outOff, int[] idx) {
        for (int iy = 0; iy < h; iy++) {
            int rb = ib + iy * w, hb = iy * ow;
            for (int ox = 0; ox < ow; ox++) {
                int x0 = ox * s - pad, kx0 = Math.max(0, -x0), kx1 = Math.min(k, w - x0);
                float bv = in[rb + x0 + kx0];
                for (int kx = kx0 + 1; kx < kx1; kx++) bv = Math.max(bv, in[rb + x0 + kx]);
                hv[hb + ox] = bv;
            }
        }
        rowsAndSelection(in, ib, h, w, oh, ow, k, s, pad, hv, out, outOff, idx);
    }

    /**
     * The second half of a max-pool: the maximum over each window's rows of the row maxima {@code hv}, then
     * PyTorch's element of each window where it matters (see {@link #poolPlane}).
     */
    private static void rowsAndSelection(float[] in, int ib, int h, int w, int oh, int ow, int k, int s, int pad,
                                         float[] hv, float[] out, int outOff, int[] idx) {
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * s - pad, ky0 = Math.max(0, -y0), ky1 = Math.min(k, h - y0), ob = outOff + oy * ow;
            System.arraycopy(hv, (y0 + ky0) * ow, out, ob, ow);
            for (int ky = ky0 + 1; ky < ky1; ky++) {
                int r = (y0 + ky) * ow;
                for (int ox = 0; ox < ow; ox++) out[ob + ox] = Math.max(out[ob + ox], hv[r + ox]);
            }
            for (int ox = 0; ox < ow; ox++) {
                float m = out[ob + ox];
                if (idx == null && m != 0f) continue; // the value is exact; only a zero's sign depends on the element
                int x0 = ox * s - pad, kx0 = Math.max(0, -x0), kx1 = Math.min(k, w - x0);
                int at = select(in, ib, w, y0, ky0, ky1, x0, kx0, kx1, m);
                out[ob + ox] = in[ib + at];
                if (idx != null) idx[oy * ow + ox] = at;
            }
        }
    }

    /**
     * Index within the plane of the window's first element equal to {@code m} (row-major), or its last NaN: a full
     * scan with selects (no early exit, whose branch mispredicts on every window).
     */
    private static int select(float[] in, int ib, int w, int y0, int ky0, int ky1, int x0, int kx0, int kx1, float m) {
        int at = -1;
        if (m != m) {
            for (int ky = ky0; ky < ky1; ky++)
                for (int kx = kx0; kx < kx1; kx++) {
                    int pos = (y0 + ky) * w + x0 + kx;
                    float v = in[ib + pos];
                    at = v != v ? pos : at;
                }
        } else {
            for (int ky = ky1 - 1; ky >= ky0; ky--)
                for (int kx = kx1 - 1; kx >= kx0; kx--) {
                    int pos = (y0 + ky) * w + x0 + kx;
                    at = in[ib + pos] == m ? pos : at;
                }
        }
        if (at < 0) throw new IllegalStateException("maxPool2d: window maximum not found");
        return at;
    }

    static Tensor maxPoolBackward(Tensor gradOut, Tensor x, int k, int s, int pad) {
        Shape.checkRank("maxPool2dBackward", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int oh = pooledSize("maxPool2dBackward", x.shape(), h, k, s, pad), ow = pooledSize("maxPool2dBackward", x.shape(), w, k, s, pad);
        Shape.checkSame("maxPool2dBackward", gradOut.shape(), new int[] {n, c, oh, ow});
        Tensor r = HostArrays.zeros(x.shape());
        float[] in = x.data(), g = gradOut.data(), gx = r.data();
        boolean fast = k == 3 && s == 2 && pad == 1;
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, h * w)), (p0, p1) -> {
            int[] idx = new int[oh * ow];
            float[] hv = new float[h * ow], m = new float[oh * ow];
            float[] eo = fast ? new float[2 * ow] : null;
            int[] hcol = fast ? new int[h * ow] : null;
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                if (fast) indices3s2(in, ib, h, w, oh, ow, hv, hcol, eo, m, 0, idx);
                else poolPlane(in, ib, h, w, oh, ow, k, s, pad, hv, m, 0, idx);
                for (int j = 0; j < idx.length; j++) gx[ib + idx[j]] += g[ob + j];
            }
        });
        return r;
    }

    /**
     * PyTorch's CPU {@code avg_pool2d} on contiguous NCHW float: a float sum of the window in row-major order, divided by
     * the window's divisor ({@link AvgPool2dParams}); an empty window (not reachable with pad ≤ kernel/2) gives 0.
     */
    static Tensor avgPool(Tensor x, AvgPool2dParams p) {
        Shape.checkRank("avgPool2d", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int oh = p.outSize("avgPool2d", x.shape(), h), ow = p.outSize("avgPool2d", x.shape(), w);
        Tensor r = HostArrays.empty(n, c, oh, ow);
        float[] in = x.data(), out = r.data();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, h * w)), (p0, p1) -> {
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = p.start(oy), y1 = p.end(oy, h), sy = p.span(oy, h);
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = p.start(ox), x1 = p.end(ox, w);
                        float sum = 0f;
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) sum += in[ib + iy * w + ix];
                        out[ob + oy * ow + ox] = y0 >= y1 || x0 >= x1 ? 0f : sum / (sy * p.span(ox, w));
                    }
                }
            }
        });
        return r;
    }

    /**
     * The gradient of {@link #avgPool}: a gather per input element over the windows containing it (outputs
     * {@code ⌈(i + p − k + 1)/s⌉ .. ⌊(i + p)/s⌋}), adding gy/divisor in row-major output order, as PyTorch's scatter
     * reaches that element; deterministic, and the same code as the CUDA kernel's.
     */
    static Tensor avgPoolBackward(Tensor gradOut, int h, int w, AvgPool2dParams p) {
        Shape.checkRank("avgPool2dBackward", "gradOut", gradOut.shape(), 4);
        int n = gradOut.dim(0), c = gradOut.dim(1);
        int[] inShape = {n, c, h, w};
        if (h < 1 || w < 1)
            throw new IllegalArgumentException("avgPool2dBackward: invalid input size " + h + "x" + w);
        int oh = p.outSize("avgPool2dBackward", inShape, h), ow = p.outSize("avgPool2dBackward", inShape, w);
        Shape.checkSame("avgPool2dBackward", gradOut.shape(), new int[] {n, c, oh, ow});
        Tensor r = HostArrays.empty(n, c, h, w);
        float[] g = gradOut.data(), gx = r.data();
        int[] oy0 = new int[h], oy1 = new int[h], ox0 = new int[w], ox1 = new int[w];
        outputRange(p, h, oh, oy0, oy1);
        outputRange(p, w, ow, ox0, ox1);
        float[] div = new float[oh * ow];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) div[oy * ow + ox] = p.divisor(oy, ox, h, w);
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, h * w)), (p0, p1) -> {
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                for (int iy = 0; iy < h; iy++)
                    for (int ix = 0; ix < w; ix++) {
                        float acc = 0f;
                        for (int oy = oy0[iy]; oy < oy1[iy]; oy++)
                            for (int ox = ox0[ix]; ox < ox1[ix]; ox++) acc += g[ob + oy * ow + ox] / div[oy * ow + ox];
                        gx[ib + iy * w + ix] = acc;
                    }
            }
        });
        return r;
    }

    /** For every input index i: the outputs [o0, o1) whose windows contain it. */
    private static void outputRange(AvgPool2dParams p, int in, int out, int[] o0, int[] o1) {
        int k = p.kernel(), s = p.stride(), pad = p.pad();
        for (int i = 0; i < in; i++) {
            int a = i + pad - k + 1; // window o contains i iff o·s − pad ≤ i < o·s − pad + k
            o0[i] = a <= 0 ? 0 : (a + s - 1) / s;
            o1[i] = Math.min((i + pad) / s + 1, out);
        }
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
        Tensor r = HostArrays.empty(n, c, oh, ow);
        float[] in = x.data(), out = r.data();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, h * w)), (p0, p1) -> {
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                for (int y = 0; y < oh; y++) {
                    int row = ib + iy[y] * w;
                    for (int xx = 0; xx < ow; xx++) out[ob + y * ow + xx] = in[row + ix[xx]];
                }
            }
        });
        return r;
    }

    static Tensor upsampleNearestBackward(Tensor gradOut, int h, int w) {
        Shape.checkRank("upsampleNearestBackward", "gradOut", gradOut.shape(), 4);
        if (h <= 0 || w <= 0)
            throw new IllegalArgumentException("upsampleNearestBackward: invalid input size " + h + "x" + w + " for gradient " + Shape.str(gradOut.shape()));
        int n = gradOut.dim(0), c = gradOut.dim(1), oh = gradOut.dim(2), ow = gradOut.dim(3);
        int[] iy = nearestIndex(h, oh), ix = nearestIndex(w, ow);
        Tensor r = HostArrays.zeros(n, c, h, w);
        float[] g = gradOut.data(), gx = r.data();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, h * w)), (p0, p1) -> {
            for (int pl = p0; pl < p1; pl++) {
                int ib = pl * h * w, ob = pl * oh * ow;
                for (int y = 0; y < oh; y++) {
                    int row = ib + iy[y] * w;
                    for (int xx = 0; xx < ow; xx++) gx[row + ix[xx]] += g[ob + y * ow + xx];
                }
            }
        });
        return r;
    }
}
