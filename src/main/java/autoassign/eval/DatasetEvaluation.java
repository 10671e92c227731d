package autoassign.eval;

import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataLoader;
import autoassign.data.ImageMeta;
import autoassign.data.LoaderOptions;
import autoassign.data.PipelineOptions;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import java.util.List;

/**
 * Runs a model over a COCO-format dataset (dataset order, test pipeline) and evaluates its detections against
 * the dataset's ground-truth file, as MMDetection's test loop with {@code CocoMetric}. The building block of
 * {@code eval --config ...} and of validation during training.
 */
public final class DatasetEvaluation {

    private DatasetEvaluation() {
    }

    /** Progress callback: {@code done} of {@code total} images processed. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    /**
     * Called with the detections of every image as soon as its batch is done (original image coordinates, all
     * detections of the post-processing), e.g. to draw them ({@code eval --show-dir}).
     */
    @FunctionalInterface
    public interface ImageSink {
        void accept(ImageMeta meta, Detections detections);
    }

    /**
     * @param results the detections of every image (COCO results, original category ids)
     * @param eval    the COCO evaluation of {@code results}
     */
    public record Outcome(CocoResults results, CocoEvalResult eval) {
    }

    /**
     * The detections of every image of {@code dataset} (COCO results with its category ids), without evaluating
     * them: MMDetection's {@code format_only} (e.g. COCO test-dev, whose image-info file has no annotations).
     */
    public static CocoResults detect(AutoAssignDetector model, CocoDataset dataset, PipelineOptions pipeline,
                                     LoaderOptions loader, PostProcessConfig post, Progress progress) {
        return detect(model, dataset, pipeline, loader, post, progress, null, null);
    }

    /**
     * {@link #detect(AutoAssignDetector, CocoDataset, PipelineOptions, LoaderOptions, PostProcessConfig, Progress)},
     * handing each image's detections to {@code sink} too (may be null), with test-time augmentation when {@code tta}
     * is non-null: every variant of the pipeline runs over the dataset in step (the same batches, one loader each),
     * and each image's variants are merged.
     */
    public static CocoResults detect(AutoAssignDetector model, CocoDataset dataset, PipelineOptions pipeline,
                                     LoaderOptions loader, PostProcessConfig post, Progress progress,
                                     ImageSink sink, TestTimeAug tta) {
        if (tta != null) return detectAugmented(model, dataset, pipeline, loader, post, progress, sink, tta);
        long[] catIds = checkedCategoryIds(model, dataset);
        CocoResults results = new CocoResults();
        int total = dataset.size();
        int done = 0;
        try (DataLoader dl = new DataLoader(dataset, pipeline.withFlipProb(0), loader);
             DataLoader.Epoch epoch = dl.epoch(0)) {
            while (epoch.hasNext()) {
                Batch b = epoch.next();
                List<Detections> dets = Inference.predict(model, b, post);
                for (int i = 0; i < dets.size(); i++) {
                    results.add(b.metas().get(i).imageId(), dets.get(i), catIds);
                    if (sink != null) {
                        sink.accept(b.metas().get(i), dets.get(i));
                    }
                }
                done += b.size();
                if (progress != null) {
                    progress.update(done, total);
                }
            }
        }
        return results;
    }

    private static CocoResults detectAugmented(AutoAssignDetector model, CocoDataset dataset, PipelineOptions pipeline,
                                               LoaderOptions loader, PostProcessConfig post, Progress progress,
                                               ImageSink sink, TestTimeAug tta) {
        long[] catIds = checkedCategoryIds(model, dataset);
        CocoResults results = new CocoResults();
        List<DataLoader> loaders = new java.util.ArrayList<>();
        List<DataLoader.Epoch> epochs = new java.util.ArrayList<>();
        try {
            for (TestTimeAug.Variant v : tta.variants()) {
                PipelineOptions p = v.scaleW() > 0 ? pipeline.withScale(v.scaleW(), v.scaleH()) : pipeline;
                DataLoader dl = new DataLoader(dataset, p.withFlipProb(v.flip() ? 1 : 0), loader);
                loaders.add(dl);
                epochs.add(dl.epoch(0));
            }
            int done = 0;
            while (epochs.get(0).hasNext()) {
                List<List<Detections>> byVariant = new java.util.ArrayList<>();
                Batch first = null;
                for (DataLoader.Epoch e : epochs) {
                    Batch b = e.next(); // the same images in every loader: same sampler, same order
                    if (first == null) first = b;
                    byVariant.add(Inference.predictAugmented(model, b, post));
                }
                for (int i = 0; i < first.size(); i++) {
                    List<Detections> variants = new java.util.ArrayList<>();
                    for (List<Detections> v : byVariant) variants.add(v.get(i));
                    Detections merged = tta.merge(variants);
                    ImageMeta meta = first.metas().get(i).withFlipped(false);
                    results.add(meta.imageId(), merged, catIds);
                    if (sink != null) sink.accept(meta, merged);
                }
                done += first.size();
                if (progress != null) progress.update(done, dataset.size());
            }
        } finally {
            for (DataLoader.Epoch e : epochs) e.close();
            for (DataLoader dl : loaders) dl.close();
        }
        return results;
    }

    /** The dataset's category ids, which must be as many as the model's classes. */
    private static long[] checkedCategoryIds(AutoAssignDetector model, CocoDataset dataset) {
        long[] catIds = dataset.categories().ids();
        int classes = model.config().bboxHead().numClasses();
        if (catIds.length != classes) {
            throw new IllegalArgumentException(dataset.annotationFile() + ": " + catIds.length
                    + " categories, but the model has " + classes + " classes");
        }
        return catIds;
    }

    /**
     * @param model     detector, weights loaded, on its device
     * @param dataset   images to run on (its category map turns labels into category ids)
     * @param gt        the ground truth of the same images (read from the dataset's annotation file; the
     *                  annotations' {@code area} and {@code iscrowd} matter); evaluated over all of its images, as
     *                  CocoMetric (images of a dataset cut by {@code indices} that did not run have no detections)
     * @param pipeline  test pipeline (no flip)
     * @param loader    batching / threads ({@link LoaderOptions#test})
     * @param post      post-processing settings
     * @param params    COCO evaluation parameters
     * @param progress  called after every batch; may be null
     */
    public static Outcome run(AutoAssignDetector model, CocoDataset dataset, CocoGroundTruth gt,
                              PipelineOptions pipeline, LoaderOptions loader, PostProcessConfig post,
                              CocoEvalParams params, Progress progress) {
        CocoResults results = detect(model, dataset, pipeline, loader, post, progress);
        CocoGroundTruth scope = scope(gt, dataset);
        CocoEvalResult eval = CocoEvaluator.evaluate(scope, results.toDetections(scope), params);
        return new Outcome(results, eval);
    }

    /**
     * The ground truth as MMDetection's CocoMetric evaluates a dataset: over every image of the annotation file
     * (COCOeval's {@code imgIds = get_img_ids()}: the images of a dataset cut by {@code indices} that did not run count
     * as images without detections) and the dataset's categories only ({@code catIds}: {@code metainfo.classes}).
     */
    public static CocoGroundTruth scope(CocoGroundTruth gt, CocoDataset dataset) {
        return gt.restrictCategories(dataset.categories().ids());
    }
}
