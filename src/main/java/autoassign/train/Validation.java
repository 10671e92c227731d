package autoassign.train;

import autoassign.api.Detector;
import autoassign.autograd.Graph;
import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.config.EvaluatorConfig;
import autoassign.config.RuntimeConfig;
import autoassign.data.BadImageException;
import autoassign.data.CocoDataset;
import autoassign.data.LoaderOptions;
import autoassign.eval.CocoEvalParams;
import autoassign.eval.CocoEvalResult;
import autoassign.eval.CocoEvaluator;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.CocoResults;
import autoassign.eval.DatasetEvaluation;
import autoassign.eval.Evaluation;
import autoassign.eval.Inference;
import autoassign.eval.VocMap;
import autoassign.model.AutoAssignDetector;
import autoassign.train.dist.Communicator;
import autoassign.train.dist.ShardedEvaluation;
import autoassign.viz.PictureWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The validations of a training run, as MMEngine's ValLoop with the config's {@code val_evaluator} (CocoMetric or
 * VOCMetric) and the hooks that act on it: the val record in the logs, {@code save_best}, the EMA's swap, SyncNormHook
 * and {@code DetVisualizationHook(draw=True)}'s pictures. In a data-parallel run every worker detects its shard and
 * rank 0 evaluates.
 */
final class Validation {
    private final Config cfg;
    private final PrintStream out;
    private final String dataRoot;
    private final Communicator comm;
    private final boolean main;
    private final CocoDataset valSet;
    private final int workers;
    private final Supplier<Path> runFolder;

    /**
     * @param dataRoot  {@code --data-root} (null: the config's), where the evaluator's ground truth is looked up
     * @param comm      the workers' communicator, null in a single-worker run
     * @param main      rank 0 (or the only worker): it evaluates, logs and draws
     * @param runFolder MMEngine's {@code <work_dir>/<timestamp>} of the run, for the hook's pictures
     */
    Validation(Config cfg, PrintStream out, String dataRoot, Communicator comm, boolean main, CocoDataset valSet, int workers,
               Supplier<Path> runFolder) {
        this.cfg = cfg;
        this.out = out;
        this.dataRoot = dataRoot;
        this.comm = comm;
        this.main = main;
        this.valSet = valSet;
        this.workers = workers;
        this.runFolder = runFolder;
        EvaluatorConfig ev = cfg.valEvaluator();
        if (ev.formatOnly() && ev.resultsFile() == null) // CocoMetric asserts it: a temp file would be cleaned up
            throw new UserError(cfg.source() + ": val_evaluator.format_only needs an outfile_prefix (MMDetection asserts it)");
    }

    /** The val ground truth, read at the first validation and kept (the files do not change during a run). */
    private CocoGroundTruth cocoTruth;
    private autoassign.eval.LvisGroundTruth lvisTruth;
    /** The val set's Open Images ground truth (OpenImagesMetric), loaded at the first validation. */
    private autoassign.data.OpenImagesDataset.Data openImagesTruth;

    /** What a {@code format_only} evaluator gives its hooks: no metric (the detections were only written). */
    private static final Evaluation NO_METRICS = new Evaluation() {
        @Override public Map<String, Double> metrics() { return Map.of(); }
        @Override public List<String> summaryLines() { return List.of(); }
        @Override public void writeJson(Path file) { throw new IllegalStateException("format_only has no metrics to write"); }
    };

    /**
     * A metric that {@code save_best} or early stopping follows, checked against the val set: a classwise CocoMetric's
     * {@code coco/<class>_precision} must name one of its classes, and {@code auto} with such a metric is its first
     * class's (the first key MMDetection's CocoMetric reports, the one MMEngine's {@code save_best='auto'} takes).
     * Null stays null.
     */
    String followedMetric(String name, String key) {
        List<String> classes = valSet.categories().names();
        if ("auto".equals(name)) return (cfg.valEvaluator().lvis() ? "lvis/" : "coco/") + classes.get(0) + "_precision";
        String cls = name == null || cfg.valEvaluator().metricNames().contains(name) ? null : cfg.valEvaluator().perClassName(name);
        if (cls != null && !classes.contains(cls))
            throw new UserError(cfg.source() + ": " + key + ": '" + cls + "' in " + name + " is not a class of the val set ("
                    + (classes.size() <= 5 ? classes : classes.subList(0, 5) + " ...") + ")");
        return name;
    }

    /**
     * A validation's evaluation and the metrics as MMDetection's metric hands them to MMEngine's hooks
     * ({@code coco/bbox_mAP}, …, with {@code classwise} the {@code coco/<class>_precision} first; {@code pascal_voc/…}):
     * what {@code save_best} and early stopping follow.
     */
    record Result(Evaluation evaluation, Map<String, Double> reported) {}

    /**
     * One validation after {@code epoch} epochs and {@code globalIter} iterations: the metrics logged as a val
     * record and offered to {@code save_best}. Null on workers other than rank 0.
     */
    Result run(AutoAssignDetector model, WeightAverage ema, MetricsLog metrics, BestCheckpoint bestCkpt, int epoch,
                   long globalIter) {
        if (comm != null && cfg.runtime().syncNorm()) Trainer.averageNormStatistics(model, comm); // SyncNormHook, before EMA's swap
        if (ema != null) ema.swap(); // EMAHook: the average is what is validated (and kept as the best)
        try {
            return validateModel(model, metrics, bestCkpt, epoch, globalIter);
        } finally {
            if (ema != null) ema.swap();
        }
    }

    private Result validateModel(AutoAssignDetector model, MetricsLog metrics, BestCheckpoint bestCkpt, int epoch,
                                 long globalIter) {
        // ValLoop's before_val_epoch / after_val_iter / after_val_epoch of MemoryProfilerHook and EmptyCacheHook, on every rank
        MemoryHooks hooks = MemoryHooks.of(cfg.runtime(), model.device(), out::println);
        hooks.beforeEpoch();
        Evaluation result = evaluate(model, globalIter, hooks.afterEachBatch(null));
        hooks.afterEpoch();
        if (result == null) return null; // not rank 0: the evaluation is rank 0's
        if (result == NO_METRICS) { // MMEngine's hooks then warn and skip (CheckpointHook's save_best, EarlyStoppingHook)
            out.println(valLine(cfg.runtime().logByEpoch(), epoch, valBatches(), Map.of(), loopSeconds / Math.max(1, valBatches())));
            if (bestCkpt != null || cfg.runtime().earlyStopping() != null)
                out.println("warning: format_only gives no metrics: save_best and early stopping skip this validation");
            return new Result(null, Map.of());
        }
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("mode", "val");
        rec.put("epoch", epoch);
        rec.put("iter", globalIter);
        Map<String, Double> reported = new LinkedHashMap<>(); // what CocoMetric / VOCMetric hand MMEngine's hooks
        if (result instanceof CocoEvalResult coco) {
            // classwise: <name>_precision first, as CocoMetric adds them; then bbox_mAP, ...; rounded as it reports them
            if (cfg.valEvaluator().classwise()) coco.classwiseMetrics().forEach((k, v) -> reported.put("coco/" + k, v));
            reported.putAll(coco.reportedMetrics());
            reported.forEach((k, v) -> rec.put(k.substring(k.indexOf('/') + 1), v)); // without the coco/ prefix
            rec.put("stats", coco.stats());
            rec.put("stat_names", coco.statNames()); // what the 12 numbers are under the params evaluated with
        } else {
            reported.putAll(result.reportedMetrics());
            rec.putAll(result.metrics()); // pascal_voc/mAP, pascal_voc/AP50, ...
        }
        metrics.log(rec);
        out.println(valLine(cfg.runtime().logByEpoch(), epoch, valBatches(), reported, loopSeconds / Math.max(1, valBatches())));
        if (bestCkpt != null && bestCkpt.offer(reported, epoch, globalIter, model) != null)
            out.println(bestCkpt.describe());
        return new Result(result, reported);
    }

    /**
     * The evaluation (on rank 0; null on the other workers of a data-parallel run): the val evaluator's metric,
     * COCO's or VOC's, over its ground truth.
     */
    private Evaluation evaluate(AutoAssignDetector model, long globalIter, DatasetEvaluation.Progress afterEachBatch) {
        out.println("evaluating on " + valSet.size() + " val images ...");
        DatasetEvaluation.ImageSink pictures = pictures(globalIter);
        var pipeline = Detector.testPipeline(cfg, cfg.valDataloader());
        var loader = LoaderOptions.test(cfg.valDataloader().batchSize(), workers);
        var post = Inference.postProcessConfig(cfg.model().testCfg());
        EvaluatorConfig ev = cfg.valEvaluator();
        Evaluation result;
        try (AutoCloseable ignored = Graph.noGrad()) {
            long start = System.nanoTime();
            CocoResults results = comm != null
                    ? ShardedEvaluation.gather(comm, model, valSet, pipeline, loader, post, null, pictures, afterEachBatch)
                    : DatasetEvaluation.detect(model, valSet, pipeline, loader, post, afterEachBatch, pictures, null);
            loopSeconds = (System.nanoTime() - start) / 1e9;
            if (results == null) return null;
            if (ev.resultsFile() != null && !ev.crowd()) { // CocoMetric / LVISMetric outfile_prefix: <prefix>.bbox.json every validation
                try {
                    results.write(ev.resultsFile());
                } catch (IOException e) {
                    throw new UserError(ev.resultsFile() + ": cannot write (val_evaluator.outfile_prefix): " + e.getMessage());
                }
                if (ev.formatOnly()) {
                    out.println("results are saved in " + ev.resultsFile().toAbsolutePath().getParent());
                    return NO_METRICS;
                }
            }
            if (ev.lvis()) { // LVISMetric: every image of its ground truth, federated per image (LvisEvaluator)
                if (lvisTruth == null) lvisTruth = DataSources.lvisGroundTruth(cfg, cfg.valDataloader(), ev, dataRoot, valSet);
                var lg = lvisTruth;
                result = autoassign.eval.LvisEvaluator.evaluate(lg, results.toDetections(lg.coco()), ev.classwise())
                        .reporting(ev.metricItems());
                for (String line : result.summaryLines()) out.println(line);
                return result;
            }
            if (ev.crowd()) { // CrowdHumanMetric: its .odgt paired with the val images in order
                Path ann = DataSources.groundTruthFile(cfg, cfg.valDataloader(), ev, dataRoot, valSet);
                result = autoassign.eval.CrowdHumanMetric.evaluate(ann, valSet, results.detections(), ev.crowdHuman().metrics(),
                        ev.crowdHuman().params());
                for (String line : result.summaryLines()) out.println(line);
                return result;
            }
            if (ev.openImagesMetric()) { // OpenImagesMetric: the val images' instances, image-level labels and class hierarchy
                if (openImagesTruth == null)
                    openImagesTruth = DataSources.openImages(cfg, cfg.valDataloader(), "val", dataRoot, valSet.issues());
                result = autoassign.eval.OpenImagesMetric.evaluate(openImagesTruth, valSet, results.detections(), ev.openImages());
                for (String line : result.summaryLines()) out.println(line);
                return result;
            }
            if (cocoTruth == null) cocoTruth = DatasetEvaluation.scope(
                    DataSources.groundTruth(cfg, cfg.valDataloader(), cfg.valEvaluator(), dataRoot, valSet), valSet);
            CocoGroundTruth gt = cocoTruth;
            result = ev.voc()
                    ? VocMap.evaluate(gt, results.toDetections(gt), ev.iouThrs().stream().mapToDouble(Double::doubleValue).toArray(),
                            ev.elevenPoints())
                    : CocoEvaluator.evaluate(gt, results.toDetections(gt), ev.cocoParams(CocoEvalParams.standard()));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        for (String line : result.summaryLines()) out.println(line);
        if (ev.classwise() && result instanceof CocoEvalResult coco) // CocoMetric(classwise=True): the per-class AP table too
            for (String line : coco.classwiseTable()) out.println(line);
        if (result instanceof CocoEvalResult coco) out.println(coco.copypasteLine()); // CocoMetric logs it last
        return result;
    }

    /** Seconds the last validation's detection loop took (its model runs and data loading). */
    private double loopSeconds;

    /** The val dataloader's length on a rank: batches of its shard (MMEngine's {@code len(runner.val_dataloader)}). */
    private int valBatches() {
        int world = comm == null ? 1 : comm.worldSize(), batch = cfg.valDataloader().batchSize();
        int shard = (valSet.size() + world - 1) / world;
        return (shard + batch - 1) / batch;
    }

    /**
     * MMEngine's line after a validation (LoggerHook.after_val_epoch, LogProcessor.get_log_after_epoch):
     * {@code Epoch(val) [12][5000/5000]    coco/bbox_mAP: 0.4040  coco/bbox_mAP_50: 0.5920  ...  time: 0.0613}
     * ({@code Iter(val) [5000/5000]} when the log processor counts iterations): the reported metrics in their order, each
     * {@code f'{v:.4f}'}, then the mean time per val iteration. MMEngine also shows {@code data_time} before {@code time};
     * the engine does not measure it apart, so leaves it out.
     */
    static String valLine(boolean byEpoch, int epoch, int batches, Map<String, Double> reported, double time) {
        StringBuilder b = new StringBuilder(byEpoch ? "Epoch(val) [" + epoch + "][" + batches + "/" + batches + "]  "
                : "Iter(val) [" + batches + "/" + batches + "]  ");
        b.append("  ");
        List<String> items = new java.util.ArrayList<>();
        reported.forEach((k, v) -> items.add(k + ": " + autoassign.eval.PyFloat.fixed(v, 4)));
        items.add("time: " + autoassign.eval.PyFloat.fixed(time, 4));
        return b.append(String.join("  ", items)).toString();
    }

    /**
     * {@code DetVisualizationHook(draw=True)}'s pictures of a validation after {@code globalIter} iterations (null when
     * the hook does not draw, and on workers other than rank 0): the first image of each of rank 0's batches whose
     * {@code globalIter + batch index} is a multiple of the interval, as {@code val_img_<that number>.png} in the run
     * folder's {@code vis_data/vis_image} (MMEngine draws on rank 0 only, from its own shard: images 0, W, 2W, … of W
     * workers). A picture that cannot be made is a warning; after a write error none is tried.
     */
    private DatasetEvaluation.ImageSink pictures(long globalIter) {
        RuntimeConfig.ValVisualization vis = cfg.runtime().valVisualization();
        if (vis == null || !main) return null;
        int batch = cfg.valDataloader().batchSize(), world = comm == null ? 1 : comm.worldSize();
        Path dir = runFolder.get().resolve("vis_data").resolve("vis_image");
        PictureWriter writer = new PictureWriter(valSet, (float) vis.scoreThr(), new PictureWriter.Problems() {
            @Override public void skipped(BadImageException e) { out.println("warning: validation picture skipped: " + e.getMessage()); }

            @Override public void stopped(Path folder, IOException e) {
                out.println("warning: " + folder + ": cannot write validation pictures (no further ones): " + e.getMessage());
            }
        });
        return (meta, dets) -> {
            int i = meta.datasetIndex();
            if (i % world != 0) return; // another rank's image
            int local = i / world; // its place in rank 0's shard
            long step = globalIter + local / batch;
            if (local % batch == 0 && step % vis.interval() == 0) writer.write(i, dets, dir.resolve("val_img_" + step + ".png"));
        };
    }
}
