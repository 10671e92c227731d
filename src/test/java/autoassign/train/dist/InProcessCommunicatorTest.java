package autoassign.train.dist;

import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InProcessCommunicatorTest {
    /** Runs {@code body(rank)} on {@code world} threads with connected communicators; results by rank. */
    static <T> List<T> onRanks(List<InProcessCommunicator> comms, IntFunction<Callable<T>> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(comms.size());
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < comms.size(); r++) fs.add(pool.submit(body.apply(r)));
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) out.add(f.get());
            return out;
        } finally {
            pool.shutdownNow();
            comms.forEach(InProcessCommunicator::close);
        }
    }

    @Test
    void sumsBroadcastsAndGathersAcrossThreeRanks() throws Exception {
        List<InProcessCommunicator> comms = InProcessCommunicator.create(3, Duration.ofSeconds(20));
        List<Object[]> res = onRanks(comms, r -> () -> {
            Communicator c = comms.get(r);
            Tensor t = Tensor.of(new float[] {r, 10 * r, 1}, 3);
            Communicator.Pending p = c.allReduceSumAsync(t);
            double[] d = c.allReduceSum(new double[] {r + 0.5, -r});
            p.await();
            Tensor b = Tensor.of(new float[] {r, r}, 2);
            c.broadcast(b, 2);
            double[][] g = c.allGather(new double[r]); // lengths 0, 1, 2
            for (int k = 0; k < 2; k++) c.barrier();
            return new Object[] {t.data().clone(), d, b.data().clone(), g};
        });
        for (Object[] o : res) {
            assertArrayEquals(new float[] {3, 30, 3}, (float[]) o[0]);
            assertArrayEquals(new double[] {4.5, -3}, (double[]) o[1]);
            assertArrayEquals(new float[] {2, 2}, (float[]) o[2]);
            double[][] g = (double[][]) o[3];
            assertEquals(3, g.length);
            for (int k = 0; k < 3; k++) assertEquals(k, g[k].length);
        }
        assertEquals(3, comms.get(0).lossReducer().worldSize());
    }

    @Test
    void mismatchedCollectivesFailWithBothNamed() {
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofSeconds(20));
        ExecutionException e = assertThrows(ExecutionException.class, () -> onRanks(comms, r -> () ->
                r == 0 ? comms.get(0).allReduceSum(new double[3]) : comms.get(1).allReduceSum(new double[2])));
        assertTrue(e.getCause().getMessage().contains("collective mismatch: rank 0 all_reduce(double[3]), rank 1 all_reduce(double[2])"),
                e.getCause().getMessage());
    }

    @Test
    void aWorkerThatNeverArrivesTimesOut() {
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofMillis(300));
        ExecutionException e = assertThrows(ExecutionException.class, () -> onRanks(comms, r -> () ->
                r == 0 ? comms.get(0).allReduceSum(new double[1]) : null));
        assertTrue(e.getCause().getMessage().contains("timed out after 0 s waiting for the other workers")
                || e.getCause().getMessage().contains("timed out"), e.getCause().getMessage());
    }

    @Test
    void aFailedWorkerEndsTheOthersCollectives() {
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofMinutes(5));
        long t0 = System.nanoTime();
        ExecutionException e = assertThrows(ExecutionException.class, () -> onRanks(comms, r -> () -> {
            if (r == 1) {
                Thread.sleep(100);
                comms.get(1).abort(new IllegalStateException("out of memory in the backward"));
                return null;
            }
            return comms.get(0).allReduceSum(new double[1]);
        }));
        assertTrue(e.getCause().getMessage().contains("worker 1 failed: out of memory in the backward"), e.getCause().getMessage());
        assertTrue(System.nanoTime() - t0 < 10e9, "the waiting rank must not wait for the timeout");
    }

    @Test
    void afterAnAbortNoCheckpointIsHealthy() {
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofMinutes(5));
        comms.get(0).checkHealthy(); // nothing failed: no-op
        comms.get(1).abort(new IllegalStateException("a peer vanished"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> comms.get(0).checkHealthy());
        assertTrue(e.getMessage().contains("worker 1 failed: a peer vanished"), e.getMessage());
        comms.forEach(InProcessCommunicator::close);
    }
}
