package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.constant;
import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * rowScale ({@link F#rowScale}): x viewed as [s.numel(), cols], each row times its scale; forward and both gradients
 * by finite differences (per (sample, channel) as split attention weights its [N·C] rows over H·W, per sample as drop
 * path), a scale that needs no gradient, and the shape errors.
 */
class RowScaleGradCheckTest {
    static double[] refRowScale(double[] x, double[] s) {
        double[] y = new double[x.length];
        int cols = x.length / s.length;
        for (int i = 0; i < x.length; i++) y[i] = x[i] * s[i / cols];
        return y;
    }

    @Test
    void matchesReferenceAndFiniteDifferences() {
        Random r = new Random(3);
        check("rowScale per (n, c)", in -> F.rowScale(in[0], in[1]), d -> refRowScale(d[0], d[1]),
                leaf(uniform(r, 2 * 3 * 4 * 5), 2, 3, 4, 5), leaf(uniform(r, 6), 2, 3, 1, 1));
        check("rowScale per sample", in -> F.rowScale(in[0], in[1]), d -> refRowScale(d[0], d[1]),
                leaf(uniform(r, 2 * 7 * 3), 2, 7, 3), leaf(uniform(r, 2), 2, 1, 1));
        check("rowScale constant scale", in -> F.rowScale(in[0], in[1]), d -> refRowScale(d[0], d[1]),
                leaf(uniform(r, 24), 4, 6), constant(new float[] {0f, 1.25f, -2f, 0.5f}, 4));
        check("rowScale one row", in -> F.rowScale(in[0], in[1]), d -> refRowScale(d[0], d[1]),
                constant(uniform(r, 9), 9), leaf(new float[] {0.7f}, 1));
    }

    @Test
    void cpuOpsOnAKnownCase() {
        Backend be = Backends.cpu();
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), s = Tensor.of(new float[] {2, -1}, 2, 1);
        assertArrayEquals(new float[] {2, 4, 6, -4, -5, -6}, be.rowScale(x, s).data());
        Tensor g = Tensor.of(new float[] {1, 1, 1, 0, 1, 2}, 2, 3);
        Tensor gs = be.rowScaleBackward(g, x, s);
        assertArrayEquals(new int[] {2, 1}, gs.shape());
        assertArrayEquals(new float[] {6, 17}, gs.data());
    }

    @Test
    void rejectsScalesThatDoNotSplitTheRows() {
        Backend be = Backends.cpu();
        Tensor x = Tensor.of(new float[6], 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.rowScale(x, Tensor.of(new float[4], 4)));
        assertTrue(e.getMessage().startsWith("rowScale:") && e.getMessage().contains("4 rows"), e.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> be.rowScaleBackward(Tensor.of(new float[5], 5), x, Tensor.of(new float[2], 2)));
        assertTrue(b.getMessage().startsWith("rowScaleBackward:"), b.getMessage());
    }
}
