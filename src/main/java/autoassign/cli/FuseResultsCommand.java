package autoassign.cli;

import autoassign.config.ConfigException;
import autoassign.data.DataException;
import autoassign.eval.CocoDetections;
import autoassign.eval.CocoEvalParams;
import autoassign.eval.CocoEvaluator;
import autoassign.eval.CocoFormatException;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.CocoResults;
import autoassign.eval.DatasetEvaluation;
import autoassign.eval.WeightedBoxesFusion;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fuse-results PRED... --ann GT.json}: MMDetection 3.3's {@code tools/analysis_tools/fuse_results.py}: the
 * results files of several models (COCO results json, or {@code test.py --out} / {@code eval --out} pickles) fused image
 * by image with {@link WeightedBoxesFusion}, scored with COCOeval (each input too with {@code --eval-single}), and with
 * {@code --save-fusion-results} written to {@code OUT_DIR/fusion_results.json}.
 *
 * <p>One difference on purpose: the script hands COCO's {@code [x, y, w, h]} to {@code weighted_boxes_fusion}, which
 * reads x1, y1, x2, y2, so its clusters and boxes are wrong whenever a box is not at the origin (a width smaller than x
 * is even "swapped"). Here boxes go in as corners and come back as {@code [x, y, w, h]}. Coordinates stay in pixels,
 * as the script leaves them (no normalisation by the image size). The script as released does not start (its
 * {@code pred-results} argument is read as {@code args.pred_results}), so there are no numbers of its own to match.
 */
@Command(name = "fuse-results", mixinStandardHelpOptions = true,
        description = {"Fuse the detections of several models with Weighted Boxes Fusion and evaluate them, as MMDetection's "
            + "tools/analysis_tools/fuse_results.py.",
            "  fuse-results A.json B.pkl ... --ann GT.json [--weights 1 2 ...] [--fusion-iou-thr 0.55] [--skip-box-thr 0]",
            "      [--conf-type avg|max|box_and_model_avg|absent_model_aware_avg] [--eval-single] [--save-fusion-results]"
            + " [--out-dir outputs]",
            "  fuse-results A.pkl B.pkl --config CFG ...   (the config's test set and classes, as eval --config --results)",
            "Prints the COCO bbox table of the fused detections; --save-fusion-results writes OUT_DIR/fusion_results.json. "
            + "Bad input gives a one-line error and exit code 1."})
public final class FuseResultsCommand implements Callable<Integer> {

    static final String OUT_FILE = "fusion_results.json";

    @Parameters(arity = "1..*", paramLabel = "PRED",
            description = "results of each model: COCO results json ([{image_id, category_id, bbox: [x, y, w, h], score}, "
                    + "...]) or MMDetection's test.py --out / eval --out pickle")
    List<Path> predictions;

    @Mixin
    GroundTruthOptions truth = new GroundTruthOptions();

    @Option(names = "--models-name", arity = "1..*", paramLabel = "NAME",
            description = "a name per results file for the printout (default: model_0, model_1, ...)")
    List<String> modelNames;

    @Option(names = "--weights", arity = "1..*", paramLabel = "W",
            description = "a positive weight per results file, in their order (default: 1 each)")
    List<Double> weights;

    @Option(names = "--fusion-iou-thr", paramLabel = "T", defaultValue = "0.55",
            description = "IoU above which a box joins a cluster (default: ${DEFAULT-VALUE})")
    double iouThr;

    @Option(names = "--skip-box-thr", paramLabel = "T", defaultValue = "0.0",
            description = "leave out boxes scoring below T (default: ${DEFAULT-VALUE})")
    double skipBoxThr;

    @Option(names = "--conf-type", paramLabel = "TYPE", defaultValue = "avg",
            description = "score of a fused box: avg, max, box_and_model_avg or absent_model_aware_avg (default: ${DEFAULT-VALUE})")
    String confType;

    @Option(names = "--eval-single", description = "also evaluate each results file on its own")
    boolean evalSingle;

    @Option(names = "--save-fusion-results", description = "write the fused detections to OUT_DIR/" + OUT_FILE)
    boolean save;

    @Option(names = "--out-dir", paramLabel = "OUT_DIR", defaultValue = "outputs",
            description = "folder of " + OUT_FILE + " (default: ${DEFAULT-VALUE})")
    Path outDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter o = spec.commandLine().getOut();
        int n = predictions.size();
        if (truth.misuse() != null) return CliErrors.print(err, truth.misuse());
        if (modelNames != null && modelNames.size() != n) {
            return CliErrors.print(err, "--models-name: " + modelNames.size() + " names for " + n + " results files");
        }
        if (weights != null && weights.size() != n) {
            return CliErrors.print(err, "--weights: " + weights.size() + " weights for " + n + " results files");
        }
        if (weights != null && !weights.stream().allMatch(w -> w > 0 && w < Double.POSITIVE_INFINITY)) {
            return CliErrors.print(err, "--weights must be positive numbers, got " + weights);
        }
        WeightedBoxesFusion.ConfType type = WeightedBoxesFusion.ConfType.of(confType);
        if (type == null) {
            return CliErrors.print(err, "--conf-type must be avg, max, box_and_model_avg or absent_model_aware_avg, got '"
                    + confType + "'");
        }
        if (!(iouThr >= 0 && iouThr <= 1)) {
            return CliErrors.print(err, "--fusion-iou-thr must be in [0, 1], got " + iouThr);
        }
        if (!(skipBoxThr >= 0 && skipBoxThr <= 1)) {
            return CliErrors.print(err, "--skip-box-thr must be in [0, 1], got " + skipBoxThr);
        }
        Path outFile = outDir.resolve(OUT_FILE);
        if (save && Files.exists(outDir) && !Files.isDirectory(outDir)) {
            return CliErrors.print(err, outDir + ": exists and is not a folder");
        }
        if (save && SameFile.same(outFile, truth.annotationFile()))
            return CliErrors.print(err, outFile + ": is the --ann file; give another --out-dir");
        for (Path p : predictions) {
            if (save && SameFile.same(outFile, p)) return CliErrors.print(err, outFile + ": is one of the results files being fused;"
                    + " give another --out-dir");
        }
        if (save && Files.isDirectory(outFile)) {
            return CliErrors.print(err, outFile + ": is a folder; cannot write the fused results there");
        }
        var options = new WeightedBoxesFusion.Options(weights == null ? null
                : weights.stream().mapToDouble(Double::doubleValue).toArray(), iouThr, skipBoxThr, type, false);

        CocoGroundTruth gt;
        List<CocoDetections> inputs = new ArrayList<>();
        try {
            gt = truth.fromConfig() ? readAllForConfig(inputs, err) : readAll(CocoGroundTruth.read(truth.annotationFile()), inputs);
        } catch (CocoFormatException e) {
            return CliErrors.print(err, e.oneLine());
        } catch (DataException | ConfigException | CliErrors.UserError e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        for (int i = 0; evalSingle && i < n; i++) {
            o.printf("Evaluate %s (%s)...%n", name(i), predictions.get(i));
            printTable(o, gt, inputs.get(i));
        }
        List<CocoDetections.Detection> fused = fuse(inputs, gt.imageIds(), options);
        int dropped = fused.size();
        fused = fused.stream().filter(d -> !Double.isNaN(d.x() + d.y() + d.w() + d.h())).toList();
        dropped -= fused.size();
        if (dropped > 0) { // their score is 0: at the end of every ranking, they would change no COCO number
            err.printf("warning: %d fused boxes are NaN (clusters of score-0 boxes) and are left out; --skip-box-thr above 0 "
                    + "avoids them%n", dropped);
        }
        o.printf("%d images: %d detections from %d results files fused into %d (%s, IoU > %s)%n", gt.imageIds().length,
                inputs.stream().mapToInt(CocoDetections::size).sum(), n, fused.size(), type.pyName(), iouThr);
        if (save) {
            try {
                CocoResults.write(fused, outFile);
            } catch (IOException e) {
                return CliErrors.print(err, outFile + ": cannot write: " + CliErrors.message(e));
            }
            o.printf("Fusion results have been saved to %s.%n", outFile);
        }
        o.println("Evaluate fusion results using wbf...");
        printTable(o, gt, CocoDetections.of(save ? outFile : null, fused, gt));
        o.flush();
        return 0;
    }

    /** Reads every results file against the ground truth (the script's COCO({@code --annotation}) and loadRes). */
    private CocoGroundTruth readAll(CocoGroundTruth gt, List<CocoDetections> into) {
        for (Path p : predictions) into.add(CocoDetections.read(p, gt));
        return gt;
    }

    /**
     * With {@code --config}: the config's test set as {@code eval --config --results} scores it (labels of a pickle index
     * its classes; detections of other categories left out); the ground truth returned is that scope.
     */
    private CocoGroundTruth readAllForConfig(List<CocoDetections> into, PrintWriter err) {
        GroundTruthOptions.TestSet test = truth.testSet(err);
        CocoGroundTruth scope = DatasetEvaluation.scope(test.gt(), test.dataset());
        for (Path p : predictions) {
            CocoDetections d = test.read(p);
            into.add(CocoDetections.of(p, d.detections().stream()
                    .filter(x -> scope.hasImage(x.imageId()) && scope.hasCategory(x.categoryId())).toList(), scope));
        }
        return scope;
    }

    /**
     * The script's loop: per image, each input's detections in file order (an input without any there takes part with
     * none, which {@code avg} and {@code absent_model_aware_avg} count), fused, and back as COCO results; the category
     * id is the label. Images in id order; ids 1..D in output order.
     */
    static List<CocoDetections.Detection> fuse(List<CocoDetections> inputs, long[] imageIds, WeightedBoxesFusion.Options o) {
        List<Map<Long, List<CocoDetections.Detection>>> byImage = inputs.stream().map(CocoDetections::byImage).toList();
        List<CocoDetections.Detection> out = new ArrayList<>();
        for (long image : imageIds) {
            List<WeightedBoxesFusion.ModelBoxes> models = new ArrayList<>();
            for (Map<Long, List<CocoDetections.Detection>> m : byImage) models.add(corners(m.getOrDefault(image, List.of())));
            WeightedBoxesFusion.Fused f = WeightedBoxesFusion.fuse(models, o);
            for (int i = 0; i < f.size(); i++) {
                double x1 = f.boxes()[4 * i], y1 = f.boxes()[4 * i + 1], x2 = f.boxes()[4 * i + 2], y2 = f.boxes()[4 * i + 3];
                out.add(new CocoDetections.Detection(out.size() + 1, image, f.labels()[i], x1, y1, x2 - x1, y2 - y1,
                        f.scores()[i]));
            }
        }
        return out;
    }

    private static WeightedBoxesFusion.ModelBoxes corners(List<CocoDetections.Detection> dets) {
        int n = dets.size();
        double[] boxes = new double[4 * n], scores = new double[n];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            CocoDetections.Detection d = dets.get(i);
            boxes[4 * i] = d.x();
            boxes[4 * i + 1] = d.y();
            boxes[4 * i + 2] = d.x() + d.w();
            boxes[4 * i + 3] = d.y() + d.h();
            scores[i] = d.score();
            labels[i] = d.categoryId();
        }
        return new WeightedBoxesFusion.ModelBoxes(boxes, scores, labels);
    }

    private String name(int i) {
        return modelNames != null ? modelNames.get(i) : "model_" + i;
    }

    /** COCOeval's summarize() as the script prints it: pycocotools' parameters, as {@code eval --ann --results}. */
    private static void printTable(PrintWriter o, CocoGroundTruth gt, CocoDetections dets) {
        for (String line : CocoEvaluator.evaluate(gt, dets, CocoEvalParams.standard()).summaryLines()) o.println(line);
    }
}
