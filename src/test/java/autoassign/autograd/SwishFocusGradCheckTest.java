package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.leaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CSPDarknet's new ops: Swish ({@link F#swish}, MMCV's {@code x * torch.sigmoid(x)}), Focus's slicing
 * ({@link F#spaceToDepth}) and SPPBottleneck's stride-1 max pools (kernel 5 / 9 / 13, padding k // 2, windows wider
 * than the map): forward against double references, gradients by finite differences.
 */
class SwishFocusGradCheckTest {
    private static double[] refSwish(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] / (1 + Math.exp(-x[i]));
        return y;
    }

    /** torch.cat((x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]), 1) of [n, c, h, w]. */
    private static double[] refFocus(double[] x, int n, int c, int h, int w) {
        double[] y = new double[x.length];
        int oh = h / 2, ow = w / 2, k = 0;
        int[][] offs = {{0, 0}, {1, 0}, {0, 1}, {1, 1}}; // (row, column) offsets in upstream's cat order
        for (int b = 0; b < n; b++)
            for (int[] o : offs)
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < oh; i++)
                        for (int j = 0; j < ow; j++) y[k++] = x[((b * c + ch) * h + 2 * i + o[0]) * w + 2 * j + o[1]];
        return y;
    }

    private static double[] refMaxPool(double[] x, int n, int c, int h, int w, int k, int pad) {
        double[] y = new double[x.length];
        for (int p = 0; p < n * c; p++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int a = i - pad; a < i - pad + k; a++)
                        for (int b = j - pad; b < j - pad + k; b++)
                            if (a >= 0 && a < h && b >= 0 && b < w) m = Math.max(m, x[(p * h + a) * w + b]);
                    y[(p * h + i) * w + j] = m;
                }
        return y;
    }

    @Test
    void swishMatchesReferenceAndFiniteDifferences() {
        Random r = new Random(11);
        float[] x = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 12 - 6;
        check("swish", in -> F.swish(in[0]), d -> refSwish(d[0]), leaf(x, 2, 3, 4, 5));
        check("swish small", in -> F.swish(in[0]), d -> refSwish(d[0]), leaf(GradCheck.uniform(r, 24), 4, 6));
    }

    @Test
    void swishAtZeroLargeAndNan() {
        Tensor x = leaf(new float[] {0f, 100f, -100f, Float.NaN}, 4);
        Graph.clear();
        Tensor y = F.swish(x);
        assertEquals(0f, y.data()[0]);
        assertEquals(100f, y.data()[1]);
        assertEquals(0f, y.data()[2], 1e-40f);
        assertTrue(Float.isNaN(y.data()[3]));
        Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(new float[] {1, 1, 1, 1}, 4)});
        float[] g = x.grad().data();
        assertEquals(0.5f, g[0], "silu'(0) = 1/2");
        assertEquals(1f, g[1]);
        assertEquals(0f, g[2], 1e-30f);
        assertTrue(Float.isNaN(g[3]));
    }

    @Test
    void focusIsUpstreamsSliceOrderAndItsGradientThePermutationBack() {
        Random r = new Random(12);
        int n = 2, c = 3, h = 6, w = 10;
        check("spaceToDepth", in -> F.spaceToDepth(in[0]), d -> refFocus(d[0], n, c, h, w),
                leaf(GradCheck.uniform(r, n * c * h * w), n, c, h, w));
        // a 1×1×2×2 input: channels are top-left, bottom-left, top-right, bottom-right
        Tensor y = Backends.cpu().spaceToDepth(Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2));
        assertArrayEquals(new int[] {1, 4, 1, 1}, y.shape());
        assertArrayEquals(new float[] {1, 3, 2, 4}, y.data());
    }

    @Test
    void focusRefusesOddSizesAsUpstreamsCatFails() {
        Backend be = Backends.cpu();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.spaceToDepth(Tensor.of(new float[15], 1, 1, 3, 5)));
        assertTrue(e.getMessage().contains("even height and width"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.spaceToDepthBackward(Tensor.of(new float[6], 1, 3, 1, 2)));
    }

    @Test
    void sppPoolsWiderThanTheMap() {
        Random r = new Random(13);
        int n = 1, c = 2, h = 5, w = 7;
        for (int k : new int[] {5, 9, 13}) {
            int pad = k / 2;
            check("maxPool2d k" + k + " s1 p" + pad, in -> F.maxPool2d(in[0], k, 1, pad),
                    d -> refMaxPool(d[0], n, c, h, w, k, pad), leaf(GradCheck.distinct(r, n * c * h * w), n, c, h, w));
        }
    }
}
