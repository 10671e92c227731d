package autoassign.train.dist;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The worker threads of a data-parallel run in one process (training or evaluation): one thread per local rank;
 * the first failure aborts the communicators, so that the other workers stop waiting in a collective instead of
 * hanging, and is rethrown once every thread has ended.
 */
final class WorkerThreads {
    /** What one worker runs. */
    interface Work {
        void run(int localRank) throws Exception;
    }

    /** What a failure aborts: every communicator the workers may be waiting in. */
    interface OnFailure {
        void abortAll(Throwable cause);
    }

    private final Thread[] threads;
    private final AtomicReference<Throwable> first = new AtomicReference<>();

    /** Creates (does not start) {@code n} threads named {@code name + (firstRank + localRank)}. */
    WorkerThreads(int n, String name, int firstRank, Work work, OnFailure onFailure) {
        threads = new Thread[n];
        for (int r = 0; r < n; r++) {
            int rank = r;
            threads[r] = new Thread(() -> {
                try {
                    work.run(rank);
                } catch (Throwable e) {
                    first.compareAndSet(null, e);
                    onFailure.abortAll(e);
                }
            }, name + (firstRank + rank));
        }
    }

    /** Starts every worker and waits for all of them. */
    void startAndJoin() throws InterruptedException {
        for (Thread t : threads) t.start();
        for (Thread t : threads) t.join();
    }

    /** Waits up to {@code millis} for each worker (a shutdown hook letting them finish their checkpoint). */
    void awaitEach(long millis) {
        for (Thread t : threads) {
            try {
                t.join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Rethrows the first worker's failure, if any. */
    void rethrowFirstFailure() throws Exception {
        Throwable e = first.get();
        if (e instanceof Exception ex) throw ex;
        if (e instanceof Error err) throw err;
    }
}
