package autoassign.config;

/**
 * {@code train_dataloader} / {@code val_dataloader}.
 *
 * @param batchSize      images per batch (per device; MMDetection's 2 per GPU)
 * @param numWorkers     loader threads
 * @param shuffle        {@code sampler.shuffle} (DefaultSampler)
 * @param infiniteSampler {@code sampler: {type: InfiniteSampler}} (training only, for an IterBasedTrainLoop):
 *                       the same passes over the data as DefaultSampler, reshuffled each pass, without an end
 * @param aspectRatioGrouping {@code batch_sampler: {type: AspectRatioBatchSampler}} present
 * @param dataset        what to load and how to transform it
 * @param persistentWorkers {@code persistent_workers} (torch's default false): whether MMDetection's worker processes,
 *                       and the caches of CachedMosaic / CachedMixUp in them, live from one epoch to the next; with
 *                       {@code num_workers: 0} the main process runs the steps and their caches always persist
 */
public record DataLoaderConfig(int batchSize, int numWorkers, boolean shuffle, boolean infiniteSampler,
                               boolean aspectRatioGrouping, DatasetConfig dataset, boolean persistentWorkers) {

    public DataLoaderConfig(int batchSize, int numWorkers, boolean shuffle, boolean infiniteSampler, boolean aspectRatioGrouping,
                            DatasetConfig dataset) {
        this(batchSize, numWorkers, shuffle, infiniteSampler, aspectRatioGrouping, dataset, false);
    }

    /** @param topDataRoot the config's {@code data_root} (a dataset repeating it keeps none of its own) */
    static DataLoaderConfig from(ConfigNode n, boolean train, String topDataRoot) {
        int batch = n.positive("batch_size", n.integer("batch_size", train ? 2 : 1));
        int workers = n.atLeast("num_workers", n.integer("num_workers", 2), 0);
        boolean persistent = n.bool("persistent_workers", false);
        if (n.bool("drop_last", false)) throw n.error("drop_last", "only false is supported");
        ConfigNode sampler = n.child("sampler");
        String samplerType = train ? sampler.choice("type", "DefaultSampler", "DefaultSampler", "InfiniteSampler")
                : sampler.choice("type", "DefaultSampler", "DefaultSampler");
        boolean infinite = samplerType.equals("InfiniteSampler");
        boolean shuffle = sampler.bool("shuffle", train);
        if (sampler.raw("seed") != null) throw sampler.error("seed", "only null: randomness.seed seeds the shuffle");
        sampler.finish();
        boolean grouping = false;
        if (n.has("batch_sampler")) {
            ConfigNode bs = n.child("batch_sampler");
            bs.fixed("type", "AspectRatioBatchSampler");
            bs.finish();
            grouping = true;
        } else n.raw("batch_sampler");
        DatasetConfig ds = DatasetConfig.from(n.requiredChild("dataset"), train, topDataRoot);
        n.finish();
        return new DataLoaderConfig(batch, workers, shuffle, infinite, grouping, ds, persistent);
    }
}
