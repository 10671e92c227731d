package autoassign.train;

import autoassign.config.VisualizerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class MetricsLogTest {
    static final VisualizerConfig TENSORBOARD = new VisualizerConfig("DetLocalVisualizer", "visualizer", null,
            List.of(new VisualizerConfig.Backend("LocalVisBackend", null), new VisualizerConfig.Backend("TensorboardVisBackend", null)));

    static Map<String, Object> train(int iter, double loss) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "train");
        r.put("epoch", 1);
        r.put("iter", iter);
        r.put("lr", 0.01);
        r.put("time", 0.25);
        r.put("data_time", 0.125);
        r.put("memory_mb", 512L);
        r.put("loss", loss);
        r.put("loss_pos", 0.5);
        r.put("loss_neg", 0.25);
        r.put("loss_center", 0.0);
        return r;
    }

    static Map<String, Object> val(int iter) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "val");
        r.put("epoch", 1);
        r.put("iter", iter);
        r.put("bbox_mAP", 0.375);
        r.put("bbox_mAP_50", 0.75);
        r.put("bbox_mAP_75", 0.25);
        r.put("bbox_mAP_s", -1.0);
        r.put("bbox_mAP_m", 0.5);
        r.put("bbox_mAP_l", 0.625);
        r.put("stats", new double[12]);
        r.put("stat_names", new String[12]);
        return r;
    }

    static List<Path> eventFiles(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).sorted().toList();
        }
    }

    @Test
    void recordsFanOutToTensorboardTagsAtTheirIteration(@TempDir Path work) throws Exception {
        try (MetricsLog log = MetricsLog.open(work, TENSORBOARD, false)) {
            log.log(train(10, 2.0));
            log.log(train(20, 1.5));
            log.log(val(20));
            log.log(Map.of("mode", "other", "iter", 3, "loss", 1.0)); // not a train/val record: jsonl only
            assertEquals(work.resolve("vis_data"), log.tensorboardFile().getParent());
        }
        assertEquals(4, Files.readAllLines(work.resolve("metrics.jsonl")).size());
        List<Path> files = eventFiles(work.resolve("vis_data"));
        assertEquals(1, files.size());
        List<TfEventsTestReader.Event> ev = TfEventsTestReader.events(files.get(0));
        assertEquals(4, ev.size());
        assertEquals("brain.Event:2", ev.get(0).fileVersion());

        Map<String, Float> t = new LinkedHashMap<>();
        t.put("loss", 2.0f);
        t.put("loss_pos", 0.5f);
        t.put("loss_neg", 0.25f);
        t.put("loss_center", 0.0f);
        t.put("lr", 0.01f);
        t.put("time", 0.25f);
        t.put("data_time", 0.125f);
        t.put("memory_mb", 512f);
        assertEquals(10, ev.get(1).step());
        assertEquals(t, ev.get(1).values());
        assertEquals(20, ev.get(2).step());
        assertEquals(1.5f, ev.get(2).values().get("loss"));

        Map<String, Float> v = new LinkedHashMap<>();
        v.put("coco/bbox_mAP", 0.375f);
        v.put("coco/bbox_mAP_50", 0.75f);
        v.put("coco/bbox_mAP_75", 0.25f);
        v.put("coco/bbox_mAP_s", -1.0f);
        v.put("coco/bbox_mAP_m", 0.5f);
        v.put("coco/bbox_mAP_l", 0.625f);
        assertEquals(20, ev.get(3).step());
        assertEquals(v, ev.get(3).values());
    }

    @Test
    void resumeAddsAnEventFileAndAFreshRunClearsThem(@TempDir Path work) throws Exception {
        try (MetricsLog log = MetricsLog.open(work, TENSORBOARD, false)) { log.log(train(10, 2.0)); }
        try (MetricsLog log = MetricsLog.open(work, TENSORBOARD, true)) {
            assertEquals(1, log.records().size(), "metrics.jsonl reloaded on resume");
            log.log(train(20, 1.0));
        }
        List<Path> files = eventFiles(work.resolve("vis_data"));
        assertEquals(2, files.size());
        long steps = 0;
        for (Path f : files) for (TfEventsTestReader.Event e : TfEventsTestReader.events(f)) steps += e.step();
        assertEquals(30, steps, "iteration 10 in the first file, 20 in the second");

        try (MetricsLog log = MetricsLog.open(work, TENSORBOARD, false)) { log.log(train(5, 3.0)); }
        files = eventFiles(work.resolve("vis_data"));
        assertEquals(1, files.size(), "a fresh run starts the curves again, as metrics.jsonl");
        assertEquals(5, TfEventsTestReader.events(files.get(0)).get(1).step());
    }

    @Test
    void anExplicitSaveDirIsUsedAndNeverCleaned(@TempDir Path tmp) throws Exception {
        Path shared = tmp.resolve("runs");
        VisualizerConfig vis = new VisualizerConfig("Visualizer", "v", null,
                List.of(new VisualizerConfig.Backend("TensorboardVisBackend", shared.toString())));
        try (MetricsLog log = MetricsLog.open(tmp.resolve("a"), vis, false)) { log.log(train(1, 1.0)); }
        try (MetricsLog log = MetricsLog.open(tmp.resolve("b"), vis, false)) { log.log(train(1, 1.0)); }
        assertEquals(2, eventFiles(shared).size());
        assertFalse(Files.exists(tmp.resolve("a/vis_data")));

        VisualizerConfig under = new VisualizerConfig("Visualizer", "v", tmp.resolve("logs").toString(),
                List.of(new VisualizerConfig.Backend("TensorboardVisBackend", null)));
        try (MetricsLog log = MetricsLog.open(tmp.resolve("c"), under, false)) {
            assertEquals(tmp.resolve("logs/vis_data"), log.tensorboardFile().getParent());
        }
    }

    @Test
    void withoutTensorboardOnlyTheJsonLinesAreWritten(@TempDir Path work) throws Exception {
        try (MetricsLog log = MetricsLog.open(work, VisualizerConfig.DEFAULT, false)) {
            log.log(train(10, 2.0));
            assertNull(log.tensorboardFile());
        }
        try (MetricsLog log = new MetricsLog(work.resolve("metrics.jsonl"), true)) { // the two-argument form stays
            log.log(train(20, 1.0));
            assertEquals(2, log.records().size());
        }
        assertFalse(Files.exists(work.resolve("vis_data")));
        assertEquals(2, Files.readAllLines(work.resolve("metrics.jsonl")).size());
    }

    /**
     * MMEngine's json logs hold NaN as Python's json.dump writes it (a bare NaN token: CocoMetric's classwise
     * {@code <class>_precision} of a class without ground truth); they are written so and read back.
     */
    @Test
    void mmengineLinesWriteAndReadPythonsBareNaN(@TempDir Path work) throws Exception {
        Map<String, Object> v = val(20);
        v.put("person_precision", Double.NaN);
        try (MetricsLog log = new MetricsLog(work.resolve("metrics.jsonl"), false)) {
            log.alsoMmengine(work.resolve("vis_data"), "20240101_000000", true);
            log.log(v);
        }
        String line = Files.readAllLines(work.resolve("vis_data/scalars.json")).get(0);
        assertTrue(line.contains("\"coco/person_precision\":NaN"), line);
        List<Map<String, Object>> back = MetricsLog.readRecords(work.resolve("vis_data/scalars.json"));
        assertEquals(1, back.size(), "the NaN line is read, not dropped as a cut line");
        assertEquals(0.375, ((Number) back.get(0).get("coco/bbox_mAP")).doubleValue());
        assertTrue(Double.isNaN(((Number) back.get(0).get("coco/person_precision")).doubleValue()));
    }
}
