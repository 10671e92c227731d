package autoassign.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class CachingAllocatorTest {

    /** A fake device: addresses from a counter, a capacity, and a log of mallocs/frees. */
    static final class FakeRaw implements CachingAllocator.Raw {
        long capacity, used, next = 0x1000;
        int mallocs, frees;
        final Set<Long> live = new HashSet<>();

        FakeRaw(long capacity) { this.capacity = capacity; }

        @Override public long malloc(long bytes) {
            if (used + bytes > capacity) return 0;
            used += bytes;
            mallocs++;
            long a = next;
            next += bytes;
            live.add(a);
            sizes.put(a, bytes);
            return a;
        }

        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        @Override public void free(long address) {
            assertTrue(live.remove(address), "free of unknown address");
            used -= sizes.remove(address);
            frees++;
        }
    }

    @Test
    void sizeClasses() {
        assertEquals(512, CachingAllocator.roundSize(0));
        assertEquals(512, CachingAllocator.roundSize(1));
        assertEquals(512, CachingAllocator.roundSize(512));
        assertEquals(1024, CachingAllocator.roundSize(513));
        assertEquals(1L << 20, CachingAllocator.roundSize((1L << 20) - 1));
        assertEquals(2L << 20, CachingAllocator.roundSize((1L << 20) + 1));
        assertEquals(16L << 20, CachingAllocator.roundSize((15L << 20) + 3));
        assertEquals(18L << 20, CachingAllocator.roundSize((16L << 20) + 1));
        assertThrows(IllegalArgumentException.class, () -> CachingAllocator.roundSize(-1));
    }

    @Test
    void releasedBlocksAreReusedWithoutNewMallocs() {
        FakeRaw raw = new FakeRaw(1L << 30);
        CachingAllocator a = new CachingAllocator(raw, () -> {}, Long.MAX_VALUE);
        // a "training step": the same sizes every iteration; only the first step calls malloc
        long[] sizes = {4 * 1000, 4 * 123_457, 4L * 2 * 256 * 100 * 152, 8, 4 * 1000};
        for (int step = 0; step < 10; step++) {
            List<CachingAllocator.Block> blocks = new ArrayList<>();
            for (long s : sizes) blocks.add(a.allocate(s));
            for (CachingAllocator.Block b : blocks) a.release(b);
        }
        assertEquals(sizes.length, raw.mallocs, "steady state must not call cudaMalloc");
        CachingAllocator.Stats st = a.stats();
        assertEquals(0, st.allocatedBytes());
        assertTrue(st.peakAllocatedBytes() >= 4L * 2 * 256 * 100 * 152);
        assertEquals(st.reservedBytes(), st.peakReservedBytes());
        assertEquals(9L * sizes.length, st.cacheHits());
    }

    @Test
    void smallRequestDoesNotTakeAHugeBlock() {
        FakeRaw raw = new FakeRaw(1L << 30);
        CachingAllocator a = new CachingAllocator(raw, () -> {}, Long.MAX_VALUE);
        CachingAllocator.Block big = a.allocate(64L << 20);
        a.release(big);
        CachingAllocator.Block small = a.allocate(1024);
        assertNotEquals(big.address, small.address);
        CachingAllocator.Block similar = a.allocate(63L << 20);
        assertEquals(big.address, similar.address, "a block within the waste bound is reused");
    }

    @Test
    void outOfMemoryReclaimsThenEmptiesCacheThenThrows() {
        FakeRaw raw = new FakeRaw(10L << 20);
        List<CachingAllocator.Block> garbage = new ArrayList<>();
        CachingAllocator[] ref = new CachingAllocator[1];
        int[] reclaims = {0};
        ref[0] = new CachingAllocator(raw, () -> {
            reclaims[0]++;
            for (CachingAllocator.Block b : garbage) ref[0].release(b); // "GC found unreachable tensors"
            garbage.clear();
        }, Long.MAX_VALUE);
        CachingAllocator a = ref[0];
        garbage.add(a.allocate(4L << 20));
        garbage.add(a.allocate(4L << 20));
        // 8 MiB in unreachable tensors; 6 MiB more only fits after they are reclaimed and the cache is emptied
        CachingAllocator.Block b = a.allocate(6L << 20);
        assertNotNull(b);
        assertEquals(1, reclaims[0]);
        assertEquals(2, raw.frees, "cached 4 MiB blocks went back to the driver");
        assertEquals(6L << 20, a.stats().allocatedBytes());
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> a.allocate(8L << 20));
        assertTrue(e.getMessage().contains("out of device memory"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void noCachedBlockIsFreedWhileCollectivesMayRun() {
        FakeRaw raw = new FakeRaw(10L << 20);
        CachingAllocator a = new CachingAllocator(raw, () -> { }, Long.MAX_VALUE);
        CachingAllocator.Block first = a.allocate(4L << 20);
        a.allocate(4L << 20);
        a.release(first); // 4 MiB in use, 4 MiB cached, 2 MiB left in the device
        CudaInterop.collectivesOpened();
        try {
            // 6 MiB needed: only emptying the cache would make room, and that is held back
            CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> a.allocate(6L << 20));
            assertEquals(0, raw.frees, "nothing went back to the driver");
            assertTrue(e.getMessage().contains("cached blocks are kept while multi-GPU collectives may run"), e.getMessage());
        } finally {
            CudaInterop.collectivesClosed();
        }
        assertNotNull(a.allocate(6L << 20), "afterwards the cache is emptied as before");
        assertEquals(1, raw.frees);
    }

    @Test
    void softLimitReclaimsBeforeGrowing() {
        FakeRaw raw = new FakeRaw(1L << 30);
        List<CachingAllocator.Block> garbage = new ArrayList<>();
        CachingAllocator[] ref = new CachingAllocator[1];
        ref[0] = new CachingAllocator(raw, () -> {
            for (CachingAllocator.Block b : garbage) ref[0].release(b);
            garbage.clear();
        }, 5L << 20);
        for (int i = 0; i < 20; i++) garbage.add(ref[0].allocate(2L << 20));
        assertTrue(ref[0].stats().reservedBytes() <= 6L << 20, "reserved stays near the soft limit: " + ref[0].stats());
    }

    @Test
    void doubleReleaseIsAnError() {
        CachingAllocator a = new CachingAllocator(new FakeRaw(1L << 20), () -> {}, Long.MAX_VALUE);
        CachingAllocator.Block b = a.allocate(100);
        a.release(b);
        assertThrows(IllegalStateException.class, () -> a.release(b));
    }

    @Test
    void humanSizes() {
        assertEquals("512 B", CachingAllocator.human(512));
        assertEquals("1.5 KiB", CachingAllocator.human(1536));
        assertEquals("2.0 MiB", CachingAllocator.human(2L << 20));
        assertEquals("1.50 GiB", CachingAllocator.human(3L << 29));
    }
}
