package autoassign.onnx;

import autoassign.backend.Backend;
import autoassign.backend.GeluMath;
import autoassign.tensor.Tensor;

import java.util.Map;

/**
 * The interpreter's transformer ops (Swin's export, {@code SwinGraph}), by the ONNX specification: {@code Gemm}
 * (transA 0, alpha = beta = 1; transB 0 or 1; C a row vector), {@code MatMul} of two matrices or of two equally
 * batched 3-D (or higher: equal leading dims) tensors (the engine's gemm / bmm), {@code Erf} (fdlibm's erf in double, rounded to float), and opset 17's
 * {@code LayerNormalization} over the last axis (mean and biased variance in double, then (x − mean)/√(var + ε)·scale + B).
 */
final class OnnxTransformerOps {
    private OnnxTransformerOps() {}

    static Tensor gemm(Backend be, OnnxInterpreter.Val[] in, Map<String, Object> a) {
        if ((Long) a.getOrDefault("transA", 0L) != 0 || ((Number) a.getOrDefault("alpha", 1f)).floatValue() != 1f
                || ((Number) a.getOrDefault("beta", 1f)).floatValue() != 1f)
            throw new IllegalArgumentException("Gemm: only transA 0, alpha 1, beta 1 are evaluated");
        boolean transB = (Long) a.getOrDefault("transB", 0L) != 0;
        Tensor x = in[0].t(), w = in[1].t();
        Tensor y = be.gemm(x, false, w, transB);
        if (in.length < 3 || in[2] == null) return y;
        float[] v = y.toFloatArray(), c = in[2].f();
        int n = y.dim(1);
        if (c.length != n) throw new IllegalArgumentException("Gemm: C must be a row of " + n + ", got " + c.length);
        for (int i = 0; i < v.length; i++) v[i] += c[i % n];
        return Tensor.of(v, y.shape());
    }

    static Tensor matMul(Backend be, Tensor x, Tensor y) {
        if (x.rank() == 2 && y.rank() == 2) return be.gemm(x, false, y, false);
        if (x.rank() == 3 && y.rank() == 3 && x.dim(0) == y.dim(0)) return be.bmm(x, false, y, false);
        if (x.rank() > 3 && x.rank() == y.rank()
                && java.util.Arrays.equals(java.util.Arrays.copyOf(x.shape(), x.rank() - 2), java.util.Arrays.copyOf(y.shape(), y.rank() - 2))) {
            // equal leading batch dims (PVT's [N, heads, L, d]): one bmm over their product
            int r = x.rank(), batch = x.numel() / (x.dim(r - 2) * x.dim(r - 1));
            Tensor z = be.bmm(x.view(batch, x.dim(r - 2), x.dim(r - 1)), false, y.view(batch, y.dim(r - 2), y.dim(r - 1)), false);
            int[] shape = x.shape().clone();
            shape[r - 1] = y.dim(r - 1);
            return z.view(shape);
        }
        throw new IllegalArgumentException("MatMul: only 2-D × 2-D and equally batched N-D × N-D are evaluated");
    }

    static OnnxInterpreter.Val erf(OnnxInterpreter.Val x) {
        float[] v = x.f(), out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) GeluMath.erf(v[i]);
        return OnnxInterpreter.Val.ofFloats(out, x.shape());
    }

    static OnnxInterpreter.Val layerNorm(OnnxInterpreter.Val x, OnnxInterpreter.Val scale, OnnxInterpreter.Val bias, Map<String, Object> a) {
        int[] s = x.shape();
        long axis = (Long) a.getOrDefault("axis", -1L);
        if (axis != -1 && axis != s.length - 1) throw new IllegalArgumentException("LayerNormalization: only the last axis is evaluated");
        float eps = ((Number) a.getOrDefault("epsilon", 1e-5f)).floatValue();
        float[] v = x.f(), w = scale.f(), b = bias == null ? null : bias.f(), out = new float[v.length];
        int c = s[s.length - 1];
        for (int r = 0; r < v.length / c; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < c; j++) mean += v[r * c + j];
            mean /= c;
            for (int j = 0; j < c; j++) var += (v[r * c + j] - mean) * (v[r * c + j] - mean);
            var /= c;
            double inv = 1 / Math.sqrt(var + eps);
            for (int j = 0; j < c; j++) out[r * c + j] = (float) ((v[r * c + j] - mean) * inv * w[j] + (b == null ? 0 : b[j]));
        }
        return OnnxInterpreter.Val.ofFloats(out, s);
    }
}
