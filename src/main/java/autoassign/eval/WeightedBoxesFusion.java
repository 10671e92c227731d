package autoassign.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Weighted Boxes Fusion (Solovyev et al., arXiv 1910.13302) as MMDetection 3.3's
 * {@code mmdet/models/utils/wbf.py weighted_boxes_fusion}: the boxes of several models on one image are clustered per
 * label (a box joins the cluster whose fused box it overlaps most, if that IoU is above {@code iou_thr}), each cluster
 * becomes the score-weighted mean of its boxes, and its score is rescaled by how many models (and with which weights)
 * found it.
 *
 * <p>The steps, their order and their precision are the reference's: box rows, IoUs and the score rescaling in float64,
 * a fused cluster box rounded to float32 ({@code get_weighted_box} builds it in a float32 array), and the result
 * returned as float32 (torch tensors). Sorting follows numpy's {@code argsort()[::-1]}: score descending, equal scores
 * in reverse order of position. numpy's quicksort only guarantees that order up to 17 elements (its insertion sort);
 * beyond that, ties come out in an order that depends on numpy's version and CPU, so no order can match all of them.
 */
public final class WeightedBoxesFusion {
    private WeightedBoxesFusion() {}

    /** How a cluster's score is computed ({@code conf_type}). */
    public enum ConfType {
        AVG("avg"), MAX("max"), BOX_AND_MODEL_AVG("box_and_model_avg"), ABSENT_MODEL_AWARE_AVG("absent_model_aware_avg");

        private final String pyName;

        ConfType(String pyName) { this.pyName = pyName; }

        public String pyName() { return pyName; }

        /** The conf type MMDetection names {@code name}; null when there is none. */
        public static ConfType of(String name) {
            for (ConfType t : values()) if (t.pyName.equals(name.toLowerCase(Locale.ROOT))) return t;
            return null;
        }
    }

    /**
     * The arguments besides the boxes.
     *
     * @param weights        one per model; null: every model weighs 1
     * @param iouThr         a box joins a cluster only when their IoU is above this
     * @param skipBoxThr     boxes with a lower score are left out
     * @param allowsOverflow with {@code avg}: let a cluster with more boxes than models score above its boxes' mean
     */
    public record Options(double[] weights, double iouThr, double skipBoxThr, ConfType confType, boolean allowsOverflow) {
        /** MMDetection's defaults: equal weights, iou_thr 0.55, skip_box_thr 0, avg, no overflow. */
        public static Options defaults() {
            return new Options(null, 0.55, 0.0, ConfType.AVG, false);
        }
    }

    /** One model's detections on the image: {@code boxes} holds x1, y1, x2, y2 per detection. */
    public record ModelBoxes(double[] boxes, double[] scores, long[] labels) {
        public ModelBoxes {
            if (boxes.length != 4 * scores.length || labels.length != scores.length) {
                throw new IllegalArgumentException("boxes, scores and labels of different lengths: " + boxes.length
                        + " / 4, " + scores.length + ", " + labels.length);
            }
        }

        public static ModelBoxes empty() {
            return new ModelBoxes(new double[0], new double[0], new long[0]);
        }

        int size() { return scores.length; }
    }

    /** The fused detections, best score first: x1, y1, x2, y2 per detection (NaN for a cluster of score-0 boxes). */
    public record Fused(float[] boxes, float[] scores, long[] labels) {
        public int size() { return scores.length; }
    }

    // a box row, as the reference's numpy rows: [label, score * weight, weight, model index, x1, y1, x2, y2]
    private static final int LABEL = 0, SCORE = 1, WEIGHT = 2, MODEL = 3, X1 = 4;

    /**
     * Fuses the models' boxes. Unlike the reference, which warns and falls back to equal weights, a weight count other
     * than the model count is an error.
     */
    public static Fused fuse(List<ModelBoxes> models, Options o) {
        double[] weights = o.weights();
        if (weights == null) {
            weights = new double[models.size()];
            java.util.Arrays.fill(weights, 1.0);
        }
        if (weights.length != models.size()) {
            throw new IllegalArgumentException(weights.length + " weights for " + models.size() + " models");
        }
        List<double[]> overall = new ArrayList<>();
        for (List<double[]> boxes : prefilter(models, weights, o.skipBoxThr()).values()) {
            List<List<double[]>> clusters = new ArrayList<>();
            List<double[]> fused = new ArrayList<>(); // a cluster's fused row; a lone box's own row until a second joins
            for (double[] b : boxes) {
                int k = matchingCluster(fused, b, o.iouThr());
                if (k >= 0) {
                    clusters.get(k).add(b);
                    fused.set(k, weightedBox(clusters.get(k), o.confType()));
                } else {
                    clusters.add(new ArrayList<>(List.of(b)));
                    fused.add(b.clone());
                }
            }
            for (int i = 0; i < fused.size(); i++) {
                fused.get(i)[SCORE] = rescaledScore(fused.get(i), clusters.get(i), weights, o);
            }
            overall.addAll(fused);
        }
        sortByScoreDescending(overall);
        int n = overall.size();
        float[] boxes = new float[4 * n], scores = new float[n];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            double[] r = overall.get(i);
            for (int c = 0; c < 4; c++) boxes[4 * i + c] = (float) r[X1 + c];
            scores[i] = (float) r[SCORE];
            labels[i] = (long) r[LABEL];
        }
        return new Fused(boxes, scores, labels);
    }

    /**
     * {@code prefilter_boxes}: the rows of the boxes scoring at least {@code thr}, by label (labels in the order first
     * met), each label's sorted by weighted score; corners given the wrong way round are swapped, zero-area boxes left out.
     */
    private static Map<Long, List<double[]>> prefilter(List<ModelBoxes> models, double[] weights, double thr) {
        Map<Long, List<double[]>> byLabel = new LinkedHashMap<>();
        for (int t = 0; t < models.size(); t++) {
            ModelBoxes m = models.get(t);
            for (int j = 0; j < m.size(); j++) {
                double score = m.scores()[j];
                if (score < thr) continue;
                double x1 = m.boxes()[4 * j], y1 = m.boxes()[4 * j + 1], x2 = m.boxes()[4 * j + 2], y2 = m.boxes()[4 * j + 3];
                if (x2 < x1) { double s = x1; x1 = x2; x2 = s; }
                if (y2 < y1) { double s = y1; y1 = y2; y2 = s; }
                if ((x2 - x1) * (y2 - y1) == 0.0) continue;
                long label = m.labels()[j];
                byLabel.computeIfAbsent(label, k -> new ArrayList<>())
                        .add(new double[] {label, score * weights[t], weights[t], t, x1, y1, x2, y2});
            }
        }
        byLabel.values().forEach(WeightedBoxesFusion::sortByScoreDescending);
        return byLabel;
    }

    /**
     * {@code find_matching_box_fast}: the cluster whose fused box overlaps {@code b} most (the first of equals), or -1
     * when that IoU is not above {@code thr}. A NaN IoU (a cluster of score-0 boxes has a NaN box) wins, as in
     * {@code np.argmax}, and matches, since {@code NaN <= thr} is false.
     */
    private static int matchingCluster(List<double[]> fused, double[] b, double thr) {
        int best = -1;
        double bestIou = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < fused.size(); k++) {
            double iou = iou(fused.get(k), b);
            if (Double.isNaN(iou)) return k;
            if (iou > bestIou) {
                bestIou = iou;
                best = k;
            }
        }
        return best >= 0 && bestIou > thr ? best : -1;
    }

    private static double iou(double[] a, double[] b) {
        double xA = Math.max(a[X1], b[X1]), yA = Math.max(a[X1 + 1], b[X1 + 1]);
        double xB = Math.min(a[X1 + 2], b[X1 + 2]), yB = Math.min(a[X1 + 3], b[X1 + 3]);
        double inter = Math.max(xB - xA, 0) * Math.max(yB - yA, 0);
        double areaA = (a[X1 + 2] - a[X1]) * (a[X1 + 3] - a[X1 + 1]);
        double areaB = (b[X1 + 2] - b[X1]) * (b[X1 + 3] - b[X1 + 1]);
        return inter / (areaA + areaB - inter);
    }

    /**
     * {@code get_weighted_box}: the score-weighted mean box of a cluster, its mean (or max) weighted score and its summed
     * weight. The reference builds it in a float32 array: each sum step adds in float64 and rounds to float32, and the
     * final division is float32 by the float32-rounded score sum (numpy's scalar casting).
     */
    private static double[] weightedBox(List<double[]> members, ConfType type) {
        float[] box = new float[4];
        double conf = 0, max = Double.NEGATIVE_INFINITY, w = 0;
        for (double[] b : members) {
            for (int c = 0; c < 4; c++) box[c] = (float) (box[c] + b[SCORE] * b[X1 + c]);
            conf += b[SCORE];
            max = Math.max(max, b[SCORE]);
            w += b[WEIGHT];
        }
        float confF = (float) conf;
        double score = type == ConfType.MAX ? max : conf / members.size();
        // the label stays exact: the reference rounds it through float32, which changes ids above 2^24
        return new double[] {members.get(0)[LABEL], (float) score, (float) w, -1,
            box[0] / confF, box[1] / confF, box[2] / confF, box[3] / confF};
    }

    /** The cluster's score rescaled for the number of models and boxes, as the reference's second loop (float64). */
    private static double rescaledScore(double[] fused, List<double[]> members, double[] weights, Options o) {
        double s = fused[SCORE];
        int n = members.size();
        double weightSum = 0; // numpy sums 8 or more weights pairwise: it may differ in the last bit
        for (double w : weights) weightSum += w;
        switch (o.confType()) {
            case BOX_AND_MODEL_AVG: {
                s = s * n / fused[WEIGHT];
                double present = 0; // each model's weight once, in model order (np.unique)
                for (int t : modelsOf(members)) present += weights[t];
                return s * present / weightSum;
            }
            case ABSENT_MODEL_AWARE_AVG: {
                boolean[] present = new boolean[weights.length];
                for (int t : modelsOf(members)) present[t] = true;
                double absent = 0;
                for (int t = 0; t < weights.length; t++) if (!present[t]) absent += weights[t];
                return s * n / (fused[WEIGHT] + absent);
            }
            case MAX: {
                double max = Double.NEGATIVE_INFINITY;
                for (double w : weights) max = Math.max(max, w);
                return s / max;
            }
            default:
                return o.allowsOverflow() ? s * n / weightSum : s * Math.min(weights.length, n) / weightSum;
        }
    }

    /** The distinct model indices of a cluster's boxes, ascending. */
    private static int[] modelsOf(List<double[]> members) {
        return members.stream().mapToInt(b -> (int) b[MODEL]).distinct().sorted().toArray();
    }

    /**
     * numpy's {@code rows[rows[:, 1].argsort()[::-1]]} for distinct scores, and for ties as its insertion sort (up to 17
     * rows) orders them: an ascending stable sort reversed, i.e. equal scores in reverse order of position.
     */
    private static void sortByScoreDescending(List<double[]> rows) {
        Collections.reverse(rows);
        rows.sort((a, b) -> a[SCORE] > b[SCORE] ? -1 : a[SCORE] < b[SCORE] ? 1 : 0); // List.sort is stable
    }
}
