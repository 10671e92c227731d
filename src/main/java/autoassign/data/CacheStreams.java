package autoassign.data;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The virtual dataloader workers of one loader and one pipeline with cached steps ({@link WorkerLayout}): each owns its
 * {@link StepCaches}, and its batches run strictly one after another, in batch order, whatever the real threads are:
 * batch {@code b} starts when the previous batch of its worker has finished (that of the previous epoch for the first
 * ones, as persistent workers keep their caches). Every draw is keyed by (seed, epoch, position, attempt), so 0, 1 or
 * any number of loader threads give the same batches. A new pipeline (a pipeline-switching hook) or a new loader (a
 * resumed run) starts with empty caches, as MMDetection's new worker processes do.
 */
final class CacheStreams {
    private final WorkerLayout layout;
    private final List<Transform> steps;
    private StepCaches[] caches;
    private final CompletableFuture<?>[] tails;
    private boolean started;

    CacheStreams(WorkerLayout layout, List<Transform> steps) {
        this.layout = layout;
        this.steps = steps;
        this.caches = fresh();
        this.tails = new CompletableFuture<?>[layout.streams()];
        for (int i = 0; i < tails.length; i++) tails[i] = CompletableFuture.completedFuture(null);
    }

    /** Null when the pipeline has no cached step. */
    static CacheStreams of(PipelineOptions p) {
        return p.transforms().stream().anyMatch(StepCaches::isCached) ? new CacheStreams(p.workerLayout(), p.transforms()) : null;
    }

    private StepCaches[] fresh() {
        StepCaches[] c = new StepCaches[layout.streams()];
        for (int i = 0; i < c.length; i++) c[i] = new StepCaches(steps);
        return c;
    }

    /**
     * Called by the consumer before an epoch's first batch is scheduled: non-persistent workers start every epoch (every
     * {@code iter(dataloader)}) with empty caches; the old ones are closed once the batches still running on them end.
     */
    synchronized void beginEpoch() {
        if (started && layout.resetsEachEpoch()) {
            StepCaches[] old = caches;
            caches = fresh();
            closeWhenIdle(old);
        }
        started = true;
    }

    /** No more batches: the caches are closed once those scheduled end. */
    synchronized void close() { closeWhenIdle(caches); }

    /** Closes {@code old} after every batch scheduled so far: cached images hold native memory the GC does not see. */
    private void closeWhenIdle(StepCaches[] old) {
        CompletableFuture.allOf(tails.clone()).handle((x, e) -> {
            for (StepCaches c : old) c.close();
            return null;
        });
    }

    /** The caches batch {@code b} of the current epoch works on. */
    synchronized StepCaches forBatch(int b) { return caches[layout.workerOf(b)]; }

    /**
     * Runs {@code task} (batch {@code b}) on {@code pool} once its worker's previous batch has finished, whether that
     * one succeeded or not (a failure surfaces from the earlier batch first). The returned future may be cancelled
     * without releasing the next batch early: the worker's chain waits for the task itself.
     */
    synchronized <T> CompletableFuture<T> submit(int b, Supplier<T> task, Executor pool) {
        int w = layout.workerOf(b);
        CompletableFuture<T> run = tails[w].handle((x, e) -> null).thenApplyAsync(x -> task.get(), pool);
        tails[w] = run;
        return run.copy();
    }
}
