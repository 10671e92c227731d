package autoassign.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.stream.IntStream;

/** Splits index ranges over the CPU cores (one shared pool, sized to the machine). */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("autoassign.cpu.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS));

    private Parallel() {}

    public interface RangeBody { void run(int start, int end); }

    public static int threads() { return THREADS; }

    private static boolean insidePool() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL;
    }

    public interface ChunkBody { void run(int chunk, int start, int end); }

    /** Number of chunks {@link #chunks} splits [0, n) into. */
    public static int chunkCount(int n, int minChunk) {
        if (insidePool()) return 1;
        return Math.min(THREADS, Math.max(1, n / Math.max(1, minChunk)));
    }

    /** Start of chunk {@code c} of {@code chunks} over [0, n) (chunk c is [start(c), start(c+1))). */
    public static int chunkStart(int n, int chunks, int c) { return (int) ((long) n * c / chunks); }

    /** Runs body over [0, n) in about {@link #threads()} contiguous chunks; small n runs inline. */
    public static void range(int n, int minChunk, RangeBody body) {
        chunks(n, minChunk, (c, s, e) -> body.run(s, e));
    }

    /**
     * Runs body on the {@link #chunkCount} contiguous chunks of [0, n), in parallel on the pool; returns
     * when all are done. From inside a pool worker (nested parallelism) it runs inline as one chunk.
     */
    public static void chunks(int n, int minChunk, ChunkBody body) {
        int chunks = chunkCount(n, minChunk);
        if (chunks <= 1) {
            body.run(0, 0, n);
            return;
        }
        POOL.submit(() -> IntStream.range(0, chunks).parallel().forEach(c ->
                body.run(c, chunkStart(n, chunks, c), chunkStart(n, chunks, c + 1)))).join();
    }
}
