package autoassign.backend;

import autoassign.backend.cpu.Blas;
import autoassign.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** sgemm through OpenBLAS on arrays with offsets, leading dimensions, transposes and beta, against a double loop. */
class BlasTest {
    private final Random rnd = new Random(7);

    private float[] rand(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    /** Double reference of C = alpha·op(A)·op(B) + beta·C on the same arrays/offsets. */
    private static double[] ref(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int ao, int lda,
                                float[] b, int bo, int ldb, float beta, float[] c, int co, int ldc) {
        double[] out = new double[c.length];
        for (int i = 0; i < c.length; i++) out[i] = c[i];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[ao + p * lda + i] : a[ao + i * lda + p];
                    double bv = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    s += av * bv;
                }
                out[co + i * ldc + j] = alpha * s + beta * c[co + i * ldc + j];
            }
        return out;
    }

    @Test
    void offsetsLeadingDimensionsTransposesAndBeta() {
        int m = 5, n = 7, k = 6;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true})
                for (float beta : new float[] {0f, 0.5f}) {
                    int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
                    int ao = 11, bo = 3, co = 17;
                    float[] a = rand(ao + (ta ? k : m) * lda + 5), b = rand(bo + (tb ? n : k) * ldb + 4);
                    float[] c = rand(co + m * ldc + 9);
                    float[] before = c.clone();
                    double[] want = ref(ta, tb, m, n, k, 1.5f, a, ao, lda, b, bo, ldb, beta, c, co, ldc);
                    Blas.sgemm(ta, tb, m, n, k, 1.5f, a, ao, lda, b, bo, ldb, beta, c, co, ldc);
                    for (int i = 0; i < c.length; i++) {
                        boolean inside = i >= co && i < co + m * ldc && (i - co) % ldc < n && (i - co) / ldc < m;
                        if (inside) assertEquals(want[i], c[i], 1e-5, "C[" + i + "] ta=" + ta + " tb=" + tb + " beta=" + beta);
                        else assertEquals(before[i], c[i], 0f, "element outside C touched at " + i);
                    }
                }
    }

    @Test
    void largeArraysWithOffsets() {
        // a product in the middle of big arrays: correct, and untouched around it
        int m = 64, n = 96, k = 80, ao = 100_003, bo = 7, co = 250_001;
        float[] a = rand(ao + m * k + 1000), b = rand(bo + k * n), c = new float[co + m * n + 50_000];
        Blas.sgemm(false, false, m, n, k, 1f, a, ao, k, b, bo, n, 0f, c, co, n);
        double[] want = ref(false, false, m, n, k, 1f, a, ao, k, b, bo, n, 0f, c, co, n);
        for (int i = 0; i < c.length; i++) assertEquals(want[i], c[i], 1e-4, "at " + i);
    }

    @Test
    void largeProductsSplitOverCoresAllTransposes() {
        // above the size where the array entry point splits the columns of C over the cores
        int m = 70, n = 333, k = 120;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 5, ao = 3, bo = 5, co = 7;
                float[] a = rand(ao + (ta ? k : m) * lda), b = rand(bo + (tb ? n : k) * ldb), c = rand(co + m * ldc);
                double[] want = ref(ta, tb, m, n, k, 1f, a, ao, lda, b, bo, ldb, 0.25f, c, co, ldc);
                Blas.sgemm(ta, tb, m, n, k, 1f, a, ao, lda, b, bo, ldb, 0.25f, c, co, ldc);
                for (int i = 0; i < c.length; i++) assertEquals(want[i], c[i], 1e-4, "at " + i + " ta=" + ta + " tb=" + tb);
            }
    }

    @Test
    void nativePointersWithOffsets() {
        int m = 4, n = 3, k = 5;
        float[] a = rand(10 + m * k), b = rand(20 + k * n), c = new float[30 + m * n];
        try (FloatPointer pa = new FloatPointer(a); FloatPointer pb = new FloatPointer(b); FloatPointer pc = new FloatPointer(c)) {
            Blas.sgemm(false, false, m, n, k, 1f, pa, 10, k, pb, 20, n, 0f, pc, 30, n);
            float[] got = new float[c.length];
            pc.get(got);
            double[] want = ref(false, false, m, n, k, 1f, a, 10, k, b, 20, n, 0f, c, 30, n);
            for (int i = 0; i < c.length; i++) assertEquals(want[i], got[i], 1e-5, "at " + i);
        }
    }

    @Test
    void zeroInnerDimensionGivesBetaC() {
        float[] c = {1, 2, 3, 4};
        Blas.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0.5f, c, 0, 2);
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2}, c);
    }

    @Test
    void outOfBoundsIsRejectedNotCrashing() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Blas.sgemm(false, false, 4, 4, 4, 1f, new float[15], 0, 4, new float[16], 0, 4, 0f, new float[16], 0, 4));
        assertTrue(e.getMessage().startsWith("sgemm: A needs 16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Blas.sgemm(false, false, 4, 4, 4, 1f, new float[16], 0, 3, new float[16], 0, 4, 0f, new float[16], 0, 4));
        assertTrue(e.getMessage().contains("lda=3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Blas.sgemm(false, false, -1, 4, 4, 1f, new float[16], 0, 4, new float[16], 0, 4, 0f, new float[16], 0, 4));
        assertTrue(e.getMessage().contains("negative size"), e.getMessage());
    }

    @Test
    void backendGemmAndShapeError() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
        assertArrayEquals(new float[] {4, 5, 10, 11}, Backends.cpu().gemm(a, false, b, false).data());
        assertArrayEquals(new float[] {1, 4, 5, 2, 5, 7, 3, 6, 9}, Backends.cpu().gemm(a, true, b, true).data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.cpu().gemm(a, false, a, false));
        assertTrue(e.getMessage().contains("gemm") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
