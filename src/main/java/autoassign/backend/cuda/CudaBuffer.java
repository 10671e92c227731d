package autoassign.backend.cuda;

import autoassign.tensor.Device;
import autoassign.tensor.DeviceBuffer;

import java.lang.ref.Reference;

/**
 * Device storage of one tensor: a block of the device's caching allocator. {@link #release()} returns the
 * block to the cache at once; a buffer that becomes unreachable without it is returned when the allocator
 * next drains its phantom references (every allocation polls them; memory pressure runs the GC first). Reading
 * {@link #address()} keeps the buffer reachable for a while ({@link RecentlyAddressed}), so that it cannot be
 * collected between an op reading its address and enqueueing the kernel that uses it.
 */
public final class CudaBuffer implements DeviceBuffer {
    private final CudaContext ctx;
    private final long numel;
    private final CachingAllocator.Block block;
    private final CudaContext.BufferRef ref;

    CudaBuffer(CudaContext ctx, long numel, CachingAllocator.Block block) {
        this.ctx = ctx;
        this.numel = numel;
        this.block = block;
        this.ref = ctx.track(this, block);
    }

    /** The device address of element 0. */
    public long address() {
        if (ref.isFreed()) throw new IllegalStateException("use of a released CUDA buffer (" + numel + " floats on " + device() + ")");
        RecentlyAddressed.hold(this);
        return block.address;
    }

    @Override public Device device() { return ctx.device(); }

    @Override public long numel() { return numel; }

    @Override public float[] toHost() {
        float[] out = new float[Math.toIntExact(numel)];
        ctx.download(address(), out);
        Reference.reachabilityFence(this); // the copy is enqueued: stream order protects the block from here on
        return out;
    }

    @Override public void fromHost(float[] data) {
        if (data.length != numel)
            throw new IllegalArgumentException("fromHost: " + data.length + " values into a buffer of " + numel);
        ctx.upload(address(), data);
        Reference.reachabilityFence(this);
    }

    @Override public void release() { ref.free(); }

    @Override public boolean released() { return ref.isFreed(); }
}
