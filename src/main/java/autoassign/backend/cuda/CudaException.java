package autoassign.backend.cuda;

/** A failed CUDA, cuDNN, cuBLAS, NVRTC or driver call, or a CUDA resource that cannot be found. */
public class CudaException extends RuntimeException {
    public CudaException(String message) { super(message); }

    public CudaException(String message, Throwable cause) { super(message, cause); }
}
