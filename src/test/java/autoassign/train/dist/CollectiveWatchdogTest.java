package autoassign.train.dist;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The NCCL watchdog's logic on a fake communicator (the NCCL probe itself needs GPUs). */
class CollectiveWatchdogTest {
    /** Collectives finish when the test says so; aborts and releases are recorded. */
    static final class FakeProbe implements CollectiveWatchdog.Probe<String> {
        final Set<String> done = ConcurrentHashMap.newKeySet();
        final List<String> released = new CopyOnWriteArrayList<>();
        final List<String> aborts = new CopyOnWriteArrayList<>();
        volatile String error;

        @Override public boolean finished(String h) { return done.contains(h); }
        @Override public String asyncError() { return error; }
        @Override public void abort(String reason) { aborts.add(reason); }
        @Override public void release(String h) { released.add(h); }
    }

    private static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("condition not met within 10 s");
            Thread.sleep(5);
        }
    }

    @Test
    void finishedCollectivesAreReleasedInOrderAndNothingIsAborted() throws Exception {
        FakeProbe p = new FakeProbe();
        try (CollectiveWatchdog<String> w = new CollectiveWatchdog<>("t", p, Duration.ofSeconds(30), 5)) {
            w.started("a", "ncclAllReduce(1)");
            w.started("b", "ncclAllReduce(2)");
            p.done.add("b"); // b finished first on the device's clock, but the oldest is asked first
            Thread.sleep(50);
            assertEquals(List.of(), p.released, "b waits behind a");
            p.done.add("a");
            waitFor(() -> p.released.size() == 2);
            assertEquals(List.of("a", "b"), p.released);
            assertEquals(0, w.pending());
        }
        assertEquals(List.of(), p.aborts);
    }

    @Test
    void aCollectiveRunningPastTheTimeoutAbortsTheCommunicatorOnce() throws Exception {
        FakeProbe p = new FakeProbe();
        try (CollectiveWatchdog<String> w = new CollectiveWatchdog<>("t", p, Duration.ofMillis(100), 5)) {
            w.started("a", "ncclAllReduce(25 floats)");
            waitFor(() -> !p.aborts.isEmpty());
            Thread.sleep(50);
            assertEquals(1, p.aborts.size(), "aborted once, then the watchdog stops");
            assertTrue(p.aborts.get(0).startsWith("ncclAllReduce(25 floats) did not finish within"), p.aborts.get(0));
            assertEquals(p.aborts.get(0), w.abortReason());
            w.started("b", "ncclAllReduce(3)");
            assertTrue(p.released.contains("b"), "after an abort a new collective is not watched, its handle freed");
        }
        assertTrue(p.released.contains("a"), "close frees what is still watched");
    }

    @Test
    void anAsynchronousErrorAbortsAtOnceNamingTheCollective() throws Exception {
        FakeProbe p = new FakeProbe();
        try (CollectiveWatchdog<String> w = new CollectiveWatchdog<>("t", p, Duration.ofSeconds(30), 5)) {
            w.started("a", "ncclAllReduce(7 floats)");
            p.error = "remote process exited or there was a network error";
            waitFor(() -> !p.aborts.isEmpty());
            assertEquals("ncclAllReduce(7 floats) failed: remote process exited or there was a network error", p.aborts.get(0));
        }
    }

    @Test
    void noCollectiveNoTimeoutAndCloseStopsTheThread() throws Exception {
        FakeProbe p = new FakeProbe();
        CollectiveWatchdog<String> w = new CollectiveWatchdog<>("t", p, Duration.ofMillis(20), 5);
        Thread.sleep(100); // idle well past the timeout: nothing is pending, nothing to abort
        w.close();
        assertEquals(List.of(), p.aborts);
        assertNull(w.abortReason());
        w.started("late", "x");
        assertEquals(List.of("late"), p.released, "after close a handle is freed at once");
    }
}
