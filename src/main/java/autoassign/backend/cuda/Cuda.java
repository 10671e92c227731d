package autoassign.backend.cuda;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/** Status checks for the CUDA libraries: every failure becomes a {@link CudaException} naming the call. */
final class Cuda {
    private Cuda() {}

    static void check(int err, String what) {
        if (err == 0) return;
        cudart.cudaGetLastError(); // clear the sticky-free error state of the runtime
        if (err == cudart.cudaErrorMemoryAllocation) throw new CudaOutOfMemoryException(what + ": " + errorName(err));
        throw new CudaException(what + " failed: " + errorName(err));
    }

    static String errorName(int err) {
        try {
            BytePointer name = cudart.cudaGetErrorName(err), text = cudart.cudaGetErrorString(err);
            return name.getString() + " (" + text.getString() + ")";
        } catch (Throwable t) {
            return "CUDA error " + err;
        }
    }

    /** Driver API (cu*) results. */
    static void checkDriver(int res, String what) {
        if (res == 0) return;
        String name = "CUDA driver error " + res;
        try (PointerPointer<?> pp = new PointerPointer<>(1)) {
            if (cudart.cuGetErrorName(res, pp) == 0 && pp.get(0) != null) name = pp.getString(0) + " (" + res + ")";
        } catch (Throwable ignored) {
            // keep the number
        }
        throw new CudaException(what + " failed: " + name);
    }

    static void checkCudnn(int st, String what) {
        if (st == cudnn.CUDNN_STATUS_SUCCESS) return;
        String s;
        try {
            s = cudnn.cudnnGetErrorString(st).getString();
        } catch (Throwable t) {
            s = "status " + st;
        }
        throw new CudaException(what + " failed: " + s);
    }

    static void checkCublas(int st, String what) {
        if (st == 0) return;
        String s;
        try {
            s = cublas.cublasGetStatusName(st).getString();
        } catch (Throwable t) {
            s = "status " + st;
        }
        throw new CudaException(what + " failed: " + s);
    }
}
