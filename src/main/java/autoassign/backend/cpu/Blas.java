package autoassign.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major single-precision GEMM through OpenBLAS (JavaCPP preset).
 *
 * <p>Two entry points: one on native {@link FloatPointer} memory (no copies, what the convolution uses) and
 * one on Java arrays, which stages exactly the touched regions of A, B and C through per-thread native
 * buffers. Java arrays are never handed to JavaCPP directly: it copies whole arrays in and back out on every
 * call, and {@code FloatBuffer.wrap(a, off, len).slice()} arguments crash the JVM ("free(): invalid pointer").
 *
 * <p>Threading: all parallelism is Java's ({@link Parallel}); OpenBLAS runs each call on the calling thread
 * ({@code autoassign.blas.threads}, default 1). The array entry point splits large products over the cores by
 * columns, and the convolution calls sgemm from each of its workers on its own block. So OpenBLAS threads and
 * Java threads never compete for the cores (OpenBLAS threads also spin after each call, which would steal the
 * cores from the Java phases in between), and concurrent callers are safe.
 */
public final class Blas {
    private static final int ROW_MAJOR = openblas_nolapack.CblasRowMajor;
    private static final int NO_TRANS = openblas_nolapack.CblasNoTrans;
    private static final int TRANS = openblas_nolapack.CblasTrans;
    private static final int THREADS;
    private static final long PARALLEL_MIN_FLOPS = 1L << 21;

    static {
        THREADS = Math.max(1, Integer.getInteger("autoassign.blas.threads", 1));
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(THREADS);
    }

    private Blas() {}

    /** Number of threads OpenBLAS was configured with at start-up. */
    public static int threads() { return THREADS; }

    /**
     * Changes the OpenBLAS thread count for the whole process (the plain-sgemm benchmark uses it to measure
     * OpenBLAS's own multithreading); returns the previous value.
     */
    public static int setThreads(int n) {
        int prev = org.bytedeco.openblas.presets.openblas_nolapack.blas_get_num_threads();
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(Math.max(1, n));
        return prev;
    }

    /**
     * C[M,N] = alpha·op(A)·op(B) + beta·C on native memory, one OpenBLAS call on the calling thread; offsets
     * are in floats from each pointer's address (its position is ignored). op(A) is [M,K], op(B) is [K,N].
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             FloatPointer a, long aOff, int lda, FloatPointer b, long bOff, int ldb,
                             float beta, FloatPointer c, long cOff, int ldc) {
        checkDims(transA, transB, m, n, k, lda, ldb, ldc);
        checkSpan("A", aOff, span(transA ? k : m, transA ? m : k, lda), a.capacity() == 0 ? Long.MAX_VALUE : a.capacity());
        checkSpan("B", bOff, span(transB ? n : k, transB ? k : n, ldb), b.capacity() == 0 ? Long.MAX_VALUE : b.capacity());
        checkSpan("C", cOff, span(m, n, ldc), c.capacity() == 0 ? Long.MAX_VALUE : c.capacity());
        if (m == 0 || n == 0) return;
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS,
                m, n, k, alpha, at(a, aOff), lda, at(b, bOff), ldb, beta, at(c, cOff), ldc);
    }

    /**
     * C[M,N] = alpha·op(A)·op(B) + beta·C with row-major arrays starting at the given offsets.
     * op(A) is [M,K], op(B) is [K,N]. Only the regions the product touches are copied (C only when beta ≠ 0);
     * large products are split by columns of C over the cores.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        checkDims(transA, transB, m, n, k, lda, ldb, ldc);
        long sa = span(transA ? k : m, transA ? m : k, lda), sb = span(transB ? n : k, transB ? k : n, ldb);
        long sc = span(m, n, ldc);
        checkSpan("A", aOff, sa, a.length);
        checkSpan("B", bOff, sb, b.length);
        checkSpan("C", cOff, sc, c.length);
        if (m == 0 || n == 0) return;
        OffHeap.Buf ba = OffHeap.get(OffHeap.GEMM_A, Math.max(1, sa));
        OffHeap.Buf bb = OffHeap.get(OffHeap.GEMM_B, Math.max(1, sb));
        OffHeap.Buf bc = OffHeap.get(OffHeap.GEMM_C, sc);
        if (sa > 0) ba.buf().put(0, a, aOff, (int) sa);
        if (sb > 0) bb.buf().put(0, b, bOff, (int) sb);
        if (beta != 0f) bc.buf().put(0, c, cOff, (int) sc);
        if ((long) m * n * k < PARALLEL_MIN_FLOPS) {
            sgemm(transA, transB, m, n, k, alpha, ba.ptr(), 0, lda, bb.ptr(), 0, ldb, beta, bc.ptr(), 0, ldc);
        } else {
            // columns [j0, j1) of C need columns [j0, j1) of op(B): an offset of j0 (B) or j0 rows (Bᵀ)
            Parallel.range(n, 64, (j0, j1) -> sgemm(transA, transB, m, j1 - j0, k, alpha, ba.ptr(), 0, lda,
                    bb.ptr(), transB ? (long) j0 * ldb : j0, ldb, beta, bc.ptr(), 0L + j0, ldc));
        }
        if (ldc == n) {
            bc.buf().get(0, c, cOff, (int) sc);
        } else {
            for (int i = 0; i < m; i++) bc.buf().get(i * ldc, c, cOff + i * ldc, n);
        }
    }

    private static FloatPointer at(FloatPointer p, long off) {
        return off == 0 && p.position() == 0 ? p : new FloatPointer(p).position(off);
    }

    /** Elements spanned by a row-major [rows, cols] matrix with leading dimension ld. */
    private static long span(int rows, int cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
    }

    private static void checkDims(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
        if (m < 0 || n < 0 || k < 0)
            throw new IllegalArgumentException("sgemm: negative size M=" + m + " N=" + n + " K=" + k);
        int colsA = transA ? m : k, colsB = transB ? k : n;
        if (lda < Math.max(1, colsA) || ldb < Math.max(1, colsB) || ldc < Math.max(1, n))
            throw new IllegalArgumentException("sgemm: leading dimensions lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
                    + " too small for M=" + m + " N=" + n + " K=" + k + (transA ? " Aᵀ" : "") + (transB ? " Bᵀ" : ""));
    }

    private static void checkSpan(String which, long off, long span, long length) {
        if (off < 0 || off + span > length)
            throw new IllegalArgumentException("sgemm: " + which + " needs " + span + " elements from offset " + off
                    + " but has " + length);
    }
}
