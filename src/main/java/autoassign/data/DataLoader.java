package autoassign.data;

import org.bytedeco.opencv.global.opencv_core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threaded loader: worker threads decode and transform whole batches ahead of the trainer, at most
 * {@code prefetch} batches in flight (a bounded queue); batches come out in sampler order, so an epoch
 * is identical for any number of workers (every random draw depends only on seed, epoch, position and re-sample
 * attempt, {@link SampleDraws}). With cached steps (CachedMosaic, CachedMixUp) the batches of each emulated MMDetection
 * worker also run strictly in order on that worker's caches ({@link CacheStreams}), so that holds for them too.
 *
 * <p>Bad images (missing, truncated, undecodable) are warned about once, counted, skipped for the rest
 * of the run, and left out of their batch (a batch whose images all failed is left out); the loader never
 * throws mid-epoch for bad input. A summary line is logged at the end of each epoch that had new problems.
 */
public final class DataLoader implements AutoCloseable {
    private final CocoDataset dataset;
    private volatile Pipeline pipeline; // replaced between epochs only (usePipeline)
    private volatile CacheStreams streams; // the pipeline's virtual workers when it has cached steps, else null
    private final LoaderOptions options;
    private final BatchSampler sampler;
    private final ExecutorService pool;
    private final Set<Integer> badImages = ConcurrentHashMap.newKeySet();
    private final int[] entries;

    /** MMEngine's {@code max_refetch}: re-samples of a position before giving up. */
    static final int MAX_REFETCH = 1000;

    public DataLoader(CocoDataset dataset, PipelineOptions pipelineOptions, LoaderOptions options) {
        this(dataset, pipelineOptions, options, DatasetRepeats.identity(dataset.size()));
    }

    /**
     * A loader over {@code entries} (entry → image index; a dataset wrapper's list, {@link DatasetRepeats}): the
     * sampler shuffles and batches the entries as a dataset of that length.
     */
    public DataLoader(CocoDataset dataset, PipelineOptions pipelineOptions, LoaderOptions options, int[] entries) {
        this.dataset = dataset;
        this.pipeline = new Pipeline(pipelineOptions);
        this.streams = CacheStreams.of(pipelineOptions);
        this.options = options;
        this.entries = entries.clone();
        this.sampler = BatchSampler.forDataset(dataset, this.entries, options.batchSize(), options.shuffle(), options.seed(),
                options.rank(), options.worldSize(), options.groupByAspect(), options.dropLast());
        if (options.opencvThreads() >= 0) opencv_core.setNumThreads(options.opencvThreads());
        if (options.workers() > 0) {
            AtomicInteger n = new AtomicInteger();
            this.pool = Executors.newFixedThreadPool(options.workers(), r -> {
                Thread t = new Thread(r, "data-worker-" + n.getAndIncrement());
                t.setDaemon(true);
                return t;
            });
        } else {
            this.pool = null;
        }
    }

    public CocoDataset dataset() { return dataset; }

    public Pipeline pipeline() { return pipeline; }

    /**
     * Runs {@code options} from the next {@link #epoch} on (MMDetection's pipeline-switching hooks). Call it between
     * epochs: an epoch's batches already in flight were prepared with the pipeline it started with.
     */
    public void usePipeline(PipelineOptions options) {
        pipeline = new Pipeline(options);
        CacheStreams old = streams;
        streams = CacheStreams.of(options); // MMDetection's hooks restart the workers: new, empty caches
        if (old != null) old.close();
    }

    public BatchSampler sampler() { return sampler; }

    public DataIssues issues() { return dataset.issues(); }

    /** Number of batches the sampler plans for an epoch (bad images may make some smaller). */
    public int batchesPerEpoch(int epoch) { return sampler.numBatches(epoch); }

    /** Iterates one epoch; close the iterator (or exhaust it) to release its prefetched batches. */
    public Epoch epoch(int epoch) { return new Epoch(epoch); }

    /** Prepares one planned batch (entries of the sampler) in the calling thread; null if every image failed. */
    Batch load(Pipeline pipeline, int epoch, int batchIndex, int[] indices, int firstPosition) {
        return load(pipeline, null, epoch, batchIndex, indices, firstPosition);
    }

    /** As {@link #load(Pipeline, int, int, int[], int)} with the caches of the batch's virtual worker (or null). */
    Batch load(Pipeline pipeline, StepCaches caches, int epoch, int batchIndex, int[] indices, int firstPosition) {
        List<PreparedImage> ok = new ArrayList<>(indices.length);
        for (int k = 0; k < indices.length; k++) {
            int idx = entries[indices[k]];
            if (badImages.contains(idx)) continue;
            int position = (firstPosition + k) * options.worldSize() + options.rank();
            PreparedImage p = prepareAt(pipeline, caches, idx, SampleDraws.of(options.seed(), epoch, position));
            if (p != null) ok.add(p);
        }
        return ok.isEmpty() ? null : pipeline.collate(ok);
    }

    /**
     * The image of one position, re-sampled as MMEngine's {@code BaseDataset.__getitem__} does when a transform
     * returns None (a RandomCrop that kept no box): another index drawn uniformly from the whole dataset (from the
     * image's own ConcatDataset part), with fresh draws, at most {@link #MAX_REFETCH} times. Null when the position's own
     * image cannot be read (it is left out, as always); an unreadable replacement is skipped for the next draw.
     */
    private PreparedImage prepareAt(Pipeline pipeline, StepCaches caches, int idx, SampleDraws draws) {
        int cur = idx;
        for (SampleDraws d = draws; ; d = d.next()) {
            if (d.attempt() > 0) {
                if (d.attempt() > MAX_REFETCH)
                    throw new DataException(dataset.imagePath(dataset.get(idx)) + ": the pipeline rejected this image and "
                            + MAX_REFETCH + " others drawn for its place (a RandomCrop or FilterAnnotations left no box each"
                            + " time); use a larger crop_size, allow_negative_crop: true, or FilterAnnotations keep_empty: false");
                // BaseDataset draws from itself: a ConcatDataset part's image is replaced from the same part
                int part = dataset.partOf(idx);
                cur = dataset.partStart(part) + d.otherIndex(dataset.partEnd(part) - dataset.partStart(part));
                if (badImages.contains(cur)) continue;
            }
            try {
                PreparedImage p = pipeline.prepare(dataset, cur, d, caches); // a rejected try has filled the caches, as in mmdet
                if (p != null) return p;
            } catch (BadImageException e) {
                if (badImages.add(cur))
                    dataset.issues().warn(e.kind(), e.getMessage() + " (image id " + dataset.get(cur).id() + "), image skipped");
                if (d.attempt() == 0) return null;
            } catch (DataException e) {
                throw e;
            } catch (RuntimeException e) {
                if (badImages.add(cur))
                    dataset.issues().warn(DataIssue.IMAGE_CORRUPT, dataset.imagePath(dataset.get(cur)) + ": cannot load image ("
                            + e.getClass().getSimpleName() + ": " + CocoJson.oneLine(e.getMessage()) + ") (image id "
                            + dataset.get(cur).id() + "), image skipped");
                if (d.attempt() == 0) return null;
            }
        }
    }

    @Override public void close() {
        if (pool != null) pool.shutdownNow();
        if (streams != null) streams.close();
    }

    /** One epoch's batches, in order. */
    public final class Epoch implements Iterator<Batch>, AutoCloseable {
        private final int epoch;
        private final Pipeline pipe; // the pipeline this epoch started with
        private final CacheStreams cached; // its virtual workers (null without cached steps)
        private final List<int[]> plan;
        private final int[] firstPosition;
        private final ArrayDeque<Future<Batch>> inFlight = new ArrayDeque<>();
        private int submitted;
        private int consumed;
        private Batch next;
        private boolean summarized;

        Epoch(int epoch) {
            this.epoch = epoch;
            this.pipe = pipeline;
            this.cached = streams;
            if (cached != null) cached.beginEpoch();
            this.plan = sampler.batches(epoch);
            this.firstPosition = new int[plan.size()];
            for (int i = 1; i < plan.size(); i++) firstPosition[i] = firstPosition[i - 1] + plan.get(i - 1).length;
            if (pool != null) fill();
        }

        public int plannedBatches() { return plan.size(); }

        private void fill() {
            while (submitted < plan.size() && inFlight.size() < options.prefetch()) {
                int b = submitted++;
                if (cached == null) {
                    inFlight.add(pool.submit(() -> load(pipe, epoch, b, plan.get(b), firstPosition[b])));
                } else { // after the previous batch of its virtual worker, whichever thread runs it
                    StepCaches c = cached.forBatch(b);
                    inFlight.add(cached.submit(b, () -> load(pipe, c, epoch, b, plan.get(b), firstPosition[b]), pool));
                }
            }
        }

        private Batch produce() {
            while (consumed < plan.size()) {
                int b = consumed++;
                Batch batch;
                if (pool == null) { // in order: every virtual worker's batches follow each other
                    batch = load(pipe, cached == null ? null : cached.forBatch(b), epoch, b, plan.get(b), firstPosition[b]);
                } else {
                    Future<Batch> f = inFlight.poll();
                    fill();
                    try {
                        batch = f.get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("data loader interrupted", e);
                    } catch (ExecutionException e) {
                        Throwable c = e.getCause();
                        if (c instanceof Error err) throw err;
                        if (c instanceof DataException de) throw de;
                        throw new IllegalStateException("data loader failed on batch " + b + ": " + c, c);
                    }
                }
                if (batch != null) return batch;
            }
            if (!summarized) {
                summarized = true;
                dataset.issues().summarize();
            }
            return null;
        }

        @Override public boolean hasNext() {
            if (next == null) next = produce();
            return next != null;
        }

        @Override public Batch next() {
            if (!hasNext()) throw new NoSuchElementException();
            Batch b = next;
            next = null;
            return b;
        }

        /**
         * Ends the epoch early. With cached steps the batches already scheduled still run on their workers' caches (as
         * MMDetection's prefetching workers do), so an epoch after an abandoned one depends on how far prefetching got:
         * the trainer only abandons the run's last epoch.
         */
        @Override public void close() {
            for (Future<Batch> f : inFlight) f.cancel(false);
            inFlight.clear();
            consumed = plan.size();
            next = null;
            summarized = true;
        }
    }
}
