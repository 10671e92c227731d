package autoassign.backend.cpu;

import autoassign.autograd.RefOps;
import autoassign.backend.ConvParams;

import java.util.Arrays;
import java.util.Random;

/**
 * Double-precision 3×3 stride-1 convolution (forward, backward data, filter gradient), the forward/backward-data
 * check the Winograd tests share, and their helpers.
 */
final class Conv3x3Reference {
    private Conv3x3Reference() {}

    /** Uniform values in [-1, 1) ({@link RefOps#random}'s sequence). */
    static float[] uniform(Random rnd, int n) { return RefOps.random(rnd, n).data(); }

    /** A forward routine with WinogradConv's signature (writes every element of {@code out}). */
    interface Forward { void run(float[] x, int[] xs, float[] w, int cout, float[] bias, ConvParams p, int[] os, float[] out); }

    /** A backward-data routine with WinogradConv's signature (writes every element of {@code dx}). */
    interface BackwardData { void run(float[] g, int[] gs, float[] w, int[] ws, ConvParams p, int[] xs, float[] dx); }

    /** The random data of one checked geometry and its double-precision results. */
    record Case(ConvParams p, int[] xs, int[] ws, int[] os, float[] x, float[] w, float[] b, float[] g,
                double[] wantY, double[] wantDx, String what) {}

    /**
     * Forward (with and without bias) and backward data of one geometry on random data against the double
     * reference, into NaN-filled outputs (they are not pre-zeroed: NaN shows any element left unwritten).
     */
    static Case check(Random rnd, Forward fwd, BackwardData bwd, double tol, int n, int cin, int cout, int h, int w,
                      int ph, int pw) {
        ConvParams p = new ConvParams(1, 1, ph, pw, 1, 1);
        int[] xs = {n, cin, h, w}, ws = {cout, cin, 3, 3}, os = {n, cout, h + 2 * ph - 2, w + 2 * pw - 2};
        String what = Arrays.toString(xs) + " -> " + Arrays.toString(os) + " pad " + ph + "x" + pw;
        float[] x = uniform(rnd, n * cin * h * w), wt = uniform(rnd, cout * cin * 9), b = uniform(rnd, cout);
        float[] g = uniform(rnd, os[0] * os[1] * os[2] * os[3]);
        double[] wantY = forward(x, xs, wt, ws, b, ph, pw), wantY0 = forward(x, xs, wt, ws, null, ph, pw);
        double[] wantDx = backwardInput(g, xs, wt, ws, ph, pw);
        float[] y = nans(wantY.length), y0 = nans(wantY.length), dx = nans(wantDx.length);
        fwd.run(x, xs, wt, cout, b, p, os, y);
        fwd.run(x, xs, wt, cout, null, p, os, y0);
        bwd.run(g, os, wt, ws, p, xs, dx);
        assertClose(wantY, y, tol, "forward+bias " + what);
        assertClose(wantY0, y0, tol, "forward " + what);
        assertClose(wantDx, dx, tol, "backward data " + what);
        return new Case(p, xs, ws, os, x, wt, b, g, wantY, wantDx, what);
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

    /** y = conv(x, w) + b in double (stride 1, dilation 1): {@link RefOps#conv2d}. */
    static double[] forward(float[] x, int[] xs, float[] w, int[] ws, float[] b, int ph, int pw) {
        return RefOps.conv2d(RefOps.toDouble(x), xs, RefOps.toDouble(w), ws, b == null ? null : RefOps.toDouble(b),
                1, 1, ph, pw, 1, 1);
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
