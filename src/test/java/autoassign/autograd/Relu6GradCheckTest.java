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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ReLU6 / hardtanh ({@link F#relu6}, {@link F#hardtanh}): forward against a double reference and the gradient by
 * finite differences away from the kinks; at the kinks PyTorch's rule (torch 1.13: {@code relu6(x).sum().backward()}
 * at x = [-1, 0, 3, 6, 7] gives [0, 0, 1, 0, 0]): the gradient is 0 where x &le; lo or x &ge; hi, and a NaN input
 * passes its gradient (hardtanh_backward's {@code (x <= lo || x >= hi) ? 0 : g}).
 */
class Relu6GradCheckTest {
    private static double[] refHardtanh(double[] x, double lo, double hi) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.min(Math.max(x[i], lo), hi);
        return y;
    }

    /** Values spread over [-3, 9] at least 0.02 away from 0 and 6. */
    private static float[] awayFromKinks(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            float v;
            do v = r.nextFloat() * 12 - 3; while (Math.abs(v) < 0.02f || Math.abs(v - 6) < 0.02f);
            a[i] = v;
        }
        return a;
    }

    @Test
    void relu6MatchesReferenceAndFiniteDifferences() {
        Random r = new Random(3);
        check("relu6", in -> F.relu6(in[0]), d -> refHardtanh(d[0], 0, 6), leaf(awayFromKinks(r, 2 * 3 * 5 * 4), 2, 3, 5, 4));
        check("hardtanh(-0.5, 0.7)", in -> F.hardtanh(in[0], -0.5f, 0.7f), d -> refHardtanh(d[0], -0.5, 0.7),
                leaf(new float[] {-2f, -0.6f, -0.4f, 0f, 0.3f, 0.69f, 0.71f, 3f}, 8));
    }

    @Test
    void gradientIsZeroAtAndBeyondBothBoundsLikeTorch() {
        Tensor x = leaf(new float[] {-1f, 0f, -0f, 3f, 6f, 7f, Float.NaN, Math.nextUp(0f), Math.nextDown(6f)}, 9);
        Graph.clear();
        Tensor y = F.relu6(x);
        float[] yv = y.data();
        assertEquals(0f, yv[0]);
        assertEquals(3f, yv[3]);
        assertEquals(6f, yv[4]);
        assertEquals(6f, yv[5]);
        assertTrue(Float.isNaN(yv[6]), "NaN propagates like torch.nn.functional.relu6");
        Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, 9)});
        assertArrayEquals(new float[] {0, 0, 0, 1, 0, 0, 1, 1, 1}, x.grad().data());
    }

    @Test
    void cpuOpsKeepShapeAndRejectMismatchedGradients() {
        Backend be = Backends.cpu();
        Tensor x = Tensor.of(new float[] {-2, 0.5f, 9, 6}, 2, 2);
        assertArrayEquals(new float[] {0, 0.5f, 6, 6}, be.hardtanh(x, 0, 6).data());
        assertArrayEquals(new int[] {2, 2}, be.hardtanh(x, 0, 6).shape());
        assertArrayEquals(new float[] {0, 3, 0, 0}, be.hardtanhBackward(Tensor.of(new float[] {2, 3, 4, 5}, 2, 2), x, 0, 6).data());
        try {
            be.hardtanhBackward(Tensor.of(new float[] {1, 2}, 2), x, 0, 6);
            throw new AssertionError("shape mismatch must fail");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("hardtanhBackward"), expected.getMessage());
        }
    }
}
