package autoassign.backend.cuda;

import autoassign.tensor.Device;
import autoassign.tensor.Tensor;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

/**
 * What code outside the backend needs to call other CUDA libraries on the backend's tensors (NCCL for data
 * parallel training): the device's compute stream (every op of the device is enqueued on it), raw device
 * pointers, and stream-ordered copies between parts of device tensors.
 */
public final class CudaInterop {
    private CudaInterop() {}

    /** Communicators of more than one rank open in this process (see {@link #freesHeld}). */
    private static final java.util.concurrent.atomic.AtomicInteger collectives = new java.util.concurrent.atomic.AtomicInteger();

    /** An NCCL communicator of several ranks was made ({@link #collectivesClosed} when it closes). */
    public static void collectivesOpened() { collectives.incrementAndGet(); }

    public static void collectivesClosed() { collectives.decrementAndGet(); }

    /**
     * True while collectives of several GPUs may run in this process: then the caching allocator and the pinned pool
     * give nothing back to the driver ({@code cudaFree} / {@code cudaFreeHost} synchronise, and one issued while another
     * GPU's NCCL kernel waits for its peers can hang every worker: NCCL's known issue with several GPUs in one process).
     */
    public static boolean freesHeld() { return collectives.get() > 0; }

    private static CudaContext ctx(Device d) {
        if (!d.isCuda()) throw new IllegalArgumentException("not a CUDA device: " + d);
        return CudaContext.of(d.index());
    }

    /** Binds {@code device} to the calling thread (cudaSetDevice), as every backend call does. */
    public static void makeCurrent(Device device) { ctx(device).makeCurrent(); }

    /** The compute stream of {@code device}: work enqueued on it runs in order with every op of the backend. */
    public static CUstream_st computeStream(Device device) { return ctx(device).stream; }

    /** Waits for everything enqueued on the device's compute stream. */
    public static void synchronize(Device device) { ctx(device).synchronize(); }

    /** A pointer to element {@code offset} of a CUDA tensor (valid while the tensor's storage is). */
    public static Pointer pointer(Tensor t, long offset) {
        return new DevPtr(((CudaBuffer) t.buffer()).address() + 4L * offset);
    }

    /** Enqueues on the compute stream: {@code dst[dstOff .. dstOff+n) = src[srcOff .. srcOff+n)}. */
    public static void copy(Tensor dst, long dstOff, Tensor src, long srcOff, long n) {
        CudaContext c = ctx(dst.device());
        c.makeCurrent();
        c.copyDeviceToDevice(((CudaBuffer) dst.buffer()).address() + 4L * dstOff,
                ((CudaBuffer) src.buffer()).address() + 4L * srcOff, 4L * n);
    }

    /** Enqueues on the compute stream: {@code dst[off .. off+n) = 0}. */
    public static void zero(Tensor dst, long off, long n) {
        CudaContext c = ctx(dst.device());
        c.makeCurrent();
        c.memsetZero(((CudaBuffer) dst.buffer()).address() + 4L * off, 4L * n);
    }
}
