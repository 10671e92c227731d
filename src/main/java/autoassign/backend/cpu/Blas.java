package autoassign.backend.cpu;

import org.bytedeco.openblas.global.openblas_nolapack;

/** Row-major single-precision GEMM through OpenBLAS (JavaCPP preset). */
public final class Blas {
    private static final int ROW_MAJOR = openblas_nolapack.CblasRowMajor;
    private static final int NO_TRANS = openblas_nolapack.CblasNoTrans;
    private static final int TRANS = openblas_nolapack.CblasTrans;

    private Blas() {}

    /**
     * C[M,N] = alpha·op(A)·op(B) + beta·C with row-major arrays starting at the given offsets.
     * op(A) is [M,K], op(B) is [K,N].
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (aOff == 0 && bOff == 0 && cOff == 0) {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS,
                    m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        // JavaCPP passes whole arrays; offsets go through FloatBuffer views.
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS,
                m, n, k, alpha, java.nio.FloatBuffer.wrap(a, aOff, a.length - aOff).slice(), lda,
                java.nio.FloatBuffer.wrap(b, bOff, b.length - bOff).slice(), ldb, beta,
                java.nio.FloatBuffer.wrap(c, cOff, c.length - cOff).slice(), ldc);
    }
}
