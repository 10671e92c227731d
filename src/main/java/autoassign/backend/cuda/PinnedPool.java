package autoassign.backend.cuda;

import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.util.ArrayList;
import java.util.List;

/**
 * Page-locked host staging buffers for host↔device copies. An upload copies the host array into a chunk,
 * enqueues cudaMemcpyAsync on the compute stream and records an event; the call returns at once, so the
 * host prepares the next batch while the GPU works, and the chunk is reused only after its event completed.
 */
final class PinnedPool {
    static final long CHUNK = 32L << 20;
    private static final long MIN = 64L << 10;
    private static final long CAP = 512L << 20;

    static final class Chunk {
        final FloatPointer ptr;
        final long bytes;
        final CUevent_st event = new CUevent_st();
        boolean inUse, pending;

        Chunk(FloatPointer ptr, long bytes) {
            this.ptr = ptr;
            this.bytes = bytes;
            Cuda.check(cudart.cudaEventCreateWithFlags(event, cudart.cudaEventDisableTiming), "cudaEventCreateWithFlags");
        }
    }

    private final List<Chunk> chunks = new ArrayList<>();
    private long total;

    synchronized Chunk acquire(long bytes) {
        if (bytes > CHUNK) throw new IllegalArgumentException("staging request of " + bytes + " bytes exceeds " + CHUNK);
        Chunk waitFor = null;
        for (Chunk c : chunks) {
            if (c.inUse || c.bytes < bytes) continue;
            if (!c.pending || done(c)) return take(c);
            if (waitFor == null) waitFor = c;
        }
        long size = Math.max(MIN, Long.highestOneBit(Math.max(1, bytes - 1)) << 1);
        size = Math.min(size, CHUNK);
        if (total + size <= CAP || waitFor == null) {
            if (total + size > CAP) shrink();
            Pointer p = new Pointer();
            Cuda.check(cudart.cudaMallocHost(p, size), "cudaMallocHost(" + size + ")");
            FloatPointer fp = new FloatPointer(p).capacity(size / 4);
            Chunk c = new Chunk(fp, size);
            chunks.add(c);
            total += size;
            return take(c);
        }
        Cuda.check(cudart.cudaEventSynchronize(waitFor.event), "cudaEventSynchronize");
        return take(waitFor);
    }

    private static Chunk take(Chunk c) {
        c.inUse = true;
        c.pending = false;
        return c;
    }

    private static boolean done(Chunk c) {
        int r = cudart.cudaEventQuery(c.event);
        if (r == 0) return true;
        if (r == cudart.cudaErrorNotReady) return false;
        Cuda.check(r, "cudaEventQuery");
        return false;
    }

    /**
     * Frees idle chunks (waiting for their copies) to make room under the cap; not while multi-GPU collectives may run
     * ({@link CudaInterop#freesHeld}): then the pool stays above its cap.
     */
    private void shrink() {
        if (CudaInterop.freesHeld()) return;
        chunks.removeIf(c -> {
            if (c.inUse) return false;
            if (c.pending) Cuda.check(cudart.cudaEventSynchronize(c.event), "cudaEventSynchronize");
            cudart.cudaFreeHost(c.ptr);
            cudart.cudaEventDestroy(c.event);
            total -= c.bytes;
            return true;
        });
    }

    /** Marks the chunk reusable once the work enqueued so far on {@code stream} (its copy) has finished. */
    synchronized void releaseAfter(Chunk c, CUstream_st stream) {
        Cuda.check(cudart.cudaEventRecord(c.event, stream), "cudaEventRecord");
        c.pending = true;
        c.inUse = false;
    }

    synchronized void releaseNow(Chunk c) {
        c.inUse = false;
        c.pending = false;
    }

    synchronized long pinnedBytes() { return total; }
}
