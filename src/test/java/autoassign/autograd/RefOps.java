package autoassign.autograd;

/**
 * Naive double-precision reference implementations of the engine's ops, written independently of the engine
 * (direct loops, no im2col, no shared helpers) so that finite differences of them are a meaningful truth.
 * Tensors are flat row-major arrays with an explicit NCHW shape.
 */
public final class RefOps {

    /** A tensor of uniform values in [-1, 1) from {@code rnd} (shared by the op tests). */
    public static autoassign.tensor.Tensor random(java.util.Random rnd, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return autoassign.tensor.Tensor.of(a, shape);
    }
    private RefOps() {}

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    public static int[] convOutShape(int[] xs, int[] ws, int sh, int sw, int ph, int pw, int dh, int dw) {
        int oh = Math.floorDiv(xs[2] + 2 * ph - dh * (ws[2] - 1) - 1, sh) + 1;
        int ow = Math.floorDiv(xs[3] + 2 * pw - dw * (ws[3] - 1) - 1, sw) + 1;
        return new int[] {xs[0], ws[0], oh, ow};
    }

    /** Direct convolution: y[n,o,i,j] = b[o] + Σ_{c,ky,kx} w[o,c,ky,kx]·x[n,c,i·s−p+ky·d, j·s−p+kx·d] (zero outside). */
    public static double[] conv2d(double[] x, int[] xs, double[] w, int[] ws, double[] b,
                                  int sh, int sw, int ph, int pw, int dh, int dw) {
        return conv2d(x, xs, w, ws, b, 1, sh, sw, ph, pw, dh, dw);
    }

    /**
     * Grouped direct convolution (PyTorch's {@code groups}): w is [O, C/G, kh, kw]; output channel o of group
     * g = o / (O/G) sums over input channels g·C/G + c for c &lt; C/G.
     */
    public static double[] conv2d(double[] x, int[] xs, double[] w, int[] ws, double[] b, int groups,
                                  int sh, int sw, int ph, int pw, int dh, int dw) {
        int[] os = convOutShape(xs, ws, sh, sw, ph, pw, dh, dw);
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], oh = os[2], ow = os[3];
        if (cg * groups != c || o % groups != 0) throw new IllegalArgumentException("bad grouped shapes");
        int og = o / groups;
        double[] y = new double[n * o * oh * ow];
        for (int in = 0; in < n; in++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double s = b == null ? 0 : b[oc];
                        for (int icg = 0; icg < cg; icg++) {
                            int ic = (oc / og) * cg + icg;
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++) {
                                    int yy = i * sh - ph + ky * dh, xx = j * sw - pw + kx * dw;
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                                    s += w[((oc * cg + icg) * kh + ky) * kw + kx] * x[((in * c + ic) * h + yy) * wd + xx];
                                }
                        }
                        y[((in * o + oc) * oh + i) * ow + j] = s;
                    }
        return y;
    }

    public static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] + b[i];
        return y;
    }

    public static double[] clampMin(double[] x, double min) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] > min ? x[i] : min;
        return y;
    }

    public static double[] mul(double[] x, double s) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * s;
        return y;
    }

    public static double[] sigmoid(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
        return y;
    }

    public static double[] sum(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return new double[] {s};
    }

    public static double[] mean(double[] x) { return new double[] {sum(x)[0] / x.length}; }

    /** Frozen BatchNorm: (x − mean)/sqrt(var + eps)·weight + bias per channel. */
    public static double[] batchNorm(double[] x, int[] xs, double[] weight, double[] bias, double[] mean, double[] var, double eps) {
        int n = xs[0], c = xs[1], hw = xs[2] * xs[3];
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < hw; j++) {
                    int k = (i * c + ch) * hw + j;
                    y[k] = (x[k] - mean[ch]) / Math.sqrt(var[ch] + eps) * weight[ch] + bias[ch];
                }
        return y;
    }

    /** BatchNorm in train mode: each channel normalised with its own batch mean and biased variance (two passes). */
    public static double[] batchNormTraining(double[] x, int[] xs, double[] weight, double[] bias, double eps) {
        int n = xs[0], c = xs[1], hw = xs[2] * xs[3];
        double[] mean = new double[c], var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) mean[ch] += x[(i * c + ch) * hw + j];
            mean[ch] /= n * hw;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < hw; j++) {
                    double d = x[(i * c + ch) * hw + j] - mean[ch];
                    var[ch] += d * d;
                }
            var[ch] /= n * hw;
        }
        return batchNorm(x, xs, weight, bias, mean, var, eps);
    }

    /** GroupNorm with two-pass statistics (biased variance), optional per-channel affine. */
    public static double[] groupNorm(double[] x, int[] xs, double[] gamma, double[] beta, int groups, double eps) {
        int n = xs[0], c = xs[1], hw = xs[2] * xs[3], cpg = c / groups;
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++)
            for (int g = 0; g < groups; g++) {
                double mu = 0, var = 0;
                int cnt = cpg * hw;
                for (int cc = 0; cc < cpg; cc++)
                    for (int j = 0; j < hw; j++) mu += x[(i * c + g * cpg + cc) * hw + j];
                mu /= cnt;
                for (int cc = 0; cc < cpg; cc++)
                    for (int j = 0; j < hw; j++) {
                        double d = x[(i * c + g * cpg + cc) * hw + j] - mu;
                        var += d * d;
                    }
                var /= cnt;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc;
                    for (int j = 0; j < hw; j++) {
                        int k = (i * c + ch) * hw + j;
                        double v = (x[k] - mu) / Math.sqrt(var + eps);
                        y[k] = v * (gamma == null ? 1 : gamma[ch]) + (beta == null ? 0 : beta[ch]);
                    }
                }
            }
        return y;
    }

    public static int pooledSize(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

    /** Max-pooling with implicit −∞ padding. */
    public static double[] maxPool(double[] x, int[] xs, int k, int s, int p) {
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3], oh = pooledSize(h, k, s, p), ow = pooledSize(w, k, s, p);
        double[] y = new double[n * c * oh * ow];
        for (int pl = 0; pl < n * c; pl++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int yy = i * s - p + ky, xx = j * s - p + kx;
                            if (yy >= 0 && yy < h && xx >= 0 && xx < w) m = Math.max(m, x[(pl * h + yy) * w + xx]);
                        }
                    y[(pl * oh + i) * ow + j] = m;
                }
        return y;
    }

    /**
     * PyTorch's {@code avg_pool2d} in double, written from ATen's definition (not from {@code AvgPool2dParams}): output
     * size with ceil mode's "last window starts inside the input or its left padding" rule, window sums over the
     * input, divisor = the window's extent up to the right padding ({@code count_include_pad}) or inside the input.
     */
    public static double[] avgPool(double[] x, int[] xs, int k, int s, int p, boolean ceil, boolean countPad) {
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        int oh = avgPooledSize(h, k, s, p, ceil), ow = avgPooledSize(w, k, s, p, ceil);
        double[] y = new double[n * c * oh * ow];
        for (int pl = 0; pl < n * c; pl++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    int hs = i * s - p, ws = j * s - p, he = Math.min(hs + k, h + p), we = Math.min(ws + k, w + p);
                    double sum = 0;
                    int inside = 0;
                    for (int yy = hs; yy < he; yy++)
                        for (int xx = ws; xx < we; xx++)
                            if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                sum += x[(pl * h + yy) * w + xx];
                                inside++;
                            }
                    y[(pl * oh + i) * ow + j] = sum / (countPad ? (he - hs) * (we - ws) : inside);
                }
        return y;
    }

    public static int avgPooledSize(int in, int k, int s, int p, boolean ceil) {
        int num = in + 2 * p - k;
        int out = (ceil ? (num + s - 1) / s : num / s) + 1;
        if (ceil && (out - 1) * s >= in + p) out--;
        return out;
    }

    /** PyTorch 'nearest' with an explicit output size: src = min(floor(dst · (float) in/out), in − 1). */
    public static int nearestSource(int dst, int in, int out) {
        float scale = (float) in / (float) out;
        return Math.min((int) Math.floor(dst * scale), in - 1);
    }

    public static double[] upsampleNearest(double[] x, int[] xs, int oh, int ow) {
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        double[] y = new double[n * c * oh * ow];
        for (int pl = 0; pl < n * c; pl++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    y[(pl * oh + i) * ow + j] = x[(pl * h + nearestSource(i, h, oh)) * w + nearestSource(j, w, ow)];
        return y;
    }
}
