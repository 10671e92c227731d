package autoassign.train.dist;

import autoassign.data.CocoDataset;
import autoassign.data.LoaderOptions;
import autoassign.data.PipelineOptions;
import autoassign.eval.CocoEvalParams;
import autoassign.eval.CocoEvalResult;
import autoassign.eval.CocoEvaluator;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.DatasetEvaluation;
import autoassign.eval.TestTimeAug;
import autoassign.eval.CocoResults;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;

import autoassign.data.ImageMeta;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Validation in a data-parallel run, as MMDetection's distributed test loop: every worker runs inference on its
 * shard of the val set (MMEngine's DefaultSampler order: image {@code i} on rank {@code i mod world}, the first
 * images repeated to fill the shards, as its {@code round_up}), the detections are gathered to rank 0 (through the communicator's all-reduce,
 * so over NCCL on GPUs), repeats are dropped, and rank 0 evaluates them in dataset order — the same results
 * list, so the same COCO numbers, as a single-process evaluation at batch size 1 (a larger batch pads its images
 * to its largest, and the shards batch other images together).
 */
public final class ShardedEvaluation {
    private ShardedEvaluation() {}

    /** Values per detection in the gathered stream: x1, y1, x2, y2, score, label. */
    private static final int PER_DET = 6;

    /** The evaluation on rank 0; null on the other ranks. Every rank must call it. */
    public static CocoEvalResult run(Communicator comm, AutoAssignDetector model, CocoDataset valSet, Path annFile,
                                     PipelineOptions pipeline, LoaderOptions loader, PostProcessConfig post,
                                     CocoEvalParams params) {
        CocoResults results = gather(comm, model, valSet, pipeline, loader, post);
        if (results == null) return null;
        CocoGroundTruth gt = DatasetEvaluation.scope(CocoGroundTruth.read(annFile), valSet);
        return CocoEvaluator.evaluate(gt, results.toDetections(gt), params);
    }

    /**
     * Every worker's detections of its shard, gathered on rank 0 in dataset order (null on the other ranks), for any
     * metric. Every rank must call it.
     */
    public static CocoResults gather(Communicator comm, AutoAssignDetector model, CocoDataset valSet, PipelineOptions pipeline,
                                     LoaderOptions loader, PostProcessConfig post) {
        return gather(comm, model, valSet, pipeline, loader, post, null);
    }

    /** {@link #gather} with test-time augmentation on each shard ({@code tta} null: none). */
    public static CocoResults gather(Communicator comm, AutoAssignDetector model, CocoDataset valSet, PipelineOptions pipeline,
                                     LoaderOptions loader, PostProcessConfig post, TestTimeAug tta) {
        return gather(comm, model, valSet, pipeline, loader, post, tta, null);
    }

    /** {@link #gather}, rank 0 handing each gathered image to {@code sink} too (null: none), in dataset order. */
    public static CocoResults gather(Communicator comm, AutoAssignDetector model, CocoDataset valSet, PipelineOptions pipeline,
                                     LoaderOptions loader, PostProcessConfig post, TestTimeAug tta,
                                     DatasetEvaluation.ImageSink sink) {
        return gather(comm, model, valSet, pipeline, loader, post, tta, sink, null);
    }

    /** {@link #gather} with {@code progress} called after each batch of this rank's shard (null: none). */
    public static CocoResults gather(Communicator comm, AutoAssignDetector model, CocoDataset valSet, PipelineOptions pipeline,
                                     LoaderOptions loader, PostProcessConfig post, TestTimeAug tta,
                                     DatasetEvaluation.ImageSink sink, DatasetEvaluation.Progress progress) {
        List<ImageDetections> images = gatherImages(comm, model, valSet, pipeline, loader, post, tta, progress);
        return images == null ? null : results(images, valSet, sink);
    }

    /** The gathered images as COCO results (the dataset's category ids), handed to {@code sink} too when non-null. */
    static CocoResults results(List<ImageDetections> images, CocoDataset valSet, DatasetEvaluation.ImageSink sink) {
        long[] catIds = valSet.categories().ids();
        CocoResults results = new CocoResults();
        for (ImageDetections im : images) {
            results.add(im.meta().imageId(), im.detections(), catIds);
            if (sink != null) sink.accept(im.meta(), im.detections());
        }
        return results;
    }

    /** One image's detections (original image coordinates) with the meta information of its test pipeline run. */
    public record ImageDetections(ImageMeta meta, Detections detections) {}

    /** Values per image before its detections: id, dataset index, ori h/w, img h/w, scale w/h, flipped, pad h/w, n. */
    private static final int PER_IMAGE = 12;

    /**
     * Every worker's detections of its shard with each image's meta information, gathered on rank 0 in dataset order
     * (null on the other ranks). Every rank must call it.
     */
    public static List<ImageDetections> gatherImages(Communicator comm, AutoAssignDetector model, CocoDataset valSet,
                                                     PipelineOptions pipeline, LoaderOptions loader, PostProcessConfig post,
                                                     TestTimeAug tta) {
        return gatherImages(comm, model, valSet, pipeline, loader, post, tta, null);
    }

    /** {@link #gatherImages} with {@code progress} called after each batch of this rank's shard (null: none). */
    public static List<ImageDetections> gatherImages(Communicator comm, AutoAssignDetector model, CocoDataset valSet,
                                                     PipelineOptions pipeline, LoaderOptions loader, PostProcessConfig post,
                                                     TestTimeAug tta, DatasetEvaluation.Progress progress) {
        // this rank's images: [meta (PER_IMAGE values, n last), n × (x1, y1, x2, y2, score, label)]..., from the
        // single-worker detection loop
        DoubleList local = new DoubleList();
        DatasetEvaluation.detect(model, valSet, pipeline, loader.withShard(comm.rank(), comm.worldSize()), post, progress,
                (meta, d) -> {
                    for (double v : new double[] {meta.imageId(), meta.datasetIndex(), meta.oriH(), meta.oriW(), meta.imgH(),
                            meta.imgW(), meta.scaleW(), meta.scaleH(), meta.flipped() ? 1 : 0, meta.padH(), meta.padW(), d.size()})
                        local.add(v);
                    for (int k = 0; k < d.size(); k++) {
                        local.add(d.x1(k)); local.add(d.y1(k)); local.add(d.x2(k)); local.add(d.y2(k));
                        local.add(d.score(k)); local.add(d.label(k));
                    }
                }, tta);
        double[][] all = comm.allGather(local.toArray());
        if (comm.rank() != 0) return null;
        Map<Long, ImageDetections> byImage = new HashMap<>();
        for (double[] part : all) {
            for (int p = 0; p < part.length; ) {
                long id = (long) part[p];
                int index = (int) part[p + 1];
                ImageMeta meta = new ImageMeta(id, valSet.get(index).fileName(), index, (int) part[p + 2], (int) part[p + 3],
                        (int) part[p + 4], (int) part[p + 5], part[p + 6], part[p + 7], part[p + 8] != 0,
                        (int) part[p + 9], (int) part[p + 10]);
                int n = (int) part[p + PER_IMAGE - 1];
                p += PER_IMAGE;
                float[] boxes = new float[4 * n], scores = new float[n];
                int[] labels = new int[n];
                for (int k = 0; k < n; k++, p += PER_DET) {
                    for (int c = 0; c < 4; c++) boxes[4 * k + c] = (float) part[p + c];
                    scores[k] = (float) part[p + 4];
                    labels[k] = (int) part[p + 5];
                }
                byImage.putIfAbsent(id, new ImageDetections(meta, new Detections(boxes, scores, labels))); // a padding repeat comes later
            }
        }
        List<ImageDetections> out = new ArrayList<>();
        for (int i = 0; i < valSet.size(); i++) {
            ImageDetections d = byImage.get(valSet.get(i).id());
            if (d != null) out.add(d);
        }
        return out;
    }

    /** A growable double array. */
    private static final class DoubleList {
        private double[] a = new double[1024];
        private int n;

        void add(double v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, 2 * n);
            a[n++] = v;
        }

        double[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }
}
