package autoassign.cli;

import autoassign.train.MetricsLog;
import autoassign.train.MmengineScalars;
import autoassign.viz.Curves;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code logs plot|time LOG...}: MMDetection's {@code tools/analysis_tools/analyze_logs.py} over training logs
 * ({@code work_dirs/<cfg>/metrics.jsonl}, or MMEngine's {@code vis_data/scalars.json} of an MMDetection run):
 * {@code plot} draws chosen keys of one or several runs in one chart (train
 * keys over iterations, the validation's {@code bbox_mAP*} over epochs), {@code time} reports the iteration time
 * per epoch as {@code cal_train_time} does.
 */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = {"Analyse training logs (work_dirs/<cfg>/metrics.jsonl), as MMDetection's analyze_logs.py:",
            "  logs plot LOG... --keys loss_pos loss_neg --out curves.png [--legend A B]",
            "  logs time LOG... [--include-outliers]"})
public final class LogsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "plot|time",
            description = "plot (or analyze_logs.py's plot_curve): curves of --keys; time (or cal_train_time): iteration time per epoch")
    String task;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "LOG", description = "metrics.jsonl files, MMEngine json logs (vis_data/scalars.json), or their work dirs")
    List<Path> logs;

    @Option(names = "--keys", arity = "1..*", paramLabel = "KEY", defaultValue = "loss",
            description = "logged keys to plot (default: ${DEFAULT-VALUE}); bbox_mAP, bbox_mAP_50, ... plot over epochs")
    List<String> keys;

    @Option(names = "--legend", arity = "1..*", paramLabel = "NAME", description = "one name per LOG and key (default: LOG_key)")
    List<String> legend;

    @Option(names = "--title", description = "the chart's title (default: none, as analyze_logs.py)") String title;

    @Option(names = "--start-epoch", paramLabel = "E",
            description = "accepted as analyze_logs.py's, which parses it and plots every epoch anyway")
    String startEpoch;

    @Option(names = "--eval-interval", paramLabel = "N",
            description = "accepted as analyze_logs.py's (it only picks the epoch checked for the key); validations are "
                    + "plotted at the epochs they ran")
    String evalInterval;

    @Option(names = "--out", paramLabel = "PNG", description = "where plot writes the chart (default: curves_<first key>.png)")
    Path out;

    @Option(names = "--include-outliers", description = "time: keep each epoch's first logged time (left out by default)")
    boolean includeOutliers;

    @Spec
    CommandSpec spec;


    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        try {
            List<Path> files = new ArrayList<>();
            for (Path p : logs) {
                if (!Files.isDirectory(p)) {
                    files.add(p);
                    continue;
                }
                List<Path> runs = runLogs(p);
                Path log = logOf(p, runs);
                long earlier = runs.stream().filter(r -> !r.equals(log)).count();
                if (!Files.isRegularFile(p.resolve("metrics.jsonl")) && earlier > 0) // a resumed MMDetection run, or reruns
                    o.println("note: " + p + " holds " + earlier + " earlier run(s); reading the newest, " + log
                            + " (give the others' vis_data/scalars.json to include them)");
                files.add(log);
            }
            List<List<Map<String, Object>>> records = new ArrayList<>();
            for (Path f : files) records.add(read(f));
            switch (task) {
                case "plot", "plot_curve" -> plot(o, files, records);
                case "time", "cal_train_time" -> time(o, files, records);
                default -> throw new CliErrors.UserError("unknown task '" + task + "': plot (plot_curve) or time (cal_train_time)");
            }
        } catch (CliErrors.UserError e) {
            return CliErrors.print(err, e.getMessage());
        } catch (IOException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        o.flush();
        return 0;
    }

    /**
     * The log of a work dir: its {@code metrics.jsonl}, else (an MMDetection work dir) the newest run's
     * {@code <timestamp>/vis_data/scalars.json}, else {@code vis_data/scalars.json}.
     */
    static Path logOf(Path dir) throws IOException {
        return logOf(dir, runLogs(dir));
    }

    /** {@link #logOf(Path)} with the work dir's {@link #runLogs} already listed. */
    private static Path logOf(Path dir, List<Path> runs) {
        if (Files.isRegularFile(dir.resolve("metrics.jsonl"))) return dir.resolve("metrics.jsonl");
        if (!runs.isEmpty()) return runs.get(runs.size() - 1);
        Path flat = dir.resolve("vis_data/scalars.json");
        return Files.isRegularFile(flat) ? flat : dir.resolve("metrics.jsonl");
    }

    /** The {@code <timestamp>/vis_data/scalars.json} files of a work dir, oldest first. */
    static List<Path> runLogs(Path dir) throws IOException {
        try (var runs = Files.list(dir)) {
            return runs.map(r -> r.resolve("vis_data/scalars.json")).filter(Files::isRegularFile)
                    .sorted(java.util.Comparator.comparing(f -> f.getParent().getParent().getFileName().toString())).toList();
        }
    }

    /**
     * The records of a metrics log (a line cut by a crash is skipped), or of MMEngine's json log
     * ({@code vis_data/scalars.json} / {@code <timestamp>.json} of an MMDetection or engine run), read as metrics.jsonl
     * records ({@link MmengineScalars#records}); none is an error.
     */
    static List<Map<String, Object>> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new CliErrors.UserError(file + ": no such log");
        List<Map<String, Object>> out;
        try {
            out = MetricsLog.readRecords(file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CliErrors.UserError(file + ": not valid UTF-8 text (not a json log)");
        }
        if (MmengineScalars.isMmengine(out)) out = MmengineScalars.records(out);
        if (out.isEmpty()) throw new CliErrors.UserError(file + ": no log records");
        return out;
    }

    private static double number(Map<String, Object> r, String key) {
        return r.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private void plot(PrintWriter o, List<Path> files, List<List<Map<String, Object>>> records) throws IOException {
        int curvesWanted = files.size() * keys.size();
        if (legend != null && legend.size() != curvesWanted)
            throw new CliErrors.UserError("--legend needs " + curvesWanted + " names (one per log and key), got " + legend.size());
        boolean overEpochs = keys.stream().allMatch(LogsCommand::validationKey);
        if (!overEpochs && keys.stream().anyMatch(LogsCommand::validationKey))
            throw new CliErrors.UserError("--keys: validation keys (bbox_mAP*, pascal_voc/*) are plotted over epochs, train keys "
                    + "over iterations: plot them separately");
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        boolean overIterations = false;
        int c = 0;
        for (int f = 0; f < files.size(); f++) {
            for (String key : keys) {
                List<double[]> points = new ArrayList<>();
                for (Map<String, Object> r : records.get(f)) {
                    boolean val = "val".equals(r.get("mode"));
                    if (val != overEpochs || !(r.get(key) instanceof Number)) continue;
                    boolean byIter = !overEpochs || !(r.get("epoch") instanceof Number); // an iteration-based run's validations
                    overIterations |= byIter;
                    points.add(new double[] {number(r, byIter ? "iter" : "epoch"), number(r, key)});
                }
                if (points.isEmpty()) throw new CliErrors.UserError(files.get(f) + ": no record has '" + key + "'");
                curves.put(legend != null ? legend.get(c) : files.get(f) + "_" + key, points);
                c++;
            }
        }
        Path png = out != null ? out : Path.of("curves_" + keys.get(0) + ".png");
        for (Path f : files) {
            if (SameFile.same(png, f)) throw new CliErrors.UserError(png + ": --out is a log being read; write the chart elsewhere");
        }
        // analyze_logs.py's axis labels ('iter' / 'epoch') and no title unless --title
        Curves.writeSeries(curves, overIterations ? "iter" : "epoch", title, png);
        o.println("wrote " + png);
    }

    private static boolean validationKey(String k) {
        return k.startsWith("bbox_mAP") || k.startsWith("pascal_voc/") || k.startsWith("lvis/") || k.startsWith("crowd_human/");
    }

    private void time(PrintWriter o, List<Path> files, List<List<Map<String, Object>>> records) {
        for (int f = 0; f < files.size(); f++) {
            Map<Integer, List<Double>> byEpoch = new TreeMap<>();
            for (Map<String, Object> r : records.get(f))
                if ("train".equals(r.get("mode")) && r.get("time") instanceof Number t)
                    byEpoch.computeIfAbsent((int) number(r, "epoch"), e -> new ArrayList<>()).add(t.doubleValue());
            List<double[]> means = new ArrayList<>(); // [epoch, mean time]
            for (var e : byEpoch.entrySet()) {
                List<Double> t = e.getValue();
                // the first logged window of an epoch holds the loader's start-up: left out, as analyze_logs.py does
                List<Double> kept = includeOutliers || t.size() < 2 ? t : t.subList(1, t.size());
                means.add(new double[] {e.getKey(), kept.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN)});
            }
            if (means.isEmpty()) throw new CliErrors.UserError(files.get(f) + ": no train record with a time");
            double[] slow = means.get(0), fast = means.get(0);
            double sum = 0, sq = 0;
            for (double[] m : means) {
                if (m[1] > slow[1]) slow = m;
                if (m[1] < fast[1]) fast = m;
                sum += m[1];
                sq += m[1] * m[1];
            }
            double mean = sum / means.size(), std = Math.sqrt(Math.max(0, sq / means.size() - mean * mean));
            o.println("-----Analyze train time of " + files.get(f) + "-----");
            o.printf(Locale.ROOT, "slowest epoch %d, average time is %.4f s/iter%n", (int) slow[0], slow[1]);
            o.printf(Locale.ROOT, "fastest epoch %d, average time is %.4f s/iter%n", (int) fast[0], fast[1]);
            o.printf(Locale.ROOT, "time std over epochs is %.4f%n", std);
            o.printf(Locale.ROOT, "average iter time: %.4f s/iter%n", mean); // np.mean(epoch_ave_time), as analyze_logs.py
            o.println(); // the script's print() after each log
        }
    }
}
