package autoassign.cli;

import autoassign.eval.CocoDetections;
import autoassign.eval.CocoEvalParams;
import autoassign.eval.CocoEvalResult;
import autoassign.eval.CocoEvaluator;
import autoassign.eval.CocoFormatException;
import autoassign.eval.CocoGroundTruth;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eval --ann GT.json --results DETS.json [--json OUT.json] [--mmdet] [--classwise]}: COCO bbox evaluation of
 * a results file, identical to pycocotools' COCOeval. Prints the table {@code COCOeval.summarize()} prints; writes
 * {@code {"stats": [12], "names": [...], "per_category_AP": {...}}} with {@code --json}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate COCO bbox detections against a COCO ground truth (same numbers as pycocotools).",
            "Bad input gives a one-line error and exit code 1."})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--ann", paramLabel = "GT.json", required = true,
            description = "COCO ground truth (instances json with images, categories, annotations)")
    Path ann;

    @Option(names = "--results", paramLabel = "DETS.json", required = true,
            description = "COCO results list: [{image_id, category_id, bbox: [x, y, w, h], score}, ...]")
    Path results;

    @Option(names = "--json", paramLabel = "OUT.json",
            description = "write {\"stats\", \"names\", \"per_category_AP\"} here (temp file + rename)")
    Path json;

    @Option(names = "--mmdet",
            description = "MMDetection CocoMetric variant: maxDets 100,300,1000 (default: pycocotools' 1,10,100)")
    boolean mmdet;

    @Option(names = "--classwise", description = "also print the per-category AP table")
    boolean classwise;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CocoEvalResult res;
        try {
            CocoGroundTruth gt = CocoGroundTruth.read(ann);
            CocoDetections dt = CocoDetections.read(results, gt);
            res = CocoEvaluator.evaluate(gt, dt, mmdet ? CocoEvalParams.mmdet() : CocoEvalParams.standard());
        } catch (CocoFormatException e) {
            err.println("error: " + e.oneLine());
            err.flush();
            return 1;
        }
        for (String line : res.summaryLines()) {
            out.println(line);
        }
        if (classwise) {
            out.println();
            for (String line : res.classwiseTable()) {
                out.println(line);
            }
        }
        out.flush();
        if (json != null) {
            try {
                res.writeJson(json);
            } catch (IOException e) {
                err.println("error: " + json + ": cannot write: " + e.getMessage());
                err.flush();
                return 1;
            }
        }
        return 0;
    }

    /** Runs {@code eval} on its own (same as {@code autoassign.cli.Main eval ...}). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new EvalCommand()).execute(args));
    }
}
