package autoassign.backend.cuda;

import autoassign.backend.ConvParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The CUDA op profile's bookkeeping on a simulated stream (no GPU): pooling, nesting, afterMs, the table. */
class CudaOpProfileTest {

    /** A simulated stream: each record stamps an event with the GPU clock; events complete in record order. */
    static final class FakeEvents implements CudaOpProfile.Events<Integer> {
        final List<Double> stamp = new ArrayList<>(); // ms, per event
        final List<Long> seq = new ArrayList<>();     // record order, per event (-1: never recorded)
        double gpuMs;
        long recorded, completed;
        boolean autoComplete = true; // else events complete only through await
        int awaits;

        @Override public Integer create() {
            stamp.add(0.0);
            seq.add(-1L);
            return stamp.size() - 1;
        }

        @Override public void record(Integer e) {
            assertTrue(seq.get(e) < 0 || done(e), "event " + e + " re-recorded while still pending");
            stamp.set(e, gpuMs);
            seq.set(e, ++recorded);
        }

        @Override public boolean done(Integer e) { return autoComplete || seq.get(e) <= completed; }

        @Override public void await(Integer e) {
            awaits++;
            completed = Math.max(completed, seq.get(e));
        }

        @Override public float ms(Integer from, Integer to) {
            assertTrue(done(from) && done(to), "elapsed time of a pending event");
            return (float) (stamp.get(to) - stamp.get(from));
        }
    }

    final FakeEvents ev = new FakeEvents();
    final long[] hostNs = {0};

    CudaOpProfile<Integer> profile(long afterMs, int maxEvents) {
        return new CudaOpProfile<>("cuda:0", ev, () -> hostNs[0], afterMs * 1_000_000L, maxEvents);
    }

    /** An op that keeps the GPU busy for {@code gpuMs} and the host for {@code hostMs}. */
    Runnable work(double gpuMs, double hostMs) {
        return () -> {
            ev.gpuMs += gpuMs;
            hostNs[0] += (long) (hostMs * 1e6);
        };
    }

    static List<String> rows(String report) {
        List<String> out = new ArrayList<>();
        boolean table = false;
        for (String line : report.split("\n")) {
            if (table) out.add(line.trim());
            if (line.trim().startsWith("GPU ms")) table = true;
        }
        return out;
    }

    @Test
    void sumsPerKeySortsByGpuTimeAndCountsNestedOpsInTheirCaller() {
        CudaOpProfile<Integer> p = profile(0, 100);
        p.run("conv fwd A", () -> {
            work(3, 0.5).run();
            p.run("zeros", work(1, 0.25)); // nested: part of the conv's row
        });
        ev.gpuMs += 1; // the device idles between ops
        p.run("add", work(1.5, 0.125));
        p.run("add", work(1.5, 0.125));
        String r = p.report();
        List<String> rows = rows(r);
        assertEquals(2, rows.size(), r);
        assertTrue(rows.get(0).matches("4\\.00 +57\\.1 +4\\.0000 +0\\.75 +1 +conv fwd A"), rows.get(0));
        assertTrue(rows.get(1).matches("3\\.00 +42\\.9 +1\\.5000 +0\\.25 +2 +add"), rows.get(1));
        assertTrue(r.contains("3 calls"), r);
        assertTrue(r.contains("GPU: 7.0 ms busy in ops, 8.0 ms span"), r);
        assertTrue(r.contains("host: 1.0 ms inside op calls"), r);
        assertFalse(r.contains("zeros"), r);
    }

    @Test
    void valuesPassThroughAndExceptionsPropagate() {
        CudaOpProfile<Integer> p = profile(0, 100);
        assertEquals("y", p.time("a", () -> "y"));
        assertThrows(IllegalStateException.class, () -> p.run("bad", () -> { throw new IllegalStateException(); }));
        p.run("after", () -> p.run("inner", work(1, 0))); // the failed op left no nesting behind
        List<String> rows = rows(p.report());
        assertEquals(3, rows.size(), rows.toString());
        assertTrue(rows.get(0).endsWith(" after"), rows.toString());
    }

    @Test
    void opsBeforeAfterMsAreNotCounted() {
        CudaOpProfile<Integer> p = profile(10, 100);
        p.run("early", work(1, 0));    // t = 0: the origin
        hostNs[0] = 9_000_000L;
        p.run("early", work(1, 0));
        hostNs[0] = 10_000_000L;
        p.run("late", work(2, 1));
        String r = p.report();
        assertEquals(1, rows(r).size(), r);
        assertTrue(rows(r).get(0).endsWith(" late"), r);
        assertTrue(r.contains("GPU: 2.0 ms busy in ops, 2.0 ms span"), r);

        CudaOpProfile<Integer> none = profile(10, 100);
        hostNs[0] = 0;
        none.run("early", work(1, 0));
        assertTrue(none.report().contains("no op counted (afterMs=10)"), none.report());
    }

    @Test
    void aFullPoolWaitsForTheOldestOpAndReusesItsEvents() {
        ev.autoComplete = false; // the GPU never finishes on its own
        CudaOpProfile<Integer> p = profile(0, 4);
        for (int i = 0; i < 6; i++) p.run("op" + i, work(i + 1, 0));
        assertEquals(4, p.eventsCreated());
        assertTrue(ev.awaits >= 2, "awaits: " + ev.awaits);
        String r = p.report();
        assertEquals(6, rows(r).size(), r);
        assertTrue(r.contains("GPU: 21.0 ms busy in ops, 21.0 ms span"), r);
        assertTrue(rows(r).get(0).matches("6\\.00 .* op5"), r);
    }

    @Test
    void resetStartsAfresh() {
        CudaOpProfile<Integer> p = profile(0, 100);
        p.run("warm-up", work(50, 20));
        ev.gpuMs += 100;
        p.reset();
        p.run("timed", work(2, 1));
        String r = p.report();
        assertEquals(1, rows(r).size(), r);
        assertTrue(rows(r).get(0).endsWith(" timed"), r);
        assertTrue(r.contains("GPU: 2.0 ms busy in ops, 2.0 ms span"), r);
    }

    @Test
    void convKeysNameKernelStrideChannelsAndInput() {
        assertEquals("conv fwd 3x3 s2 256->512 in [2, 256, 100, 152]",
                CudaOpProfile.convKey("conv fwd", new int[] {2, 256, 100, 152}, new int[] {512, 256, 3, 3}, ConvParams.of(2, 1)));
        // invalid shapes do not throw here (the op reports them)
        assertEquals("conv fwd [1, 2] [3]", CudaOpProfile.convKey("conv fwd", new int[] {1, 2}, new int[] {3}, ConvParams.of(1, 0)));
    }
}
