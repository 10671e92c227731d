package autoassign.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits index ranges over the CPU cores (one shared pool, sized to the machine).
 *
 * <p>The calling thread works too: a range is cut into up to {@code 2 × threads} chunks, which the caller and
 * {@code threads − 1} pool helpers claim one at a time from a shared counter. So the caller never waits for a
 * helper that has not started yet: on a machine whose other cores are busy (other processes), a helper that is
 * scheduled late finds fewer (or no) chunks left, and the op costs at most what it costs on one thread, instead
 * of the time until the last statically assigned chunk gets a core.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("autoassign.cpu.threads", Runtime.getRuntime().availableProcessors());
    private static final int MAX_CHUNKS = THREADS <= 1 ? 1 : 2 * THREADS;
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS));
    /** Set while the calling thread runs chunks of a range: nested ranges then run inline. */
    private static final ThreadLocal<boolean[]> IN_RANGE = ThreadLocal.withInitial(() -> new boolean[1]);

    private Parallel() {}

    public interface RangeBody { void run(int start, int end); }

    public static int threads() { return THREADS; }

    private static boolean nested() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL || IN_RANGE.get()[0];
    }

    public interface ChunkBody { void run(int chunk, int start, int end); }

    /** Number of chunks {@link #chunks} splits [0, n) into (1 when called from inside a chunk). */
    public static int chunkCount(int n, int minChunk) {
        if (MAX_CHUNKS <= 1 || nested()) return 1;
        return Math.min(MAX_CHUNKS, Math.max(1, n / Math.max(1, minChunk)));
    }

    /** Start of chunk {@code c} of {@code chunks} over [0, n) (chunk c is [start(c), start(c+1))). */
    public static int chunkStart(int n, int chunks, int c) { return (int) ((long) n * c / chunks); }

    /** Runs body over [0, n) in up to 2 × {@link #threads()} contiguous chunks; small n runs inline. */
    public static void range(int n, int minChunk, RangeBody body) {
        chunks(n, minChunk, (c, s, e) -> body.run(s, e));
    }

    /**
     * Runs body on the {@link #chunkCount} contiguous chunks of [0, n), on the calling thread and the pool;
     * returns when all are done (rethrowing the first failure). Chunks may run in any order and on any of these
     * threads, each exactly once. From inside a chunk (nested parallelism) it runs inline as one chunk.
     */
    public static void chunks(int n, int minChunk, ChunkBody body) {
        int chunks = chunkCount(n, minChunk);
        if (chunks <= 1) {
            body.run(0, 0, n);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable work = () -> {
            for (int c; (c = next.getAndIncrement()) < chunks; )
                body.run(c, chunkStart(n, chunks, c), chunkStart(n, chunks, c + 1));
        };
        ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[Math.min(THREADS, chunks) - 1];
        for (int i = 0; i < helpers.length; i++) helpers[i] = POOL.submit(work);
        Throwable failure = null;
        boolean[] flag = IN_RANGE.get();
        flag[0] = true;
        try {
            work.run();
        } catch (Throwable t) {
            failure = t;
            next.set(chunks); // helpers stop claiming
        } finally {
            flag[0] = false;
        }
        for (ForkJoinTask<?> h : helpers) {
            try {
                h.join();
            } catch (Throwable t) {
                if (failure == null) failure = t;
                else failure.addSuppressed(t);
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }
}
