package autoassign.backend.cuda;

import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator over a raw allocator (cudaMalloc/cudaFree on a GPU), in the manner of PyTorch's:
 * requests are rounded to size classes, released blocks go to a free list and are handed out again without
 * touching the driver. Every op runs on the device's single compute stream, so a block released while
 * kernels that use it are still queued may be reused at once: later users are ordered after them on the stream.
 *
 * <p>When the raw allocator fails, the allocator first asks {@link #reclaimer} to return unreachable buffers
 * (the CUDA backend runs the Java GC and drains its phantom references), then frees every cached block and
 * retries; only then is {@link CudaOutOfMemoryException} thrown. Pure Java: unit-tested with a fake raw allocator.
 */
public final class CachingAllocator {

    /** The underlying allocator. {@code malloc} returns 0 when memory is exhausted (any other failure throws). */
    public interface Raw {
        long malloc(long bytes);

        void free(long address);
    }

    /** One allocation: address and rounded size. */
    public static final class Block {
        public final long address;
        public final long size;
        boolean inUse;

        Block(long address, long size) { this.address = address; this.size = size; }

        @Override public String toString() { return "Block[0x" + Long.toHexString(address) + ", " + size + " B]"; }
    }

    /** Counters in bytes; peaks are since creation or the last {@link #resetPeaks()}. */
    public record Stats(long allocatedBytes, long reservedBytes, long peakAllocatedBytes, long peakReservedBytes,
                        long rawMallocs, long cacheHits, long reclaims) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "allocated %s (peak %s), reserved %s (peak %s), %d cudaMalloc, %d cache hits, %d reclaims",
                    human(allocatedBytes), human(peakAllocatedBytes), human(reservedBytes), human(peakReservedBytes),
                    rawMallocs, cacheHits, reclaims);
        }
    }

    static final long SMALL = 1L << 20;   // below: 512-byte granularity
    static final long MEDIUM = 16L << 20; // below: 1 MiB granularity, above: 2 MiB

    private final Raw raw;
    private final Runnable reclaimer;
    private final long softLimit;
    private final TreeMap<Long, ArrayDeque<Block>> free = new TreeMap<>();
    private long allocated, reserved, peakAllocated, peakReserved, mallocs, hits, reclaims;

    /**
     * @param reclaimer returns unreachable blocks (may call {@link #release}); run before growing past
     *                  {@code softLimit} bytes reserved and when the raw allocator fails
     * @param softLimit reserved bytes beyond which unreachable buffers are reclaimed before new memory is taken
     */
    public CachingAllocator(Raw raw, Runnable reclaimer, long softLimit) {
        this.raw = raw;
        this.reclaimer = reclaimer;
        this.softLimit = softLimit;
    }

    /** The size class of a request (never 0, so every tensor has a valid address). */
    public static long roundSize(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation size " + bytes);
        if (bytes <= 512) return 512;
        if (bytes < SMALL) return ceil(bytes, 512);
        if (bytes < MEDIUM) return ceil(bytes, 1L << 20);
        return ceil(bytes, 2L << 20);
    }

    /** Largest cached block that may serve a request of {@code size} (bounds the waste of a reused block). */
    static long maxReuse(long size) {
        return size < SMALL ? Math.min(2 * size, SMALL - 512) : size + Math.max(size / 8, 2L << 20);
    }

    private static long ceil(long v, long q) { return (v + q - 1) / q * q; }

    public synchronized Block allocate(long bytes) {
        long size = roundSize(bytes);
        Block b = fromCache(size);
        if (b == null) {
            if (reserved + size > softLimit) {
                reclaimOnce();
                b = fromCache(size);
            }
        }
        if (b == null) {
            long addr = raw.malloc(size);
            if (addr == 0) {
                reclaimOnce();
                b = fromCache(size);
                if (b == null) {
                    boolean held = CudaInterop.freesHeld(); // NCCL collectives may be running: no cudaFree now
                    if (!held) {
                        emptyCache();
                        addr = raw.malloc(size);
                    }
                    if (addr == 0)
                        throw new CudaOutOfMemoryException("out of device memory allocating " + human(size) + " (" + stats() + ")"
                                + (held ? "; cached blocks are kept while multi-GPU collectives may run: lower the batch size" : ""));
                }
            }
            if (b == null) {
                b = new Block(addr, size);
                mallocs++;
                reserved += size;
                peakReserved = Math.max(peakReserved, reserved);
            }
        }
        b.inUse = true;
        allocated += b.size;
        peakAllocated = Math.max(peakAllocated, allocated);
        return b;
    }

    private void reclaimOnce() {
        reclaims++;
        // the reclaimer calls release(), which re-enters this monitor (reentrant)
        reclaimer.run();
    }

    private Block fromCache(long size) {
        Map.Entry<Long, ArrayDeque<Block>> e = free.ceilingEntry(size);
        if (e == null || e.getKey() > maxReuse(size)) return null;
        Block b = e.getValue().pop();
        if (e.getValue().isEmpty()) free.remove(e.getKey());
        hits++;
        return b;
    }

    /** Returns a block to the cache; releasing twice is an error. */
    public synchronized void release(Block b) {
        if (!b.inUse) throw new IllegalStateException("double release of " + b);
        b.inUse = false;
        allocated -= b.size;
        free.computeIfAbsent(b.size, k -> new ArrayDeque<>()).push(b);
    }

    /** Gives every cached (not in use) block back to the raw allocator. */
    public synchronized void emptyCache() {
        for (ArrayDeque<Block> q : free.values())
            for (Block b : q) {
                raw.free(b.address);
                reserved -= b.size;
            }
        free.clear();
    }

    public synchronized long cachedBytes() { return reserved - allocated; }

    public synchronized Stats stats() {
        return new Stats(allocated, reserved, peakAllocated, peakReserved, mallocs, hits, reclaims);
    }

    public synchronized void resetPeaks() {
        peakAllocated = allocated;
        peakReserved = reserved;
    }

    public static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1L << 20) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
