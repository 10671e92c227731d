package autoassign.autograd;

import autoassign.backend.Backends;
import autoassign.backend.GatherIndex;
import autoassign.backend.GeluMath;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.constant;
import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The window-transformer ops of {@link SequenceOps} (Swin): forward against double-precision references and
 * gradients by central finite differences ({@link GradCheck}): linear, bmm with every transpose combination, gather
 * (a permutation with zero rows, and a table lookup whose rows are read many times), the batched transpose, GELU, the
 * broadcast add and LayerNorm; the double erf against reference values.
 */
class SequenceOpsGradCheckTest {
    private final Random r = new Random(11);

    @Test
    void linearWithAndWithoutBias() {
        int m = 5, k = 4, n = 3;
        check("linear", in -> SequenceOps.linear(in[0], in[1], in[2]), d -> {
            double[] y = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = d[2][j];
                    for (int t = 0; t < k; t++) s += d[0][i * k + t] * d[1][j * k + t];
                    y[i * n + j] = s;
                }
            return y;
        }, leaf(uniform(r, m * k), m, k), leaf(uniform(r, n * k), n, k), leaf(uniform(r, n), n));
        check("linear without bias", in -> SequenceOps.linear(in[0], in[1], null), d -> {
            double[] y = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int t = 0; t < k; t++) y[i * n + j] += d[0][i * k + t] * d[1][j * k + t];
            return y;
        }, leaf(uniform(r, m * k), m, k), leaf(uniform(r, n * k), n, k));
    }

    @Test
    void bmmEveryTransposeCombination() {
        int b = 3, m = 4, k = 5, n = 2;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                int[] as = ta ? new int[] {b, k, m} : new int[] {b, m, k}, bs = tb ? new int[] {b, n, k} : new int[] {b, k, n};
                check("bmm " + ta + " " + tb, in -> SequenceOps.bmm(in[0], ta, in[1], tb), d -> {
                    double[] y = new double[b * m * n];
                    for (int p = 0; p < b; p++)
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++) {
                                double s = 0;
                                for (int t = 0; t < k; t++) {
                                    double av = ta ? d[0][(p * k + t) * m + i] : d[0][(p * m + i) * k + t];
                                    double bv = tb ? d[1][(p * n + j) * k + t] : d[1][(p * k + t) * n + j];
                                    s += av * bv;
                                }
                                y[(p * m + i) * n + j] = s;
                            }
                    return y;
                }, leaf(uniform(r, b * m * k), as), leaf(uniform(r, b * k * n), bs));
            }
        assertThrows(IllegalArgumentException.class, () -> Backends.cpu().bmm(Tensor.zeros(2, 3, 4), false, Tensor.zeros(2, 3, 4), false));
    }

    @Test
    void gatherPermutationWithZerosAndRepeatedRows() {
        // rows of 3: output = [src 2, zeros, src 0, src 3]; src 1 unread (zero gradient)
        GatherIndex perm = new GatherIndex(new int[] {2, -1, 0, 3}, 3, 4, 2, 2, 3);
        assertTrue(perm.injective());
        check("gather permutation", in -> SequenceOps.gather(in[0], perm), d -> ref(d[0], perm), leaf(uniform(r, 12), 4, 3));
        // a table lookup: element-wise, source entries read 0, 1 or 3 times
        GatherIndex table = new GatherIndex(new int[] {4, 1, 4, 0, 4, 1, -1, 2}, 1, 6, 2, 4);
        assertTrue(!table.injective());
        assertArrayEquals(new int[] {0, 1, 3, 4, 4, 7, 7}, table.inverseOffsets());
        assertArrayEquals(new int[] {3, 1, 5, 7, 0, 2, 4}, table.inverseRows());
        check("gather table", in -> SequenceOps.gather(in[0], table), d -> ref(d[0], table), leaf(uniform(r, 6), 3, 2));
        assertThrows(IllegalArgumentException.class, () -> new GatherIndex(new int[] {0, 5}, 1, 5, 2));
        assertThrows(IllegalArgumentException.class, () -> Backends.cpu().gather(Tensor.zeros(5), perm));
    }

    @Test
    void transpose2dBatchedWithRaggedTiles() {
        // gradient: x [3, 5, 4] → [3, 4, 5], viewed as [12, 5] (the backward transposes back into x's shape)
        check("transpose2d", in -> SequenceOps.transpose2d(in[0], 3, 5, 4, 12, 5), d -> transposeRef(d[0], 3, 5, 4),
                leaf(uniform(r, 60), 15, 4));
        // forward over several 32 × 32 tiles with ragged edges and batch > 1, exact
        int b = 2, rows = 45, cols = 70;
        float[] xf = uniform(r, b * rows * cols);
        double[] xd = new double[xf.length];
        for (int i = 0; i < xf.length; i++) xd[i] = xf[i];
        Tensor y = Backends.cpu().transpose2d(Tensor.of(xf, b, rows, cols), b, rows, cols);
        assertArrayEquals(new int[] {b, cols, rows}, y.shape());
        double[] want = transposeRef(xd, b, rows, cols);
        for (int i = 0; i < want.length; i++) assertEquals((float) want[i], y.data()[i], 0f);
        assertThrows(IllegalArgumentException.class, () -> Backends.cpu().transpose2d(Tensor.zeros(5, 4), 2, 5, 4));
    }

    private static double[] transposeRef(double[] x, int b, int rows, int cols) {
        double[] y = new double[x.length];
        for (int p = 0; p < b; p++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) y[(p * cols + j) * rows + i] = x[(p * rows + i) * cols + j];
        return y;
    }

    private static double[] ref(double[] x, GatherIndex idx) {
        double[] y = new double[idx.outRows() * idx.block()];
        for (int i = 0; i < idx.outRows(); i++)
            for (int j = 0; j < idx.block(); j++) y[i * idx.block() + j] = idx.rows()[i] < 0 ? 0 : x[idx.rows()[i] * idx.block() + j];
        return y;
    }

    @Test
    void geluExactForm() {
        float[] x = uniform(r, 24);
        for (int i = 0; i < x.length; i++) x[i] *= 4;
        check("gelu", in -> SequenceOps.gelu(in[0]), d -> {
            double[] y = new double[d[0].length];
            for (int i = 0; i < y.length; i++) y[i] = d[0][i] * 0.5 * (1 + GeluMath.erf(d[0][i] / Math.sqrt(2)));
            return y;
        }, leaf(x, 4, 6));
        // torch 1.13: F.gelu(torch.tensor([-3., -1., 0., 0.5, 2.])) and its gradient
        float[] want = {-0.004049867391586304f, -0.1586552858352661f, 0f, 0.3457311987876892f, 1.9544999599456787f};
        float[] wantGrad = {-0.011945605278015137f, -0.08331543207168579f, 0.5f, 0.867495059967041f, 1.085231900215149f};
        Tensor t = Tensor.of(new float[] {-3, -1, 0, 0.5f, 2}, 5);
        float[] got = Backends.cpu().gelu(t).data(), g = Backends.cpu().geluBackward(Tensor.full(1f, 5), t).data();
        for (int i = 0; i < 5; i++) {
            assertEquals(want[i], got[i], 2e-7 * Math.max(1, Math.abs(want[i])), "gelu " + i);
            assertEquals(wantGrad[i], g[i], 3e-7, "gelu grad " + i);
        }
    }

    @Test
    void erfIsAccurate() {
        double[] x = {0, 1e-10, 0.1, 0.5, 0.84375, 1, 1.25, 2, 2.857, 3, 5.5, 6, -0.7, -2.5, Double.POSITIVE_INFINITY};
        double[] want = {0, 1.1283791670955126e-10, 0.1124629160182849, 0.5204998778130465, 0.7672256612323416,
                0.8427007929497149, 0.9229001282564582, 0.9953222650189527, 0.9999466417399131, 0.9999779095030014,
                0.9999999999999927, 1.0, -0.6778011938374184, -0.999593047982555, 1.0};
        for (int i = 0; i < x.length; i++) assertEquals(want[i], GeluMath.erf(x[i]), 2e-16, "erf(" + x[i] + ")");
        assertTrue(Double.isNaN(GeluMath.erf(Double.NaN)));
    }

    @Test
    void addRepeatedAndLayerNorm() {
        check("addRepeated", in -> SequenceOps.addRepeated(SequenceOps.bmm(in[0], false, in[2], false), in[1]), d -> {
            double[] y = new double[2 * 3 * 2];
            for (int p = 0; p < 2; p++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 2; j++) {
                        double s = d[1][i * 2 + j];
                        for (int t = 0; t < 2; t++) s += d[0][(p * 3 + i) * 2 + t] * d[2][(p * 2 + t) * 2 + j];
                        y[(p * 3 + i) * 2 + j] = s;
                    }
            return y;
        }, leaf(uniform(r, 12), 2, 3, 2), leaf(uniform(r, 6), 3, 2), constant(uniform(r, 8), 2, 2, 2));
        int t = 4, c = 6;
        check("layerNorm", in -> SequenceOps.layerNorm(in[0], in[1], in[2], 1e-5f), d -> {
            double[] y = new double[t * c];
            for (int i = 0; i < t; i++) {
                double mu = 0, var = 0;
                for (int j = 0; j < c; j++) mu += d[0][i * c + j] / c;
                for (int j = 0; j < c; j++) var += Math.pow(d[0][i * c + j] - mu, 2) / c;
                for (int j = 0; j < c; j++) y[i * c + j] = (d[0][i * c + j] - mu) / Math.sqrt(var + 1e-5) * d[1][j] + d[2][j];
            }
            return y;
        }, leaf(uniform(r, t * c), t, c), leaf(uniform(r, c), c), leaf(uniform(r, c), c));
    }
}
