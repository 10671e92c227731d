package autoassign.backend.cpu;

import autoassign.backend.ShapeChecks;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** GroupNorm over NCHW: statistics per (image, group) in double, affine per channel. */
final class GroupNormCpu {
    private GroupNormCpu() {}


    static Tensor[] forward(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        ShapeChecks.groupNorm(x, gamma, beta, groups);
        if (beta != null && beta.numel() != x.dim(1))
            throw new IllegalArgumentException("groupNorm: bias " + Shape.str(beta.shape()) + " does not match " + x.dim(1)
                    + " channels of input " + Shape.str(x.shape()));
        if (!(eps >= 0)) throw new IllegalArgumentException("groupNorm: eps must be >= 0, got " + eps + " for input " + Shape.str(x.shape()));
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), cpg = c / groups, len = cpg * hw;
        Tensor outT = HostArrays.empty(x.shape());
        float[] in = x.data(), out = outT.data(), mean = new float[n * groups], rstd = new float[n * groups];
        float[] gm = gamma == null ? null : gamma.data(), bt = beta == null ? null : beta.data();
        Parallel.range(n * groups, Math.max(1, (1 << 15) / Math.max(1, len)), (s, e) -> {
            for (int ng = s; ng < e; ng++) {
                int base = ng * len;
                // two independent double accumulators each (the add latency, not the loads, bounds this loop)
                double sum0 = 0, sum1 = 0, sq0 = 0, sq1 = 0;
                int j = 0;
                for (; j + 1 < len; j += 2) {
                    double v0 = in[base + j], v1 = in[base + j + 1];
                    sum0 += v0;
                    sum1 += v1;
                    sq0 += v0 * v0;
                    sq1 += v1 * v1;
                }
                if (j < len) { double v = in[base + j]; sum0 += v; sq0 += v * v; }
                double sum = sum0 + sum1, sq = sq0 + sq1;
                double mu = sum / len, var = Math.max(sq / len - mu * mu, 0);
                float m = (float) mu, r = (float) (1.0 / Math.sqrt(var + eps));
                mean[ng] = m;
                rstd[ng] = r;
                int g = ng % groups;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = g * cpg + cc, o = base + cc * hw;
                    float k = (gm == null ? 1f : gm[ch]) * r, b = (bt == null ? 0f : bt[ch]) - m * k;
                    for (int jj = 0; jj < hw; jj++) out[o + jj] = in[o + jj] * k + b;
                }
            }
        });
        return new Tensor[] {outT, Tensor.of(mean, n * groups), Tensor.of(rstd, n * groups)};
    }

    static Tensor[] backward(Tensor gradOut, Tensor x, Tensor meanT, Tensor rstdT, Tensor gamma, int groups) {
        ShapeChecks.groupNorm(x, gamma, null, groups);
        Shape.checkSame("groupNormBackward", gradOut.shape(), x.shape());
        if (meanT.numel() != x.dim(0) * groups || rstdT.numel() != x.dim(0) * groups)
            throw new IllegalArgumentException("groupNormBackward: statistics " + Shape.str(meanT.shape()) + " / "
                    + Shape.str(rstdT.shape()) + " do not match input " + Shape.str(x.shape()) + " with " + groups + " groups");
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), cpg = c / groups, len = cpg * hw;
        float[] g = gradOut.data(), in = x.data(), mean = meanT.data(), rstd = rstdT.data();
        float[] gm = gamma == null ? null : gamma.data();
        Tensor gxT = HostArrays.empty(x.shape());
        float[] gx = gxT.data();
        double[] dGamma = new double[n * c], dBeta = new double[n * c];
        Parallel.range(n * groups, Math.max(1, (1 << 15) / Math.max(1, len)), (s, e) -> {
            for (int ng = s; ng < e; ng++) {
                int base = ng * len, gi = ng % groups, img = ng / groups;
                double m = mean[ng], r = rstd[ng];
                // xhat = (x-m)·r ; dy' = dy·gamma ; dx = r·(dy' − mean(dy') − xhat·mean(dy'·xhat))
                // per channel: Σdy and Σdy·(x−m) (so Σdy·xhat = r·Σdy·(x−m)); the per-group sums weight them by gamma
                double sumDy = 0, sumDyXhat = 0;
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = gi * cpg + cc, o = base + cc * hw;
                    double k = gm == null ? 1.0 : gm[ch];
                    double dbs0 = 0, dbs1 = 0, dxs0 = 0, dxs1 = 0;
                    int j = 0;
                    for (; j + 1 < hw; j += 2) {
                        double dy0 = g[o + j], dy1 = g[o + j + 1];
                        dbs0 += dy0;
                        dbs1 += dy1;
                        dxs0 += dy0 * (in[o + j] - m);
                        dxs1 += dy1 * (in[o + j + 1] - m);
                    }
                    if (j < hw) { double dy = g[o + j]; dbs0 += dy; dxs0 += dy * (in[o + j] - m); }
                    double dbs = dbs0 + dbs1, dgs = (dxs0 + dxs1) * r;
                    dGamma[img * c + ch] = dgs;
                    dBeta[img * c + ch] = dbs;
                    sumDy += dbs * k;
                    sumDyXhat += dgs * k;
                }
                double meanDy = sumDy / len, meanDyXhat = sumDyXhat / len;
                // dx = r·(dy·k − meanDy − xhat·meanDyXhat) = A·dy + B·x + (C − B·m): coefficients in double, the
                // element loop in float like the forward's (a double loop does not vectorise: it was 7× slower)
                double bCoef = -r * r * meanDyXhat, cCoef = -r * meanDy;
                float bf = (float) bCoef, cf = (float) (cCoef - bCoef * m);
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = gi * cpg + cc, o = base + cc * hw;
                    float af = (float) (r * (gm == null ? 1.0 : gm[ch]));
                    for (int j = 0; j < hw; j++) gx[o + j] = af * g[o + j] + bf * in[o + j] + cf;
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
        return new Tensor[] {gxT, Tensor.of(gg, c), Tensor.of(gb, c)};
    }
}
