package autoassign.eval;

import autoassign.data.CocoDataset;
import autoassign.data.ImageRecord;
import autoassign.data.OpenImagesDataset;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * MMDetection 3.3's {@code OpenImagesMetric} (mmdet/evaluation/metrics/openimages_metric.py) with {@code eval_map}'s
 * Open Images path (mmdet/evaluation/functional/mean_ap.py: {@code tpfp_openimages}, {@code get_cls_results},
 * {@code get_cls_group_ofs}, {@code average_precision('area')}, {@code print_map_summary}):
 * <ul>
 *   <li>{@code process}: each ground-truth instance is repeated for each ancestor of its class
 *       ({@code _get_supercategory_ann}, with {@code get_supercategory}); the predictions are repeated for each ancestor
 *       that the image's (expanded) ground truth or image-level labels hold, and with {@code filter_labels} those of a
 *       class neither holds are dropped ({@code _process_predictions}, its list operations replayed in order);</li>
 *   <li>per class and image, detections in descending score are matched to the non-group-of boxes by IoU (a true
 *       positive once per box); those left false positives are then matched to the group-of boxes by IoA (the
 *       detection's area): each group-of box matched counts as one true positive carried by its best-scoring
 *       detection, whose matched detections leave the list, and each group-of box unmatched adds a false positive of
 *       score 0;</li>
 *   <li>AP is the area under the precision envelope; the mAP of a threshold pair averages the classes with ground
 *       truth (numpy's float32 mean); {@code AP50} etc. are {@code round(mean_ap, 3)}, {@code mAP} their plain mean, with
 *       the {@code openimages/} prefix, in MMDetection's order (the APs, then mAP).</li>
 * </ul>
 * Numbers are numpy's: float32 IoUs, float32 precisions except for a class where some image has group-of boxes (numpy
 * then promotes them to float64), pairwise sums; ties in score are ordered stably (numpy's argsort may not be, see
 * {@link VocMap}). MMDetection fails for {@code scale_ranges} (it rounds a list) and for {@code use_group_of=False}
 * ({@code tpfp_openimages} always returns three arrays), so neither is offered. The printed table names the classes
 * by the dataset's label file; MMDetection names them by its built-in {@code oid_v6} / {@code oid_challenge} lists,
 * which are those files' names in the same order.
 */
public final class OpenImagesMetric {
    private OpenImagesMetric() {}

    /** MMDetection's {@code default_prefix}. */
    public static final String PREFIX = "openimages/";

    /** The metric's settings: {@code iou_thrs}, {@code ioa_thrs} (as many), {@code get_supercategory}, {@code filter_labels}. */
    public record Params(List<Double> iouThrs, List<Double> ioaThrs, boolean getSupercategory, boolean filterLabels) {
        public Params {
            iouThrs = List.copyOf(iouThrs);
            ioaThrs = List.copyOf(ioaThrs);
            if (iouThrs.isEmpty() || iouThrs.size() != ioaThrs.size())
                throw new IllegalArgumentException("iou_thrs and ioa_thrs must be as many (MMDetection asserts it), got "
                        + iouThrs + " and " + ioaThrs);
        }

        /** MMDetection's defaults: 0.5, 0.5, True, True. */
        public static Params defaults() { return new Params(List.of(0.5), List.of(0.5), true, true); }
    }

    /**
     * One data sample as {@code process} reads it: the ground-truth instances ({@code [n*4]} corners, labels, group-of
     * flags), the image-level labels (null: the dataset has none), and the predictions ({@code [m*4]} corners, float32
     * scores, labels).
     */
    public record Sample(float[] gtBoxes, int[] gtLabels, boolean[] gtGroupOf, int[] imageLevelLabels,
                         float[] predBoxes, float[] predScores, int[] predLabels) {}

    /** One class at one threshold pair: print_map_summary's row. */
    public record ClassResult(String name, int gts, int dets, double recall, double ap) {}

    /**
     * The evaluation: per threshold pair its key ({@code AP50}), mAP ({@code eval_map}'s mean_ap) and class rows, and
     * the mean over the pairs.
     */
    public record Result(double mAP, List<String> keys, List<Double> iouThrs, List<Double> ioaThrs, List<Double> meanAps,
                         List<List<ClassResult>> classes) implements Evaluation {
        /** {@code openimages/AP50} ({@code round(mean_ap, 3)}) per pair, then {@code openimages/mAP}. */
        @Override public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) m.put(PREFIX + keys.get(i), Evaluation.round3(meanAps.get(i)));
            m.put(PREFIX + "mAP", mAP);
            return m;
        }

        @Override public List<String> summaryLines() { return lines(); }

        /**
         * What MMDetection logs: per pair the line {@code ---------------iou_thr, ioa_thr: 0.5, 0.5---------------}
         * (after an empty line) and print_map_summary's table; then the metrics.
         */
        public List<String> lines() {
            List<String> out = new ArrayList<>(printed());
            StringBuilder b = new StringBuilder();
            metrics().forEach((k, v) -> b.append(b.length() == 0 ? "" : "  ").append(k).append(": ").append(PyFloat.fixed(v, 4)));
            out.add(b.toString());
            return out;
        }

        /**
         * The logged lines of compute_metrics, its two messages per pair split at their newlines: an empty line, the
         * thresholds' line, an empty line and print_map_summary's table.
         */
        public List<String> printed() {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                out.add("");
                out.add("-".repeat(15) + "iou_thr, ioa_thr: " + PyFloat.repr(iouThrs.get(i)) + ", " + PyFloat.repr(ioaThrs.get(i))
                        + "-".repeat(15));
                List<List<String>> table = new ArrayList<>();
                table.add(List.of("class", "gts", "dets", "recall", "ap"));
                for (ClassResult c : classes.get(i))
                    table.add(List.of(c.name(), Integer.toString(c.gts()), Integer.toString(c.dets()),
                            PyFloat.fixed((float) c.recall(), 3), PyFloat.fixed((float) c.ap(), 3)));
                table.add(List.of("mAP", "", "", "", PyFloat.fixed(meanAps.get(i), 3)));
                out.add(""); // print_log('\n' + table.table)
                out.addAll(AsciiTable.of(table, true));
            }
            return out;
        }

        @Override public void writeJson(java.nio.file.Path out) throws java.io.IOException {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("metric", "OpenImagesMetric");
            metrics().forEach((k, v) -> j.put(k.substring(PREFIX.length()), v));
            List<Object> pairs = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("iou_thr", iouThrs.get(i));
                p.put("ioa_thr", ioaThrs.get(i));
                p.put("mean_ap", meanAps.get(i));
                p.put("classes", classes.get(i));
                pairs.add(p);
            }
            j.put("thresholds", pairs);
            byte[] bytes = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(j);
            autoassign.io.AtomicFiles.write(out, os -> os.write(bytes));
        }
    }

    /**
     * Evaluates the detections of the images of {@code evaluated} (the dataset's images that ran, in order; ids are
     * positions in {@code data}), category ids being labels.
     */
    public static Result evaluate(OpenImagesDataset.Data data, CocoDataset evaluated, List<CocoDetections.Detection> dets,
                                  Params params) {
        Map<Long, List<CocoDetections.Detection>> byImage = new HashMap<>();
        for (CocoDetections.Detection d : dets) byImage.computeIfAbsent(d.imageId(), k -> new ArrayList<>()).add(d);
        List<Sample> samples = new ArrayList<>(evaluated.size());
        for (ImageRecord r : evaluated.images()) {
            OpenImagesDataset.Image img = data.image(r);
            int n = img.instances().size();
            float[] gb = new float[4 * n];
            int[] gl = new int[n];
            boolean[] gg = new boolean[n];
            for (int k = 0; k < n; k++) {
                OpenImagesDataset.Instance in = img.instances().get(k);
                gb[4 * k] = in.x1(); gb[4 * k + 1] = in.y1(); gb[4 * k + 2] = in.x2(); gb[4 * k + 3] = in.y2();
                gl[k] = in.label();
                gg[k] = in.groupOf();
            }
            List<CocoDetections.Detection> mine = byImage.getOrDefault(r.id(), List.of());
            float[] pb = new float[4 * mine.size()], ps = new float[mine.size()];
            int[] pl = new int[mine.size()];
            for (int k = 0; k < mine.size(); k++) {
                CocoDetections.Detection d = mine.get(k);
                pb[4 * k] = (float) d.x(); pb[4 * k + 1] = (float) d.y();
                pb[4 * k + 2] = (float) (d.x() + d.w()); pb[4 * k + 3] = (float) (d.y() + d.h());
                ps[k] = (float) d.score();
                pl[k] = (int) d.categoryId();
            }
            samples.add(new Sample(gb, gl, gg, img.imageLevelLabels(), pb, ps, pl));
        }
        return evaluate(samples, data.classes(), data.relation(), params);
    }

    /** {@code process} over every sample, then {@code compute_metrics}. */
    public static Result evaluate(List<Sample> samples, List<String> classes, boolean[][] relation, Params params) {
        int numClasses = classes.size();
        List<Ann> anns = new ArrayList<>(samples.size());
        List<List<Det>> preds = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            Ann a = expandGt(s, relation, params.getSupercategory());
            anns.add(a);
            preds.add(processPredictions(s, a, relation, params));
        }
        List<String> keys = new ArrayList<>();
        List<Double> meanAps = new ArrayList<>();
        List<List<ClassResult>> tables = new ArrayList<>();
        double sum = 0;
        for (int t = 0; t < params.iouThrs().size(); t++) {
            double iou = params.iouThrs().get(t), ioa = params.ioaThrs().get(t);
            List<ClassResult> rows = new ArrayList<>();
            float[] aps = new float[numClasses];
            int withGt = 0;
            for (int c = 0; c < numClasses; c++) {
                ClassResult r = evaluateClass(classes.get(c), c, anns, preds, iou, ioa);
                rows.add(r);
                if (r.gts() > 0) aps[withGt++] = (float) r.ap();
            }
            double map = withGt == 0 ? 0 : (float) (PairwiseSum.sum(aps, withGt) / (double) withGt);
            keys.add(VocMap.apName(iou)); // f'AP{int(iou_thr * 100):02d}'
            meanAps.add(map);
            tables.add(rows);
            sum += map;
        }
        return new Result(sum / params.iouThrs().size(), keys, params.iouThrs(), params.ioaThrs(), meanAps, tables);
    }

    // ---- process ----

    /** The image's ground truth after {@code _get_supercategory_ann}: the instances, then their ancestors' copies. */
    private record Ann(float[] boxes, int[] labels, boolean[] groupOf) {}

    private record Det(float x1, float y1, float x2, float y2, float score, int label) implements VocMap.Scored {}

    private static Ann expandGt(Sample s, boolean[][] relation, boolean getSupercategory) {
        int n = s.gtLabels().length;
        List<Integer> src = new ArrayList<>(), lab = new ArrayList<>();
        for (int k = 0; k < n; k++) { src.add(k); lab.add(s.gtLabels()[k]); }
        if (getSupercategory)
            for (int k = 0; k < n; k++) {
                int l = s.gtLabels()[k];
                for (int p = 0; p < relation[l].length; p++)
                    if (relation[l][p] && p != l) { src.add(k); lab.add(p); }
            }
        float[] boxes = new float[4 * src.size()];
        int[] labels = new int[src.size()];
        boolean[] group = new boolean[src.size()];
        for (int i = 0; i < src.size(); i++) {
            System.arraycopy(s.gtBoxes(), 4 * src.get(i), boxes, 4 * i, 4);
            labels[i] = lab.get(i);
            group[i] = s.gtGroupOf()[src.get(i)];
        }
        return new Ann(boxes, labels, group);
    }

    /** {@code _process_predictions}, its concatenations and removals in order. */
    private static List<Det> processPredictions(Sample s, Ann gt, boolean[][] relation, Params p) {
        int m = s.predLabels().length;
        List<Det> original = new ArrayList<>(m);
        for (int k = 0; k < m; k++)
            original.add(new Det(s.predBoxes()[4 * k], s.predBoxes()[4 * k + 1], s.predBoxes()[4 * k + 2], s.predBoxes()[4 * k + 3],
                    s.predScores()[k], s.predLabels()[k]));
        List<Det> processed = new ArrayList<>(original);
        java.util.Set<Integer> allowed = new java.util.HashSet<>();
        for (int l : gt.labels()) allowed.add(l);
        if (s.imageLevelLabels() != null) for (int l : s.imageLevelLabels()) allowed.add(l);
        TreeSet<Integer> predClasses = new TreeSet<>(); // np.unique: ascending
        for (int l : s.predLabels()) predClasses.add(l);
        for (int predClass : predClasses) {
            for (int cls = 0; cls < relation[predClass].length; cls++) {
                if (!relation[predClass][cls]) continue; // np.where(relation_matrix[pred_class])[0], ascending
                if (allowed.contains(cls) && cls != predClass && p.getSupercategory()) {
                    for (Det d : original) // index = np.where(pred_labels == pred_class): the original predictions
                        if (d.label() == predClass) processed.add(new Det(d.x1(), d.y1(), d.x2(), d.y2(), d.score(), cls));
                } else if (!allowed.contains(cls) && p.filterLabels()) {
                    final int drop = cls;
                    processed.removeIf(d -> d.label() == drop);
                }
            }
        }
        return processed;
    }

    // ---- eval_map for one class ----

    /** A detection of one class after tpfp_openimages: its score and whether it is a true / false positive. */
    private record Scored(double score, float tp, float fp) {}

    private static ClassResult evaluateClass(String name, int c, List<Ann> anns, List<List<Det>> preds, double iouThr, double ioaThr) {
        int numGts = 0;
        boolean float64 = false; // numpy: fp_group is float64, so the class's fp (and precision) become float64
        List<Scored> all = new ArrayList<>();
        for (int i = 0; i < anns.size(); i++) {
            Ann a = anns.get(i);
            List<float[]> gts = new ArrayList<>();
            List<Boolean> group = new ArrayList<>();
            for (int k = 0; k < a.labels().length; k++)
                if (a.labels()[k] == c) {
                    gts.add(Arrays.copyOfRange(a.boxes(), 4 * k, 4 * k + 4));
                    group.add(a.groupOf()[k]);
                }
            numGts += gts.size();
            List<Det> dets = new ArrayList<>();
            for (Det d : preds.get(i)) if (d.label() == c) dets.add(d);
            float64 |= tpfpOpenImages(dets, gts, group, iouThr, ioaThr, all);
        }
        int n = all.size();
        double[] scores = new double[n];
        for (int k = 0; k < n; k++) scores[k] = all.get(k).score();
        int[] order = autoassign.postprocess.ArgSort.descending(scores, n); // stable, -0 equals 0
        double[] recall = new double[n], precision = new double[n];
        float eps = Math.ulp(1.0f);
        double tp = 0, fp = 0; // integer counts: exact in float32 and float64 alike
        for (int k = 0; k < n; k++) {
            Scored s = all.get(order[k]);
            tp += s.tp();
            fp += s.fp();
            recall[k] = tp / Math.max(numGts, (double) eps);
            precision[k] = float64 ? tp / Math.max(tp + fp, (double) eps) : (float) tp / Math.max((float) (tp + fp), eps);
        }
        double ap = VocMap.areaAp(recall, precision);
        return new ClassResult(name, numGts, n, n > 0 ? recall[n - 1] : 0, ap);
    }

    /**
     * {@code tpfp_openimages} (one scale, no ignored boxes) for one image: appends its detections' (score, tp, fp) to
     * {@code out} in the order it returns them; true when it took the group-of path (float64 false positives).
     */
    private static boolean tpfpOpenImages(List<Det> dets, List<float[]> gts, List<Boolean> groupOf, double iouThr, double ioaThr,
                                          List<Scored> out) {
        int m = dets.size();
        float[] tp = new float[m], fp = new float[m];
        if (gts.isEmpty()) {
            for (Det d : dets) out.add(new Scored(d.score(), 0, 1));
            return false;
        }
        List<float[]> nonGroup = new ArrayList<>(), group = new ArrayList<>();
        for (int j = 0; j < gts.size(); j++) (groupOf.get(j) ? group : nonGroup).add(gts.get(j));
        int[] sortInds = VocMap.descendingScores(dets);
        if (!nonGroup.isEmpty()) {
            float[] iouMax = new float[m];
            int[] argmax = new int[m];
            for (int i = 0; i < m; i++) {
                iouMax[i] = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < nonGroup.size(); j++) {
                    float v = overlap(dets.get(i), nonGroup.get(j), false);
                    if (v > iouMax[i]) { iouMax[i] = v; argmax[i] = j; } // np.argmax: the first of equal maxima
                }
            }
            boolean[] covered = new boolean[nonGroup.size()];
            for (int i : sortInds) {
                if (iouMax[i] >= iouThr) {
                    if (!covered[argmax[i]]) { covered[argmax[i]] = true; tp[i] = 1; }
                    else fp[i] = 1;
                } else {
                    fp[i] = 1;
                }
            }
        } else {
            Arrays.fill(fp, 1f); // no non-group-of box: every detection is a false positive first
        }
        if (group.isEmpty()) {
            for (int i = 0; i < m; i++) out.add(new Scored(dets.get(i).score(), tp[i], fp[i]));
            return false;
        }
        int g = group.size();
        float[] ioaMax = new float[m];
        int[] ioaArg = new int[m];
        for (int i = 0; i < m; i++) {
            ioaMax[i] = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < g; j++) {
                float v = overlap(dets.get(i), group.get(j), true);
                if (v > ioaMax[i]) { ioaMax[i] = v; ioaArg[i] = j; }
            }
        }
        double[] groupScore = new double[g]; // det_bboxes_group[..., -1], zeros at first
        float[] tpGroup = new float[g];
        boolean[] matched = new boolean[m];
        for (int i : sortInds) {
            if (tp[i] != 0) continue; // box_is_covered
            if (ioaMax[i] >= ioaThr) {
                int j = ioaArg[i];
                tpGroup[j] = 1;
                matched[i] = true;
                if (groupScore[j] < dets.get(i).score()) groupScore[j] = dets.get(i).score();
            }
        }
        for (int i = 0; i < m; i++) if (!matched[i]) out.add(new Scored(dets.get(i).score(), tp[i], fp[i]));
        for (int j = 0; j < g; j++) out.add(new Scored(groupScore[j], tpGroup[j], tpGroup[j] <= 0 ? 1 : 0));
        return true;
    }

    /**
     * {@code bbox_overlaps} in float32 for a detection and a box: IoU, or with {@code iof} the overlap over the
     * detection's area; the denominator at least 1e-6.
     */
    private static float overlap(Det d, float[] g, boolean iof) {
        return BboxOverlaps.pair(d.x1(), d.y1(), d.x2(), d.y2(), g[0], g[1], g[2], g[3], 0f, iof);
    }
}
