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
import java.util.function.LongPredicate;
import java.util.stream.IntStream;

/**
 * The numbers of MMDetection 3.3.0's {@code tools/analysis_tools/coco_error_analysis.py} (bbox): per category and
 * area range, seven precision-over-recall curves (101 recall thresholds, maxDets 100) that peel off one kind of
 * error each, and their means (the {@code [0.583]C75} of the plot legends):
 * <ul>
 *   <li>{@code C75}, {@code C50}, {@code Loc}: COCOeval at IoU 0.75, 0.5 and 0.1 (one run, IoUs [0.75, 0.5, 0.1]);</li>
 *   <li>{@code Sim}: only the category's detections, IoU 0.1, with the GT boxes of the other categories of its
 *       supercategory turned into crowd (ignore) regions of this category: confusions with similar classes no
 *       longer count as false positives;</li>
 *   <li>{@code Oth}: the same with the GT boxes of every other category turned into ignore regions;</li>
 *   <li>{@code BG}: 1 wherever {@code Oth}'s precision is above 0, else 0 (the script's {@code ps[4] > 0}): no
 *       background false positives, precision 1 up to the recall reached;</li>
 *   <li>{@code FN}: 1 everywhere (all errors removed).</li>
 * </ul>
 * Every variant goes through the one COCOeval port ({@link CocoEvaluator}): the variants are only other inputs
 * (filtered detections, GT boxes re-labelled as crowd). As the script, absent values (-1: no ground truth in that
 * area range) become 0 before anything is averaged, so a category without GT counts as 0 in the {@code allclass}
 * means (unlike COCOeval's summary, which leaves it out) and its {@code FN} is still 1.
 *
 * <p>Categories are in ascending id, which is the script's order when the file lists them by id (COCO, and every
 * file MMDetection writes); for a file listing them otherwise the script pairs names and precision slices of
 * different categories, which is not reproduced.
 */
public final class CocoErrorAnalysis {

    /** The seven curves, in the order the script stacks them. */
    public static final List<String> TYPES = List.of("C75", "C50", "Loc", "Sim", "Oth", "BG", "FN");
    /** Area names of the plot files (the script's {@code areaNames}). */
    public static final List<String> AREA_NAMES = List.of("allarea", "small", "medium", "large");
    /** COCOeval's {@code areaRngLbl}, which the "number of annotations per area group" plot uses. */
    public static final List<String> AREA_LABELS = List.of("all", "small", "medium", "large");
    /** The script's {@code --areas} default. */
    public static final List<Long> DEFAULT_AREAS = List.of(1024L, 9216L, 10_000_000_000L);

    private static final double[] IOUS = {0.75, 0.5, 0.1};
    private static final int NT = 7;
    private static final int SIM = 3;
    private static final int OTH = 4;

    private final CocoGroundTruth gt;
    private final long[] catIds;
    private final long[] areas;
    private final double[][] areaRng;
    private final double[] recThrs;
    private final double[] ps; // [type][r][k][a], -1 already replaced by 0

    private CocoErrorAnalysis(CocoGroundTruth gt, long[] areas, double[][] areaRng, double[] recThrs, double[] ps) {
        this.gt = gt;
        this.catIds = gt.categoryIds();
        this.areas = areas;
        this.areaRng = areaRng;
        this.recThrs = recThrs;
        this.ps = ps;
    }

    /**
     * Runs the analysis. {@code areas} are the script's three {@code --areas} boundaries: the ranges are
     * {@code [0, a2]} (allarea), {@code [0, a0]}, {@code [a0, a1]}, {@code [a1, a2]}.
     */
    public static CocoErrorAnalysis run(CocoGroundTruth gt, CocoDetections dt, List<Long> areas) {
        if (areas.size() != 3) {
            throw new IllegalArgumentException("3 areas are needed (small/medium, medium/large, largest), got "
                    + areas.size());
        }
        long[] a = areas.stream().mapToLong(Long::longValue).toArray();
        double[][] rng = {{0, a[2]}, {0, a[0]}, {a[0], a[1]}, {a[1], a[2]}};
        String[] lbl = AREA_LABELS.toArray(new String[0]);
        double[] recThrs = CocoEvalParams.linspace(0.0, 1.0, 101);
        CocoEvalParams main = new CocoEvalParams(IOUS.clone(), recThrs, new int[] {100}, rng, lbl,
                CocoEvalParams.STANDARD_NAMES);
        CocoEvalParams loose = new CocoEvalParams(new double[] {0.1}, recThrs, new int[] {100}, rng, lbl,
                CocoEvalParams.STANDARD_NAMES);
        long[] cats = gt.categoryIds();
        int nk = cats.length;
        int nr = recThrs.length;
        int na = rng.length;
        double[] ps = new double[NT * nr * nk * na];
        double[] p = CocoEvaluator.precision(gt, dt, main); // [T][R][K][A][M=1]
        for (int t = 0; t < IOUS.length; t++) {
            System.arraycopy(p, t * nr * nk * na, ps, t * nr * nk * na, nr * nk * na);
        }
        // the per-category variants are independent: one task per category, each writes its own slice
        IntStream.range(0, nk).parallel().forEach(k -> {
            long c = cats[k];
            List<CocoDetections.Detection> own = new ArrayList<>();
            for (CocoDetections.Detection d : dt.detections()) {
                if (d.categoryId() == c) {
                    own.add(d);
                }
            }
            CocoDetections dk = new CocoDetections(dt.file(), own);
            String sup = gt.supercategories().get(c);
            LongPredicate similar = o -> sup != null && sup.equals(gt.supercategories().get(o));
            double[] sim = CocoEvaluator.precision(withIgnoreRegions(gt, c, similar), dk, loose); // [1][R][1][A][1]
            double[] oth = CocoEvaluator.precision(withIgnoreRegions(gt, c, o -> true), dk, loose);
            for (int r = 0; r < nr; r++) {
                for (int ai = 0; ai < na; ai++) {
                    ps[idx(SIM, r, k, ai, nr, nk, na)] = sim[r * na + ai];
                    ps[idx(OTH, r, k, ai, nr, nk, na)] = oth[r * na + ai];
                }
            }
        });
        for (int i = 0; i < OTH * nr * nk * na + nr * nk * na; i++) {
            if (ps[i] == -1) {
                ps[i] = 0; // ps[ps == -1] = 0
            }
        }
        for (int r = 0; r < nr; r++) {
            for (int k = 0; k < nk; k++) {
                for (int ai = 0; ai < na; ai++) {
                    ps[idx(5, r, k, ai, nr, nk, na)] = ps[idx(OTH, r, k, ai, nr, nk, na)] > 0 ? 1 : 0;
                    ps[idx(6, r, k, ai, nr, nk, na)] = 1;
                }
            }
        }
        return new CocoErrorAnalysis(gt, a, rng, recThrs, ps);
    }

    private static int idx(int type, int r, int k, int a, int nr, int nk, int na) {
        return ((type * nr + r) * nk + k) * na + a;
    }

    /**
     * The ground truth of category {@code c} alone, plus every box of a category {@code absorb} accepts turned into
     * a crowd box of {@code c} (the script sets {@code ignore = iscrowd = 1, category_id = catId}); file order kept,
     * which decides ties in the matching. Only {@code c} is evaluated (COCOeval's categories are independent).
     */
    private static CocoGroundTruth withIgnoreRegions(CocoGroundTruth gt, long c, LongPredicate absorb) {
        List<CocoGroundTruth.Annotation> anns = new ArrayList<>();
        for (CocoGroundTruth.Annotation a : gt.annotations()) {
            if (a.categoryId() == c) {
                anns.add(a);
            } else if (absorb.test(a.categoryId())) {
                anns.add(new CocoGroundTruth.Annotation(a.id(), a.imageId(), c, a.x(), a.y(), a.w(), a.h(), a.area(),
                        true));
            }
        }
        return new CocoGroundTruth(gt.file(), gt.imageIds(), Map.of(c, gt.categories().get(c)), anns,
                gt.supercategories());
    }

    /** Category ids, ascending. */
    public long[] categoryIds() {
        return catIds.clone();
    }

    public String name(int k) {
        return gt.categories().get(catIds[k]);
    }

    /** The category's supercategory, or null. */
    public String supercategory(int k) {
        return gt.supercategories().get(catIds[k]);
    }

    /** The three {@code --areas} boundaries. */
    public long[] areas() {
        return areas.clone();
    }

    /** The four area ranges [lo, hi] (allarea, small, medium, large). */
    public double[][] areaRanges() {
        return new double[][] {areaRng[0].clone(), areaRng[1].clone(), areaRng[2].clone(), areaRng[3].clone()};
    }

    public double[] recThrs() {
        return recThrs.clone();
    }

    /** Precision of one type ({@link #TYPES} index), category index and area index at each recall threshold. */
    public double[] curve(int type, int k, int a) {
        int nr = recThrs.length;
        double[] c = new double[nr];
        for (int r = 0; r < nr; r++) {
            c[r] = ps[idx(type, r, k, a, nr, catIds.length, 4)];
        }
        return c;
    }

    /** The {@code allclass} curve: at each recall threshold, the mean over all categories ({@code mean(axis=1)}). */
    public double[] allClassCurve(int type, int a) {
        int nr = recThrs.length;
        int nk = catIds.length;
        double[] c = new double[nr];
        double[] row = new double[nk];
        for (int r = 0; r < nr; r++) {
            for (int k = 0; k < nk; k++) {
                row[k] = ps[idx(type, r, k, a, nr, nk, 4)];
            }
            c[r] = CocoEvaluator.numpyMean(row, nk);
        }
        return c;
    }

    /** A category's area under one curve as the legend prints it: the mean over the recall thresholds. */
    public double ap(int type, int k, int a) {
        double[] c = curve(type, k, a);
        return CocoEvaluator.numpyMean(c, c.length);
    }

    /** The {@code allclass} value: the mean over recall thresholds and categories (in that memory order). */
    public double allClassAp(int type, int a) {
        int nr = recThrs.length;
        int nk = catIds.length;
        double[] all = new double[nr * nk];
        for (int r = 0; r < nr; r++) {
            for (int k = 0; k < nk; k++) {
                all[r * nk + k] = ps[idx(type, r, k, a, nr, nk, 4)];
            }
        }
        return CocoEvaluator.numpyMean(all, all.length);
    }

    /** A legend entry as the script writes it: {@code f'[{ap:.3f}]' + type}, e.g. {@code [0.583]C75}. */
    public static String legend(double ap, String type) {
        return "[" + CocoEvalResult.fixed3(ap) + "]" + type;
    }

    /** Python's {@code f'{x:.3f}'} (correctly rounded, ties to even). */
    public static String fixed3(double x) {
        return CocoEvalResult.fixed3(x);
    }

    /**
     * The {@code --extraplots} count per COCOeval area label: the non-ignored GT boxes (not crowd, area in range) of
     * the evaluated images and categories, i.e. the {@code gtIgnore} zeros the script adds up over {@code evalImgs}.
     */
    public Map<String, Long> gtPerArea() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int a = 0; a < 4; a++) {
            long n = 0;
            for (CocoGroundTruth.Annotation g : gt.annotations()) {
                if (gt.hasImage(g.imageId()) && gt.hasCategory(g.categoryId()) && !g.crowd()
                        && !(g.area() < areaRng[a][0] || g.area() > areaRng[a][1])) {
                    n++;
                }
            }
            m.put(AREA_LABELS.get(a), n);
        }
        return m;
    }

    /** A histogram: {@code counts[i]} values in {@code [edges[i], edges[i + 1])}, the last bin closed. */
    public record Histogram(double[] edges, long[] counts) {
    }

    /**
     * {@code np.histogram(np.sqrt(areas), bins=100)} over every annotation of the file ({@code cocoGt.anns}: one per
     * id, crowd boxes included), as {@code ax.hist} bins them for the "gt annotation areas histogram plot". Negative
     * areas (NaN roots, on which numpy fails) are left out.
     */
    public Histogram gtAreaHistogram() {
        Map<Long, Double> byId = new LinkedHashMap<>(); // a repeated id keeps its first place and its last value
        for (CocoGroundTruth.Annotation g : gt.annotations()) {
            byId.put(g.id(), g.area());
        }
        double[] v = byId.values().stream().mapToDouble(Math::sqrt).filter(x -> !Double.isNaN(x)).toArray();
        return histogram(v, 100);
    }

    /** numpy's {@code histogram(a, bins=n)} with equal bins over [min, max] (±0.5 when they are equal). */
    static Histogram histogram(double[] a, int n) {
        double first = 0;
        double last = 1; // numpy's range for an empty array
        if (a.length > 0) {
            first = Double.POSITIVE_INFINITY;
            last = Double.NEGATIVE_INFINITY;
            for (double x : a) {
                first = Math.min(first, x);
                last = Math.max(last, x);
            }
            if (first == last) {
                first -= 0.5;
                last += 0.5;
            }
        }
        double[] edges = CocoEvalParams.linspace(first, last, n + 1);
        long[] counts = new long[n];
        double denom = last - first;
        for (double x : a) {
            int i = (int) (((x - first) / denom) * n);
            if (i == n) {
                i--;
            }
            if (x < edges[i]) {
                i--; // the float division can land one bin off the computed edges: numpy corrects both ways
            }
            if (x >= edges[i + 1] && i != n - 1) {
                i++;
            }
            counts[i]++;
        }
        return new Histogram(edges, counts);
    }

    /** Writes the numbers as json (temp file + rename); see {@link #writeJson(OutputStream)}. */
    public void writeJson(Path out) throws IOException {
        AtomicFiles.write(out, this::writeJson);
    }

    /**
     * {@code {types, areas: {name: [lo, hi]}, rec_thrs, allclass: {ap: {area: {type: v}}, legend: {area: [..]},
     * precision: {area: {type: [101]}}}, categories: [{id, name, supercategory, ap, legend, precision}],
     * gt_per_area, gt_area_histogram: {sqrt_area_edges, counts}}}.
     */
    public void writeJson(OutputStream os) throws IOException {
        try (JsonGenerator g = Json.FACTORY.createGenerator(os)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setPrettyPrinter(new DefaultPrettyPrinter().withArrayIndenter(
                    DefaultPrettyPrinter.FixedSpaceIndenter.instance)); // a curve on one line
            g.writeStartObject();
            g.writeStringField("iou_type", "bbox");
            g.writeArrayFieldStart("types");
            for (String t : TYPES) {
                g.writeString(t);
            }
            g.writeEndArray();
            g.writeObjectFieldStart("areas");
            for (int a = 0; a < 4; a++) {
                g.writeArrayFieldStart(AREA_NAMES.get(a));
                g.writeNumber((long) areaRng[a][0]);
                g.writeNumber((long) areaRng[a][1]);
                g.writeEndArray();
            }
            g.writeEndObject();
            writeArray(g, "rec_thrs", recThrs);
            g.writeObjectFieldStart("allclass");
            writeBlock(g, -1);
            g.writeEndObject();
            g.writeArrayFieldStart("categories");
            for (int k = 0; k < catIds.length; k++) {
                g.writeStartObject();
                g.writeNumberField("id", catIds[k]);
                g.writeStringField("name", name(k));
                if (supercategory(k) == null) {
                    g.writeNullField("supercategory");
                } else {
                    g.writeStringField("supercategory", supercategory(k));
                }
                writeBlock(g, k);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("gt_per_area");
            for (Map.Entry<String, Long> e : gtPerArea().entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            Histogram h = gtAreaHistogram();
            g.writeObjectFieldStart("gt_area_histogram");
            writeArray(g, "sqrt_area_edges", h.edges());
            g.writeArrayFieldStart("counts");
            for (long c : h.counts()) {
                g.writeNumber(c);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    /** {@code ap}, {@code legend} and {@code precision} of category {@code k} ({@code -1}: allclass). */
    private void writeBlock(JsonGenerator g, int k) throws IOException {
        g.writeObjectFieldStart("ap");
        for (int a = 0; a < 4; a++) {
            g.writeObjectFieldStart(AREA_NAMES.get(a));
            for (int t = 0; t < NT; t++) {
                g.writeNumberField(TYPES.get(t), k < 0 ? allClassAp(t, a) : ap(t, k, a));
            }
            g.writeEndObject();
        }
        g.writeEndObject();
        g.writeObjectFieldStart("legend");
        for (int a = 0; a < 4; a++) {
            g.writeArrayFieldStart(AREA_NAMES.get(a));
            for (int t = 0; t < NT; t++) {
                g.writeString(legend(k < 0 ? allClassAp(t, a) : ap(t, k, a), TYPES.get(t)));
            }
            g.writeEndArray();
        }
        g.writeEndObject();
        g.writeObjectFieldStart("precision");
        for (int a = 0; a < 4; a++) {
            g.writeObjectFieldStart(AREA_NAMES.get(a));
            for (int t = 0; t < NT; t++) {
                writeArray(g, TYPES.get(t), k < 0 ? allClassCurve(t, a) : curve(t, k, a));
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void writeArray(JsonGenerator g, String name, double[] v) throws IOException {
        g.writeArrayFieldStart(name);
        for (double x : v) {
            g.writeNumber(x);
        }
        g.writeEndArray();
    }
}
