package autoassign.backend.cpu;

import autoassign.backend.LineViews;
import autoassign.tensor.Tensor;

/**
 * The CPU twins of softmax over the middle axis of [outer, n, inner] and of rowScale ([rows, cols] times a
 * per-row scale), with their backwards; CpuBackend delegates here. The CUDA kernels aaj_softmax*, aaj_row_scale and
 * aaj_channel_dot follow these loops.
 */
final class CpuLineOps {
    private CpuLineOps() {}

    /** Lines per parallel chunk: about 32k elements each. */
    private static int chunk(int n) { return Math.max(1, (1 << 15) / Math.max(1, n)); }

    static Tensor softmax(Tensor x, int outer, int n, int inner) {
        LineViews.softmax("softmax", x, null, outer, n, inner);
        Tensor r = HostArrays.empty(x.shape());
        float[] in = x.data(), out = r.data();
        Parallel.range(outer * inner, chunk(n), (a, e) -> {
            for (int line = a; line < e; line++) {
                int base = (line / inner) * n * inner + line % inner;
                float m = in[base];
                for (int j = 1; j < n; j++) m = Math.max(m, in[base + j * inner]);  // NaN wins
                float sum = 0f;
                for (int j = 0; j < n; j++) {
                    float v = (float) Math.exp(in[base + j * inner] - m);
                    out[base + j * inner] = v;
                    sum += v;
                }
                for (int j = 0; j < n; j++) out[base + j * inner] /= sum;
            }
        });
        return r;
    }

    static Tensor softmaxBackward(Tensor gradOut, Tensor y, int outer, int n, int inner) {
        LineViews.softmax("softmaxBackward", y, gradOut, outer, n, inner);
        Tensor r = HostArrays.empty(y.shape());
        float[] g = gradOut.data(), yv = y.data(), out = r.data();
        Parallel.range(outer * inner, chunk(n), (a, e) -> {
            for (int line = a; line < e; line++) {
                int base = (line / inner) * n * inner + line % inner;
                float dot = 0f;
                for (int j = 0; j < n; j++) dot += g[base + j * inner] * yv[base + j * inner];
                for (int j = 0; j < n; j++) {
                    int i = base + j * inner;
                    out[i] = yv[i] * (g[i] - dot);
                }
            }
        });
        return r;
    }

    static Tensor rowScale(Tensor x, Tensor s) {
        int cols = LineViews.rowLength("rowScale", x, s, null);
        Tensor r = HostArrays.empty(x.shape());
        float[] in = x.data(), sv = s.data(), out = r.data();
        Parallel.range(sv.length, chunk(cols), (a, e) -> {
            for (int row = a; row < e; row++) {
                float k = sv[row];
                for (int i = row * cols, end = i + cols; i < end; i++) out[i] = in[i] * k;
            }
        });
        return r;
    }

    static Tensor rowScaleBackward(Tensor gradOut, Tensor x, Tensor s) {
        int cols = LineViews.rowLength("rowScaleBackward", x, s, gradOut);
        float[] g = gradOut.data(), in = x.data(), out = new float[s.numel()];
        Parallel.range(out.length, chunk(cols), (a, e) -> {
            for (int row = a; row < e; row++) {
                double acc = 0;
                for (int i = row * cols, end = i + cols; i < end; i++) acc += (double) g[i] * in[i];
                out[row] = (float) acc;
            }
        });
        return Tensor.of(out, s.shape());
    }

    /** Backend.rowMean: per row Σ (double) x·(double) (1f / cols), rounded to float once. */
    static Tensor rowMean(Tensor x, int rows) {
        int cols = LineViews.rowsOf("rowMean", x, rows);
        float inv = 1f / cols;
        float[] in = x.data(), out = new float[rows];
        Parallel.range(rows, chunk(cols), (a, e) -> {
            for (int row = a; row < e; row++) {
                double acc = 0;
                for (int i = row * cols, end = i + cols; i < end; i++) acc += (double) in[i] * inv;
                out[row] = (float) acc;
            }
        });
        return Tensor.of(out, rows);
    }

    /** Backend.rowBroadcast: y[i] = s[i / cols]·factor over {@code shape}. */
    static Tensor rowBroadcast(Tensor s, float factor, int[] shape) {
        Tensor y = Tensor.zeros(shape);
        int cols = LineViews.rowsOf("rowBroadcast", y, s.numel());
        float[] in = s.data(), out = y.data();
        Parallel.range(in.length, chunk(cols), (a, e) -> {
            for (int row = a; row < e; row++) {
                float v = in[row] * factor;
                java.util.Arrays.fill(out, row * cols, row * cols + cols, v);
            }
        });
        return y;
    }
}
