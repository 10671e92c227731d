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
 * LeakyReLU ({@link F#leakyRelu}): forward against a double reference and the gradient by finite differences away
 * from 0; at 0 and for NaN torch's rule (torch 1.13: {@code leaky_relu(x, 0.1).sum().backward()} at
 * x = [-1, 0, -0, 2, nan] gives y = [-0.1, 0, -0, 2, nan] and grad = [0.1, 0.1, 0.1, 1, 0.1]: leaky_relu_backward
 * is {@code x > 0 ? g : g * slope}).
 */
class LeakyReluGradCheckTest {
    private static double[] refLeakyRelu(double[] x, double slope) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : x[i] * slope;
        return y;
    }

    /** Values in [-3, 3] at least 0.02 away from 0. */
    private static float[] awayFromZero(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            float v;
            do v = r.nextFloat() * 6 - 3; while (Math.abs(v) < 0.02f);
            a[i] = v;
        }
        return a;
    }

    @Test
    void matchesReferenceAndFiniteDifferences() {
        Random r = new Random(5);
        check("leakyRelu(0.1)", in -> F.leakyRelu(in[0], 0.1f), d -> refLeakyRelu(d[0], (double) 0.1f),
                leaf(awayFromZero(r, 2 * 3 * 4 * 5), 2, 3, 4, 5));
        check("leakyRelu(0.01)", in -> F.leakyRelu(in[0], 0.01f), d -> refLeakyRelu(d[0], (double) 0.01f),
                leaf(awayFromZero(r, 24), 4, 6));
    }

    @Test
    void gradientAtZeroAndNanIsTheSlopeLikeTorch() {
        Tensor x = leaf(new float[] {-1f, 0f, -0f, 2f, Float.NaN}, 5);
        Graph.clear();
        Tensor y = F.leakyRelu(x, 0.1f);
        float[] yv = y.data();
        assertEquals(-0.1f, yv[0]);
        assertEquals(0f, yv[1]);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(yv[2]), "-0 · slope stays -0");
        assertEquals(2f, yv[3]);
        assertTrue(Float.isNaN(yv[4]), "NaN propagates like torch.nn.functional.leaky_relu");
        Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(new float[] {1, 1, 1, 1, 1}, 5)});
        assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f, 1f, 0.1f}, x.grad().data());
    }

    @Test
    void cpuOpsKeepShapeAndRejectMismatchedGradients() {
        Backend be = Backends.cpu();
        Tensor x = Tensor.of(new float[] {-2, 0.5f, 9, 0}, 2, 2);
        assertArrayEquals(new float[] {-0.2f, 0.5f, 9, 0}, be.leakyRelu(x, 0.1f).data());
        assertArrayEquals(new int[] {2, 2}, be.leakyRelu(x, 0.1f).shape());
        assertArrayEquals(new float[] {0.2f, 3, 4, 0.5f}, be.leakyReluBackward(Tensor.of(new float[] {2, 3, 4, 5}, 2, 2), x, 0.1f).data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.leakyReluBackward(Tensor.of(new float[] {1, 2}, 2), x, 0.1f));
        assertTrue(e.getMessage().contains("leakyReluBackward"), e.getMessage());
    }
}
