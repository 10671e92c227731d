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

    /** Runs body over [0, n) in about {@link #threads()} contiguous chunks; small n runs inline. */
    public static void range(int n, int minChunk, RangeBody body) {
        int chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || insidePool()) {
            body.run(0, n);
            return;
        }
        POOL.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
            long s = (long) n * c / chunks, e = (long) n * (c + 1) / chunks;
            body.run((int) s, (int) e);
        })).join();
    }
}
