package autoassign.train.dist;

import autoassign.tensor.Device;
import autoassign.tensor.Tensor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Collectives between worker threads of one JVM, for the CPU check of the data-parallel logic (and
 * {@code train --cpu-workers N}). Each rank has one communication thread, its "stream": every collective of
 * the rank runs there in the order it was started, so asynchronous all-reduces overlap with the worker's
 * backward pass exactly as NCCL's do on a side stream. A collective is a two-phase barrier: every rank puts
 * its contribution in its slot, the last to arrive combines them in rank order (so the result is identical
 * on every rank and deterministic), then every rank copies the result out.
 *
 * <p>A rank that fails calls {@link #abort}; the others then fail in their next (or current) collective with
 * a message naming the cause, instead of hanging. A collective that waits longer than the timeout fails too.
 */
public final class InProcessCommunicator implements Communicator {
    /** What the ranks of one group share. */
    private static final class Group {
        final int world;
        final Duration timeout;
        int arrived;
        long generation;
        final Object[] slots;
        final String[] ops;
        volatile Object result;
        volatile String mismatch;
        volatile Throwable failure;
        volatile int failedRank = -1;

        Group(int world, Duration timeout) {
            this.world = world;
            this.timeout = timeout;
            this.slots = new Object[world];
            this.ops = new String[world];
        }

        /** Runs in the last rank to arrive: checks that every rank called the same collective, then combines. */
        void combine() {
            mismatch = null;
            for (int r = 1; r < world; r++) {
                if (!ops[r].equals(ops[0])) {
                    StringBuilder sb = new StringBuilder("collective mismatch:");
                    for (int k = 0; k < world; k++) sb.append(k == 0 ? " " : ", ").append("rank ").append(k).append(' ').append(ops[k]);
                    mismatch = sb.toString();
                    result = null;
                    return;
                }
            }
            String op = ops[0];
            if (op.startsWith("all_reduce(float")) {
                float[] sum = ((float[]) slots[0]).clone();
                for (int r = 1; r < world; r++) {
                    float[] x = (float[]) slots[r];
                    for (int i = 0; i < sum.length; i++) sum[i] += x[i];
                }
                result = sum;
            } else if (op.startsWith("all_reduce(double")) {
                double[] sum = ((double[]) slots[0]).clone();
                for (int r = 1; r < world; r++) {
                    double[] x = (double[]) slots[r];
                    for (int i = 0; i < sum.length; i++) sum[i] += x[i];
                }
                result = sum;
            } else if (op.startsWith("broadcast(")) {
                int root = Integer.parseInt(op.substring(op.indexOf("root ") + 5, op.length() - 1));
                result = ((float[]) slots[root]).clone();
            } else {
                throw new IllegalStateException("unknown collective " + op);
            }
        }
    }

    private final Group group;
    private final int rank;
    private final ExecutorService stream;
    private long sequence;

    private InProcessCommunicator(Group group, int rank) {
        this.group = group;
        this.rank = rank;
        this.stream = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "comm-rank-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /** {@code world} connected communicators, rank {@code r} at index {@code r}, with a 10-minute timeout. */
    public static List<InProcessCommunicator> create(int world) { return create(world, Duration.ofMinutes(10)); }

    /** {@code world} connected communicators; a collective that waits longer than {@code timeout} fails. */
    public static List<InProcessCommunicator> create(int world, Duration timeout) {
        if (world < 1) throw new IllegalArgumentException("world size must be >= 1, got " + world);
        Group g = new Group(world, timeout);
        List<InProcessCommunicator> out = new ArrayList<>(world);
        for (int r = 0; r < world; r++) out.add(new InProcessCommunicator(g, r));
        return out;
    }

    @Override public int rank() { return rank; }

    @Override public int worldSize() { return group.world; }

    @Override public Device device() { return Device.CPU; }

    /** Runs one collective in the calling (communication) thread. */
    private Object collective(String op, Object contribution) {
        long seq = ++sequence;
        checkFailure();
        group.slots[rank] = contribution;
        group.ops[rank] = op;
        await(op, seq);
        String mismatch = group.mismatch;
        Object result = group.result;
        await(op, seq); // nobody overwrites the slots / the result before everyone has read them
        if (mismatch != null) throw new IllegalStateException("rank " + rank + ": " + mismatch + " (collective #" + seq + ")");
        return result;
    }

    /** A barrier that also ends when a rank aborts, and after the timeout. */
    private void await(String op, long seq) {
        Group g = group;
        synchronized (g) {
            long gen = g.generation;
            if (++g.arrived == g.world) {
                g.arrived = 0;
                g.generation++;
                try {
                    g.combine();
                } catch (RuntimeException e) {
                    g.mismatch = "cannot combine " + op + ": " + e;
                }
                g.notifyAll();
                return;
            }
            long deadline = System.nanoTime() + g.timeout.toNanos();
            while (g.generation == gen) {
                checkFailure();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    IllegalStateException e = new IllegalStateException("rank " + rank + ": " + op + " (collective #" + seq
                            + ") timed out after " + g.timeout.toSeconds() + " s waiting for the other workers");
                    abort(e);
                    throw e;
                }
                try {
                    g.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("rank " + rank + ": interrupted in " + op, e);
                }
            }
        }
    }

    private void checkFailure() {
        Throwable f = group.failure;
        if (f != null) {
            String who = group.failedRank == rank ? "this worker" : "worker " + group.failedRank;
            throw new IllegalStateException("rank " + rank + ": collectives ended because " + who + " failed: " + f.getMessage(), f);
        }
    }

    private static float[] host(Tensor t) { return t.isCpu() ? t.data() : t.toFloatArray(); }

    private static void store(Tensor t, float[] values) {
        if (t.isCpu()) System.arraycopy(values, 0, t.data(), 0, values.length);
        else t.buffer().fromHost(values);
    }

    @Override public Pending allReduceSumAsync(Tensor t) {
        Future<?> f = stream.submit(() -> {
            float[] mine = host(t);
            float[] sum = (float[]) collective("all_reduce(float[" + mine.length + "])", mine);
            store(t, sum);
            return null;
        });
        return () -> join(f);
    }

    @Override public double[] allReduceSum(double[] values) {
        double[] v = values.clone();
        // the combined array is shared by every rank: each gets its own copy
        return join(stream.submit(() -> ((double[]) collective("all_reduce(double[" + v.length + "])", v)).clone()));
    }

    @Override public void broadcast(Tensor t, int root) {
        if (root < 0 || root >= group.world) throw new IllegalArgumentException("broadcast root " + root + " of " + group.world);
        join(stream.submit(() -> {
            float[] mine = host(t);
            store(t, (float[]) collective("broadcast(float[" + mine.length + "], root " + root + ")", mine));
            return null;
        }));
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a collective", e);
        } catch (CancellationException e) {
            throw new IllegalStateException("collective cancelled (communicator closed)", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
    }

    @Override public void abort(Throwable cause) {
        synchronized (group) {
            if (group.failure == null) {
                group.failedRank = rank;
                group.failure = cause;
            }
            group.notifyAll(); // wakes the ranks waiting in a collective: they fail naming the cause
        }
    }

    @Override public void checkHealthy() {
        synchronized (group) {
            checkFailure();
        }
    }

    @Override public void close() { stream.shutdownNow(); }

    @Override public String toString() { return "in-process rank " + rank + " of " + group.world; }
}
