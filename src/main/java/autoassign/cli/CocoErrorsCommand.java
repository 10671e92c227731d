package autoassign.cli;

import autoassign.eval.CocoDetections;
import autoassign.eval.CocoErrorAnalysis;
import autoassign.eval.CocoFormatException;
import autoassign.eval.CocoGroundTruth;
import autoassign.viz.BoxPainter;
import autoassign.viz.CocoErrorPlots;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code coco-errors --ann GT.json --results DETS.json --out DIR}: MMDetection's
 * {@code tools/analysis_tools/coco_error_analysis.py RESULT.json OUT_DIR --ann GT.json} (bbox): per category and area
 * range the stacked precision-recall areas C75 / C50 / Loc / Sim / Oth / BG / FN ({@link CocoErrorAnalysis}) drawn
 * into {@code DIR/bbox/bbox-<category>-<area>.png} (and {@code bbox-allclass-<area>.png}), as the script names them,
 * plus {@code DIR/bbox/coco_error_analysis.json} with every number.
 */
@Command(name = "coco-errors", aliases = "coco-error-analysis", mixinStandardHelpOptions = true,
        description = {"COCO error analysis of a results file, as MMDetection's tools/analysis_tools/coco_error_analysis.py: "
            + "per category and area range, the precision-recall areas at IoU .75 (C75), .5 (C50) and .1 (Loc), then "
            + "without supercategory confusions (Sim), any class confusion (Oth), background false positives (BG), any "
            + "error (FN).",
            "  coco-errors --ann GT.json --results DETS.json --out DIR [--areas 1024 9216 10000000000] [--extraplots]",
            "Writes DIR/bbox/bbox-<category>-<area>.png, bbox-allclass-<area>.png and coco_error_analysis.json. "
            + "Bad input gives a one-line error and exit code 1."})
public final class CocoErrorsCommand implements Callable<Integer> {

    @Option(names = "--ann", required = true, paramLabel = "GT.json",
            description = "COCO ground truth (instances json with images, categories with supercategory, annotations)")
    Path ann;

    @Option(names = "--results", required = true, paramLabel = "DETS.json",
            description = "COCO results list: [{image_id, category_id, bbox: [x, y, w, h], score}, ...], or MMDetection's "
                    + "test.py --out pickle (labels index the ground truth's categories in the file's order)")
    Path results;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (pictures and json in DIR/bbox)")
    Path out;

    @Option(names = "--areas", arity = "1..*", paramLabel = "A",
            description = "the 3 area boundaries: small/medium, medium/large, largest (default: 1024 9216 10000000000)")
    List<String> areas = new ArrayList<>(List.of("1024", "9216", "10000000000"));

    @Option(names = "--extraplots", description = "also the bar plots per category, the GT count per area group and the "
            + "GT area histogram")
    boolean extraplots;

    @Spec
    CommandSpec spec;

    static final String TYPE = "bbox"; // the script's --types; segm needs masks, which this engine does not evaluate
    static final String JSON = "coco_error_analysis.json";

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter o = spec.commandLine().getOut();
        List<Long> bounds = new ArrayList<>();
        for (String a : areas) {
            try {
                bounds.add(Long.parseLong(a.strip()));
            } catch (NumberFormatException e) {
                return CliErrors.print(err, "--areas takes integers, got " + a);
            }
        }
        if (bounds.size() != 3) {
            return CliErrors.print(err, "--areas needs 3 integers (small/medium, medium/large, largest area), got "
                    + bounds.size());
        }
        if (!(bounds.get(0) > 0 && bounds.get(0) < bounds.get(1) && bounds.get(1) < bounds.get(2))) {
            return CliErrors.print(err, "--areas must be increasing positive areas (small/medium < medium/large < largest), got " + bounds);
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            return CliErrors.print(err, out + ": exists and is not a folder");
        }
        Path json = out.resolve(TYPE).resolve(JSON);
        if (SameFile.same(json, results) || SameFile.same(json, ann))
            return CliErrors.print(err, json + ": is an input file; give another --out folder");
        CocoGroundTruth gt;
        CocoDetections dets;
        try {
            gt = CocoGroundTruth.read(ann);
            dets = CocoDetections.read(results, gt);
        } catch (CocoFormatException e) {
            return CliErrors.print(err, e.oneLine());
        }
        if (gt.categories().isEmpty()) {
            return CliErrors.print(err, ann + ": no categories to analyse");
        }
        CocoErrorAnalysis r = CocoErrorAnalysis.run(gt, dets, bounds);
        Path dir = out.resolve(TYPE);
        int pictures;
        try {
            Files.createDirectories(dir);
            pictures = writePictures(r, dir, extraplots);
            r.writeJson(dir.resolve(JSON));
        } catch (IOException | UncheckedIOException e) {
            return CliErrors.print(err, dir + ": cannot write: " + CliErrors.message(e));
        }
        printTable(o, r, gt, dets, bounds);
        o.printf("-> %s (%d pictures), %s%n", dir, pictures, dir.resolve(JSON));
        o.flush();
        return 0;
    }

    /** The script's file name of a figure: {@code <iou type>-<class>-<what>.png} (path separators made {@code _}). */
    static String fileName(String className, String what) {
        String safe = className.replace('/', '_').replace('\\', '_').replace('\0', '_');
        return TYPE + "-" + safe + "-" + what + ".png";
    }

    /** Every figure the script draws, in parallel; a name two categories share is drawn for the later one. */
    static int writePictures(CocoErrorAnalysis r, Path dir, boolean extra) throws IOException {
        List<String> types = CocoErrorAnalysis.TYPES;
        List<String> areaNames = CocoErrorAnalysis.AREA_NAMES;
        Map<String, Supplier<BufferedImage>> figures = new LinkedHashMap<>();
        long[] cats = r.categoryIds();
        double[] rs = r.recThrs();
        for (int k = 0; k <= cats.length; k++) {
            boolean all = k == cats.length;
            int kk = k;
            String name = all ? "allclass" : r.name(k);
            for (int a = 0; a < areaNames.size(); a++) {
                int aa = a;
                String title = TYPE + "-" + name + "-" + areaNames.get(a);
                figures.put(fileName(name, areaNames.get(a)), () -> {
                    double[][] curves = new double[types.size()][];
                    List<String> legend = new ArrayList<>();
                    for (int t = 0; t < types.size(); t++) {
                        curves[t] = all ? r.allClassCurve(t, aa) : r.curve(t, kk, aa);
                        legend.add(CocoErrorAnalysis.legend(all ? r.allClassAp(t, aa) : r.ap(t, kk, aa), types.get(t)));
                    }
                    return CocoErrorPlots.prPlot(title, rs, curves, legend);
                });
            }
            if (extra) {
                String title = TYPE + "-" + name + "-ap bar plot";
                figures.put(fileName(name, "ap bar plot"), () -> {
                    double[][] aps = new double[types.size() - 1][areaNames.size()]; // FN is not drawn
                    for (int t = 0; t < aps.length; t++) {
                        for (int a = 0; a < areaNames.size(); a++) {
                            aps[t][a] = all ? r.allClassAp(t, a) : r.ap(t, kk, a);
                        }
                    }
                    return CocoErrorPlots.apBarPlot(title, aps, types, areaNames);
                });
            }
        }
        if (extra) {
            figures.put("number of annotations per area group.png", () -> {
                Map<String, Long> n = r.gtPerArea();
                return CocoErrorPlots.countPlot("number of annotations per area group", List.copyOf(n.keySet()),
                        n.values().stream().mapToLong(Long::longValue).toArray());
            });
            figures.put("gt annotation areas histogram plot.png", () -> {
                CocoErrorAnalysis.Histogram h = r.gtAreaHistogram();
                return CocoErrorPlots.histogramPlot("gt annotation areas histogram plot", "Squareroot Area", h.edges(),
                        h.counts());
            });
        }
        figures.entrySet().parallelStream().forEach(e -> {
            try {
                BoxPainter.write(e.getValue().get(), dir.resolve(e.getKey()));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        });
        return figures.size();
    }

    private static void printTable(PrintWriter o, CocoErrorAnalysis r, CocoGroundTruth gt, CocoDetections dets,
                                   List<Long> bounds) {
        List<String> types = CocoErrorAnalysis.TYPES;
        o.printf(Locale.ROOT, "bbox error analysis: %d images, %d categories, %d detections, areas %d %d %d (maxDets 100)%n",
                gt.imageIds().length, gt.categories().size(), dets.size(), bounds.get(0), bounds.get(1), bounds.get(2));
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-20s %-8s", "category", "area"));
        for (String t : types) {
            head.append(String.format(Locale.ROOT, " %6s", t));
        }
        o.println(head);
        for (int a = 0; a < CocoErrorAnalysis.AREA_NAMES.size(); a++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-20s %-8s", "allclass",
                    CocoErrorAnalysis.AREA_NAMES.get(a)));
            for (int t = 0; t < types.size(); t++) {
                row.append(' ').append(String.format(Locale.ROOT, "%6s", CocoErrorAnalysis.fixed3(r.allClassAp(t, a))));
            }
            o.println(row);
        }
        for (int k = 0; k < r.categoryIds().length; k++) {
            String name = r.name(k);
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-20s %-8s",
                    name.length() > 20 ? name.substring(0, 20) : name, "allarea"));
            for (int t = 0; t < types.size(); t++) {
                row.append(' ').append(String.format(Locale.ROOT, "%6s", CocoErrorAnalysis.fixed3(r.ap(t, k, 0))));
            }
            o.println(row);
        }
    }
}
