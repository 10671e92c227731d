package autoassign.backend.cuda;

import autoassign.tensor.Device;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Everything one GPU needs: its compute stream (every op, copy and library call of the device is enqueued
 * on it, so the order of enqueueing is the order of execution), the caching allocator, pinned staging
 * buffers, the kernels, the cuDNN and cuBLAS handles and the shared cuDNN workspace.
 */
final class CudaContext {
    private static final Map<Integer, CudaContext> CONTEXTS = new ConcurrentHashMap<>();
    private static final ThreadLocal<int[]> CURRENT = ThreadLocal.withInitial(() -> new int[] {-1});

    final int index;
    final CudaStatus.Gpu gpu;
    final CUstream_st stream = new CUstream_st();
    final CachingAllocator allocator;
    final PinnedPool pinned = new PinnedPool();
    final Kernels kernels;
    final Cublas cublas; // null when cuBLAS is not available: gemm uses the backend's kernel
    final CudnnConv conv;
    private final Device device;
    private final ReferenceQueue<CudaBuffer> queue = new ReferenceQueue<>();
    private final Set<BufferRef> live = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Kernels.Call> calls = ThreadLocal.withInitial(Kernels.Call::new);
    private CachingAllocator.Block workspace;

    static CudaContext of(int index) {
        CudaStatus st = CudaProbe.status();
        if (!st.usable()) throw new CudaException("CUDA is not usable: " + st.reason());
        if (index < 0 || index >= st.deviceCount())
            throw new CudaException("cuda:" + index + " does not exist (" + st.deviceCount() + " CUDA device(s) found)");
        return CONTEXTS.computeIfAbsent(index, i -> new CudaContext(i, st.gpus().get(i), st.cublas()));
    }

    private CudaContext(int index, CudaStatus.Gpu gpu, boolean cublasAvailable) {
        this.index = index;
        this.gpu = gpu;
        this.device = Device.cuda(index);
        makeCurrent();
        Cuda.check(cudart.cudaFree(null), "cudaFree(0) (context creation)");
        Cuda.check(cudart.cudaStreamCreateWithFlags(stream, cudart.cudaStreamNonBlocking), "cudaStreamCreate");
        long total = gpu.totalMemory();
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer tot = new SizeTPointer(1)) {
            if (cudart.cudaMemGetInfo(free, tot) == 0) total = tot.get();
        }
        this.allocator = new CachingAllocator(new CachingAllocator.Raw() {
            @Override public long malloc(long bytes) {
                Pointer p = new Pointer();
                int err = cudart.cudaMalloc(p, bytes);
                if (err == cudart.cudaErrorMemoryAllocation) {
                    cudart.cudaGetLastError();
                    return 0;
                }
                Cuda.check(err, "cudaMalloc(" + bytes + ")");
                return p.address();
            }

            @Override public void free(long address) {
                Cuda.check(cudart.cudaFree(new DevPtr(address)), "cudaFree");
            }
        }, this::reclaim, (long) (total * CudaOptions.softLimitFraction()));
        this.kernels = new Kernels(gpu.major(), gpu.minor());
        this.cublas = cublasAvailable ? new Cublas(stream) : null;
        this.conv = new CudnnConv(this);
    }

    Device device() { return device; }

    /** Binds this device to the calling thread (cudaSetDevice makes its primary context current). */
    void makeCurrent() {
        int[] cur = CURRENT.get();
        if (cur[0] != index) {
            Cuda.check(cudart.cudaSetDevice(index), "cudaSetDevice(" + index + ")");
            cur[0] = index;
        }
    }

    Kernels.Call call(String kernel) { return calls.get().start(kernels.get(kernel), kernel); }

    // ------------------------------------------------------------------ memory

    CudaBuffer allocate(long numel) {
        makeCurrent();
        drain();
        CudaBuffer b = new CudaBuffer(this, numel, allocator.allocate(numel * 4));
        autoassign.tensor.MemoryScope.track(b); // released when the thread's open scope closes (if any)
        return b;
    }

    /** Raw scratch memory (released by the caller with {@link #free}). */
    CachingAllocator.Block scratch(long bytes) {
        makeCurrent();
        drain();
        return allocator.allocate(bytes);
    }

    void free(CachingAllocator.Block b) { allocator.release(b); }

    /** Bytes of the shared cuDNN workspace now (it only grows, to the largest an algorithm asked for). */
    synchronized long workspaceBytes() { return workspace == null ? 0 : workspace.size; }

    /** The shared cuDNN workspace, grown to at least {@code bytes} (only used on the stream, so sharing is safe). */
    synchronized long workspace(long bytes) {
        if (bytes == 0) return 0;
        if (workspace == null || workspace.size < bytes) {
            if (workspace != null) allocator.release(workspace);
            workspace = null;
            workspace = allocator.allocate(bytes);
        }
        return workspace.address;
    }

    BufferRef track(CudaBuffer buffer, CachingAllocator.Block block) {
        BufferRef r = new BufferRef(buffer, queue, block);
        live.add(r);
        return r;
    }

    /** Returns the blocks of buffers that became unreachable without release(). */
    private void drain() {
        Reference<? extends CudaBuffer> r;
        while ((r = queue.poll()) != null) ((BufferRef) r).free();
    }

    /** Memory pressure: collect unreachable tensors and return their blocks (called under the allocator's lock). */
    private void reclaim() {
        drain();
        System.gc();
        try {
            Reference<? extends CudaBuffer> r = queue.remove(100);
            while (r != null) {
                ((BufferRef) r).free();
                r = queue.remove(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    int liveBuffers() { return live.size(); }

    /** The phantom reference that returns a buffer's block; {@link #free} is idempotent. */
    final class BufferRef extends PhantomReference<CudaBuffer> {
        private final CachingAllocator.Block block;
        private final AtomicBoolean freed = new AtomicBoolean();

        BufferRef(CudaBuffer referent, ReferenceQueue<CudaBuffer> q, CachingAllocator.Block block) {
            super(referent, q);
            this.block = block;
        }

        boolean isFreed() { return freed.get(); }

        void free() {
            if (freed.compareAndSet(false, true)) {
                clear();
                live.remove(this);
                allocator.release(block);
            }
        }
    }

    // ------------------------------------------------------------------ transfers

    /** Copies host values to the device asynchronously (staged through pinned memory). */
    void upload(long dst, float[] src) {
        makeCurrent();
        int per = (int) (PinnedPool.CHUNK / 4);
        for (int off = 0; off < src.length; off += per) {
            int len = Math.min(per, src.length - off);
            PinnedPool.Chunk c = pinned.acquire(4L * len);
            try {
                c.ptr.position(0).put(src, off, len);
                Cuda.check(cudart.cudaMemcpyAsync(new DevPtr(dst + 4L * off), c.ptr, 4L * len,
                        cudart.cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync(host to device)");
            } finally {
                pinned.releaseAfter(c, stream);
            }
        }
    }

    /** Copies {@code src} (at most one staging chunk) to device memory at {@code dst}, like {@link #upload}. */
    void uploadLongs(long dst, long[] src) {
        makeCurrent();
        if (src.length == 0) return;
        PinnedPool.Chunk c = pinned.acquire(8L * src.length);
        try {
            new LongPointer(c.ptr.position(0)).position(0).put(src, 0, src.length);
            Cuda.check(cudart.cudaMemcpyAsync(new DevPtr(dst), c.ptr.position(0), 8L * src.length,
                    cudart.cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync(host to device)");
        } finally {
            pinned.releaseAfter(c, stream);
        }
    }

    /** Copies device values to the host; waits for the stream (and so for every op enqueued before). */
    void download(long src, float[] dst) {
        makeCurrent();
        int per = (int) (PinnedPool.CHUNK / 4);
        if (dst.length == 0) {
            synchronize();
            return;
        }
        for (int off = 0; off < dst.length; off += per) {
            int len = Math.min(per, dst.length - off);
            PinnedPool.Chunk c = pinned.acquire(4L * len);
            try {
                Cuda.check(cudart.cudaMemcpyAsync(c.ptr.position(0), new DevPtr(src + 4L * off), 4L * len,
                        cudart.cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync(device to host)");
                synchronize();
                c.ptr.position(0).get(dst, off, len);
            } finally {
                pinned.releaseNow(c);
            }
        }
    }

    /** Copies {@code n} doubles (at most one staging chunk) from the device; waits for the stream. */
    double[] downloadDoubles(long src, int n) {
        makeCurrent();
        double[] out = new double[n];
        if (n == 0) {
            synchronize();
            return out;
        }
        PinnedPool.Chunk c = pinned.acquire(8L * n);
        try {
            Cuda.check(cudart.cudaMemcpyAsync(c.ptr.position(0), new DevPtr(src), 8L * n, cudart.cudaMemcpyDeviceToHost,
                    stream), "cudaMemcpyAsync(device to host)");
            synchronize();
            new DoublePointer(c.ptr.position(0)).position(0).get(out, 0, n);
        } finally {
            pinned.releaseNow(c);
        }
        return out;
    }

    void copyDeviceToDevice(long dst, long src, long bytes) {
        if (bytes == 0) return;
        Cuda.check(cudart.cudaMemcpyAsync(new DevPtr(dst), new DevPtr(src), bytes, cudart.cudaMemcpyDeviceToDevice, stream),
                "cudaMemcpyAsync(device to device)");
    }

    void memsetZero(long dst, long bytes) {
        if (bytes == 0) return;
        Cuda.check(cudart.cudaMemsetAsync(new DevPtr(dst), 0, bytes, stream), "cudaMemsetAsync");
    }

    void synchronize() {
        makeCurrent();
        Cuda.check(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize (an earlier asynchronous op may have failed)");
    }
}
