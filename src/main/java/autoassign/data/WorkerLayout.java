package autoassign.data;

/**
 * MMDetection's dataloader worker processes as the cached steps ({@link CachedMosaic}, {@link CachedMixUp}) see them:
 * each worker process owns its copy of the pipeline, hence its own {@code results_cache}. PyTorch's DataLoader hands the
 * batches of an epoch to its workers round-robin, restarting at worker 0 every epoch, and each worker prepares its
 * batches one after another; so batch {@code b} is prepared by virtual worker {@code b mod workers}, after batch
 * {@code b − workers}. The loader emulates that layout whatever its real thread count ({@link CacheStreams}), so what the
 * cached steps mix depends on the config's {@code num_workers}, as in MMDetection, and on nothing else.
 *
 * @param workers    {@code train_dataloader.num_workers}; 0: the main process prepares every batch (one stream)
 * @param persistent {@code persistent_workers}: the workers (and their caches) live across epochs; false: every epoch
 *                   starts new workers with empty caches. The main process (0 workers) always keeps its caches.
 */
public record WorkerLayout(int workers, boolean persistent) {
    /** One stream in the main process ({@code num_workers: 0}): programmatic pipelines and browsing. */
    public static final WorkerLayout MAIN_PROCESS = new WorkerLayout(0, true);

    public WorkerLayout {
        if (workers < 0) throw new IllegalArgumentException("num_workers must be >= 0, got " + workers);
    }

    /** The number of independent cache streams. */
    public int streams() { return Math.max(1, workers); }

    /** The virtual worker that prepares batch {@code b} of an epoch. */
    public int workerOf(int batch) { return workers == 0 ? 0 : batch % workers; }

    /** True when every epoch starts with empty caches (new worker processes). */
    public boolean resetsEachEpoch() { return workers > 0 && !persistent; }
}
