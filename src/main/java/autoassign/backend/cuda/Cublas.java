package autoassign.backend.cuda;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;

/**
 * Row-major SGEMM through cuBLAS (column-major): C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ, i.e.
 * cublasSgemm(opB, opA, n, m, k, B, ldb, A, lda, C, n) on the row-major buffers as they are.
 * TF32 tensor cores are used unless {@link CudaOptions#tf32()} is off.
 */
final class Cublas {
    private static volatile Boolean available;

    private final cublasContext handle = new cublasContext();
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);

    private int mathMode = -1;

    Cublas(CUstream_st stream) {
        Cuda.checkCublas(cublas.cublasCreate_v2(handle), "cublasCreate");
        Cuda.checkCublas(cublas.cublasSetStream_v2(handle, stream), "cublasSetStream");
    }

    /** Whether the cuBLAS library loads (probed once; a failure leaves gemm on the fallback kernel). */
    static boolean available() {
        Boolean a = available;
        if (a == null) {
            try {
                if (Boolean.getBoolean("autoassign.cublas.disable")) a = false;
                else {
                    Loader.load(cublas.class);
                    a = true;
                }
            } catch (Throwable t) {
                a = false;
            }
            available = a;
        }
        return a;
    }

    /** Row-major C[m,n] = op(A)·op(B); lda, ldb: row lengths of A and B as stored. */
    synchronized void sgemm(boolean transA, boolean transB, int m, int n, int k, long a, int lda, long b, int ldb, long c,
                            boolean tf32) {
        int mode = tf32 ? cublas.CUBLAS_TF32_TENSOR_OP_MATH : cublas.CUBLAS_DEFAULT_MATH;
        if (mode != mathMode) {
            Cuda.checkCublas(cublas.cublasSetMathMode(handle, mode), "cublasSetMathMode");
            mathMode = mode;
        }
        int st = cublas.cublasSgemm_v2(handle, transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, n, m, k, one,
                new FloatPointer(new DevPtr(b)), ldb, new FloatPointer(new DevPtr(a)), lda, zero,
                new FloatPointer(new DevPtr(c)), n);
        Cuda.checkCublas(st, "cublasSgemm");
    }

    /**
     * Row-major C[i] = op(A[i])·op(B[i]) for i &lt; batch, each matrix {@code strideA / strideB / strideC} floats after
     * the previous (cublasSgemmStridedBatched with the operands swapped as in {@link #sgemm}).
     */
    synchronized void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, long a, int lda, long strideA,
                                          long b, int ldb, long strideB, long c, long strideC, int batch, boolean tf32) {
        int mode = tf32 ? cublas.CUBLAS_TF32_TENSOR_OP_MATH : cublas.CUBLAS_DEFAULT_MATH;
        if (mode != mathMode) {
            Cuda.checkCublas(cublas.cublasSetMathMode(handle, mode), "cublasSetMathMode");
            mathMode = mode;
        }
        int st = cublas.cublasSgemmStridedBatched(handle, transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, n, m, k, one,
                new FloatPointer(new DevPtr(b)), ldb, strideB, new FloatPointer(new DevPtr(a)), lda, strideA, zero,
                new FloatPointer(new DevPtr(c)), n, strideC, batch);
        Cuda.checkCublas(st, "cublasSgemmStridedBatched");
    }
}
