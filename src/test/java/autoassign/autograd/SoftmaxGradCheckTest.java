package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Softmax over the middle axis of [outer, n, inner] ({@link F#softmax}): forward against a double reference and the
 * gradient by finite differences, on the radix axis (ResNeSt's RSoftmax), on the last axis (attention, inner = 1) and
 * with n = 1; the values torch 2.13 (CPU) gives for {@code torch.softmax(x, 1)} on a small case; NaN and overflow.
 */
class SoftmaxGradCheckTest {
    static double[] refSoftmax(double[] x, int outer, int n, int inner) {
        double[] y = new double[x.length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double m = Double.NEGATIVE_INFINITY, s = 0;
                for (int j = 0; j < n; j++) m = Math.max(m, x[base + j * inner]);
                for (int j = 0; j < n; j++) s += Math.exp(x[base + j * inner] - m);
                for (int j = 0; j < n; j++) y[base + j * inner] = Math.exp(x[base + j * inner] - m) / s;
            }
        return y;
    }

    @Test
    void matchesReferenceAndFiniteDifferences() {
        Random r = new Random(11);
        // RSoftmax: [B, cardinality, radix, rest] with the softmax over radix
        check("softmax radix", in -> F.softmax(in[0], 2 * 2, 3, 5), d -> refSoftmax(d[0], 4, 3, 5),
                leaf(scaled(uniform(r, 2 * 2 * 3 * 5), 3), 2, 2, 3, 5));
        check("softmax last axis", in -> F.softmax(in[0], 6, 7, 1), d -> refSoftmax(d[0], 6, 7, 1),
                leaf(scaled(uniform(r, 42), 4), 2, 3, 7));
        check("softmax n=1", in -> F.softmax(in[0], 3, 1, 4), d -> refSoftmax(d[0], 3, 1, 4), leaf(uniform(r, 12), 3, 4));
        check("softmax n=2 (radix 2)", in -> F.softmax(in[0], 2, 2, 6), d -> refSoftmax(d[0], 2, 2, 6),
                leaf(scaled(uniform(r, 24), 2), 2, 2, 6));
    }

    @Test
    void valuesAndGradientOfTorch() {
        // torch 2.13: x = [[1, 2, 3], [-1, 0, 1000]] (requires_grad); y = torch.softmax(x, 1);
        // y.backward([[0.5, -1, 2], [1, 2, 3]])
        Tensor x = leaf(new float[] {1, 2, 3, -1, 0, 1000}, 2, 3);
        Graph.clear();
        Tensor y = F.softmax(x, 2, 3, 1);
        assertArrayEquals(new float[] {0.09003057f, 0.24472848f, 0.66524094f, 0f, 0f, 1f}, y.data(), 1e-7f);
        Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(new float[] {0.5f, -1, 2, 1, 2, 3}, 2, 3)});
        assertArrayEquals(new float[] {-0.0567884631f, -0.521459818f, 0.578248262f, 0f, 0f, 0f}, x.grad().data(), 2e-7f);
    }

    @Test
    void nanMakesItsLineNanAndLargeValuesDoNotOverflow() {
        Backend be = Backends.cpu();
        Tensor y = be.softmax(Tensor.of(new float[] {Float.NaN, 1, 2, 100, 200, 300}, 2, 3), 2, 3, 1);
        float[] v = y.data();
        for (int i = 0; i < 3; i++) assertTrue(Float.isNaN(v[i]), "torch: softmax([nan, 1, 2]) is all NaN");
        assertEquals(1f, v[5]);
        assertEquals(0f, v[3]);
    }

    @Test
    void rejectsViewsThatDoNotFit() {
        Backend be = Backends.cpu();
        Tensor x = Tensor.of(new float[12], 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.softmax(x, 3, 2, 1));
        assertTrue(e.getMessage().startsWith("softmax: [3, 4]") || e.getMessage().startsWith("softmax:"), e.getMessage());
        assertTrue(e.getMessage().contains("[3, 2, 1]"), e.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> be.softmaxBackward(Tensor.of(new float[6], 6), x, 3, 4, 1));
        assertTrue(b.getMessage().contains("softmaxBackward"), b.getMessage());
    }

    private static float[] scaled(float[] a, float k) {
        for (int i = 0; i < a.length; i++) a[i] *= k;
        return a;
    }
}
