package autoassign.backend.cuda;

/** Device memory is exhausted even after returning cached blocks and collecting unreachable tensors. */
public final class CudaOutOfMemoryException extends CudaException {
    public CudaOutOfMemoryException(String message) { super(message); }
}
