package autoassign.data;

/**
 * Batching and threading of a {@link DataLoader}.
 *
 * @param batchSize      images per batch (per "virtual GPU")
 * @param shuffle        shuffle every epoch (training) or keep dataset order (evaluation)
 * @param seed           seed of the shuffle and of the flip decisions
 * @param rank           this process's shard (0 for single device)
 * @param worldSize      number of shards
 * @param groupByAspect  AspectRatioBatchSampler grouping (training)
 * @param dropLast       drop a final incomplete batch
 * @param workers        decode / transform threads; 0 = in the calling thread
 * @param prefetch       batches prepared ahead of the consumer (bounded queue length)
 * @param opencvThreads  if >= 0, passed to {@code cv::setNumThreads} (process-wide); -1 leaves OpenCV's default
 */
public record LoaderOptions(int batchSize, boolean shuffle, long seed, int rank, int worldSize, boolean groupByAspect,
                            boolean dropLast, int workers, int prefetch, int opencvThreads) {
    public LoaderOptions {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1");
        if (workers < 0) throw new IllegalArgumentException("workers must be >= 0");
        if (prefetch < 1) throw new IllegalArgumentException("prefetch must be >= 1");
    }

    /** Training: shuffled, aspect-grouped, {@code workers} threads, prefetch 2 batches per worker. */
    public static LoaderOptions train(int batchSize, long seed, int workers) {
        return train(batchSize, seed, workers, true, true);
    }

    /** Training with the config's {@code sampler.shuffle} and {@code batch_sampler} (aspect-ratio grouping) or not. */
    public static LoaderOptions train(int batchSize, long seed, int workers, boolean shuffle, boolean groupByAspect) {
        return new LoaderOptions(batchSize, shuffle, seed, 0, 1, groupByAspect, false, workers, Math.max(2, 2 * workers),
                workers > 1 ? 1 : -1);
    }

    /** Evaluation: dataset order, no grouping, nothing dropped. */
    public static LoaderOptions test(int batchSize, int workers) {
        return new LoaderOptions(batchSize, false, 0, 0, 1, false, false, workers, Math.max(2, 2 * workers), workers > 1 ? 1 : -1);
    }

    public LoaderOptions withShard(int r, int world) {
        return new LoaderOptions(batchSize, shuffle, seed, r, world, groupByAspect, dropLast, workers, prefetch, opencvThreads);
    }

    public LoaderOptions withWorkers(int w, int pre) {
        return new LoaderOptions(batchSize, shuffle, seed, rank, worldSize, groupByAspect, dropLast, w, pre, opencvThreads);
    }

    public LoaderOptions withOpencvThreads(int n) {
        return new LoaderOptions(batchSize, shuffle, seed, rank, worldSize, groupByAspect, dropLast, workers, prefetch, n);
    }
}
