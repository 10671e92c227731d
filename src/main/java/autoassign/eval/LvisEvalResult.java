package autoassign.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LVISEval's summary ({@code summarize}, {@code print_results}) and what MMDetection 3.3's {@code LVISMetric} reports
 * from it: {@code lvis/bbox_AP} … {@code lvis/bbox_APf} (its default metric items, each {@code float('{:.3f}')}), with
 * {@code classwise} the per-class {@code lvis/<name>_precision} first and its AP table.
 *
 * <p>Each number is lvis-api's {@code _summarize}: {@code np.mean} of the entries {@code > -1} of
 * {@code precision[T, R, K, A]} (AP; at one IoU for AP50 / AP75, one area for APs/m/l, one frequency group of
 * categories for APr/c/f) or {@code recall[T, K, A]} (AR@300), -1 when there is none; the means are numpy's pairwise
 * sums over the entries in C order ({@link CocoEvaluator#numpyMean}).
 */
public final class LvisEvalResult implements Evaluation {
    /** LVISMetric's default prefix. */
    public static final String PREFIX = "lvis/";

    /** lvis-api's result names, in its order. */
    public static final List<String> NAMES = List.of("AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf",
            "AR@300", "ARs@300", "ARm@300", "ARl@300");

    /** LVISMetric's default {@code metric_items}. */
    public static final List<String> DEFAULT_ITEMS = NAMES.subList(0, 9);

    private static final char[] GROUPS = {'r', 'c', 'f'};

    private final long[] catIds; // ascending: the K axis
    private final Map<Long, String> names; // file order
    private final Map<Long, Character> frequency;
    private final double[] precision; // [T][R][K][A] (one maxDets)
    private final double[] recall; // [T][K][A]
    private final boolean classwise;
    private final Map<String, Double> results = new LinkedHashMap<>();
    private final int numT, numR, numK, numA;
    private List<String> items = DEFAULT_ITEMS;

    LvisEvalResult(long[] catIds, Map<Long, String> names, Map<Long, Character> frequency, double[] precision, double[] recall,
                   boolean classwise) {
        this.catIds = catIds;
        this.names = names;
        this.frequency = frequency;
        this.precision = precision;
        this.recall = recall;
        this.classwise = classwise;
        CocoEvalParams p = LvisEvaluator.PARAMS;
        numT = p.iouThrs().length;
        numR = p.recThrs().length;
        numK = catIds.length;
        numA = p.areaRng().length;
        results.put("AP", ap(-1, 0, -1));
        results.put("AP50", ap(0.5, 0, -1));
        results.put("AP75", ap(0.75, 0, -1));
        for (int a = 1; a <= 3; a++) results.put(NAMES.get(2 + a), ap(-1, a, -1));
        for (int f = 0; f < 3; f++) results.put(NAMES.get(6 + f), ap(-1, 0, f));
        for (int a = 0; a <= 3; a++) results.put(NAMES.get(9 + a), ar(a));
    }

    /** The items {@link #metrics()} reports (LVISMetric's {@code metric_items}, in lvis-api's order); this result. */
    public LvisEvalResult reporting(List<String> items) {
        this.items = items.isEmpty() ? DEFAULT_ITEMS : List.copyOf(items);
        return this;
    }

    /** lvis-api's {@code get_results()}: the 13 numbers by name. */
    public Map<String, Double> results() { return java.util.Collections.unmodifiableMap(results); }

    /** {@code _summarize('ap', iou_thr, area_rng, freq_group_idx)}; iouThr < 0: all thresholds, group < 0: all categories. */
    private double ap(double iouThr, int area, int group) {
        double[] buf = new double[precision.length];
        int n = 0;
        double[] thrs = LvisEvaluator.PARAMS.iouThrs();
        for (int t = 0; t < numT; t++) {
            if (iouThr >= 0 && thrs[t] != iouThr) continue; // np.where(iou_thr == params.iou_thrs)
            for (int r = 0; r < numR; r++)
                for (int k = 0; k < numK; k++) {
                    if (group >= 0 && frequency.get(catIds[k]) != GROUPS[group]) continue;
                    double v = precision[((t * numR + r) * numK + k) * numA + area];
                    if (v > -1) buf[n++] = v;
                }
        }
        return n == 0 ? -1 : CocoEvaluator.numpyMean(buf, n);
    }

    /** {@code _summarize('ar', area_rng)}. */
    private double ar(int area) {
        double[] buf = new double[recall.length];
        int n = 0;
        for (int t = 0; t < numT; t++)
            for (int k = 0; k < numK; k++) {
                double v = recall[(t * numK + k) * numA + area];
                if (v > -1) buf[n++] = v;
            }
        return n == 0 ? -1 : CocoEvaluator.numpyMean(buf, n);
    }

    /**
     * A category's AP as LVISMetric's classwise loop takes it: {@code np.mean} of {@code precision[:, :, k, 0]} over the
     * entries {@code > -1}, NaN when none.
     */
    public double categoryAp(long categoryId) {
        int k = java.util.Arrays.binarySearch(catIds, categoryId);
        double[] buf = new double[numT * numR];
        int n = 0;
        for (int t = 0; t < numT; t++)
            for (int r = 0; r < numR; r++) {
                double v = precision[((t * numR + r) * numK + k) * numA];
                if (v > -1) buf[n++] = v;
            }
        return CocoEvaluator.numpyMean(buf, n);
    }

    /** {@code lvis/bbox_<item>} of the reported items, unrounded. */
    @Override
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String item : items) m.put(PREFIX + "bbox_" + item, results.get(item));
        return m;
    }

    /**
     * As LVISMetric hands them to MMEngine: with {@code classwise}, {@code lvis/<name>_precision} ({@code round(ap, 3)} of a
     * numpy float64)
     * of each category in the file's order first, then the items, each {@code float('{:.3f}'.format(v))}.
     */
    @Override
    public Map<String, Double> reportedMetrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        // round(ap, 3) of np.mean's float64 is numpy's rounding (rint(x * 1000) / 1000), the items' '{:.3f}' Python's
        if (classwise) names.forEach((id, name) -> m.put(PREFIX + name + "_precision", PyFloat.numpyRound3(categoryAp(id))));
        metrics().forEach((k, v) -> m.put(k, Evaluation.round3(v)));
        return m;
    }

    /** {@code LVISEval.print_results()}, after the classwise table when there is one. */
    @Override
    public List<String> summaryLines() {
        List<String> out = new ArrayList<>(classwise ? classwiseTable() : List.of());
        for (var e : results.entrySet()) {
            String key = e.getKey();
            char c = key.length() > 2 ? key.charAt(2) : ' ';
            String iou = Character.isDigit(c) ? String.format(java.util.Locale.ROOT, "%.2f", Double.parseDouble(key.substring(2)) / 100)
                    : "0.50:0.95";
            String group = "rcf".indexOf(c) >= 0 ? String.valueOf(c) : "all";
            String area = "sml".indexOf(c) >= 0 ? String.valueOf(c) : "all";
            boolean isAp = key.contains("AP");
            out.add(String.format(java.util.Locale.ROOT, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d catIds=%3s] = %s",
                    isAp ? "Average Precision" : "Average Recall", isAp ? "(AP)" : "(AR)", iou, area, LvisEvaluator.MAX_DETS,
                    group, CocoEvalResult.fixed3(e.getValue())));
        }
        return out;
    }

    /**
     * LVISMetric's classwise table (terminaltables' AsciiTable): (category, AP) pairs, three pairs a row, in the file's
     * order of categories, each under its own name (MMDetection indexes the id-sorted precision axis by that order, which
     * misnames rows of a file not listed by id), AP {@code f'{ap:0.3f}'}; a short last row is filled with {@code None}.
     */
    public List<String> classwiseTable() {
        List<String> flat = new ArrayList<>();
        names.forEach((id, name) -> {
            flat.add(name);
            flat.add(CocoEvalResult.fixed3(categoryAp(id)));
        });
        int cols = Math.min(6, flat.size());
        List<List<String>> rows = new ArrayList<>();
        List<String> header = new ArrayList<>();
        for (int c = 0; c < cols / 2; c++) { header.add("category"); header.add("AP"); }
        rows.add(header);
        for (int i = 0; i < flat.size(); i += cols) {
            List<String> row = new ArrayList<>();
            for (int c = 0; c < cols; c++) row.add(i + c < flat.size() ? flat.get(i + c) : "None");
            rows.add(row);
        }
        return AsciiTable.of(rows);
    }

    /** {@code {"results": {AP: …, …}, "per_category_AP": {"<id>": AP | null}}} (temp file + rename). */
    @Override
    public void writeJson(Path out) throws IOException {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("results", results);
        Map<String, Double> perCat = new LinkedHashMap<>();
        for (long id : names.keySet()) {
            double ap = categoryAp(id);
            perCat.put(Long.toString(id), Double.isNaN(ap) ? null : ap);
        }
        j.put("per_category_AP", perCat);
        byte[] bytes = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(j);
        autoassign.io.AtomicFiles.write(out, os -> os.write(bytes));
    }
}
