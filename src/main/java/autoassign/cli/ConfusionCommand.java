package autoassign.cli;

import autoassign.config.ConfigException;
import autoassign.data.CocoDataset;
import autoassign.data.DataException;
import autoassign.data.DataIssues;
import autoassign.eval.CocoDetections;
import autoassign.eval.CocoFormatException;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.ConfusionMatrix;
import autoassign.viz.ConfusionMatrixPlot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code confusion --ann GT.json|--config CFG --results DETS.json|results.pkl --out DIR}: MMDetection's
 * {@code tools/analysis_tools/confusion_matrix.py} on a results file (the input of {@code eval --results}: a COCO
 * results json, e.g. from {@code eval --save-results}, or a {@code test.py --out} / {@code eval --out} pickle): writes
 * {@code DIR/confusion_matrix.png} (row-normalised percentages) and {@code DIR/confusion_matrix.json} (raw counts).
 * The counting is {@link ConfusionMatrix}'s.
 */
@Command(name = "confusion", mixinStandardHelpOptions = true,
        description = {"Confusion matrix of COCO detections against the ground truth, as MMDetection's "
            + "tools/analysis_tools/confusion_matrix.py: rows = ground truth, columns = prediction, background last.",
            "  confusion --ann GT.json --results DETS.json --out DIR [--score-thr 0.3] [--tp-iou-thr 0.5] [--nms-iou-thr none]",
            "  confusion --config CFG --results results.pkl --out DIR ...   (the config's test set, as the script takes it)",
            "Writes DIR/confusion_matrix.png and DIR/confusion_matrix.json. Bad input gives a one-line error and exit code 1."})
public final class ConfusionCommand implements Callable<Integer> {

    @Mixin
    GroundTruthOptions truth = new GroundTruthOptions();

    @Option(names = "--results", required = true, paramLabel = "DETS.json",
            description = "COCO results list: [{image_id, category_id, bbox: [x, y, w, h], score}, ...], or MMDetection's "
                    + "test.py --out pickle (labels index the ground truth's categories in the file's order; with --config, its classes)")
    Path results;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "output folder for confusion_matrix.png and confusion_matrix.json")
    Path out;

    @Option(names = "--score-thr", paramLabel = "T", defaultValue = "0.3",
            description = "leave out detections with score < T (default: ${DEFAULT-VALUE})")
    double scoreThr;

    @Option(names = "--tp-iou-thr", paramLabel = "T", defaultValue = "0.5",
            description = "IoU at which a detection matches a ground-truth box (default: ${DEFAULT-VALUE})")
    double tpIouThr;

    @Option(names = "--nms-iou-thr", paramLabel = "T|none", defaultValue = "none",
            description = "NMS again per class at this IoU before counting (default: ${DEFAULT-VALUE}; 0 = none, as the script)")
    String nmsIouThr;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter o = spec.commandLine().getOut();
        if (truth.misuse() != null) return CliErrors.print(err, truth.misuse());
        if (!(scoreThr >= 0 && scoreThr <= 1)) {
            return CliErrors.print(err, "--score-thr must be in [0, 1], got " + scoreThr);
        }
        if (!(tpIouThr >= 0 && tpIouThr <= 1)) {
            return CliErrors.print(err, "--tp-iou-thr must be in [0, 1], got " + tpIouThr);
        }
        double nms;
        if (nmsIouThr.equalsIgnoreCase("none")) {
            nms = Double.NaN;
        } else {
            try {
                nms = Double.parseDouble(nmsIouThr);
            } catch (NumberFormatException e) {
                return CliErrors.print(err, "--nms-iou-thr must be a number in [0, 1] or none, got " + nmsIouThr);
            }
            if (!(nms >= 0 && nms <= 1)) {
                return CliErrors.print(err, "--nms-iou-thr must be a number in [0, 1] or none, got " + nmsIouThr);
            }
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            return CliErrors.print(err, out + ": exists and is not a folder");
        }
        for (String name : new String[] {"confusion_matrix.json", "confusion_matrix.png"}) {
            Path written = out.resolve(name);
            if (SameFile.same(written, results) || SameFile.same(written, truth.annotationFile()))
                return CliErrors.print(err, written + ": is an input file; give another --out folder");
        }
        ConfusionMatrix.Settings settings = new ConfusionMatrix.Settings(scoreThr, tpIouThr, nms);
        ConfusionMatrix m;
        try {
            // the GT boxes are the dataset's instances, as the script takes them from MMDetection's CocoDataset; the
            // results are read and checked exactly as `eval --ann --results` (or `eval --config --results`) does
            CocoDataset dataset;
            CocoDetections dets;
            if (truth.fromConfig()) {
                GroundTruthOptions.TestSet test = truth.testSet(err);
                dataset = test.dataset();
                dets = test.read(results);
            } else {
                Path ann = truth.annotationFile();
                dets = CocoDetections.read(results, CocoGroundTruth.read(ann));
                dataset = CocoDataset.load(ann, ann.toAbsolutePath().getParent(), null, new DataIssues(ann.toString(), err::println, 5));
            }
            m = ConfusionMatrix.compute(dataset, dets, settings);
        } catch (CocoFormatException e) {
            return CliErrors.print(err, e.oneLine());
        } catch (DataException | ConfigException | CliErrors.UserError e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        Path png = out.resolve("confusion_matrix.png");
        Path json = out.resolve("confusion_matrix.json");
        for (Path f : List.of(png, json)) // checked before either is written, so a failure leaves the old pair as it was
            if (Files.isDirectory(f)) return CliErrors.print(err, f + ": is a folder; cannot write the confusion matrix there");
        try {
            m.writeJson(json, settings);
            ConfusionMatrixPlot.write(m, png);
        } catch (IOException e) {
            return CliErrors.print(err, out + ": cannot write: " + CliErrors.message(e));
        }
        o.printf(Locale.ROOT, "%d images, %d classes (score >= %s, TP IoU >= %s, %s): %d true positives, %d class "
                        + "confusions, %d missed GTs, %d false positives%n", m.images(), m.classes().size(),
                num(scoreThr), num(tpIouThr), settings.nms() ? "NMS IoU " + num(nms) : "no extra NMS",
                m.truePositives(), m.confusions(), m.missed(), m.falsePositives());
        o.printf("-> %s, %s%n", png, json);
        o.flush();
        return 0;
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
