package autoassign.backend.cpu;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** GroupNorm over NCHW: statistics per (image, group) in double, affine per channel. */
final class GroupNormCpu {
    private GroupNormCpu() {}

    private static void check(Tensor x, Tensor gamma, int groups) {
        Shape.checkRank("groupNorm", "input", x.shape(), 4);
        int c = x.dim(1);
        if (groups <= 0 || c % groups != 0)
            throw new IllegalArgumentException("groupNorm: " + c + " channels of " + Shape.str(x.shape())
                    + " cannot be split into " + groups + " groups");
        if (gamma != null && gamma.numel() != c)
            throw new IllegalArgumentException("groupNorm: affine " + Shape.str(gamma.shape()) + " does not match " + c
                    + " channels of input " + Shape.str(x.shape()));
    }

    static Tensor[] forward(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        check(x, gamma, groups);
        if (beta != null && beta.numel() != x.dim(1))
            throw new IllegalArgumentException("groupNorm: bias " + Shape.str(beta.shape()) + " does not match " + x.dim(1)
                    + " channels of input " + Shape.str(x.shape()));
        if (!(eps >= 0)) throw new IllegalArgumentException("groupNorm: eps must be >= 0, got " + eps + " for input " + Shape.str(x.shape()));
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), cpg = c / groups, len = cpg * hw;
        float[] in = x.data(), out = new float[in.length], mean = new float[n * groups], rstd = new float[n * groups];
        float[] gm = gamma == null ? null : gamma.data(), bt = beta == null ? null : beta.data();
        Parallel.range(n * groups, Math.max(1, (1 << 15) / Math.max(1, len)), (s, e) -> {
            for (int ng = s; ng < e; ng++) {
                int base = ng * len;
                double sum = 0, sq = 0;
                for (int j = 0; j < len; j++) { double v = in[base + j]; sum += v; sq += v * v; }
                double mu = sum / len, var = Math.max(sq / len - mu * mu, 0);
                float m = (float) mu, r = (float) (1.0 / Math.sqrt(var + eps));
                mean[ng] = m;
                rstd[ng] = r;
                int g = ng % groups;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc, o = base + cc * hw;
                    float k = (gm == null ? 1f : gm[ch]) * r, b = (bt == null ? 0f : bt[ch]) - m * k;
                    for (int j = 0; j < hw; j++) out[o + j] = in[o + j] * k + b;
                }
            }
        });
        return new Tensor[] {Tensor.of(out, x.shape()), Tensor.of(mean, n * groups), Tensor.of(rstd, n * groups)};
    }

    static Tensor[] backward(Tensor gradOut, Tensor x, Tensor meanT, Tensor rstdT, Tensor gamma, int groups) {
        check(x, gamma, groups);
        Shape.checkSame("groupNormBackward", gradOut.shape(), x.shape());
        if (meanT.numel() != x.dim(0) * groups || rstdT.numel() != x.dim(0) * groups)
            throw new IllegalArgumentException("groupNormBackward: statistics " + Shape.str(meanT.shape()) + " / "
                    + Shape.str(rstdT.shape()) + " do not match input " + Shape.str(x.shape()) + " with " + groups + " groups");
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), cpg = c / groups, len = cpg * hw;
        float[] g = gradOut.data(), in = x.data(), mean = meanT.data(), rstd = rstdT.data();
        float[] gm = gamma == null ? null : gamma.data();
        float[] gx = new float[in.length];
        double[] dGamma = new double[n * c], dBeta = new double[n * c];
        Parallel.range(n * groups, Math.max(1, (1 << 15) / Math.max(1, len)), (s, e) -> {
            for (int ng = s; ng < e; ng++) {
                int base = ng * len, gi = ng % groups, img = ng / groups;
                double m = mean[ng], r = rstd[ng];
                // xhat = (x-m)·r ; dy' = dy·gamma ; dx = r·(dy' − mean(dy') − xhat·mean(dy'·xhat))
                double sumDy = 0, sumDyXhat = 0;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = gi * cpg + cc, o = base + cc * hw;
                    double k = gm == null ? 1.0 : gm[ch], dgs = 0, dbs = 0;
                    for (int j = 0; j < hw; j++) {
                        double dy = g[o + j], xh = (in[o + j] - m) * r;
                        dgs += dy * xh;
                        dbs += dy;
                        sumDy += dy * k;
                        sumDyXhat += dy * k * xh;
                    }
                    dGamma[img * c + ch] = dgs;
                    dBeta[img * c + ch] = dbs;
                }
                double meanDy = sumDy / len, meanDyXhat = sumDyXhat / len;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = gi * cpg + cc, o = base + cc * hw;
                    double k = gm == null ? 1.0 : gm[ch];
                    for (int j = 0; j < hw; j++) {
                        double xh = (in[o + j] - m) * r;
                        gx[o + j] = (float) (r * (g[o + j] * k - meanDy - xh * meanDyXhat));
                    }
                }
            }
        });
        float[] gg = new float[c], gb = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double a = 0, b = 0;
            for (int i = 0; i < n; i++) { a += dGamma[i * c + ch]; b += dBeta[i * c + ch]; }
            gg[ch] = (float) a;
            gb[ch] = (float) b;
        }
        return new Tensor[] {Tensor.of(gx, x.shape()), Tensor.of(gg, c), Tensor.of(gb, c)};
    }
}
