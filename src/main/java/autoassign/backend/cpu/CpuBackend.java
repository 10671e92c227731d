package autoassign.backend.cpu;

import autoassign.backend.Backend;
import autoassign.backend.ConvParams;
import autoassign.tensor.Device;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.Arrays;

/** Reference backend: plain Java + OpenBLAS sgemm, parallel over the CPU cores. */
public final class CpuBackend implements Backend {

    @Override public Device device() { return Device.CPU; }

    @Override public Tensor zeros(int... shape) { return Tensor.zeros(shape); }

    @Override public Tensor fromHost(float[] data, int... shape) { return Tensor.of(data.clone(), shape); }

    // ---------------------------------------------------------------- convolution

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        return Conv.forward(x, w, bias, p);
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int[] inputShape, ConvParams p) {
        return Conv.backwardInput(gradOut, w, inputShape, p);
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, int[] weightShape, ConvParams p) {
        return Conv.backwardWeight(gradOut, x, weightShape, p);
    }

    @Override
    public Tensor channelSum(Tensor g) {
        Shape.checkRank("channelSum", "input", g.shape(), 4);
        int n = g.dim(0), c = g.dim(1), hw = g.dim(2) * g.dim(3);
        float[] gd = g.data();
        float[] out = new float[c];
        Parallel.range(c, 1, (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * hw;
                    for (int j = 0; j < hw; j++) s += gd[base + j];
                }
                out[ch] = (float) s;
            }
        });
        return Tensor.of(out, c);
    }

    @Override
    public Tensor gemm(Tensor a, boolean transA, Tensor b, boolean transB) {
        Shape.checkRank("gemm", "A", a.shape(), 2);
        Shape.checkRank("gemm", "B", b.shape(), 2);
        int m = transA ? a.dim(1) : a.dim(0), k = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0), n = transB ? b.dim(0) : b.dim(1);
        if (k != kb) throw new IllegalArgumentException("gemm: inner dimensions differ, A" + Shape.str(a.shape())
                + (transA ? "ᵀ" : "") + " · B" + Shape.str(b.shape()) + (transB ? "ᵀ" : ""));
        float[] c = new float[m * n];
        Blas.sgemm(transA, transB, m, n, k, 1f, a.data(), 0, a.dim(1), b.data(), 0, b.dim(1), 0f, c, 0, n);
        return Tensor.of(c, m, n);
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public Tensor add(Tensor a, Tensor b) {
        Shape.checkSame("add", a.shape(), b.shape());
        float[] x = a.data(), y = b.data(), out = new float[x.length];
        Parallel.range(out.length, 1 << 15, (s, e) -> { for (int i = s; i < e; i++) out[i] = x[i] + y[i]; });
        return Tensor.of(out, a.shape());
    }

    @Override
    public void addInPlace(Tensor acc, Tensor b) {
        if (acc.numel() != b.numel()) throw new IllegalArgumentException("addInPlace: shape mismatch "
                + Shape.str(acc.shape()) + " vs " + Shape.str(b.shape()));
        float[] x = acc.data(), y = b.data();
        Parallel.range(x.length, 1 << 15, (s, e) -> { for (int i = s; i < e; i++) x[i] += y[i]; });
    }

    @Override
    public Tensor mulScalar(Tensor x, float s) {
        float[] in = x.data(), out = new float[in.length];
        Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = in[i] * s; });
        return Tensor.of(out, x.shape());
    }

    @Override
    public Tensor mulByTensorScalar(Tensor x, Tensor s) {
        if (s.numel() != 1) throw new IllegalArgumentException("mulByTensorScalar: scale must have one element, got " + Shape.str(s.shape()));
        return mulScalar(x, s.data()[0]);
    }

    @Override
    public Tensor dot(Tensor a, Tensor b) {
        if (a.numel() != b.numel()) throw new IllegalArgumentException("dot: shape mismatch "
                + Shape.str(a.shape()) + " vs " + Shape.str(b.shape()));
        float[] x = a.data(), y = b.data();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return Tensor.scalar((float) s);
    }

    @Override
    public Tensor clampMin(Tensor x, float min) {
        float[] in = x.data(), out = new float[in.length];
        Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = Math.max(in[i], min); });
        return Tensor.of(out, x.shape());
    }

    @Override
    public Tensor clampMinBackward(Tensor gradOut, Tensor x, float min) {
        Shape.checkSame("clampMinBackward", gradOut.shape(), x.shape());
        float[] g = gradOut.data(), in = x.data(), out = new float[in.length];
        Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = in[i] >= min ? g[i] : 0f; });
        return Tensor.of(out, x.shape());
    }

    @Override
    public Tensor sigmoid(Tensor x) {
        float[] in = x.data(), out = new float[in.length];
        Parallel.range(out.length, 1 << 14, (a, e) -> {
            for (int i = a; i < e; i++) out[i] = (float) (1.0 / (1.0 + Math.exp(-in[i])));
        });
        return Tensor.of(out, x.shape());
    }

    @Override
    public Tensor sigmoidBackward(Tensor gradOut, Tensor y) {
        Shape.checkSame("sigmoidBackward", gradOut.shape(), y.shape());
        float[] g = gradOut.data(), s = y.data(), out = new float[s.length];
        Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = g[i] * s[i] * (1f - s[i]); });
        return Tensor.of(out, y.shape());
    }

    @Override
    public Tensor channelAffine(Tensor x, Tensor scale, Tensor shift) {
        Shape.checkRank("channelAffine", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
        if (scale.numel() != c || (shift != null && shift.numel() != c))
            throw new IllegalArgumentException("channelAffine: input " + Shape.str(x.shape()) + " needs " + c
                    + " scales/shifts, got " + Shape.str(scale.shape()) + (shift == null ? "" : " / " + Shape.str(shift.shape())));
        float[] in = x.data(), sc = scale.data(), sh = shift == null ? null : shift.data(), out = new float[in.length];
        Parallel.range(n * c, 4, (a, e) -> {
            for (int nc = a; nc < e; nc++) {
                int ch = nc % c, base = nc * hw;
                float k = sc[ch], b = sh == null ? 0f : sh[ch];
                for (int j = 0; j < hw; j++) out[base + j] = in[base + j] * k + b;
            }
        });
        return Tensor.of(out, x.shape());
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor sum(Tensor x) {
        float[] in = x.data();
        double s = 0;
        for (float v : in) s += v;
        return Tensor.scalar((float) s);
    }

    @Override
    public Tensor broadcastScalar(Tensor s, float factor, int... shape) {
        if (s.numel() != 1) throw new IllegalArgumentException("broadcastScalar: needs one element, got " + Shape.str(s.shape()));
        float[] out = new float[Math.toIntExact(Shape.numel("broadcastScalar", shape))];
        Arrays.fill(out, s.data()[0] * factor);
        return Tensor.of(out, shape);
    }

    // ---------------------------------------------------------------- normalisation / resampling

    @Override
    public Tensor[] groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        return GroupNormCpu.forward(x, gamma, beta, groups, eps);
    }

    @Override
    public Tensor[] groupNormBackward(Tensor gradOut, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, int groups) {
        return GroupNormCpu.backward(gradOut, x, mean, rstd, gamma, groups);
    }

    @Override
    public Tensor maxPool2d(Tensor x, int kernel, int stride, int pad) {
        return Pooling.maxPool(x, kernel, stride, pad);
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor x, int kernel, int stride, int pad) {
        return Pooling.maxPoolBackward(gradOut, x, kernel, stride, pad);
    }

    @Override
    public Tensor upsampleNearest(Tensor x, int outH, int outW) {
        return Pooling.upsampleNearest(x, outH, outW);
    }

    @Override
    public Tensor upsampleNearestBackward(Tensor gradOut, int inH, int inW) {
        return Pooling.upsampleNearestBackward(gradOut, inH, inW);
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor buf, float lr, float momentum, float wd, boolean firstStep) {
        Shape.checkSame("sgdStep", param.shape(), grad.shape());
        Shape.checkSame("sgdStep", param.shape(), buf.shape());
        float[] p = param.data(), g = grad.data(), m = buf.data();
        for (int i = 0; i < p.length; i++) {
            float d = g[i] + wd * p[i];
            float v = firstStep ? d : momentum * m[i] + d;
            m[i] = v;
            p[i] -= lr * v;
        }
    }
}
