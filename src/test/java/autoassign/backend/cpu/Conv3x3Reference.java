package autoassign.backend.cpu;

import java.util.Arrays;
import java.util.Random;

/** Double-precision 3×3 stride-1 convolution (forward, backward data, filter gradient) and helpers for the Winograd tests. */
final class Conv3x3Reference {
    private Conv3x3Reference() {}

    static float[] uniform(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    /** An output buffer that shows any element the op under test leaves unwritten. */
    static float[] nans(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /** |want − got| ≤ tol · max(1, max |want|) everywhere (NaN fails). */
    static void assertClose(double[] want, float[] got, double tol, String what) {
        if (want.length != got.length) throw new AssertionError(what + ": " + got.length + " values, expected " + want.length);
        double scale = 1;
        for (double v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < got.length; i++)
            if (!(Math.abs(want[i] - got[i]) <= tol * scale))
                throw new AssertionError(what + " at " + i + ": " + want[i] + " vs " + got[i]);
    }


    /** y = conv(x, w) + b in double (stride 1, dilation 1). */
    static double[] forward(float[] x, int[] xs, float[] w, int[] ws, float[] b, int ph, int pw) {
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], oh = h + 2 * ph - 2, ow = wd + 2 * pw - 2;
        double[] y = new double[n * cout * oh * ow];
        for (int i = 0; i < n; i++)
            for (int co = 0; co < cout; co++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double s = b == null ? 0 : b[co];
                        for (int ci = 0; ci < cin; ci++)
                            for (int ky = 0; ky < 3; ky++) {
                                int iy = oy - ph + ky;
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < 3; kx++) {
                                    int ix = ox - pw + kx;
                                    if (ix < 0 || ix >= wd) continue;
                                    s += (double) x[((i * cin + ci) * h + iy) * wd + ix] * w[((co * cin + ci) * 3 + ky) * 3 + kx];
                                }
                            }
                        y[((i * cout + co) * oh + oy) * ow + ox] = s;
                    }
        return y;
    }

    /** dx = conv2d_backward_input(g, w) in double: the adjoint of {@link #forward} (without bias). */
    static double[] backwardInput(float[] g, int[] xs, float[] w, int[] ws, int ph, int pw) {
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], cout = ws[0], oh = h + 2 * ph - 2, ow = wd + 2 * pw - 2;
        double[] dx = new double[n * cin * h * wd];
        for (int i = 0; i < n; i++)
            for (int co = 0; co < cout; co++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double gv = g[((i * cout + co) * oh + oy) * ow + ox];
                        for (int ci = 0; ci < cin; ci++)
                            for (int ky = 0; ky < 3; ky++) {
                                int iy = oy - ph + ky;
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < 3; kx++) {
                                    int ix = ox - pw + kx;
                                    if (ix < 0 || ix >= wd) continue;
                                    dx[((i * cin + ci) * h + iy) * wd + ix] += gv * w[((co * cin + ci) * 3 + ky) * 3 + kx];
                                }
                            }
                    }
        return dx;
    }

    /** dw = conv2d_backward_weight(x, g) in double (stride 1, dilation 1). */
    static double[] backwardWeight(float[] g, float[] x, int[] xs, int cout, int ph, int pw) {
        int n = xs[0], cin = xs[1], h = xs[2], wd = xs[3], oh = h + 2 * ph - 2, ow = wd + 2 * pw - 2;
        double[] dw = new double[cout * cin * 9];
        for (int i = 0; i < n; i++)
            for (int co = 0; co < cout; co++)
                for (int ci = 0; ci < cin; ci++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            double s = 0;
                            for (int oy = 0; oy < oh; oy++) {
                                int iy = oy - ph + ky;
                                if (iy < 0 || iy >= h) continue;
                                for (int ox = 0; ox < ow; ox++) {
                                    int ix = ox - pw + kx;
                                    if (ix < 0 || ix >= wd) continue;
                                    s += (double) g[((i * cout + co) * oh + oy) * ow + ox] * x[((i * cin + ci) * h + iy) * wd + ix];
                                }
                            }
                            dw[((co * cin + ci) * 3 + ky) * 3 + kx] += s;
                        }
        return dw;
    }
}
