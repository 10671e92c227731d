package autoassign.backend.cpu;

import autoassign.autograd.RefOps;
import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The blocked convolution with tiny blocks (one or two output rows each), so that small images go through many
 * blocks per worker, the halo pass of the backward-data fold, and block borders inside padded rows.
 */
class ConvBlockingTest {
    private final Random rnd = new Random(9);

    @AfterEach
    void restore() {
        Conv.blockFloats = Conv.BLOCK_FLOATS;
        Conv.minBlockCols = Conv.MIN_BLOCK_COLS;
        Conv.shiftGemm = true;
        Conv.phased = true;
        ShiftConv.blockFloats = 1 << 19;
        ShiftConv.minBlockCols = 4 * ShiftConv.MIN_BLOCK_COLS;
    }

    private float[] rand(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    private static void assertClose(double[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 1;
        for (double v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < got.length; i++)
            if (Math.abs(want[i] - got[i]) > 1e-5 * scale) throw new AssertionError(what + " at " + i + ": " + want[i] + " vs " + got[i]);
    }

    private void check(int[] xs, int[] ws, ConvParams p) {
        float[] x = rand(xs[0] * xs[1] * xs[2] * xs[3]), w = rand(ws[0] * ws[1] * ws[2] * ws[3]);
        Tensor xt = Tensor.of(x, xs), wt = Tensor.of(w, ws);
        double[] xd = RefOps.toDouble(x), wd = RefOps.toDouble(w);
        int sh = p.strideH(), sw = p.strideW(), ph = p.padH(), pw = p.padW(), dh = p.dilationH(), dw = p.dilationW();
        int[] os = RefOps.convOutShape(xs, ws, sh, sw, ph, pw, dh, dw);
        String what = java.util.Arrays.toString(xs) + " " + java.util.Arrays.toString(ws) + " " + p;
        assertClose(RefOps.conv2d(xd, xs, wd, ws, null, p.groups(), sh, sw, ph, pw, dh, dw), Conv.forward(xt, wt, null, p).data(), "forward " + what);
        // backward through the adjoint identities: <G, conv(x)> is bilinear, so its gradients are checked against
        // directional derivatives of the double reference
        float[] g = rand(os[0] * os[1] * os[2] * os[3]);
        double[] gd = RefOps.toDouble(g);
        float[] gx = Conv.backwardInput(Tensor.of(g, os), wt, xs, p).data();
        float[] gw = Conv.backwardWeight(Tensor.of(g, os), xt, ws, p).data();
        double[] wantGx = new double[x.length], wantGw = new double[w.length];
        for (int j = 0; j < x.length; j++) {
            double[] e = new double[x.length];
            e[j] = 1;
            wantGx[j] = dot(gd, RefOps.conv2d(e, xs, wd, ws, null, p.groups(), sh, sw, ph, pw, dh, dw));
        }
        for (int j = 0; j < w.length; j++) {
            double[] e = new double[w.length];
            e[j] = 1;
            wantGw[j] = dot(gd, RefOps.conv2d(xd, xs, e, ws, null, p.groups(), sh, sw, ph, pw, dh, dw));
        }
        assertClose(wantGx, gx, "backward input " + what);
        assertClose(wantGw, gw, "backward weight " + what);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** The stride-1 shapes through the shifted-GEMM path, with the whole grid in one block and in many. */
    @Test
    void shiftedGemm() {
        for (int bf : new int[] {1 << 19, 1}) { // 1: blocks of one grid column
            ShiftConv.blockFloats = bf;
            ShiftConv.minBlockCols = bf == 1 ? 1 : 4 * ShiftConv.MIN_BLOCK_COLS;
            check(new int[] {2, 3, 9, 7}, new int[] {4, 3, 3, 3}, ConvParams.of(1, 1));
            check(new int[] {1, 2, 11, 6}, new int[] {3, 2, 3, 3}, ConvParams.of(1, 2, 2));   // dilation 2
            check(new int[] {2, 4, 5, 6}, new int[] {3, 4, 1, 1}, ConvParams.of(1, 0));       // pointwise
            check(new int[] {3, 2, 3, 3}, new int[] {2, 2, 3, 3}, ConvParams.of(1, 1));
            check(new int[] {2, 3, 8, 5}, new int[] {2, 3, 3, 3}, ConvParams.of(1, 0));       // no padding
            check(new int[] {2, 2, 6, 7}, new int[] {3, 2, 5, 3}, new ConvParams(1, 1, 2, 1, 1, 1)); // non-square
            check(new int[] {3, 4, 9, 11}, new int[] {5, 4, 3, 3}, ConvParams.of(1, 1));     // several workers' ranges
            check(new int[] {1, 3, 2, 2}, new int[] {2, 3, 3, 3}, ConvParams.of(1, 1));       // output smaller than kernel
        }
        check(new int[] {2, 3, 5, 4}, new int[] {70, 3, 3, 3}, ConvParams.of(1, 1));          // filter grad split by Cout
        check(new int[] {1, 2, 6, 5}, new int[] {64, 2, 1, 1}, ConvParams.of(1, 0));
    }

    /** Strided convs unfold from stride phases; the plain strided gather stays checked too. */
    @Test
    void stridedPhases() {
        for (boolean ph : new boolean[] {true, false}) {
            Conv.phased = ph;
            check(new int[] {2, 3, 13, 11}, new int[] {4, 3, 7, 7}, ConvParams.of(2, 3));       // stem-like, odd sizes
            check(new int[] {2, 4, 9, 8}, new int[] {3, 4, 1, 1}, ConvParams.of(2, 0));         // 1x1 s2 downsample
            check(new int[] {1, 3, 10, 9}, new int[] {2, 3, 3, 3}, ConvParams.of(2, 1));        // 3x3 s2
            check(new int[] {1, 2, 14, 13}, new int[] {2, 2, 3, 3}, ConvParams.of(3, 2, 2));    // stride 3, dilation 2
            check(new int[] {2, 2, 11, 7}, new int[] {3, 2, 3, 2}, new ConvParams(2, 1, 1, 0, 1, 1)); // mixed strides
            check(new int[] {1, 2, 3, 3}, new int[] {2, 2, 3, 3}, ConvParams.of(2, 0));
        }
    }

    @Test
    void manySmallBlocks() {
        Conv.shiftGemm = false; // the im2col path (still used by strided convs) on stride-1 shapes too
        Conv.minBlockCols = 1;
        Conv.blockFloats = 1; // one output row per block
        check(new int[] {2, 3, 9, 7}, new int[] {4, 3, 3, 3}, ConvParams.of(1, 1));
        check(new int[] {1, 2, 11, 6}, new int[] {3, 2, 3, 3}, ConvParams.of(1, 2, 2));   // halo of 4 rows
        check(new int[] {2, 2, 13, 9}, new int[] {2, 2, 7, 7}, ConvParams.of(2, 3));      // 7x7 s2: halo 3
        check(new int[] {2, 4, 5, 6}, new int[] {3, 4, 1, 1}, ConvParams.of(1, 0));       // pointwise
        check(new int[] {1, 2, 3, 3}, new int[] {2, 2, 3, 3}, ConvParams.of(1, 1));       // fewer rows than 2 halos
        Conv.blockFloats = 3 * 9 * 2 * 7; // two output rows per block
        check(new int[] {2, 3, 15, 7}, new int[] {5, 3, 3, 3}, ConvParams.of(1, 1));
        check(new int[] {1, 3, 16, 10}, new int[] {2, 3, 3, 3}, ConvParams.of(2, 1));
    }

    /** Grouped convs ({@link GroupedConv}) with a few output rows per block: many blocks per (image, group) task. */
    @Test
    void groupedInTinyBlocks() {
        Conv.blockFloats = 64;
        Conv.minBlockCols = 1;
        check(new int[] {3, 8, 9, 7}, new int[] {12, 2, 3, 3}, ConvParams.of(1, 1).withGroups(4));
        check(new int[] {2, 6, 10, 9}, new int[] {6, 1, 3, 3}, ConvParams.of(2, 1).withGroups(6));
        check(new int[] {2, 4, 6, 5}, new int[] {4, 2, 3, 2}, new ConvParams(1, 2, 2, 1, 2, 1, 2));
    }
}
