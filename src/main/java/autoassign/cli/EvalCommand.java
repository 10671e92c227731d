package autoassign.cli;

import autoassign.api.Detector;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.DataException;
import autoassign.data.LoaderOptions;
import autoassign.data.Pipeline;
import autoassign.data.PipelineOptions;
import autoassign.postprocess.PostProcessConfig;
import autoassign.data.DataIssues;
import autoassign.data.ImageRecord;
import autoassign.data.XmlDataset;
import autoassign.train.DataSources;
import autoassign.train.dist.DataParallelEvaluation;
import autoassign.train.dist.DistOptions;
import java.nio.file.Files;
import autoassign.eval.CocoDetections;
import autoassign.eval.CocoEvalParams;
import autoassign.eval.CocoEvalResult;
import autoassign.eval.CocoEvaluator;
import autoassign.eval.CocoFormatException;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.DatasetEvaluation;
import autoassign.eval.DetResultsPickle;
import autoassign.eval.Inference;
import autoassign.eval.LvisEvalResult;
import autoassign.eval.LvisEvaluator;
import autoassign.eval.LvisGroundTruth;
import autoassign.eval.VocMap;
import autoassign.io.CheckpointException;
import autoassign.io.ModelWeights;
import autoassign.model.AutoAssignDetector;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import autoassign.config.EvaluatorConfig;
import autoassign.eval.CocoResults;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eval}: COCO bbox evaluation identical to pycocotools' COCOeval, of
 * <ul>
 *   <li>a results file: {@code eval --ann GT.json --results DETS.json [--json OUT.json]}, or</li>
 *   <li>a model over its config's test dataset ({@code test_dataloader}, else the val one, as MMDetection's
 *       tools/test.py): {@code eval --config CFG --checkpoint CKPT [--data DIR]} (progress bar on stderr;
 *       {@code --save-results} keeps the detections; {@code --format-only} only writes them, e.g. for COCO
 *       test-dev).</li>
 * </ul>
 * Prints the table {@code COCOeval.summarize()} prints; with {@code --json} writes
 * {@code {"stats": [12], "names": [...], "per_category_AP": {...}}}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate COCO bbox detections (a results file, or a model over its validation set) with "
            + "the same numbers as pycocotools.",
            "  eval --ann GT.json --results DETS.json [--json OUT.json]",
            "  eval --config CFG --checkpoint CKPT [--data DIR] [--json OUT.json]",
            "  eval --config CFG --checkpoint CKPT --format-only --save-results DETS.json",
            "  eval --config CFG --checkpoint CKPT --show-dir DIR [--show-score-thr 0.3]   (one picture per image: GT | predictions)",
            "  eval --config CFG --checkpoint CKPT --out results.pkl   (MMDetection's test.py --out file)",
            "  eval --config CFG --results results.pkl|DETS.json   (MMDetection's eval_metric.py: the config's test set and evaluator)",
            "Bad input gives a one-line error and exit code 1."})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--ann", paramLabel = "GT.json",
            description = "COCO ground truth (instances json with images, categories, annotations)")
    Path ann;

    @Option(names = "--results", paramLabel = "DETS.json",
            description = "COCO results list: [{image_id, category_id, bbox: [x, y, w, h], score}, ...], or MMDetection's "
                    + "test.py --out pickle (labels index the ground truth's categories in the file's order; with --config, its classes)")
    Path results;

    @Option(names = "--out", paramLabel = "RESULTS.pkl",
            description = "with --config: also write the detections as MMDetection's tools/test.py --out does (a pickle, "
                    + "per image its meta and pred_instances), for MMDetection's eval_metric.py / confusion_matrix.py / "
                    + "analyze_results.py and this engine's --results")
    Path dumpFile;

    @Option(names = "--config", paramLabel = "CFG",
            description = "model config (YAML): run the model on its test set (test_dataloader, else val_dataloader)")
    Path config;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Option(names = "--format-only",
            description = "with --config: only write the detections (--save-results, or test_evaluator.outfile_prefix),"
                    + " no evaluation: e.g. COCO test-dev, whose image-info file has no annotations")
    boolean formatOnly;

    @Option(names = "--checkpoint", paramLabel = "CKPT", description = "weights (.safetensors or MMDetection .pth)")
    Path checkpoint;

    @picocli.CommandLine.Parameters(arity = "0..2", paramLabel = "[CFG [CKPT]]", hideParamSyntax = true,
            description = "the config and checkpoint, positionally as MMDetection's tools/test.py CONFIG CHECKPOINT takes them")
    List<Path> positional;

    @Option(names = {"--data", "--data-root"}, paramLabel = "DIR", description = "data root (replaces the config's data_root)")
    Path data;

    @Option(names = "--device", paramLabel = "DEV", description = "cpu, cuda, cuda:N (default: CUDA if usable, else CPU)")
    String device;

    @Option(names = "--save-results", paramLabel = "DETS.json",
            description = "with --config: also write the detections as a COCO results file "
                    + "(default: <test_evaluator.outfile_prefix>.bbox.json when that is set)")
    Path saveResults;

    @Option(names = "--json", paramLabel = "OUT.json",
            description = "write {\"stats\", \"names\", \"per_category_AP\"} here (temp file + rename)")
    Path json;

    @Option(names = "--mmdet",
            description = "MMDetection CocoMetric variant: maxDets 100,300,1000 (default: pycocotools' 1,10,100)")
    boolean mmdet;

    @Option(names = "--classwise", description = "also print the per-category AP table")
    boolean classwise;

    @Option(names = "--show-dir", paramLabel = "DIR",
            description = "with --config: write one picture per image here (its file name): the ground truth left, "
                    + "the predictions right, as MMDetection's tools/test.py --show-dir")
    Path showDir;

    @Option(names = "--show-score-thr", paramLabel = "T",
            description = "with --show-dir: draw predictions with score > T (default: 0.3)")
    Double showScoreThr;

    @Option(names = "--metric", paramLabel = "coco|voc|lvis", defaultValue = "coco",
            description = "coco: COCOeval's 12 numbers (default); voc: PASCAL VOC mAP as MMDetection's VOCMetric "
                    + "(crowd annotations, e.g. voc2coco's difficult objects, are the ignored boxes); lvis: lvis-api's "
                    + "LVISEval (AP, APr/c/f, AR@300) over an LVIS ground truth")
    String metric;

    @Option(names = "--iou-thrs", arity = "1..*", paramLabel = "T", defaultValue = "0.5",
            description = "--metric voc: IoU thresholds whose mAPs are averaged (default: ${DEFAULT-VALUE})")
    List<Double> iouThrs;

    @Option(names = "--eval-mode", paramLabel = "11points|area", defaultValue = "11points",
            description = "--metric voc: AP as the 11-point interpolation (VOC2007, VOCMetric's default) or the area (VOC2010+)")
    String evalMode;

    @Option(names = "--gpus", paramLabel = "N",
            description = "with --config: shard the test set over N GPUs of this machine (MMDetection's dist_test.sh); "
                    + "the same detections as one GPU")
    Integer gpus;

    @Option(names = "--cpu-workers", paramLabel = "N",
            description = "with --config: shard the test set over N CPU worker threads (the --gpus code path, on the CPU)")
    Integer cpuWorkers;

    @Option(names = "--tta",
            description = "with --config: test-time augmentation as MMDetection's tools/test.py --tta (the config's "
                    + "tta_model / tta_pipeline, else the test pipeline flipped and not, merged by NMS at 0.5)")
    boolean tta;

    /** The pictures of --show-dir, null without it. */
    private EvalPictures pictures;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        overrides.values(); // a CFG / CKPT swallowed by --cfg-options is named before the usage check below
        if (positional != null && !positional.isEmpty()) { // test.py CONFIG CHECKPOINT
            if (config != null || positional.size() == 2 && checkpoint != null)
                return CliErrors.print(spec.commandLine().getErr(), "give the config and checkpoint once: as CFG [CKPT] or with --config / --checkpoint");
            config = positional.get(0);
            if (positional.size() == 2) checkpoint = positional.get(1);
        }
        // --config with --results: MMDetection's eval_metric.py (a results file scored with the config's test set and evaluator)
        boolean metricMode = config != null && results != null && checkpoint == null && ann == null;
        boolean fileMode = !metricMode && (ann != null || results != null);
        boolean modelMode = !metricMode && (config != null || checkpoint != null);
        if (!metricMode && fileMode == modelMode) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give --ann and --results, --config and --checkpoint, or --config and --results");
        }
        if (fileMode && (ann == null || results == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--ann and --results go together");
        }
        if (modelMode && (config == null || checkpoint == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--config and --checkpoint go together");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String showProblem = checkShowOptions(modelMode);
        if (showProblem != null) {
            return CliErrors.print(err, showProblem);
        }
        if (tta && !modelMode) {
            return CliErrors.print(err, "--tta needs a model run (--config and --checkpoint)");
        }
        String dumpProblem = checkDumpOption(modelMode);
        if (dumpProblem != null) {
            return CliErrors.print(err, dumpProblem);
        }
        if (metricMode && (formatOnly || saveResults != null || gpus != null || cpuWorkers != null)) {
            return CliErrors.print(err, "--format-only, --save-results, --gpus and --cpu-workers need a model run (--checkpoint);"
                    + " --config with --results scores the results file");
        }
        if (fileMode && (formatOnly || saveResults != null || gpus != null || cpuWorkers != null)) {
            return CliErrors.print(err, "--format-only, --save-results, --gpus and --cpu-workers need a model run (--config and"
                    + " --checkpoint); --ann with --results scores the results file as it is");
        }
        String metricProblem = checkMetricOptions();
        if (metricProblem != null) {
            return CliErrors.print(err, metricProblem);
        }
        String clash = outputThatIsAnInput();
        if (clash != null) {
            return CliErrors.print(err, clash);
        }
        CocoEvalParams params = mmdet ? CocoEvalParams.mmdet() : CocoEvalParams.standard();
        CocoEvalResult res;
        boolean table = classwise;
        try {
            if (fileMode) {
                if (metric.equals("lvis")) {
                    LvisGroundTruth lg = LvisGroundTruth.read(ann);
                    return printLvis(LvisEvaluator.evaluate(lg, CocoDetections.read(results, lg.coco()), classwise));
                }
                CocoGroundTruth gt = CocoGroundTruth.read(ann);
                reportUnmatchedAnnotations(gt, err);
                CocoDetections dt = CocoDetections.read(results, gt);
                if (voc()) {
                    return printVoc(gt, dt);
                }
                res = CocoEvaluator.evaluate(gt, dt, params);
            } else {
                Config cfg = ConfigLoader.loadNamed(config.toString(), overrides.values()); // a file, or a config built into the jar
                if (data != null) {
                    cfg = cfg.withDataRoot(data.toString());
                }
                // eval_metric.py scores with val_evaluator (over the test dataset); test.py with test_evaluator
                EvaluatorConfig te = metricMode ? cfg.valEvaluator() : cfg.testEvaluator();
                table |= te != null && te.classwise();
                var parsed = spec.commandLine().getParseResult();
                if (te != null && te.voc() && !parsed.hasMatchedOption("--metric")) { // the config's VOCMetric
                    metric = "voc";
                    if (!parsed.hasMatchedOption("--iou-thrs")) iouThrs = te.iouThrs();
                    if (!parsed.hasMatchedOption("--eval-mode")) evalMode = te.elevenPoints() ? "11points" : "area";
                }
                if (metricMode) {
                    res = evaluateResultsFile(cfg, params);
                    if (printedCode != null) {
                        return printedCode;
                    }
                } else {
                    Path resultsFile = saveResults != null ? saveResults : te == null ? null : te.resultsFile();
                    if (formatOnly || te != null && te.formatOnly()) {
                        if (resultsFile == null) {
                            return CliErrors.print(err, "format-only: nowhere to write the detections (give --save-results"
                                    + " DETS.json or test_evaluator.outfile_prefix)");
                        }
                        int code = formatOnly(cfg, resultsFile);
                        return Math.max(code, picturesDone());
                    }
                    res = evaluateModel(cfg, params, resultsFile);
                    if (printedCode != null) {
                        return Math.max(printedCode, picturesDone());
                    }
                    if (res == null) {
                        return 1;
                    }
                }
            }
        } catch (CocoFormatException e) {
            return CliErrors.print(err, e.oneLine());
        } catch (CheckpointException | ConfigException | DataException | CliErrors.UserError e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        for (String line : res.summaryLines()) {
            out.println(line);
        }
        if (table) {
            out.println();
            for (String line : res.classwiseTable()) {
                out.println(line);
            }
        }
        out.println(res.copypasteLine()); // CocoMetric's bbox_mAP_copypaste line, after the summary and table
        out.flush();
        if (json != null) {
            try {
                res.writeJson(json);
            } catch (IOException e) {
                return CliErrors.print(err, json + ": cannot write: " + e.getMessage());
            }
        }
        return picturesDone();
    }

    /** The exit code of a run that printed its own metric (--metric voc, an LVISMetric), null otherwise. */
    private Integer printedCode;

    private boolean voc() {
        return metric.equals("voc");
    }

    /** Counts and reports the annotations that pycocotools leaves out because their image or category is not in the file. */
    private static void reportUnmatchedAnnotations(CocoGroundTruth gt, PrintWriter err) {
        long noImage = gt.annotations().stream().filter(a -> !gt.hasImage(a.imageId())).count();
        long noCategory = gt.annotations().stream().filter(a -> gt.hasImage(a.imageId()) && !gt.hasCategory(a.categoryId())).count();
        if (noImage > 0) err.println("warning: " + gt.file() + ": " + noImage + " annotations skipped: their image_id is not in \"images\"");
        if (noCategory > 0)
            err.println("warning: " + gt.file() + ": " + noCategory + " annotations skipped: their category_id is not in \"categories\"");
        err.flush();
    }

    /** An output option (--json, --save-results, --out) that names an input file (writing it would destroy that input), or null. */
    private String outputThatIsAnInput() {
        Path[] outs = {json, saveResults, dumpFile};
        String[] outNames = {"--json", "--save-results", "--out"};
        Path[] ins = {ann, results, config, checkpoint};
        String[] inNames = {"--ann", "--results", "--config", "--checkpoint"};
        for (int o = 0; o < outs.length; o++) {
            for (int i = 0; i < ins.length; i++) {
                if (SameFile.same(outs[o], ins[i])) {
                    return outs[o] + ": " + outNames[o] + " is the " + inNames[i] + " file itself; write it elsewhere";
                }
            }
        }
        return null;
    }

    /** Checks --metric / --iou-thrs / --eval-mode; the problem, or null. */
    private String checkMetricOptions() {
        if (!metric.equals("coco") && !metric.equals("voc") && !metric.equals("lvis")) {
            return "--metric must be coco, voc or lvis, got '" + metric + "'";
        }
        if (metric.equals("lvis") && (mmdet || config != null)) {
            return "--metric lvis goes with --ann and --results (--mmdet is COCO's; a config's LVISMetric evaluator is followed)";
        }
        if (!evalMode.equals("11points") && !evalMode.equals("area")) {
            return "--eval-mode must be 11points or area, got '" + evalMode + "'";
        }
        for (double t : iouThrs) {
            if (!(t > 0 && t <= 1)) {
                return "--iou-thrs must be in (0, 1], got " + t;
            }
        }
        if (!voc() && (spec.commandLine().getParseResult().hasMatchedOption("--iou-thrs")
                || spec.commandLine().getParseResult().hasMatchedOption("--eval-mode"))) {
            return "--iou-thrs and --eval-mode go with --metric voc";
        }
        if (voc() && (mmdet || classwise)) {
            return "--mmdet and --classwise are COCO options (--metric voc prints its class table anyway)";
        }
        return null;
    }

    /** The VOC metric printed (and written to --json); the exit code. */
    private int printVoc(CocoGroundTruth gt, CocoDetections dt) {
        VocMap.Result r = VocMap.evaluate(gt, dt, iouThrs.stream().mapToDouble(Double::doubleValue).toArray(),
                evalMode.equals("11points"));
        return printAndWrite(r.lines(), r::writeJson);
    }

    /** An LVIS evaluation printed (its classwise table first) and written to --json; the exit code. */
    private int printLvis(LvisEvalResult r) { return printAndWrite(r.summaryLines(), r::writeJson); }

    /** A CrowdHumanMetric's numbers printed (and written to --json); the exit code. */
    private int printCrowdHuman(autoassign.eval.CrowdHumanMetric.Result r) { return printAndWrite(r.summaryLines(), r::writeJson); }

    /** How a metric's result writes its --json file. */
    private interface JsonFile {
        void write(Path file) throws IOException;
    }

    /** A metric's lines printed, then its --json written when asked; the exit code. */
    private int printAndWrite(List<String> lines, JsonFile writer) {
        PrintWriter out = spec.commandLine().getOut();
        for (String line : lines) out.println(line);
        out.flush();
        if (json != null) {
            try {
                writer.write(json);
            } catch (IOException e) { // CliErrors.message: a file-system exception's message is often a bare path
                return CliErrors.print(spec.commandLine().getErr(), json + ": cannot write: " + CliErrors.message(e));
            }
        }
        return 0;
    }

    /** The config's CrowdHumanMetric (not with --metric voc), else null. */
    private EvaluatorConfig crowdMetric(EvaluatorConfig te) {
        return te != null && te.crowd() && !voc() ? te : null;
    }

    /** The config's OpenImagesMetric (not with --metric voc), else null. */
    private EvaluatorConfig openImagesMetric(EvaluatorConfig te) {
        return te != null && te.openImagesMetric() && !voc() ? te : null;
    }

    /** An OpenImagesMetric's table and numbers printed (and written to --json); the exit code. */
    private int printOpenImages(autoassign.eval.OpenImagesMetric.Result r) { return printAndWrite(r.summaryLines(), r::writeJson); }

    /** The config's LVISMetric (not with --metric voc), else null. */
    private EvaluatorConfig lvisMetric(EvaluatorConfig te) {
        return te != null && te.lvis() && !voc() ? te : null;
    }

    /** Checks --show-dir / --show-score-thr (before any work) and creates the folder; the problem, or null. */
    private String checkShowOptions(boolean modelMode) {
        if (showDir == null) {
            return showScoreThr == null ? null : "--show-score-thr goes with --show-dir";
        }
        if (!modelMode) {
            return "--show-dir needs a model run (--config and --checkpoint)";
        }
        if (showScoreThr != null && !(showScoreThr >= 0 && showScoreThr <= 1)) {
            return "--show-score-thr must be in [0, 1], got " + showScoreThr;
        }
        if (Files.exists(showDir) && !Files.isDirectory(showDir)) {
            return showDir + ": exists and is not a folder (--show-dir)";
        }
        try {
            Files.createDirectories(showDir);
        } catch (IOException e) {
            return showDir + ": cannot create the folder (--show-dir): " + CliErrors.message(e);
        }
        return null;
    }

    /** Checks --out (before any work); the problem, or null. */
    private String checkDumpOption(boolean modelMode) {
        if (dumpFile == null) {
            return null;
        }
        if (!modelMode) {
            return "--out needs a model run (--config and --checkpoint)";
        }
        String name = dumpFile.getFileName().toString();
        if (!name.endsWith(".pkl") && !name.endsWith(".pickle")) {
            return "--out " + dumpFile + ": the dump file must be a .pkl or .pickle file (as MMDetection's test.py)";
        }
        if (Files.isDirectory(dumpFile)) {
            return "--out " + dumpFile + ": is a folder";
        }
        Path folder = dumpFile.toAbsolutePath().getParent(); // checked now: the file is written after the whole run
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            return "--out " + dumpFile + ": cannot create its folder: " + CliErrors.message(e);
        }
        return Files.isWritable(folder) ? null : "--out " + dumpFile + ": its folder is not writable";
    }

    /**
     * The pictures' sink for a dataset: --show-dir's, else, when the config's {@code DetVisualizationHook} draws, its
     * test pictures as MMDetection's {@code after_test_iter} writes them (every image, in
     * {@code <work_dir>/<timestamp>/<test_out_dir>} named as the image, or without {@code test_out_dir} as
     * {@code vis_data/vis_image/test_img_<k>.png} there); else null.
     */
    private DatasetEvaluation.ImageSink pictures(Config cfg, CocoDataset dataset) {
        var hook = cfg.runtime().valVisualization();
        if (showDir != null) {
            picturesDir = showDir;
            picturesThr = showThreshold();
            pictures = new EvalPictures(showDir, picturesThr, dataset, spec.commandLine().getErr());
        } else if (hook != null) {
            Path run = autoassign.train.RunFolders.newRun(autoassign.train.RunFolders.workDir(cfg)); // the test's run folder
            picturesDir = hook.testOutDir() != null ? run.resolve(hook.testOutDir()) : run.resolve("vis_data").resolve("vis_image");
            picturesThr = hook.scoreThr();
            try {
                Files.createDirectories(picturesDir);
            } catch (IOException e) {
                throw new CliErrors.UserError(picturesDir + ": cannot create the folder (default_hooks.visualization): "
                        + CliErrors.message(e));
            }
            pictures = new EvalPictures(picturesDir, picturesThr, dataset, spec.commandLine().getErr(),
                    hook.testOutDir() != null ? null : "test_img");
        }
        return pictures;
    }

    private Path picturesDir;
    private double picturesThr;

    /** --show-score-thr, default 0.3 (MMDetection's DetVisualizationHook score_thr). */
    private double showThreshold() {
        return showScoreThr == null ? 0.3 : showScoreThr;
    }

    /** Says where the pictures went; 1 when some could not be made (each was reported), else 0. */
    private int picturesDone() {
        if (pictures == null) {
            return 0;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(java.util.Locale.ROOT, "%d pictures (ground truth | predictions with score > %.2f) -> %s%n",
                pictures.written(), picturesThr, picturesDir);
        out.flush();
        return pictures.failed() == 0 ? 0 : 1;
    }

    /** The config's model, weights loaded, on the chosen device. */
    private AutoAssignDetector model(Config cfg) throws CheckpointException {
        return CheckpointModel.load(cfg, checkpoint, device, spec.commandLine().getErr());
    }

    private static LoaderOptions loader(Config cfg) {
        return LoaderOptions.test(cfg.testDataloader().batchSize(), cfg.testDataloader().numWorkers());
    }

    /** Model over the config's test set, evaluated; null after printing an error. */
    private CocoEvalResult evaluateModel(Config cfg, CocoEvalParams params, Path resultsFile) throws CheckpointException {
        // the same dataset resolution as training: synthetic (generated on first use), ann_file, or a detected layout
        CocoDataset dataset = DataSources.loadTest(cfg, null, new DataIssues("test"));
        EvaluatorConfig lvis = lvisMetric(cfg.testEvaluator());
        if (lvis != null) { // LVISMetric: its ground truth read first (a bad file fails before the model runs)
            LvisGroundTruth lg = DataSources.lvisGroundTruth(cfg, cfg.testDataloader(), lvis, null, dataset);
            CocoResults results = detections(cfg, dataset);
            if (resultsFile != null && !write(results, resultsFile)) return null;
            printedCode = printLvis(LvisEvaluator.evaluate(lg, results.toDetections(lg.coco()), lvis.classwise() || classwise)
                    .reporting(lvis.metricItems()));
            return null;
        }
        EvaluatorConfig crowd = crowdMetric(cfg.testEvaluator());
        if (crowd != null) { // CrowdHumanMetric: its .odgt paired with the test images in order
            Path ann = DataSources.groundTruthFile(cfg, cfg.testDataloader(), crowd, null, dataset);
            CocoResults results = detections(cfg, dataset);
            if (resultsFile != null && !write(results, resultsFile)) return null;
            printedCode = printCrowdHuman(autoassign.eval.CrowdHumanMetric.evaluate(ann, dataset, results.detections(),
                    crowd.crowdHuman().metrics(), crowd.crowdHuman().params()));
            return null;
        }
        EvaluatorConfig oi = openImagesMetric(cfg.testEvaluator());
        if (oi != null) { // OpenImagesMetric: the test set's own files (read first: a bad file fails before the model runs)
            var truth = DataSources.openImages(cfg, cfg.testDataloader(), "test", null, dataset.issues());
            CocoResults results = detections(cfg, dataset);
            if (resultsFile != null && !write(results, resultsFile)) return null;
            printedCode = printOpenImages(autoassign.eval.OpenImagesMetric.evaluate(truth, dataset, results.detections(), oi.openImages()));
            return null;
        }
        CocoGroundTruth gt = DataSources.groundTruth(cfg, cfg.testDataloader(), cfg.testEvaluator(), null, dataset);
        CocoResults results = detections(cfg, dataset);
        if (resultsFile != null && !write(results, resultsFile)) return null;
        CocoGroundTruth scope = DatasetEvaluation.scope(gt, dataset); // the classes' categories, every image of the file
        return score(cfg.testEvaluator(), scope, results.toDetections(scope), params);
    }

    /**
     * {@code --config} with {@code --results} (MMDetection's eval_metric.py): a results file (json, or a test.py --out
     * pickle whose labels index the config's classes) scored over the config's test set with {@code val_evaluator}'s
     * settings, as the script builds {@code Evaluator(cfg.val_evaluator)} over {@code test_dataloader.dataset}.
     */
    private CocoEvalResult evaluateResultsFile(Config cfg, CocoEvalParams params) {
        CocoDataset dataset = DataSources.loadTest(cfg, null, new DataIssues("test"));
        EvaluatorConfig ve = cfg.valEvaluator();
        if (lvisMetric(ve) != null) { // LVISResults: every detection on an image of the ground truth (else an error)
            LvisGroundTruth lg = DataSources.lvisGroundTruth(cfg, cfg.testDataloader(), ve, null, dataset);
            CocoDetections dets = CocoDetections.read(results, lg.coco(), dataset.categories().ids(),
                    DataSources.imageIdsByName(cfg.testDataloader(), dataset));
            printedCode = printLvis(LvisEvaluator.evaluate(lg, dets, ve.classwise() || classwise).reporting(ve.metricItems()));
            return null;
        }
        if (crowdMetric(ve) != null) { // a results file of the test images (pickle img_id = the record's ID), scored in order
            Path ann = DataSources.groundTruthFile(cfg, cfg.testDataloader(), ve, null, dataset);
            CocoGroundTruth images = CocoGroundTruth.fromDataset(dataset);
            CocoDetections dets = CocoDetections.read(results, images, dataset.categories().ids(),
                    DataSources.imageIdsByName(cfg.testDataloader(), dataset));
            printedCode = printCrowdHuman(autoassign.eval.CrowdHumanMetric.evaluate(ann, dataset, dets.detections(),
                    ve.crowdHuman().metrics(), ve.crowdHuman().params()));
            return null;
        }
        if (openImagesMetric(ve) != null) { // a results file of the test images (pickle img_id = the ImageID)
            var truth = DataSources.openImages(cfg, cfg.testDataloader(), "test", null, dataset.issues());
            CocoDetections dets = CocoDetections.read(results, CocoGroundTruth.fromDataset(dataset), dataset.categories().ids(),
                    DataSources.imageIdsByName(cfg.testDataloader(), dataset));
            printedCode = printOpenImages(autoassign.eval.OpenImagesMetric.evaluate(truth, dataset, dets.detections(), ve.openImages()));
            return null;
        }
        CocoGroundTruth gt = DataSources.groundTruth(cfg, cfg.testDataloader(), ve, null, dataset);
        CocoDetections dets = CocoDetections.read(results, gt, dataset.categories().ids(),
                DataSources.imageIdsByName(cfg.testDataloader(), dataset));
        CocoGroundTruth scope = DatasetEvaluation.scope(gt, dataset);
        // COCOeval with the test set's imgIds and the classes' catIds ignores detections elsewhere, and so does this
        List<CocoDetections.Detection> inScope = dets.detections().stream()
                .filter(d -> scope.hasImage(d.imageId()) && scope.hasCategory(d.categoryId())).toList();
        return score(ve, scope, CocoDetections.of(results, inScope, scope), params);
    }

    /** COCO (the test_evaluator's parameters) or VOC metric of {@code dets}; null after a VOC print ({@link #printedCode}). */
    private CocoEvalResult score(EvaluatorConfig te, CocoGroundTruth scope, CocoDetections dets, CocoEvalParams params) {
        if (voc()) {
            printedCode = printVoc(scope, dets);
            return null;
        }
        // test_evaluator's iou_thrs / proposal_nums / metric_items / use_mp_eval, when it sets any
        CocoEvalParams p = te == null || te.voc() ? params : te.cocoParams(params);
        return CocoEvaluator.evaluate(scope, dets, p);
    }

    /**
     * The model's detections on every image of {@code dataset}: in this thread (pictures for --show-dir drawn as they
     * come), or sharded over --gpus / --cpu-workers workers (pictures drawn once rank 0 has them all); --out written.
     */
    private CocoResults detections(Config cfg, CocoDataset dataset) throws CheckpointException {
        String testFp16 = cfg.evalLoops().note(true); // test_cfg.fp16: said once; the test loop stays float32
        if (testFp16 != null) {
            spec.commandLine().getErr().println(testFp16);
            spec.commandLine().getErr().flush();
        }
        var pipeline = tta ? cfg.tta().pipeline(Detector.testPipeline(cfg)) : Detector.testPipeline(cfg);
        var post = Inference.postProcessConfig(cfg.model().testCfg());
        List<DetResultsPickle.Entry> dumped = new ArrayList<>();
        DatasetEvaluation.ImageSink pictures = pictures(cfg, dataset), sink = pictures;
        if (dumpFile != null) {
            int divisor = cfg.model().dataPreprocessor().padSizeDivisor();
            var xml = cfg.testDataloader().dataset().xml(); // a VOC test set: MMDetection's img_id is the image's name
            Boolean flip = tta ? cfg.tta().testTimeAug().variants().get(0).flip() : null; // the merged result keeps variant 0's meta
            boolean oid = cfg.testDataloader().dataset().isOpenImages(); // Open Images: the ImageID
            DatasetEvaluation.ImageSink dump = (meta, dets) -> {
                ImageRecord r = dataset.get(meta.datasetIndex());
                dumped.add(new DetResultsPickle.Entry(meta, dataset.imagePath(r).toString(),
                        new int[] {Pipeline.padTo(meta.imgH(), divisor), Pipeline.padTo(meta.imgW(), divisor)}, dets,
                        xml != null ? XmlDataset.name(r, xml.imgSubdir()) : oid ? DataSources.openImagesId(r) : meta.imageId(), flip));
            };
            sink = pictures == null ? dump : (meta, dets) -> {
                pictures.accept(meta, dets);
                dump.accept(meta, dets);
            };
        }
        CocoResults results = gpus != null || cpuWorkers != null ? detectSharded(cfg, dataset, pipeline, post, sink)
                : detectHere(cfg, dataset, pipeline, post, sink);
        if (dumpFile != null) {
            try {
                DetResultsPickle.write(dumpFile, dumped);
            } catch (IOException e) {
                throw new CliErrors.UserError(dumpFile + ": cannot write: " + e.getMessage(), e);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%d images' results -> %s (MMDetection's test.py --out format)%n", dumped.size(), dumpFile);
            out.flush();
        }
        return results;
    }

    /** The detections of a single-worker run in this thread, with a progress bar. */
    private CocoResults detectHere(Config cfg, CocoDataset dataset, PipelineOptions pipeline, PostProcessConfig post,
                                   DatasetEvaluation.ImageSink sink) throws CheckpointException {
        AutoAssignDetector model = model(cfg);
        // TestLoop's before_test_epoch / after_test_iter / after_test_epoch of MemoryProfilerHook and EmptyCacheHook
        autoassign.train.MemoryHooks hooks = autoassign.train.MemoryHooks.of(cfg.runtime(), model.device(), this::hookLine);
        try (ProgressBar bar = ProgressBars.of("eval", dataset.size(), "img")) {
            hooks.beforeEpoch();
            CocoResults results = DatasetEvaluation.detect(model, dataset, pipeline, loader(cfg), post,
                    hooks.afterEachBatch((done, total) -> bar.stepTo(done)), sink, tta ? cfg.tta().testTimeAug() : null);
            hooks.afterEpoch();
            return results;
        }
    }

    /** A hook's log line (MemoryProfilerHook's) on stdout. */
    private void hookLine(String line) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(line);
        out.flush();
    }

    /** The detections sharded over --gpus / --cpu-workers workers (dist_test), gathered in dataset order. */
    private CocoResults detectSharded(Config cfg, CocoDataset dataset, PipelineOptions pipeline, PostProcessConfig post,
                                      DatasetEvaluation.ImageSink sink) throws CheckpointException {
        if (cpuWorkers != null && cpuWorkers < 1) throw new CliErrors.UserError("--cpu-workers must be >= 1, got " + cpuWorkers);
        if (gpus != null && gpus < 1) throw new CliErrors.UserError("--gpus must be >= 1, got " + gpus);
        DistOptions d = cpuWorkers != null ? DistOptions.cpuWorkers(cpuWorkers) : DistOptions.gpus(gpus);
        if (cpuWorkers != null && gpus != null) throw new CliErrors.UserError("--cpu-workers and --gpus exclude each other");
        autoassign.backend.cuda.CudaOptions.useConfig(cfg.runtime().cudnnBenchmark(), cfg.runtime().deterministic());
        ModelWeights.Checkpoint ckpt = ModelWeights.read(checkpoint); // read once, loaded into each worker's model
        try {
            ModelWeights.load(ckpt, new AutoAssignDetector(cfg.model(), 0), true); // a mismatch fails here, in one line
            return DataParallelEvaluation.detect(d, device, () -> {
                AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
                try {
                    ModelWeights.load(ckpt, m, true);
                } catch (CheckpointException e) {
                    throw new CliErrors.UserError(e.getMessage(), e);
                }
                return m;
            }, dataset, pipeline, loader(cfg), post, tta ? cfg.tta().testTimeAug() : null, System.err, sink, cfg.runtime(),
                    this::hookLine);
        } catch (CliErrors.UserError | CheckpointException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("data-parallel evaluation failed: " + CliErrors.message(e), e);
        }
    }

    /** {@code format_only}: the detections of the model on the test set, written; no ground truth needed. */
    private int formatOnly(Config cfg, Path resultsFile) throws CheckpointException {
        CocoDataset dataset = DataSources.loadTest(cfg, null, new DataIssues("test"));
        CocoResults results = detections(cfg, dataset);
        if (!write(results, resultsFile)) {
            return 1;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%d detections on %d images -> %s (format only: not evaluated)%n", results.size(), dataset.size(), resultsFile);
        out.flush();
        return 0;
    }

    private boolean write(CocoResults results, Path file) {
        try {
            results.write(file);
            return true;
        } catch (IOException e) {
            CliErrors.print(spec.commandLine().getErr(), file + ": cannot write: " + e.getMessage());
            return false;
        }
    }

    /** Runs {@code eval} on its own (same as {@code autoassign.cli.Main eval ...}). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new EvalCommand()).execute(args));
    }
}
