package autoassign.train;

import autoassign.config.VisualizerConfig;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Appends every logged scalar record as one JSON line to {@code metrics.jsonl} and keeps them for the curves; with a
 * TensorBoard folder, also writes the record's scalars as TensorBoard events (the config's
 * {@code TensorboardVisBackend}); with {@link #alsoMmengine}, also MMEngine's json logs of the run.
 */
public final class MetricsLog implements AutoCloseable {
    /** metrics.jsonl's writer (NaN as the string "NaN"), and every log's reader: Python's bare NaN / Infinity accepted. */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    /** MMEngine's json logs as Python's json.dump writes them: NaN / Infinity as bare tokens (e.g. a classwise NaN precision). */
    private static final ObjectMapper MMENGINE_JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .disable(com.fasterxml.jackson.core.json.JsonWriteFeature.WRITE_NAN_AS_STRINGS).build();

    /** Record key → TensorBoard tag of a {@code mode: train} record: MMEngine's LogProcessor tags. */
    static final Map<String, String> TRAIN_TAGS = identity("loss", "loss_pos", "loss_neg", "loss_center", "base_lr", "lr", "time",
            "data_time", "memory_mb", "grad_norm");
    /**
     * Record key → tag of a {@code mode: val} record: MMDetection's CocoMetric names under its {@code coco/} prefix
     * (every {@code metric_items} name; a record has those its evaluator reports, by default the six mAP).
     */
    static final Map<String, String> VAL_TAGS = prefixed("coco/", autoassign.eval.CocoMetricItems.ALL.stream()
            .map(n -> autoassign.eval.CocoMetricItems.metricName(n).substring("coco/".length())).toArray(String[]::new));

    private final BufferedWriter out;
    private final TensorboardEvents tensorboard;
    private final List<Map<String, Object>> records = new ArrayList<>();
    private final List<BufferedWriter> mmengine = new ArrayList<>();
    private boolean mmengineByEpoch;

    public MetricsLog(Path file, boolean append) { this(file, append, null); }

    /**
     * @param file           the JSON-lines file; {@code append} keeps (and reloads) its records, as on resume
     * @param tensorboardDir where to start a new TensorBoard event file (a resumed run adds a file, which TensorBoard
     *                       merges with the earlier ones of the folder); null for none
     */
    public MetricsLog(Path file, boolean append, Path tensorboardDir) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (append && Files.exists(file)) records.addAll(readRecords(file));
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open metrics log: " + e.getMessage(), e);
        }
        try {
            tensorboard = tensorboardDir == null ? null : TensorboardEvents.create(tensorboardDir);
        } catch (IOException e) {
            try {
                out.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException(tensorboardDir + ": cannot start a TensorBoard event file: " + e.getMessage(), e);
        }
    }

    /**
     * The training log of {@code workDir}: {@code metrics.jsonl}, and TensorBoard events where {@code vis} puts them
     * (when it has a {@code TensorboardVisBackend}). A fresh run ({@code append} false) deletes the event files of
     * the work dir's own {@code vis_data}, as it restarts metrics.jsonl; a {@code save_dir} elsewhere is never
     * cleaned (it may hold other runs).
     */
    public static MetricsLog open(Path workDir, VisualizerConfig vis, boolean append) {
        Path tb = vis.tensorboardDir(workDir);
        if (tb != null && !append && vis.tensorboardDirInWorkDir()) {
            try {
                TensorboardEvents.deleteEventFiles(tb);
            } catch (IOException e) {
                throw new UncheckedIOException(tb + ": cannot delete the previous run's event files: " + e.getMessage(), e);
            }
        }
        return new MetricsLog(workDir.resolve("metrics.jsonl"), append, tb);
    }

    /**
     * From now on each record is also a line of MMEngine's json logs ({@link MmengineScalars}) in {@code visData}:
     * {@code scalars.json} and {@code <timestamp>.json}, as its LocalVisBackend writes them for one run.
     *
     * @param byEpoch an epoch-based loop (validations at step = epoch), else iteration-based
     */
    public void alsoMmengine(Path visData, String timestamp, boolean byEpoch) throws IOException {
        Files.createDirectories(visData);
        mmengineByEpoch = byEpoch;
        for (String name : new String[] {"scalars.json", timestamp + ".json"})
            mmengine.add(Files.newBufferedWriter(visData.resolve(name), StandardCharsets.UTF_8));
    }

    /** The TensorBoard event file being written, or null. */
    public Path tensorboardFile() { return tensorboard == null ? null : tensorboard.file(); }

    public void log(Map<String, Object> record) {
        Map<String, Object> copy = new LinkedHashMap<>(record);
        records.add(copy);
        try {
            out.write(JSON.writeValueAsString(copy));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics log: " + e.getMessage(), e);
        }
        if (tensorboard != null) toTensorboard(copy);
        Map<String, Object> line = mmengine.isEmpty() ? null : MmengineScalars.line(copy, mmengineByEpoch);
        if (line == null) return;
        try {
            String text = MMENGINE_JSON.writeValueAsString(line);
            for (BufferedWriter w : mmengine) {
                w.write(text);
                w.newLine();
                w.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write MMEngine's json log: " + e.getMessage(), e);
        }
    }

    /** The record's scalars as one event at step {@code iter} (MMEngine's x axis: iterations done). */
    private void toTensorboard(Map<String, Object> rec) {
        Map<String, String> tags = "train".equals(rec.get("mode")) ? TRAIN_TAGS : "val".equals(rec.get("mode")) ? VAL_TAGS : null;
        if (tags == null || !(rec.get("iter") instanceof Number iter)) return;
        Map<String, Float> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> t : tags.entrySet())
            if (rec.get(t.getKey()) instanceof Number n) values.put(t.getValue(), n.floatValue());
        if (tags == VAL_TAGS) // VOCMetric's values are logged under their own names (pascal_voc/mAP, pascal_voc/AP50, ...)
            rec.forEach((k, v) -> {
                if ((k.startsWith("pascal_voc/") || k.startsWith("lvis/") || k.startsWith("crowd_human/")) && v instanceof Number n) values.put(k, n.floatValue());
            });
        if (values.isEmpty()) return;
        try {
            tensorboard.scalars(iter.longValue(), values);
        } catch (IOException e) {
            throw new UncheckedIOException(tensorboard.file() + ": cannot write TensorBoard event: " + e.getMessage(), e);
        }
    }

    public List<Map<String, Object>> records() { return records; }

    /** The records of a metrics log (what {@link #log} wrote), in order; a line cut by a crash is dropped. */
    public static List<Map<String, Object>> readRecords(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            try {
                @SuppressWarnings("unchecked") Map<String, Object> m = JSON.readValue(line, Map.class);
                out.add(m);
            } catch (IOException partialLine) {
                // a line cut by a crash is dropped, the rest stays
            }
        }
        return out;
    }

    @Override public void close() throws IOException {
        IOException first = null;
        List<AutoCloseable> all = new ArrayList<>(List.of(out));
        all.addAll(mmengine);
        if (tensorboard != null) all.add(tensorboard);
        for (AutoCloseable c : all) { // each closed even when another fails
            try {
                c.close();
            } catch (Exception e) {
                IOException io = e instanceof IOException x ? x : new IOException(e);
                if (first == null) first = io;
                else first.addSuppressed(io);
            }
        }
        if (first != null) throw first;
    }

    private static Map<String, String> identity(String... keys) { return prefixed("", keys); }

    private static Map<String, String> prefixed(String prefix, String... keys) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : keys) m.put(k, prefix + k);
        return java.util.Collections.unmodifiableMap(m);
    }
}
