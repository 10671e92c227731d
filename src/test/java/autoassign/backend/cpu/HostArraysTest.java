package autoassign.backend.cpu;

import autoassign.tensor.MemoryScope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The pool's bookkeeping: a new length drops the idle arrays of lengths unused for a while, and only those. */
class HostArraysTest {
    @BeforeEach
    void fresh() {
        HostArrays.setEnabled(true);
        HostArrays.clear();
    }

    @AfterEach
    void restore() {
        HostArrays.setStaleMillis(20_000);
        HostArrays.clear();
    }

    private static void useAndReturn(int h, int w) {
        try (MemoryScope ignored = MemoryScope.open()) { HostArrays.empty(1, 1, h, w); }
    }

    @Test
    void aNewLengthDropsStaleIdleArrays() {
        HostArrays.setStaleMillis(0);
        useAndReturn(300, 300);
        assertEquals(300 * 300, HostArrays.idleFloats());
        useAndReturn(301, 301); // a miss: the 300×300 array is stale at once
        assertEquals(301 * 301, HostArrays.idleFloats());
    }

    @Test
    void recentlyUsedLengthsStay() {
        HostArrays.setStaleMillis(60_000);
        useAndReturn(300, 300);
        useAndReturn(301, 301);
        assertEquals(300 * 300 + 301 * 301, HostArrays.idleFloats());
        long allocated = HostArrays.counts()[1];
        useAndReturn(300, 300);
        assertEquals(allocated, HostArrays.counts()[1], "reused, not allocated");
    }
}
