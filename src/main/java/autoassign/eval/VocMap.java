package autoassign.eval;

import autoassign.loss.LossKernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * PASCAL VOC mean AP, as MMDetection's {@code VOCMetric} ({@code eval_map} with {@code tpfp_default} and
 * {@code average_precision}) over COCO-format ground truth and detections: crowd annotations ({@code iscrowd: 1},
 * what {@code voc2coco} makes of VOC's {@code difficult} objects) are the ignored boxes; per class, the detections
 * of every image in descending score are matched to the unmatched ground truth of highest IoU (≥ thr: a true
 * positive; again or below: a false positive; on an ignored box: neither); AP is the area under the monotone
 * precision envelope ({@code area}) or the mean of the best precision at recall ≥ 0, 0.1, …, 1 ({@code 11points}).
 * The mAP of a threshold averages the classes that have ground truth; {@code mAP} averages the thresholds.
 */
public final class VocMap {
    private VocMap() {}

    /** VOCMetric's {@code default_prefix}. */
    public static final String PREFIX = "pascal_voc/";

    /** {@code AP50} for 0.5: VOCMetric's key of a threshold. */
    public static String apName(double iouThr) {
        return String.format(Locale.ROOT, "AP%02d", (int) (iouThr * 100));
    }

    /** One class at one IoU threshold. */
    public record ClassResult(String name, int gts, int dets, double recall, double ap) {}

    /** The metric: {@code mAP} (mean over thresholds) and, per threshold, its mAP and class table. */
    public record Result(double mAP, Map<Double, Double> apByThreshold, Map<Double, List<ClassResult>> classes,
                         boolean elevenPoints) implements Evaluation {
        /**
         * VOCMetric's dict with the {@code pascal_voc/} prefix: {@code mAP} first, then {@code AP50}, … per threshold
         * (rounded to 3 decimals, as VOCMetric reports them).
         */
        @Override
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put(PREFIX + "mAP", mAP);
            apByThreshold.forEach((t, ap) -> m.put(PREFIX + apName(t), Evaluation.round3(ap)));
            return m;
        }

        @Override
        public List<String> summaryLines() { return lines(); }

        /** {@code {"mAP", "AP50", ..., "eval_mode", "classes": {thr: [rows]}}} (temp file + rename). */
        @Override
        public void writeJson(java.nio.file.Path out) throws java.io.IOException {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("mAP", mAP);
            apByThreshold.forEach((t, ap) -> j.put(apName(t), ap));
            j.put("eval_mode", elevenPoints ? "11points" : "area");
            j.put("classes", classes);
            byte[] bytes = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(j);
            autoassign.io.AtomicFiles.write(out, os -> os.write(bytes));
        }

        /** MMDetection's log: a class table per threshold, then {@code AP50: 0.xxx ... mAP: 0.xxx}. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            for (var e : classes.entrySet()) {
                out.add(String.format(Locale.ROOT, "---------------iou_thr: %s---------------", e.getKey()));
                int w = Math.max(5, e.getValue().stream().mapToInt(c -> c.name().length()).max().orElse(5));
                String row = "| %-" + w + "s | %5s | %6s | %6s | %5s |";
                String rule = "+" + "-".repeat(w + 2) + "+-------+--------+--------+-------+";
                out.add(rule);
                out.add(String.format(Locale.ROOT, row, "class", "gts", "dets", "recall", "ap"));
                out.add(rule);
                for (ClassResult c : e.getValue())
                    out.add(String.format(Locale.ROOT, row, c.name(), c.gts(), c.dets(), String.format(Locale.ROOT, "%.3f", c.recall()),
                            String.format(Locale.ROOT, "%.3f", c.ap())));
                out.add(rule);
                out.add(String.format(Locale.ROOT, row, "mAP", "", "", "", String.format(Locale.ROOT, "%.3f", apByThreshold.get(e.getKey()))));
                out.add(rule);
            }
            StringBuilder b = new StringBuilder();
            for (var e : apByThreshold.entrySet())
                b.append(String.format(Locale.ROOT, "%s: %.3f  ", apName(e.getKey()), e.getValue()));
            out.add(b.append(String.format(Locale.ROOT, "mAP: %.4f", mAP)).toString());
            return out;
        }
    }

    /** A box with its score (detections) or ignore flag (ground truth), x1 y1 x2 y2 in float as MMDetection's arrays. */
    private record Box(float x1, float y1, float x2, float y2, double score, boolean ignore) {
        static Box of(double x, double y, double w, double h, double score, boolean ignore) {
            float fx = (float) x, fy = (float) y;
            return new Box(fx, fy, (float) (x + w), (float) (y + h), score, ignore);
        }
    }

    /**
     * The VOC metric over {@code gt}'s images and categories.
     *
     * @param iouThrs  MMDetection's {@code iou_thrs} (0.5)
     * @param elevenPoints {@code eval_mode: 11points} (VOCMetric's default), else {@code area}
     */
    public static Result evaluate(CocoGroundTruth gt, CocoDetections dets, double[] iouThrs, boolean elevenPoints) {
        long[] catIds = gt.categoryIds();
        // per category, per image: ground truth (non-ignored first, then ignored, as tpfp_default stacks them) and detections
        Map<Long, Map<Long, List<Box>>> gts = new HashMap<>(), dts = new HashMap<>();
        for (CocoGroundTruth.Annotation a : gt.annotations())
            gts.computeIfAbsent(a.categoryId(), k -> new HashMap<>()).computeIfAbsent(a.imageId(), k -> new ArrayList<>())
                    .add(Box.of(a.x(), a.y(), a.w(), a.h(), 0, a.crowd()));
        for (CocoDetections.Detection d : dets.detections())
            if (gt.hasImage(d.imageId()))
                dts.computeIfAbsent(d.categoryId(), k -> new HashMap<>()).computeIfAbsent(d.imageId(), k -> new ArrayList<>())
                        .add(Box.of(d.x(), d.y(), d.w(), d.h(), d.score(), false));
        Map<Double, Double> apByThr = new LinkedHashMap<>();
        Map<Double, List<ClassResult>> classes = new LinkedHashMap<>();
        double sum = 0;
        for (double thr : iouThrs) {
            List<ClassResult> rows = new ArrayList<>();
            double apSum = 0;
            int withGt = 0;
            for (long c : catIds) {
                ClassResult r = evaluateClass(gt.categories().get(c), gt.imageIds(), gts.getOrDefault(c, Map.of()),
                        dts.getOrDefault(c, Map.of()), thr, elevenPoints);
                rows.add(r);
                if (r.gts() > 0) {
                    apSum += r.ap();
                    withGt++;
                }
            }
            double map = withGt == 0 ? 0 : (float) (apSum / withGt); // numpy's mean of the float32 APs
            apByThr.put(thr, map);
            classes.put(thr, rows);
            sum += map;
        }
        return new Result(sum / iouThrs.length, apByThr, classes, elevenPoints);
    }

    private static ClassResult evaluateClass(String name, long[] imageIds, Map<Long, List<Box>> gts, Map<Long, List<Box>> dts,
                                             double thr, boolean elevenPoints) {
        int numGts = 0;
        List<double[]> scored = new ArrayList<>(); // [score, tp, fp] of every detection of the class
        for (long img : imageIds) {
            List<Box> g = new ArrayList<>(gts.getOrDefault(img, List.of()));
            g.sort(Comparator.comparing(Box::ignore)); // stable: the image's non-ignored boxes first
            for (Box b : g) if (!b.ignore()) numGts++;
            List<Box> d = dts.getOrDefault(img, List.of());
            float[][] tpfp = tpfp(d, g, thr);
            for (int i = 0; i < d.size(); i++) scored.add(new double[] {d.get(i).score(), tpfp[0][i], tpfp[1][i]});
        }
        // np.argsort(-scores) (quicksort, not stable) over the stacked detections: ties are rare in real scores
        scored.sort((a, b) -> Double.compare(b[0], a[0]));
        int n = scored.size();
        double[] recall = new double[n], precision = new double[n];
        double tp = 0, fp = 0, eps = Math.ulp(1.0f); // np.finfo(np.float32).eps
        for (int i = 0; i < n; i++) {
            tp += scored.get(i)[1];
            fp += scored.get(i)[2];
            recall[i] = tp / Math.max(numGts, eps);                            // float64 in numpy
            precision[i] = (float) tp / Math.max((float) (tp + fp), (float) eps); // float32 in numpy
        }
        double ap = elevenPoints ? elevenPointAp(recall, precision) : areaAp(recall, precision);
        return new ClassResult(name, numGts, n, n > 0 ? recall[n - 1] : 0, ap);
    }

    /** tpfp_default for one image: [tp, fp] per detection (in the detections' own order). */
    private static float[][] tpfp(List<Box> dets, List<Box> gts, double thr) {
        int nd = dets.size(), ng = gts.size();
        float[] tp = new float[nd], fp = new float[nd];
        if (ng == 0) {
            Arrays.fill(fp, 1f);
            return new float[][] {tp, fp};
        }
        float[] iouMax = new float[nd];
        int[] argmax = new int[nd];
        for (int i = 0; i < nd; i++) {
            Box d = dets.get(i);
            iouMax[i] = -1;
            for (int j = 0; j < ng; j++) {
                Box g = gts.get(j);
                float iou = LossKernels.iou(d.x1(), d.y1(), d.x2(), d.y2(), g.x1(), g.y1(), g.x2(), g.y2());
                if (iou > iouMax[i]) { iouMax[i] = iou; argmax[i] = j; } // np.argmax: the first of equal maxima
            }
        }
        Integer[] order = new Integer[nd];
        for (int i = 0; i < nd; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(dets.get(b).score(), dets.get(a).score()));
        boolean[] covered = new boolean[ng];
        for (int i : order) {
            if (iouMax[i] >= thr) {
                int m = argmax[i];
                if (!gts.get(m).ignore()) {
                    if (!covered[m]) {
                        covered[m] = true;
                        tp[i] = 1;
                    } else {
                        fp[i] = 1;
                    }
                } // on an ignored box: neither
            } else {
                fp[i] = 1;
            }
        }
        return new float[][] {tp, fp};
    }

    /** {@code average_precision(mode='area')}: the precision envelope integrated over the recall steps. */
    static double areaAp(double[] recall, double[] precision) {
        int n = recall.length;
        double[] mrec = new double[n + 2], mpre = new double[n + 2];
        mrec[n + 1] = 1;
        for (int i = 0; i < n; i++) {
            mrec[i + 1] = recall[i];
            mpre[i + 1] = precision[i];
        }
        for (int i = n; i > 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
        double ap = 0;
        for (int i = 0; i < n + 1; i++) if (mrec[i + 1] != mrec[i]) ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
        return (float) ap; // the ap array is float32
    }

    /** {@code average_precision(mode='11points')}: the best precision at recall ≥ t for t = 0, 0.1, …, 1, averaged. */
    static double elevenPointAp(double[] recall, double[] precision) {
        float ap = 0;
        for (int k = 0; k <= 10; k++) {
            double t = k * 0.1; // np.arange(0, 1 + 1e-3, 0.1)
            double best = 0;
            for (int i = 0; i < recall.length; i++) if (recall[i] >= t) best = Math.max(best, precision[i]);
            ap += (float) best;
        }
        return ap / 11;
    }
}
