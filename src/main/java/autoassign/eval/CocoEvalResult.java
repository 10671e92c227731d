package autoassign.eval;

import autoassign.io.AtomicFiles;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Output of {@link CocoEvaluator}: the accumulated precision / recall arrays (COCOeval's {@code eval}), the 12
 * summary numbers ({@code stats}) and MMDetection's per-category AP.
 */
public final class CocoEvalResult implements Evaluation {

    private final CocoEvalParams params;
    private final long[] catIds;
    private final Map<Long, String> catNames;
    private final double[] precision; // [T][R][K][A][M]
    private final double[] recall; // [T][K][A][M]
    private final double[] stats;
    private final double[] perCategoryAp;
    private final List<String> summary = new ArrayList<>();

    CocoEvalResult(CocoEvalParams params, long[] catIds, Map<Long, String> catNames, double[] precision,
                   double[] recall) {
        this.params = params;
        this.catIds = catIds;
        this.catNames = catNames;
        this.precision = precision;
        this.recall = recall;
        this.stats = summarizeDets();
        this.perCategoryAp = new double[catIds.length];
        for (int k = 0; k < catIds.length; k++) {
            perCategoryAp[k] = meanPrecision(-1, k, 0, params.maxDets().length - 1);
        }
    }

    public CocoEvalParams params() {
        return params;
    }

    /** {@code eval['precision'][t, r, k, a, m]}. */
    public double precision(int t, int r, int k, int a, int m) {
        int numR = params.recThrs().length;
        int numA = params.areaRng().length;
        int numM = params.maxDets().length;
        return precision[(((t * numR + r) * catIds.length + k) * numA + a) * numM + m];
    }

    /** {@code eval['recall'][t, k, a, m]}. */
    public double recall(int t, int k, int a, int m) {
        int numA = params.areaRng().length;
        int numM = params.maxDets().length;
        return recall[((t * catIds.length + k) * numA + a) * numM + m];
    }

    /** MMDetection's CocoMetric names of the six AP numbers ({@code coco/bbox_mAP}, {@code _50}, …, {@code _l}). */
    public static final List<String> METRIC_NAMES = CocoMetricItems.metricNames(CocoMetricItems.DEFAULT);

    /** CocoMetric's results: {@code coco/bbox_<item>} of each of the parameters' metric items (default: the six AP). */
    @Override
    public java.util.Map<String, Double> metrics() {
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        for (String item : params.metricItems()) m.putIfAbsent(CocoMetricItems.metricName(item), stats[CocoMetricItems.statIndex(item)]);
        return m;
    }

    /**
     * Each metric as CocoMetric reports it: {@code float(f'{round(v, 3)}')} of a {@code numpy.float64}, i.e. numpy's
     * rounding ({@link PyFloat#numpyRound3}), not Python's.
     */
    @Override
    public java.util.Map<String, Double> reportedMetrics() {
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        metrics().forEach((k, v) -> m.put(k, PyFloat.numpyRound3(v)));
        return m;
    }

    /** The 12 numbers of {@code COCOeval.stats}. */
    public double[] stats() {
        return stats.clone();
    }

    public List<String> statNames() {
        return List.of(params.statNames());
    }

    /** Category ids, ascending. */
    public long[] categoryIds() {
        return catIds.clone();
    }

    /**
     * Per-category AP as MMDetection's classwise table: mean of {@code precision[:, :, k, 0, -1]} over entries
     * {@code > -1}; NaN where the category has no non-ignored GT. Keyed by category id, ascending.
     */
    public Map<Long, Double> perCategoryAp() {
        Map<Long, Double> m = new LinkedHashMap<>();
        for (int k = 0; k < catIds.length; k++) {
            m.put(catIds[k], perCategoryAp[k]);
        }
        return m;
    }

    /** The 12 lines {@code COCOeval.summarize()} prints. */
    public List<String> summaryLines() {
        return List.copyOf(summary);
    }

    /** The columns of MMDetection 3.3's classwise table (CocoMetric with {@code classwise=True}). */
    static final List<String> CLASSWISE_HEADERS = List.of("category", "mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l");

    /**
     * Category k's row of that table: the mean of {@code precision[...]} over entries {@code > -1} (NaN when none) at the
     * last maxDets, over all IoUs (mAP), at the 1st and the 6th IoU threshold (mAP_50, mAP_75 by default), and over all
     * IoUs for the small, medium and large areas.
     */
    private double[] classwiseRow(int k) {
        int m = params.maxDets().length - 1;
        return new double[] {perCategoryAp[k], meanPrecision(0, k, 0, m), meanPrecision(5, k, 0, m),
            meanPrecision(-1, k, 1, m), meanPrecision(-1, k, 2, m), meanPrecision(-1, k, 3, m)};
    }

    /** numpy's mean of {@code precision[t, :, k, a, m]} ({@code t} −1: every threshold) over the entries {@code > -1}. */
    private double meanPrecision(int t, int k, int a, int m) {
        int numR = params.recThrs().length;
        int from = t < 0 ? 0 : t, to = t < 0 ? params.iouThrs().length : t + 1;
        double[] buf = new double[(to - from) * numR];
        int n = 0;
        for (int i = from; i < to; i++) {
            for (int r = 0; r < numR; r++) {
                double v = precision(i, r, k, a, m);
                if (v > -1) {
                    buf[n++] = v;
                }
            }
        }
        return CocoEvaluator.numpyMean(buf, n);
    }

    /**
     * MMDetection 3.3's per-class table, as CocoMetric logs it (terminaltables' AsciiTable; each value
     * {@code f'{round(ap, 3)}'} of a {@code numpy.float64}: numpy's rounding). Rows follow the categories in ascending id, each under its own name (MMDetection
     * indexes COCOeval's id-sorted axis by the classes' file order, which names rows wrongly for a file not listed by
     * id; for COCO both agree).
     */
    public List<String> classwiseTable() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(CLASSWISE_HEADERS);
        for (int k = 0; k < catIds.length; k++) {
            List<String> row = new ArrayList<>();
            row.add(catNames.getOrDefault(catIds[k], String.valueOf(catIds[k])));
            for (double v : classwiseRow(k)) row.add(PyFloat.repr(PyFloat.numpyRound3(v))); // round(np.float64, 3)
            rows.add(row);
        }
        return AsciiTable.of(rows);
    }

    /**
     * CocoMetric's per-class results with {@code classwise=True}: {@code <name>_precision} = {@code round(ap, 3)} (the
     * table's mAP column), logged before the {@code bbox_*} ones; with the evaluator's prefix, {@code coco/<name>_precision}.
     */
    public java.util.Map<String, Double> classwiseMetrics() {
        java.util.Map<String, Double> m = new LinkedHashMap<>();
        for (int k = 0; k < catIds.length; k++)
            m.put(catNames.getOrDefault(catIds[k], String.valueOf(catIds[k])) + "_precision", PyFloat.numpyRound3(perCategoryAp[k]));
        return m;
    }

    /**
     * The line CocoMetric logs after the summary (and the classwise table):
     * {@code bbox_mAP_copypaste: 0.404 0.592 0.435 0.244 0.444 0.520}, the first six stats as {@code f'{v:.3f}'}.
     */
    public String copypasteLine() {
        StringBuilder b = new StringBuilder("bbox_mAP_copypaste:");
        for (int i = 0; i < 6; i++) b.append(' ').append(fixed3(stats[i]));
        return b.toString();
    }

    /** Python's {@code '{:0.3f}'.format(x)}: correctly rounded from the exact binary value, ties to even. */
    static String fixed3(double x) { return PyFloat.fixed(x, 3); }

    private double[] summarizeDets() {
        int[] md = params.maxDets();
        // COCOeval's summary reads maxDets[0..2] and the AP at 100; COCOevalMP's everything at the largest maxDets
        int apDets = params.mpSummary() ? md[md.length - 1] : md[2];
        double[] s = new double[12];
        s[0] = summarize(true, null, "all", params.mpSummary() ? apDets : 100);
        s[1] = summarize(true, 0.5, "all", apDets);
        s[2] = summarize(true, 0.75, "all", apDets);
        s[3] = summarize(true, null, "small", apDets);
        s[4] = summarize(true, null, "medium", apDets);
        s[5] = summarize(true, null, "large", apDets);
        s[6] = summarize(false, null, "all", md[0]);
        s[7] = summarize(false, null, "all", md[1]);
        s[8] = summarize(false, null, "all", md[2]);
        s[9] = summarize(false, null, "small", apDets);
        s[10] = summarize(false, null, "medium", apDets);
        s[11] = summarize(false, null, "large", apDets);
        return s;
    }

    private double summarize(boolean ap, Double iouThr, String areaLbl, int maxDets) {
        double[] iouThrs = params.iouThrs();
        int numT = iouThrs.length;
        int numR = params.recThrs().length;
        int numK = catIds.length;
        int aind = -1;
        for (int i = 0; i < params.areaLbl().length; i++) {
            if (params.areaLbl()[i].equals(areaLbl)) {
                aind = i;
            }
        }
        List<Integer> minds = new ArrayList<>(); // every index holding maxDets (a repeated value: each, numpy's order)
        for (int i = 0; i < params.maxDets().length; i++) {
            if (params.maxDets()[i] == maxDets) {
                minds.add(i);
            }
        }
        List<Integer> ts = new ArrayList<>();
        for (int t = 0; t < numT; t++) {
            // np.where(iouThr == p.iouThrs): exact comparison with an ndarray; a Python list never equals a float
            if (iouThr == null || !params.listIouThrs() && iouThrs[t] == iouThr) {
                ts.add(t);
            }
        }
        double mean = -1;
        if (aind >= 0 && !minds.isEmpty()) {
            double[] buf = new double[ts.size() * (ap ? numR : 1) * numK * minds.size()];
            int n = 0;
            for (int t : ts) {
                if (ap) {
                    for (int r = 0; r < numR; r++) {
                        for (int k = 0; k < numK; k++) {
                            for (int mind : minds) {
                                double v = precision(t, r, k, aind, mind);
                                if (v > -1) {
                                    buf[n++] = v;
                                }
                            }
                        }
                    }
                } else {
                    for (int k = 0; k < numK; k++) {
                        for (int mind : minds) {
                            double v = recall(t, k, aind, mind);
                            if (v > -1) {
                                buf[n++] = v;
                            }
                        }
                    }
                }
            }
            if (n > 0) {
                mean = CocoEvaluator.numpyMean(buf, n);
            }
        }
        String title = ap ? "Average Precision" : "Average Recall";
        String type = ap ? "(AP)" : "(AR)";
        String iouStr = iouThr == null
                ? fixed2(iouThrs[0]) + ":" + fixed2(iouThrs[numT - 1])
                : fixed2(iouThr);
        summary.add(String.format(" %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %s", title, type, iouStr,
                areaLbl, maxDets, fixed3(mean)));
        return mean;
    }

    private static String fixed2(double x) { return PyFloat.fixed(x, 2); }

    /**
     * Writes {@code {"stats": [12], "names": [...], "per_category_AP": {"id": AP or null}}} to a temp file next to
     * {@code out} and renames it over {@code out}.
     */
    public void writeJson(Path out) throws IOException {
        AtomicFiles.write(out, this::writeJson);
    }

    /** Writes the result json (see {@link #writeJson(Path)}) to a stream (left open). */
    public void writeJson(OutputStream os) throws IOException {
        try (JsonGenerator g = Json.FACTORY.createGenerator(os)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            g.writeStartObject();
            g.writeArrayFieldStart("stats");
            for (double v : stats) {
                g.writeNumber(v);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("names");
            for (String n : params.statNames()) {
                g.writeString(n);
            }
            g.writeEndArray();
            g.writeObjectFieldStart("per_category_AP");
            for (int k = 0; k < catIds.length; k++) {
                g.writeFieldName(Long.toString(catIds[k]));
                if (Double.isNaN(perCategoryAp[k])) {
                    g.writeNull();
                } else {
                    g.writeNumber(perCategoryAp[k]);
                }
            }
            g.writeEndObject();
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }
}
