package autoassign.backend;

import autoassign.autograd.RefOps;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU conv2d forward / backward-data / backward-filter against direct double loops, plus edge and error cases. */
class ConvTest {
    private final Backend be = Backends.cpu();
    private final Random rnd = new Random(3);

    private Tensor rand(int... shape) { return RefOps.random(rnd, shape); }

    private static void assertClose(double[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": size");
        double scale = 1;
        for (double v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < got.length; i++)
            if (Math.abs(want[i] - got[i]) > tol * scale)
                throw new AssertionError(what + ": at " + i + " want " + want[i] + " got " + got[i]);
    }

    /** Reference backward: gx = Σ w·g over the positions where x was used; gw = Σ g·x (within each of p's groups). */
    private static double[][] refBackward(double[] x, int[] xs, double[] w, int[] ws, double[] g, ConvParams p) {
        int[] os = RefOps.convOutShape(xs, ws, p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW());
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], oh = os[2], ow = os[3];
        int og = o / p.groups();
        double[] gx = new double[x.length], gw = new double[w.length];
        for (int in = 0; in < n; in++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double gv = g[((in * o + oc) * oh + i) * ow + j];
                        for (int icg = 0; icg < cg; icg++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++) {
                                    int yy = i * p.strideH() - p.padH() + ky * p.dilationH(), xx = j * p.strideW() - p.padW() + kx * p.dilationW();
                                    if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
                                    int ic = (oc / og) * cg + icg;
                                    int xi = ((in * c + ic) * h + yy) * wd + xx, wi = ((oc * cg + icg) * kh + ky) * kw + kx;
                                    gx[xi] += w[wi] * gv;
                                    gw[wi] += x[xi] * gv;
                                }
                    }
        return new double[][] {gx, gw};
    }

    private void checkAll(int[] xs, int[] ws, ConvParams p, boolean bias) {
        Tensor x = rand(xs), w = rand(ws), b = bias ? rand(ws[0]) : null;
        Tensor y = be.conv2d(x, w, b, p);
        double[] yr = RefOps.conv2d(RefOps.toDouble(x.data()), xs, RefOps.toDouble(w.data()), ws,
                b == null ? null : RefOps.toDouble(b.data()), p.groups(), p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW());
        String what = java.util.Arrays.toString(xs) + " * " + java.util.Arrays.toString(ws) + " " + p;
        assertArrayEquals(RefOps.convOutShape(xs, ws, p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW()),
                y.shape(), what);
        assertClose(yr, y.data(), 1e-5, "forward " + what);
        Tensor g = rand(y.shape());
        double[][] r = refBackward(RefOps.toDouble(x.data()), xs, RefOps.toDouble(w.data()), ws, RefOps.toDouble(g.data()), p);
        assertClose(r[0], be.conv2dBackwardInput(g, w, xs, p).data(), 1e-5, "backward input " + what);
        assertClose(r[1], be.conv2dBackwardWeight(g, x, ws, p).data(), 1e-5, "backward weight " + what);
        if (b != null) {
            double[] gb = new double[ws[0]];
            float[] gd = g.data();
            int hw = y.dim(2) * y.dim(3);
            for (int i = 0; i < gd.length; i++) gb[(i / hw) % ws[0]] += gd[i];
            assertClose(gb, be.channelSum(g).data(), 1e-5, "bias gradient " + what);
        }
    }

    @Test
    void geometriesAgainstDirectLoops() {
        checkAll(new int[] {2, 16, 23, 31}, new int[] {32, 16, 3, 3}, ConvParams.of(1, 1), true);    // many channels, odd sizes
        checkAll(new int[] {2, 8, 17, 15}, new int[] {12, 8, 3, 3}, ConvParams.of(2, 1), false);     // stride 2, no bias
        checkAll(new int[] {1, 3, 21, 19}, new int[] {8, 3, 7, 7}, ConvParams.of(2, 3), false);      // stem-like 7x7/s2/p3
        checkAll(new int[] {2, 6, 9, 10}, new int[] {4, 6, 3, 3}, ConvParams.of(1, 2, 2), true);     // dilation 2
        checkAll(new int[] {2, 24, 9, 7}, new int[] {16, 24, 1, 1}, ConvParams.of(1, 0), true);      // 1x1 (no im2col)
        checkAll(new int[] {2, 24, 9, 7}, new int[] {16, 24, 1, 1}, ConvParams.of(2, 0), false);     // 1x1 stride 2
        checkAll(new int[] {2, 5, 1, 1}, new int[] {7, 5, 3, 3}, ConvParams.of(1, 1), true);         // 1x1 maps
        checkAll(new int[] {1, 5, 1, 1}, new int[] {7, 5, 1, 1}, ConvParams.of(1, 0), true);         // 1x1 map, 1x1 conv
        checkAll(new int[] {2, 3, 4, 6}, new int[] {2, 3, 3, 3}, ConvParams.of(1, 4), true);         // pad larger than kernel
        checkAll(new int[] {1, 2, 2, 2}, new int[] {3, 2, 3, 3}, ConvParams.of(2, 1), true);         // 2x2 → 1x1
        checkAll(new int[] {2, 4, 8, 11}, new int[] {3, 4, 2, 3}, new ConvParams(2, 1, 1, 0, 1, 3), true); // anisotropic
    }

    @Test
    void groupedAgainstDirectLoops() {
        checkAll(new int[] {2, 6, 11, 13}, new int[] {10, 3, 3, 3}, ConvParams.of(1, 1).withGroups(2), true);   // 2 groups
        checkAll(new int[] {2, 8, 17, 15}, new int[] {8, 1, 3, 3}, ConvParams.of(2, 1).withGroups(8), false);   // depthwise s2
        checkAll(new int[] {1, 12, 9, 10}, new int[] {6, 4, 3, 3}, ConvParams.of(1, 2, 2).withGroups(3), true); // dilation 2
        checkAll(new int[] {2, 16, 7, 9}, new int[] {8, 4, 1, 1}, ConvParams.of(1, 0).withGroups(4), true);     // grouped 1x1
        checkAll(new int[] {2, 4, 8, 11}, new int[] {6, 2, 2, 3}, new ConvParams(2, 1, 1, 0, 1, 3, 2), false);  // anisotropic
        // shapes each group of which the dense fast paths would take (3x3 s1, >= 32 channels per group; stride 1):
        // the grouped path must not hand the whole tensor to them
        checkAll(new int[] {1, 64, 12, 14}, new int[] {64, 32, 3, 3}, ConvParams.of(1, 1).withGroups(2), true);
        checkAll(new int[] {2, 32, 10, 9}, new int[] {64, 1, 5, 5}, ConvParams.of(1, 2).withGroups(32), false);
    }

    @Test
    void scratchBuffersSurviveSizeChanges() {
        // large, then small, then large again: reused per-thread native buffers must not leak stale data
        checkAll(new int[] {1, 32, 20, 24}, new int[] {8, 32, 3, 3}, ConvParams.of(1, 1), false);
        checkAll(new int[] {2, 2, 3, 3}, new int[] {2, 2, 3, 3}, ConvParams.of(1, 1), true);
        checkAll(new int[] {1, 40, 22, 25}, new int[] {6, 40, 3, 3}, ConvParams.of(1, 1), false);
    }

    @Test
    void concurrentCallersGetCorrectResults() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int c = 4 + t;
                fs.add(pool.submit(() -> {
                    Random r = new Random(c);
                    float[] xv = new float[2 * c * 13 * 11], wv = new float[5 * c * 9];
                    for (int i = 0; i < xv.length; i++) xv[i] = r.nextFloat() - 0.5f;
                    for (int i = 0; i < wv.length; i++) wv[i] = r.nextFloat() - 0.5f;
                    int[] xs = {2, c, 13, 11}, ws = {5, c, 3, 3};
                    for (int rep = 0; rep < 5; rep++) {
                        Tensor y = be.conv2d(Tensor.of(xv, xs), Tensor.of(wv, ws), null, ConvParams.of(1, 1));
                        assertClose(RefOps.conv2d(RefOps.toDouble(xv), xs, RefOps.toDouble(wv), ws, null, 1, 1, 1, 1, 1, 1),
                                y.data(), 1e-5, "thread " + c);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void emptyBatch() {
        Tensor y = be.conv2d(Tensor.zeros(0, 3, 5, 5), rand(4, 3, 3, 3), rand(4), ConvParams.of(1, 1));
        assertArrayEquals(new int[] {0, 4, 5, 5}, y.shape());
    }

    private static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void badInputNamesOpAndShapes() {
        Tensor x = rand(2, 3, 5, 5), w = rand(4, 3, 3, 3);
        assertMessage(() -> be.conv2d(x, rand(4, 2, 3, 3), null, ConvParams.of(1, 1)), "conv2d", "[2, 3, 5, 5]", "[4, 2, 3, 3]");
        assertMessage(() -> be.conv2d(rand(3, 5, 5), w, null, ConvParams.of(1, 1)), "conv2d", "input", "[3, 5, 5]");
        assertMessage(() -> be.conv2d(x, rand(4, 3, 3), null, ConvParams.of(1, 1)), "conv2d", "weight", "[4, 3, 3]");
        assertMessage(() -> be.conv2d(x, w, rand(5), ConvParams.of(1, 1)), "conv2d", "bias", "[5]", "[4, 3, 3, 3]");
        assertMessage(() -> be.conv2d(rand(1, 3, 2, 2), w, null, ConvParams.of(1, 0)), "conv2d", "[1, 3, 2, 2]", "[4, 3, 3, 3]");
        assertMessage(() -> be.conv2d(rand(1, 3, 2, 2), w, null, ConvParams.of(2, 0)), "conv2d", "too small");
        assertMessage(() -> ConvParams.of(0, 1), "conv2d", "stride=0x0");
        assertMessage(() -> ConvParams.of(1, -1), "conv2d", "pad=-1x-1");
        assertMessage(() -> be.conv2dBackwardInput(rand(2, 4, 4, 4), w, new int[] {2, 3, 5, 5}, ConvParams.of(1, 1)),
                "conv2dBackwardInput", "[2, 4, 4, 4]", "[2, 4, 5, 5]");
        assertMessage(() -> be.conv2dBackwardInput(rand(2, 4, 5, 5), w, new int[] {2, -3, 5, 5}, ConvParams.of(1, 1)),
                "conv2dBackwardInput", "[2, -3, 5, 5]");
        assertMessage(() -> be.conv2dBackwardWeight(rand(2, 4, 5, 5), x, new int[] {4, 3, 3, 0}, ConvParams.of(1, 1)),
                "conv2dBackwardWeight", "[4, 3, 3, 0]");
        assertMessage(() -> be.conv2dBackwardWeight(rand(1, 4, 5, 5), x, new int[] {4, 3, 3, 3}, ConvParams.of(1, 1)),
                "conv2dBackwardWeight", "[1, 4, 5, 5]");
        assertMessage(() -> be.channelSum(rand(4, 5)), "channelSum", "[4, 5]");
        // grouped: weight [Cout, Cin/groups, kH, kW]
        assertMessage(() -> be.conv2d(rand(2, 6, 5, 5), rand(4, 6, 3, 3), null, ConvParams.of(1, 1).withGroups(2)),
                "conv2d", "[2, 6, 5, 5]", "[4, 6, 3, 3]", "groups=2", "expects 12");
        assertMessage(() -> be.conv2d(rand(2, 6, 5, 5), rand(5, 3, 3, 3), null, ConvParams.of(1, 1).withGroups(2)),
                "conv2d", "[5, 3, 3, 3]", "not divisible by groups=2");
        assertMessage(() -> be.conv2dBackwardWeight(rand(2, 4, 5, 5), rand(2, 6, 5, 5), new int[] {4, 2, 3, 3},
                ConvParams.of(1, 1).withGroups(2)), "conv2dBackwardWeight", "[4, 2, 3, 3]", "expects 4");
        assertMessage(() -> ConvParams.of(1, 1).withGroups(0), "conv2d", "groups");
    }
}
