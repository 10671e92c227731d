package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.DataException;
import autoassign.data.DataIssues;
import autoassign.eval.CocoDetections;
import autoassign.eval.CocoFormatException;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.VocMap;
import autoassign.postprocess.Detections;
import autoassign.train.DataSources;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code analyze-results}: MMDetection's {@code tools/analysis_tools/analyze_results.py} for a COCO results file —
 * each test image's mAP (eval_map, area mode, averaged over IoU 0.50:0.05:0.95, over the dataset's instances of the
 * image: its crowd / ignored boxes count as ordinary ground truth, as the script hands {@code gt_bboxes} to eval_map
 * with no {@code bboxes_ignore}), and the {@code topk} best and worst images (at most half the images each, as the
 * script's {@code topk = len(dataset) // 2}) drawn into {@code OUT/good} and {@code OUT/bad} as
 * {@code <name>_<mAP rounded to 3>.<ext>}: the detections above the score threshold on the image, without the ground
 * truth (the script's {@code draw_gt=False}).
 */
@Command(name = "analyze-results", mixinStandardHelpOptions = true,
        description = {"Rank the test images by their own mAP for a results file and draw the best and the worst,",
            "as MMDetection's tools/analysis_tools/analyze_results.py (its .pkl from test.py --out / eval --out, or a COCO results json)."})
public final class AnalyzeResultsCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "CFG", description = "the config whose test set the results are of")
    String config;

    @Option(names = "--results", required = true, paramLabel = "DETS.json", description = "COCO results (eval --save-results), or MMDetection's test.py --out pickle (eval --out)")
    Path results;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "pictures go to DIR/good and DIR/bad")
    Path out;

    @Option(names = "--topk", defaultValue = "20", description = "best and worst images drawn (default: ${DEFAULT-VALUE})")
    int topk;

    @Option(names = "--show-score-thr", defaultValue = "0", paramLabel = "T",
            description = "draw detections with score > T (default: ${DEFAULT-VALUE}, as the script)")
    double scoreThr;

    @Option(names = {"--data", "--data-root"}, paramLabel = "DIR", description = "data root (replaces the config's data_root)")
    String dataRoot;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Spec
    CommandSpec spec;

    /** The script's thresholds: np.linspace(.5, .95, 10). */
    static final double[] IOU_THRS = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (topk < 1) return CliErrors.print(err, "--topk must be >= 1, got " + topk);
        if (!(scoreThr >= 0 && scoreThr <= 1)) return CliErrors.print(err, "--show-score-thr must be in [0, 1], got " + scoreThr);
        if (Files.exists(out) && !Files.isDirectory(out)) return CliErrors.print(err, out + ": exists and is not a folder");
        try {
            Config cfg = ConfigLoader.loadNamed(config, overrides.values());
            CocoDataset dataset = DataSources.loadTest(cfg, dataRoot, new DataIssues("test", err::println, 5));
            var ds = cfg.testDataloader().dataset(); // VOC's XML and CrowdHuman's .odgt: no COCO json to read
            CocoGroundTruth gt = ds.isXml() || ds.isCrowdHuman() ? CocoGroundTruth.fromDataset(dataset)
                    : CocoGroundTruth.read(dataset.annotationFile());
            // a .pkl's labels index the classes; a VOC test set's img_ids are names
            CocoDetections dets = CocoDetections.read(results, gt, dataset.categories().ids(),
                    DataSources.imageIdsByName(cfg.testDataloader(), dataset));
            Map<Long, List<CocoDetections.Detection>> byImage = dets.byImage();
            List<double[]> ranked = imageMaps(dataset, gt, dets.file(), byImage); // [dataset index, mAP]
            ranked.sort(Comparator.comparingDouble(r -> r[1])); // stable: equal mAPs keep dataset order, as sorted()
            EvalPictures pictures = EvalPictures.predictionsOnly(out, scoreThr, dataset, err);
            int k = shown(topk, ranked.size());
            for (int i = firstGood(k, ranked.size()); i < ranked.size(); i++) draw(pictures, dataset, byImage, ranked.get(i), out.resolve("good"));
            for (int i = 0; i < k; i++) draw(pictures, dataset, byImage, ranked.get(i), out.resolve("bad"));
            o.printf(Locale.ROOT, "%d images ranked by mAP (IoU 0.50:0.95, area): best %.3f, worst %.3f; %d pictures -> %s/good, %s/bad%n",
                    ranked.size(), ranked.get(ranked.size() - 1)[1], ranked.get(0)[1], pictures.written(), out, out);
            o.flush();
            return pictures.failed() == 0 ? 0 : 1;
        } catch (CocoFormatException e) {
            return CliErrors.print(err, e.oneLine());
        } catch (ConfigException | DataException | CliErrors.UserError e) {
            return CliErrors.print(err, e.getMessage());
        }
    }

    /**
     * The script's {@code topk}: {@code if topk * 2 > len(dataset): topk = len(dataset) // 2}, so good and bad never
     * share an image (5 images, --topk 20: 2 each).
     */
    static int shown(int topk, int images) {
        return (long) topk * 2 > images ? images / 2 : topk;
    }

    /**
     * Where the good images start in the ranking: {@code _mAPs[-topk:]}, which is the whole list when topk is 0
     * (a one-image test set: its image is drawn as good, none as bad).
     */
    static int firstGood(int k, int images) {
        return k == 0 ? 0 : images - k;
    }

    /**
     * Each image's mAP as analyze_results.py's bbox_map_eval: eval_map over that image alone, per threshold, averaged.
     * The ground truth is what the script gives eval_map: the dataset's parsed instances of the image ({@code gt_bboxes}
     * after LoadAnnotations, the test set's classes), crowd / ignored ones included as ordinary boxes (no
     * {@code bboxes_ignore}).
     */
    private static List<double[]> imageMaps(CocoDataset dataset, CocoGroundTruth gt, Path detsFile,
                                            Map<Long, List<CocoDetections.Detection>> byImage) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < dataset.size(); i++) {
            long id = dataset.get(i).id();
            CocoGroundTruth one = imageTruth(dataset, i, gt.file());
            CocoDetections mine = new CocoDetections(detsFile, byImage.getOrDefault(id, List.of()));
            out.add(new double[] {i, VocMap.evaluate(one, mine, IOU_THRS, false, false).mAP()}); // eval_map: not legacy
        }
        return out;
    }

    /** Image {@code index}'s instances as eval_map's annotation: every box (crowd ones too) an ordinary ground truth. */
    static CocoGroundTruth imageTruth(CocoDataset dataset, int index, Path file) {
        autoassign.data.CategoryMap cm = dataset.categories();
        Map<Long, String> cats = new java.util.LinkedHashMap<>();
        for (int c = 0; c < cm.size(); c++) cats.put(cm.categoryId(c), cm.name(c));
        autoassign.data.ImageRecord r = dataset.get(index);
        List<CocoGroundTruth.Annotation> anns = new ArrayList<>();
        addBoxes(anns, r.id(), r.boxes(), r.labels(), cm);
        addBoxes(anns, r.id(), r.crowdBoxes(), r.crowdLabels(), cm);
        return new CocoGroundTruth(file, new long[] {r.id()}, cats, anns);
    }

    private static void addBoxes(List<CocoGroundTruth.Annotation> out, long imageId, float[] boxes, int[] labels,
                                 autoassign.data.CategoryMap cm) {
        for (int k = 0; k < labels.length; k++) {
            double x1 = boxes[4 * k], y1 = boxes[4 * k + 1], w = boxes[4 * k + 2] - x1, h = boxes[4 * k + 3] - y1;
            out.add(new CocoGroundTruth.Annotation(out.size() + 1, imageId, cm.categoryId(labels[k]), x1, y1, w, h, w * h, false));
        }
    }

    private static void draw(EvalPictures pictures, CocoDataset dataset, Map<Long, List<CocoDetections.Detection>> byImage,
                             double[] ranked, Path dir) {
        int index = (int) ranked[0];
        var r = dataset.get(index);
        List<CocoDetections.Detection> list = new ArrayList<>();
        for (CocoDetections.Detection d : byImage.getOrDefault(r.id(), List.of()))
            if (dataset.categories().labelOf(d.categoryId()) >= 0) list.add(d); // a category the dataset leaves out
        float[] boxes = new float[4 * list.size()], scores = new float[list.size()];
        int[] labels = new int[list.size()];
        for (int i = 0; i < list.size(); i++) {
            CocoDetections.Detection d = list.get(i);
            boxes[4 * i] = (float) d.x();
            boxes[4 * i + 1] = (float) d.y();
            boxes[4 * i + 2] = (float) (d.x() + d.w());
            boxes[4 * i + 3] = (float) (d.y() + d.h());
            scores[i] = (float) d.score();
            labels[i] = dataset.categories().labelOf(d.categoryId());
        }
        // the script's name: <stem>_<round(mAP, 3)><ext>, Python's str() of the rounded float
        String file = PictureNames.stem(r.fileName()) + "_" + pythonRound3(ranked[1]) + PictureNames.ownOrPng(r.fileName());
        pictures.write(index, new Detections(boxes, scores, labels), dir.resolve(file));
    }

    /** {@code str(round(v, 3))}: 0.5 → "0.5", 0.12345 → "0.123", 0 → "0.0". */
    static String pythonRound3(double v) {
        double r = new java.math.BigDecimal(v).setScale(3, java.math.RoundingMode.HALF_EVEN).doubleValue();
        String s = Double.toString(r);
        return s.contains("E") ? java.math.BigDecimal.valueOf(r).toPlainString() : s;
    }
}
