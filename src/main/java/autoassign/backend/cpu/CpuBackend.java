package autoassign.backend.cpu;

import autoassign.backend.Backend;
import autoassign.backend.ConvParams;
import autoassign.backend.ShapeChecks;
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
        long t = OpProfile.start();
        Tensor y = Conv.forward(x, w, bias, p);
        if (OpProfile.ENABLED) OpProfile.add("conv fwd " + convKey(x.shape(), w.shape(), p), t, convFlops(y.shape(), w.shape()));
        return y;
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int[] inputShape, ConvParams p) {
        long t = OpProfile.start();
        Tensor y = Conv.backwardInput(gradOut, w, inputShape, p);
        if (OpProfile.ENABLED) OpProfile.add("conv bwd-data " + convKey(inputShape, w.shape(), p), t, convFlops(gradOut.shape(), w.shape()));
        return y;
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, int[] weightShape, ConvParams p) {
        long t = OpProfile.start();
        Tensor y = Conv.backwardWeight(gradOut, x, weightShape, p);
        if (OpProfile.ENABLED) OpProfile.add("conv bwd-filter " + convKey(x.shape(), weightShape, p), t, convFlops(gradOut.shape(), weightShape));
        return y;
    }

    private static String convKey(int[] xs, int[] ws, ConvParams p) {
        return ws[2] + "x" + ws[3] + " s" + p.strideH() + " " + ws[1] * p.groups() + "->" + ws[0]
                + (p.grouped() ? " g" + p.groups() : "") + " in " + Shape.str(xs);
    }

    /** 2·multiply-adds; the weight's Cin/groups already counts one group's inputs per output channel. */
    private static long convFlops(int[] ys, int[] ws) {
        return 2L * ys[0] * ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3];
    }

    /** Times {@code op} under "name shape" when profiling is on. */
    private static Tensor timed(String name, Tensor shapeOf, java.util.function.Supplier<Tensor> op) {
        if (!OpProfile.ENABLED) return op.get();
        long t = OpProfile.start();
        Tensor y = op.get();
        OpProfile.add(name + " " + Shape.str(shapeOf.shape()), t, 0);
        return y;
    }

    @Override
    public Tensor channelSum(Tensor g) {
        return timed("channelSum", g, () -> channelSumImpl(g));
    }

    private Tensor channelSumImpl(Tensor g) {
        Shape.checkRank("channelSum", "input", g.shape(), 4);
        return perChannelSum(g, null);
    }

    /** Σ over N, H, W of a (times b when b is not null) per channel, in double, channels in parallel. */
    private static Tensor perChannelSum(Tensor a, Tensor b) {
        int n = a.dim(0), c = a.dim(1), hw = a.dim(2) * a.dim(3);
        float[] ad = a.data(), bd = b == null ? null : b.data();
        float[] out = new float[c];
        Parallel.range(c, Math.max(1, (1 << 15) / Math.max(1, n * hw)), (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * hw;
                    if (bd == null) for (int j = 0; j < hw; j++) s += ad[base + j];
                    else for (int j = 0; j < hw; j++) s += (double) ad[base + j] * bd[base + j];
                }
                out[ch] = (float) s;
            }
        });
        return Tensor.of(out, c);
    }

    @Override
    public Tensor channelDot(Tensor a, Tensor b) {
        return timed("channelDot", a, () -> channelDotImpl(a, b));
    }

    private Tensor channelDotImpl(Tensor a, Tensor b) {
        Shape.checkRank("channelDot", "a", a.shape(), 4);
        Shape.checkSame("channelDot", a.shape(), b.shape());
        return perChannelSum(a, b);
    }

    @Override
    public Tensor gemm(Tensor a, boolean transA, Tensor b, boolean transB) {
        return timed("gemm", a, () -> gemmImpl(a, transA, b, transB));
    }

    private Tensor gemmImpl(Tensor a, boolean transA, Tensor b, boolean transB) {
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
        return timed("add", a, () -> addImpl(a, b));
    }

    private Tensor addImpl(Tensor a, Tensor b) {
        Shape.checkSame("add", a.shape(), b.shape());
        Tensor r = HostArrays.empty(a.shape());
        float[] x = a.data(), y = b.data(), out = r.data();
        Parallel.range(out.length, 1 << 15, (s, e) -> { for (int i = s; i < e; i++) out[i] = x[i] + y[i]; });
        return r;
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
        return timed("mulScalar", x, () -> mulScalarImpl(x, s));
    }

    private Tensor mulScalarImpl(Tensor x, float s) {
        Tensor r = HostArrays.empty(x.shape());
        float[] in = x.data(), out = r.data();
        Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = in[i] * s; });
        return r;
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
        return timed("clampMin", x, () -> clampMinImpl(x, min));
    }

    private Tensor clampMinImpl(Tensor x, float min) {
        Tensor r = HostArrays.empty(x.shape());
        float[] in = x.data(), out = r.data();
        Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = Math.max(in[i], min); });
        return r;
    }

    @Override
    public Tensor hardtanh(Tensor x, float lo, float hi) {
        return timed("hardtanh", x, () -> {
            Tensor r = HostArrays.empty(x.shape());
            float[] in = x.data(), out = r.data();
            Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = Math.min(Math.max(in[i], lo), hi); });
            return r;
        });
    }

    @Override
    public Tensor hardtanhBackward(Tensor gradOut, Tensor x, float lo, float hi) {
        return timed("hardtanhBackward", x, () -> {
            Shape.checkSame("hardtanhBackward", gradOut.shape(), x.shape());
            Tensor r = HostArrays.empty(x.shape());
            float[] g = gradOut.data(), in = x.data(), out = r.data();
            // PyTorch's hardtanh_backward: (x <= lo || x >= hi) ? 0 : g, so a NaN x passes g
            Parallel.range(out.length, 1 << 15, (a, e) -> {
                for (int i = a; i < e; i++) out[i] = in[i] <= lo || in[i] >= hi ? 0f : g[i];
            });
            return r;
        });
    }

    @Override
    public Tensor leakyRelu(Tensor x, float slope) {
        return timed("leakyRelu", x, () -> {
            Tensor r = HostArrays.empty(x.shape());
            float[] in = x.data(), out = r.data();
            Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = in[i] > 0 ? in[i] : in[i] * slope; });
            return r;
        });
    }

    @Override
    public Tensor leakyReluBackward(Tensor gradOut, Tensor x, float slope) {
        return timed("leakyReluBackward", x, () -> {
            Shape.checkSame("leakyReluBackward", gradOut.shape(), x.shape());
            Tensor r = HostArrays.empty(x.shape());
            float[] g = gradOut.data(), in = x.data(), out = r.data();
            // PyTorch's leaky_relu_backward: x > 0 ? g : g * slope (x = 0 and NaN take the slope)
            Parallel.range(out.length, 1 << 15, (a, e) -> {
                for (int i = a; i < e; i++) out[i] = in[i] > 0 ? g[i] : g[i] * slope;
            });
            return r;
        });
    }

    @Override
    public Tensor swish(Tensor x) {
        return timed("swish", x, () -> {
            Tensor r = HostArrays.empty(x.shape());
            float[] in = x.data(), out = r.data();
            // MMCV's Swish: x * sigmoid(x)
            Parallel.range(out.length, 1 << 14, (a, e) -> {
                for (int i = a; i < e; i++) out[i] = in[i] * logistic(in[i]);
            });
            return r;
        });
    }

    @Override
    public Tensor swishBackward(Tensor gradOut, Tensor x) {
        return timed("swishBackward", x, () -> {
            Shape.checkSame("swishBackward", gradOut.shape(), x.shape());
            Tensor r = HostArrays.empty(x.shape());
            float[] g = gradOut.data(), in = x.data(), out = r.data();
            // torch's silu_backward: g * s * (1 + x * (1 - s)), evaluated left to right in float
            Parallel.range(out.length, 1 << 14, (a, e) -> {
                for (int i = a; i < e; i++) {
                    float s = logistic(in[i]);
                    out[i] = g[i] * s * (1f + in[i] * (1f - s));
                }
            });
            return r;
        });
    }

    @Override
    public Tensor hardsigmoid(Tensor x) {
        return timed("hardsigmoid", x, () -> {
            Tensor r = HostArrays.empty(x.shape());
            float[] in = x.data(), out = r.data();
            Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = HardSigmoid.value(in[i]); });
            return r;
        });
    }

    @Override
    public Tensor hardsigmoidBackward(Tensor gradOut, Tensor x) {
        return timed("hardsigmoidBackward", x, () -> {
            Shape.checkSame("hardsigmoidBackward", gradOut.shape(), x.shape());
            Tensor r = HostArrays.empty(x.shape());
            float[] g = gradOut.data(), in = x.data(), out = r.data();
            Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = HardSigmoid.grad(g[i], in[i]); });
            return r;
        });
    }

    @Override
    public Tensor spaceToDepth(Tensor x) { return timed("spaceToDepth", x, () -> SpaceToDepthCpu.forward(x)); }

    @Override
    public Tensor spaceToDepthBackward(Tensor gradOut) {
        return timed("spaceToDepthBackward", gradOut, () -> SpaceToDepthCpu.backward(gradOut));
    }

    @Override
    public Tensor clampMinBackward(Tensor gradOut, Tensor x, float min) {
        return timed("clampMinBackward", x, () -> clampMinBackwardImpl(gradOut, x, min));
    }

    private Tensor clampMinBackwardImpl(Tensor gradOut, Tensor x, float min) {
        Shape.checkSame("clampMinBackward", gradOut.shape(), x.shape());
        Tensor r = HostArrays.empty(x.shape());
        float[] g = gradOut.data(), in = x.data(), out = r.data();
        if (min == Float.MIN_VALUE) {
            // ReLU's backward (x > 0) without a data-dependent branch, which mispredicts on half the elements:
            // x > 0 <=> its bits b satisfy 0 < b <= bits(+inf), i.e. b - 1 < 0x7F800000 unsigned; the mask keeps
            // g's bits (+0 elsewhere), exactly what the compare gives (NaN and -0 included)
            Parallel.range(out.length, 1 << 15, (a, e) -> {
                for (int i = a; i < e; i++) {
                    long b = (Float.floatToRawIntBits(in[i]) - 1) & 0xFFFFFFFFL;
                    int mask = (int) ((b - 0x7F800000L) >> 63);
                    out[i] = Float.intBitsToFloat(Float.floatToRawIntBits(g[i]) & mask);
                }
            });
        } else {
            Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = in[i] >= min ? g[i] : 0f; });
        }
        return r;
    }

    @Override
    public Tensor softmax(Tensor x, int outer, int n, int inner) {
        return timed("softmax", x, () -> CpuLineOps.softmax(x, outer, n, inner));
    }

    @Override
    public Tensor softmaxBackward(Tensor gradOut, Tensor y, int outer, int n, int inner) {
        return timed("softmaxBackward", y, () -> CpuLineOps.softmaxBackward(gradOut, y, outer, n, inner));
    }

    @Override
    public Tensor rowScale(Tensor x, Tensor s) {
        return timed("rowScale", x, () -> CpuLineOps.rowScale(x, s));
    }

    @Override
    public Tensor rowScaleBackward(Tensor gradOut, Tensor x, Tensor s) {
        return timed("rowScaleBackward", x, () -> CpuLineOps.rowScaleBackward(gradOut, x, s));
    }

    @Override
    public Tensor rowMean(Tensor x, int rows) {
        return timed("rowMean", x, () -> CpuLineOps.rowMean(x, rows));
    }

    @Override
    public Tensor rowBroadcast(Tensor s, float factor, int... shape) {
        return timed("rowBroadcast", s, () -> CpuLineOps.rowBroadcast(s, factor, shape));
    }

    @Override
    public Tensor gather(Tensor x, autoassign.backend.GatherIndex idx) {
        return timed("gather", x, () -> GatherCpu.forward(x, idx));
    }

    @Override
    public Tensor gatherBackward(Tensor gradOut, autoassign.backend.GatherIndex idx, int[] inputShape) {
        return timed("gatherBackward", gradOut, () -> GatherCpu.backward(gradOut, idx, inputShape));
    }

    @Override
    public Tensor transpose2d(Tensor x, int batch, int rows, int cols) {
        return timed("transpose2d", x, () -> TransposeCpu.forward(x, batch, rows, cols));
    }

    @Override
    public Tensor bmm(Tensor a, boolean transA, Tensor b, boolean transB) {
        return timed("bmm", a, () -> BatchedGemm.bmm(a, transA, b, transB));
    }

    @Override public Tensor gelu(Tensor x) { return timed("gelu", x, () -> GeluCpu.forward(x)); }

    @Override public Tensor geluBackward(Tensor gradOut, Tensor x) { return timed("geluBackward", x, () -> GeluCpu.backward(gradOut, x)); }

    @Override public Tensor dropout(Tensor x, double p, long seed) { return timed("dropout", x, () -> DropoutCpu.forward(x, p, seed)); }

    @Override
    public Tensor sigmoid(Tensor x) {
        return timed("sigmoid", x, () -> sigmoidImpl(x));
    }

    /** The float sigmoid of sigmoid() and swish(): the logistic in double, rounded once (as aaj_sigmoid). */
    private static float logistic(float x) { return (float) (1.0 / (1.0 + Math.exp(-x))); }

    private Tensor sigmoidImpl(Tensor x) {
        Tensor r = HostArrays.empty(x.shape());
        float[] in = x.data(), out = r.data();
        Parallel.range(out.length, 1 << 14, (a, e) -> {
            for (int i = a; i < e; i++) out[i] = logistic(in[i]);
        });
        return r;
    }

    @Override
    public Tensor sigmoidBackward(Tensor gradOut, Tensor y) {
        return timed("sigmoidBackward", y, () -> sigmoidBackwardImpl(gradOut, y));
    }

    private Tensor sigmoidBackwardImpl(Tensor gradOut, Tensor y) {
        Shape.checkSame("sigmoidBackward", gradOut.shape(), y.shape());
        Tensor r = HostArrays.empty(y.shape());
        float[] g = gradOut.data(), s = y.data(), out = r.data();
        Parallel.range(out.length, 1 << 15, (a, e) -> { for (int i = a; i < e; i++) out[i] = g[i] * s[i] * (1f - s[i]); });
        return r;
    }

    @Override
    public Tensor channelAffine(Tensor x, Tensor scale, Tensor shift) {
        return timed("channelAffine", x, () -> channelAffineImpl(x, scale, shift));
    }

    private Tensor channelAffineImpl(Tensor x, Tensor scale, Tensor shift) {
        Shape.checkRank("channelAffine", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
        ShapeChecks.perChannel("channelAffine", x, scale, shift);
        Tensor r = HostArrays.empty(x.shape());
        float[] in = x.data(), sc = scale.data(), sh = shift == null ? null : shift.data(), out = r.data();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, hw)), (a, e) -> {
            for (int nc = a; nc < e; nc++) {
                int ch = nc % c, base = nc * hw;
                float k = sc[ch], b = sh == null ? 0f : sh[ch];
                for (int j = 0; j < hw; j++) out[base + j] = in[base + j] * k + b;
            }
        });
        return r;
    }

    @Override
    public void channelAffineActInPlace(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        timed("channelAffineActInPlace", x, () -> { affineActImpl(x, scale, shift, residual, relu); return x; });
    }

    private static void affineActImpl(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        String op = "channelAffineActInPlace";
        Shape.checkRank(op, "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
        ShapeChecks.perChannel(op, x, scale, shift);
        if (residual != null) Shape.checkSame(op, x.shape(), residual.shape());
        float[] v = x.data(), sc = scale == null ? null : scale.data(), sh = shift == null ? null : shift.data();
        float[] res = residual == null ? null : residual.data();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, hw)), (a, e) -> {
            for (int nc = a; nc < e; nc++) {
                int ch = nc % c, base = nc * hw;
                for (int j = base; j < base + hw; j++) {
                    float t = v[j];
                    if (sc != null) t = t * sc[ch] + (sh == null ? 0f : sh[ch]);
                    else if (sh != null) t = t + sh[ch];
                    if (res != null) t = t + res[j];
                    v[j] = relu ? Math.max(t, 0f) : t;
                }
            }
        });
    }

    @Override
    public Tensor actAffineBackward(Tensor gradOut, Tensor y, Tensor scale, boolean relu) {
        return timed("actAffineBackward", y, () -> actAffineBackwardImpl(gradOut, y, scale, relu));
    }

    private static Tensor actAffineBackwardImpl(Tensor gradOut, Tensor y, Tensor scale, boolean relu) {
        String op = "actAffineBackward";
        Shape.checkRank(op, "output", y.shape(), 4);
        Shape.checkSame(op, gradOut.shape(), y.shape());
        int n = y.dim(0), c = y.dim(1), hw = y.dim(2) * y.dim(3);
        ShapeChecks.perChannel(op, y, scale, null);
        Tensor r = HostArrays.empty(y.shape());
        float[] g = gradOut.data(), out = r.data(), yv = y.data(), sc = scale == null ? null : scale.data();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, hw)), (a, e) -> {
            for (int nc = a; nc < e; nc++) {
                float k = sc == null ? 1f : sc[nc % c];
                for (int j = nc * hw, end = j + hw; j < end; j++) {
                    float gj = g[j];
                    if (relu) {
                        // y > 0 as bits (see clampMinBackward): no data-dependent branch
                        long b = (Float.floatToRawIntBits(yv[j]) - 1) & 0xFFFFFFFFL;
                        gj = Float.intBitsToFloat(Float.floatToRawIntBits(gj) & (int) ((b - 0x7F800000L) >> 63));
                    }
                    out[j] = sc == null ? gj : gj * k;
                }
            }
        });
        return r;
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
        Shape.numel("broadcastScalar", shape); // names the op in a bad-shape error
        Tensor r = HostArrays.empty(shape);
        Arrays.fill(r.data(), s.data()[0] * factor);
        return r;
    }

    // ---------------------------------------------------------------- normalisation / resampling

    @Override
    public Tensor[] groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        long t = OpProfile.start();
        Tensor[] r = groupNormImpl(x, gamma, beta, groups, eps);
        if (OpProfile.ENABLED) OpProfile.add("groupNorm " + Shape.str(x.shape()), t, 0);
        return r;
    }

    private Tensor[] groupNormImpl(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        return GroupNormCpu.forward(x, gamma, beta, groups, eps);
    }

    @Override
    public Tensor[] groupNormBackward(Tensor gradOut, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, int groups) {
        long t = OpProfile.start();
        Tensor[] r = groupNormBackwardImpl(gradOut, x, mean, rstd, gamma, groups);
        if (OpProfile.ENABLED) OpProfile.add("groupNormBackward " + Shape.str(x.shape()), t, 0);
        return r;
    }

    private Tensor[] groupNormBackwardImpl(Tensor gradOut, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, int groups) {
        return GroupNormCpu.backward(gradOut, x, mean, rstd, gamma, groups);
    }

    @Override
    public Tensor maxPool2d(Tensor x, int kernel, int stride, int pad) {
        return timed("maxPool2d", x, () -> maxPool2dImpl(x, kernel, stride, pad));
    }

    private Tensor maxPool2dImpl(Tensor x, int kernel, int stride, int pad) {
        return Pooling.maxPool(x, kernel, stride, pad);
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor x, int kernel, int stride, int pad) {
        return timed("maxPool2dBackward", x, () -> maxPool2dBackwardImpl(gradOut, x, kernel, stride, pad));
    }

    private Tensor maxPool2dBackwardImpl(Tensor gradOut, Tensor x, int kernel, int stride, int pad) {
        return Pooling.maxPoolBackward(gradOut, x, kernel, stride, pad);
    }

    @Override
    public Tensor avgPool2d(Tensor x, autoassign.backend.AvgPool2dParams p) {
        return timed("avgPool2d", x, () -> Pooling.avgPool(x, p));
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gradOut, int inH, int inW, autoassign.backend.AvgPool2dParams p) {
        return timed("avgPool2dBackward", gradOut, () -> Pooling.avgPoolBackward(gradOut, inH, inW, p));
    }

    @Override
    public Tensor upsampleNearest(Tensor x, int outH, int outW) {
        return timed("upsampleNearest", x, () -> upsampleNearestImpl(x, outH, outW));
    }

    private Tensor upsampleNearestImpl(Tensor x, int outH, int outW) {
        return Pooling.upsampleNearest(x, outH, outW);
    }

    @Override
    public Tensor upsampleNearestBackward(Tensor gradOut, int inH, int inW) {
        return timed("upsampleNearestBackward", gradOut, () -> upsampleNearestBackwardImpl(gradOut, inH, inW));
    }

    private Tensor upsampleNearestBackwardImpl(Tensor gradOut, int inH, int inW) {
        return Pooling.upsampleNearestBackward(gradOut, inH, inW);
    }

    @Override
    public Tensor upsampleBilinear(Tensor x, int outH, int outW, float ratioH, float ratioW) {
        return timed("upsampleBilinear", x, () -> BilinearUpsample.forward(x, outH, outW, ratioH, ratioW));
    }

    @Override
    public Tensor upsampleBilinearBackward(Tensor gradOut, int inH, int inW, float ratioH, float ratioW) {
        return timed("upsampleBilinearBackward", gradOut, () -> BilinearUpsample.backward(gradOut, inH, inW, ratioH, ratioW));
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

    @Override
    public void adamStepAll(java.util.List<autoassign.backend.AdamUpdate> updates, float oneMinusBeta1, float beta2,
                            float oneMinusBeta2, float eps) {
        for (autoassign.backend.AdamUpdate u : updates) {
            Shape.checkSame("adamStep", u.param().shape(), u.grad().shape());
            Shape.checkSame("adamStep", u.param().shape(), u.expAvg().shape());
            Shape.checkSame("adamStep", u.param().shape(), u.expAvgSq().shape());
            float[] p = u.param().data(), g = u.grad().data(), m = u.expAvg().data(), v = u.expAvgSq().data();
            float decay = u.decay(), l2 = u.l2(), step = u.stepSize(), bc2 = u.bc2Sqrt();
            for (int i = 0; i < p.length; i++) {
                float pi = p[i] * decay;
                float gi = g[i] + l2 * pi;
                float mi = autoassign.backend.OptimRule.lerp(m[i], gi, oneMinusBeta1); // torch's lerp_, both of ATen's branches
                float vi = v[i] * beta2 + oneMinusBeta2 * (gi * gi);
                float denom = (float) Math.sqrt(vi) / bc2 + eps;
                m[i] = mi;
                v[i] = vi;
                p[i] = pi - step * mi / denom; // addcdiv_ on the CPU: self + value * t1 / t2
            }
        }
    }

    @Override
    public void foreachUpdate(java.util.List<autoassign.backend.ForeachUpdate> updates) {
        for (autoassign.backend.ForeachUpdate u : updates) {
            Tensor[] t = {u.param(), u.grad(), u.s0(), u.s1(), u.s2()};
            for (Tensor x : t) if (x != null) Shape.checkSame("foreachUpdate", u.param().shape(), x.shape());
            autoassign.backend.OptimRule.apply(u, u.param().data(), u.grad().data(), u.s0() == null ? null : u.s0().data(),
                    u.s1() == null ? null : u.s1().data(), u.s2() == null ? null : u.s2().data());
        }
    }

    // ---------------------------------------------------------------- deformable convolution (MMCV DCN / DCNv2)

    @Override
    public Tensor deformConv2d(Tensor x, Tensor offset, Tensor mask, Tensor w, Tensor bias, autoassign.backend.DeformConvParams p) {
        return timed("deformConv2d fwd", x, () -> DeformConv.forward(x, offset, mask, w, bias, p));
    }

    @Override
    public autoassign.backend.DeformConvGrads deformConv2dBackward(Tensor gradOut, Tensor x, Tensor offset, Tensor mask, Tensor w,
                                                                   boolean withBias, autoassign.backend.DeformConvParams p) {
        long t = OpProfile.start();
        autoassign.backend.DeformConvGrads g = DeformConv.backward(gradOut, x, offset, mask, w, withBias, p);
        if (OpProfile.ENABLED) OpProfile.add("deformConv2d bwd " + Shape.str(x.shape()), t, 0);
        return g;
    }
}
