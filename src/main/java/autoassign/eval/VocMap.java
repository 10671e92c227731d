package autoassign.eval;

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
 * The mAP of a threshold averages the classes that have ground truth; {@code mAP} averages the thresholds. VOCMetric
 * passes {@code use_legacy_coordinate=True}: box widths, heights and overlaps are {@code x2 - x1 + 1} in the IoUs.
 * Sums are numpy's (pairwise, float32 where numpy's are), so the numbers equal MMDetection's bit for bit
 * (scripts/goldens/voc_metric.py, VocMetricGoldenTest), ties in score aside ({@link #descendingScores}).
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

        /**
         * MMDetection's log: per threshold its {@code iou_thr} line and print_map_summary's table (terminaltables'
         * AsciiTable: columns as wide as their widest cell, left-aligned, recall and AP of the float32 values to 3
         * decimals as Python formats them), then {@code AP50: 0.xxx ... mAP: 0.xxxx}.
         */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            for (var e : classes.entrySet()) {
                out.add("-".repeat(15) + "iou_thr: " + PyFloat.repr(e.getKey()) + "-".repeat(15));
                List<List<String>> table = new ArrayList<>();
                table.add(List.of("class", "gts", "dets", "recall", "ap"));
                for (ClassResult c : e.getValue())
                    table.add(List.of(c.name(), Integer.toString(c.gts()), Integer.toString(c.dets()),
                            PyFloat.fixed((float) c.recall(), 3), PyFloat.fixed((float) c.ap(), 3)));
                table.add(List.of("mAP", "", "", "", PyFloat.fixed(apByThreshold.get(e.getKey()), 3)));
                out.addAll(AsciiTable.of(table, true)); // inner_footing_row_border: a rule above the mAP row
            }
            StringBuilder b = new StringBuilder();
            for (var e : apByThreshold.entrySet()) b.append(apName(e.getKey())).append(": ").append(PyFloat.fixed(e.getValue(), 3)).append("  ");
            out.add(b.append("mAP: ").append(PyFloat.fixed(mAP, 4)).toString());
            return out;
        }
    }

    /** A box with its score (detections) or ignore flag (ground truth), x1 y1 x2 y2 in float as MMDetection's arrays. */
    private record Box(float x1, float y1, float x2, float y2, float score, boolean ignore) implements Scored {
        static Box of(double x, double y, double w, double h, double score, boolean ignore) {
            float fx = (float) x, fy = (float) y;
            return new Box(fx, fy, (float) (x + w), (float) (y + h), (float) score, ignore); // float32 arrays, scores too
        }
    }

    /**
     * {@code VOCMetric}: {@code eval_map(..., use_legacy_coordinate=True)} (mmdet/evaluation/metrics/voc_metric.py),
     * over {@code gt}'s images and categories.
     *
     * @param iouThrs  MMDetection's {@code iou_thrs} (0.5)
     * @param elevenPoints {@code eval_mode: 11points} (VOCMetric's default), else {@code area}
     */
    public static Result evaluate(CocoGroundTruth gt, CocoDetections dets, double[] iouThrs, boolean elevenPoints) {
        return evaluate(gt, dets, iouThrs, elevenPoints, true);
    }

    /**
     * {@code eval_map} with {@code use_legacy_coordinate} as given: true for VOCMetric (widths, heights and overlaps are
     * {@code x2 - x1 + 1}, as VOC's devkit counts pixels), false for eval_map's default (analyze_results.py).
     */
    public static Result evaluate(CocoGroundTruth gt, CocoDetections dets, double[] iouThrs, boolean elevenPoints,
                                  boolean legacyCoordinate) {
        float extra = legacyCoordinate ? 1f : 0f;
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
            float[] aps = new float[catIds.length];
            int withGt = 0;
            for (long c : catIds) {
                ClassResult r = evaluateClass(gt.categories().get(c), gt.imageIds(), gts.getOrDefault(c, Map.of()),
                        dts.getOrDefault(c, Map.of()), thr, elevenPoints, extra);
                rows.add(r);
                if (r.gts() > 0) aps[withGt++] = (float) r.ap();
            }
            // np.array(aps).mean(): a float32 pairwise sum, divided in float64, rounded to float32
            double map = withGt == 0 ? 0 : (float) (PairwiseSum.sum(aps, withGt) / (double) withGt);
            apByThr.put(thr, map);
            classes.put(thr, rows);
            sum += map;
        }
        return new Result(sum / iouThrs.length, apByThr, classes, elevenPoints);
    }

    private static ClassResult evaluateClass(String name, long[] imageIds, Map<Long, List<Box>> gts, Map<Long, List<Box>> dts,
                                             double thr, boolean elevenPoints, float extra) {
        int numGts = 0;
        List<Box> stacked = new ArrayList<>(); // np.vstack(cls_dets): every image's detections in turn
        List<float[]> tpfps = new ArrayList<>();
        for (long img : imageIds) {
            List<Box> g = new ArrayList<>(gts.getOrDefault(img, List.of()));
            g.sort(Comparator.comparing(Box::ignore)); // stable: the image's non-ignored boxes first
            for (Box b : g) if (!b.ignore()) numGts++;
            List<Box> d = dts.getOrDefault(img, List.of());
            tpfps.add(tpfp(d, g, thr, extra));
            stacked.addAll(d);
        }
        int n = stacked.size();
        float[] tpAll = new float[n], fpAll = new float[n];
        for (int i = 0, o = 0; i < tpfps.size(); i++) {
            float[] t = tpfps.get(i);
            int k = t.length / 2;
            System.arraycopy(t, 0, tpAll, o, k);
            System.arraycopy(t, k, fpAll, o, k);
            o += k;
        }
        int[] order = descendingScores(stacked);
        double[] recall = new double[n], precision = new double[n];
        float tp = 0, fp = 0, eps = Math.ulp(1.0f); // np.finfo(np.float32).eps; float32 cumsums
        for (int i = 0; i < n; i++) {
            tp += tpAll[order[i]];
            fp += fpAll[order[i]];
            recall[i] = tp / Math.max(numGts, (double) eps); // float64 in numpy
            precision[i] = tp / Math.max(tp + fp, eps);      // float32 in numpy
        }
        double ap = elevenPoints ? elevenPointAp(recall, precision) : areaAp(recall, precision);
        return new ClassResult(name, numGts, n, n > 0 ? recall[n - 1] : 0, ap);
    }

    /**
     * {@code np.argsort(-scores)} over the float32 scores, equal scores in list order. numpy orders ties as its sort
     * does (introsort, or x86-simd-sort's AVX-512 argsort where the CPU has one: the same numpy orders them
     * differently on different machines), so where tied detections differ in being true or false positives an AP
     * may differ from a given MMDetection run in the last decimals.
     */
    static int[] descendingScores(List<? extends Scored> dets) {
        float[] s = new float[dets.size()];
        for (int i = 0; i < s.length; i++) s[i] = dets.get(i).score();
        return autoassign.postprocess.ArgSort.descending(s, s.length); // stable; -0 equals 0
    }

    /** A detection with a float32 score (VOC's and Open Images' boxes). */
    interface Scored {
        float score();
    }

    /**
     * tpfp_default for one image: {@code [tp..., fp...]} per detection (in the detections' own order), over the
     * image's ground truth with the ignored boxes last.
     */
    private static float[] tpfp(List<Box> dets, List<Box> gts, double thr, float extra) {
        int nd = dets.size(), ng = gts.size();
        float[] out = new float[2 * nd]; // tp at [i], fp at [nd + i]
        if (ng == 0) {
            Arrays.fill(out, nd, 2 * nd, 1f);
            return out;
        }
        float[] iouMax = new float[nd];
        int[] argmax = new int[nd];
        for (int i = 0; i < nd; i++) {
            Box d = dets.get(i);
            iouMax[i] = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < ng; j++) {
                float iou = iou(d, gts.get(j), extra);
                if (iou > iouMax[i]) { iouMax[i] = iou; argmax[i] = j; } // np.argmax: the first of equal maxima
            }
        }
        boolean[] covered = new boolean[ng];
        for (int i : descendingScores(dets)) {
            if (iouMax[i] >= thr) { // a float32 scalar against a Python float: compared in float64
                int m = argmax[i];
                if (!gts.get(m).ignore()) {
                    if (!covered[m]) {
                        covered[m] = true;
                        out[i] = 1;
                    } else {
                        out[nd + i] = 1;
                    }
                } // on an ignored box: neither
            } else {
                out[nd + i] = 1;
            }
        }
        return out;
    }

    /**
     * mmdet/evaluation/functional/bbox_overlaps.py for one pair, in float32: with {@code extra} 1 (legacy coordinates)
     * widths, heights and overlaps count both end pixels; the union is at least 1e-6.
     */
    static float iou(Box d, Box g, float extra) {
        return BboxOverlaps.pair(d.x1(), d.y1(), d.x2(), d.y2(), g.x1(), g.y1(), g.x2(), g.y2(), extra, false);
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
        double[] terms = new double[n + 1]; // np.sum over the steps where the recall changes (numpy's pairwise sum)
        int k = 0;
        for (int i = 0; i < n + 1; i++) if (mrec[i + 1] != mrec[i]) terms[k++] = (mrec[i + 1] - mrec[i]) * mpre[i + 1];
        return (float) PairwiseSum.sum(terms, k); // the ap array is float32
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
