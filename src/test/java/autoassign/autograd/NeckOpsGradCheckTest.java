package autoassign.autograd;

import autoassign.backend.BilinearResize;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.constant;
import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Finite-difference checks (in double, {@link GradCheck}) of the HRFPN's ops: {@link F#upsampleBilinear} against a
 * double reference of ATen's bilinear (source index ratio·(d + 0.5) − 0.5 clamped at 0, ratio = 1/scale, copy when
 * out == in) and {@link F#concatChannels}. Both are linear in their inputs, so the difference quotients are exact up to
 * rounding.
 */
class NeckOpsGradCheckTest {

    /** y = bilinear(x) in double, from the same taps (the index math is shared, the arithmetic is double). */
    static double[] bilinearRef(double[] x, int[] s, double sh, double sw) {
        int n = s[0], c = s[1], h = s[2], w = s[3];
        int oh = BilinearResize.outSize(h, sh), ow = BilinearResize.outSize(w, sw);
        var ty = BilinearResize.taps(h, oh, BilinearResize.ratio(h, oh, sh));
        var tx = BilinearResize.taps(w, ow, BilinearResize.ratio(w, ow, sw));
        double[] y = new double[n * c * oh * ow];
        for (int p = 0; p < n * c; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    var a = ty[oy];
                    var b = tx[ox];
                    int base = p * h * w;
                    y[(p * oh + oy) * ow + ox] = (double) a.l0() * ((double) b.l0() * x[base + a.i0() * w + b.i0()] + (double) b.l1() * x[base + a.i0() * w + b.i1()])
                            + (double) a.l1() * ((double) b.l0() * x[base + a.i1() * w + b.i0()] + (double) b.l1() * x[base + a.i1() * w + b.i1()]);
                }
        return y;
    }

    private static void bilinear(String name, int[] s, double sh, double sw, long seed) {
        Random rnd = new Random(seed);
        Tensor x = leaf(uniform(rnd, s[0] * s[1] * s[2] * s[3]), s);
        check(name, in -> F.upsampleBilinear(in[0], sh, sw), d -> bilinearRef(d[0], s, sh, sw), x);
    }

    @Test
    void bilinearIntegerScales() {
        bilinear("x2", new int[] {2, 2, 3, 4}, 2, 2, 1);
        bilinear("x4 x8", new int[] {1, 2, 2, 3}, 4, 8, 2);
    }

    @Test
    void bilinearNonIntegerScalesAndDownsampling() {
        bilinear("x1.7 x2.3", new int[] {1, 2, 5, 4}, 1.7, 2.3, 3);
        bilinear("x0.45 x0.6", new int[] {1, 2, 9, 7}, 0.45, 0.6, 4);
        bilinear("x1.2 (copy) x3", new int[] {1, 1, 3, 3}, 1.2, 3, 5);
    }

    /** The weights sum to 1: a constant image stays constant. */
    @Test
    void bilinearKeepsConstants() {
        float[] v = new float[2 * 5 * 7];
        java.util.Arrays.fill(v, 0.75f);
        for (float f : F.upsampleBilinear(Tensor.of(v, 1, 2, 5, 7), 2.7, 1.3).toFloatArray()) assertEquals(0.75f, f, 1e-7f);
    }

    @Test
    void concatChannelsGradients() {
        Random rnd = new Random(7);
        int[] a = {2, 3, 4, 5}, b = {2, 1, 4, 5}, c = {2, 2, 4, 5};
        Tensor ta = leaf(uniform(rnd, 120), a), tb = constant(uniform(rnd, 40), b), tc = leaf(uniform(rnd, 80), c);
        check("cat [3,1,2] channels", in -> F.concatChannels(List.of(in[0], in[1], in[2])), d -> {
            double[] y = new double[2 * 6 * 20];
            int[] ch = {3, 1, 2};
            for (int n = 0; n < 2; n++) {
                int off = 0;
                for (int i = 0; i < 3; i++) {
                    System.arraycopy(d[i], n * ch[i] * 20, y, (n * 6 + off) * 20, ch[i] * 20);
                    off += ch[i];
                }
            }
            return y;
        }, ta, tb, tc);
    }

    @Test
    void concatMismatchIsAOneLineError() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> F.concatChannels(List.of(Tensor.zeros(1, 2, 8, 8), Tensor.zeros(1, 3, 8, 10))));
        assertEquals("concatChannels: input 1 [1, 3, 8, 10] does not match input 0 [1, 2, 8, 8] outside the channels", e.getMessage());
    }
}
