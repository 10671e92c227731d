package autoassign.train;

import autoassign.config.Config;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training run's MMEngine files: {@code <work_dir>/<timestamp>/<timestamp>.log} (what the trainer printed) and the
 * json logs {@code vis_data/scalars.json} / {@code <timestamp>.json}, which read back as metrics.jsonl's records.
 */
class MmengineRunFilesTest {
    @TempDir Path tmp;

    @Test
    void aRunWritesMmenginesTextAndJsonLogs() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Path wd = tmp.resolve("wd");
        new Trainer(cfg, TrainOptions.defaults().withWorkDir(wd).withDevice("cpu"), new PrintStream(console, true,
                StandardCharsets.UTF_8)).run();
        List<Path> runs;
        try (var s = Files.list(wd)) {
            runs = s.filter(Files::isDirectory).toList();
        }
        assertEquals(1, runs.size(), runs.toString());
        String ts = runs.get(0).getFileName().toString();
        assertTrue(ts.matches("\\d{8}_\\d{6}"), ts);
        String text = Files.readString(runs.get(0).resolve(ts + ".log"));
        assertEquals(console.toString(StandardCharsets.UTF_8), text, "the log file holds every printed line");
        assertTrue(text.startsWith("device: cpu") && text.contains("Epoch(train)") && text.contains("training finished"), text);
        assertTrue(text.contains("  base_lr: 1.0000e-02  lr: "), "MMEngine's text line names base_lr before lr");

        Path vis = runs.get(0).resolve("vis_data");
        List<String> lines = Files.readAllLines(vis.resolve("scalars.json"));
        assertEquals(lines, Files.readAllLines(vis.resolve(ts + ".json")));
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked") Map<String, Object> first = json.readValue(lines.get(0), Map.class);
        assertEquals(List.of("base_lr", "lr", "data_time", "loss", "loss_pos", "loss_neg", "loss_center", "time", "epoch", "iter", "memory",
                "step"), new ArrayList<>(first.keySet()), "LoggerHook's tag (base_lr: paramwise_cfg makes groups), then the step");
        assertEquals(first.get("base_lr"), first.get("lr"), "the first parameter (backbone.conv1.weight) learns at the base lr");
        assertEquals(first.get("iter"), first.get("step"));
        @SuppressWarnings("unchecked") Map<String, Object> val = json.readValue(lines.stream().filter(l -> l.contains("coco/bbox_mAP"))
                .findFirst().orElseThrow(), Map.class);
        assertEquals(1, val.get("step"), "a validation at step = its epoch");
        assertTrue(val.containsKey("coco/bbox_mAP_50") && !val.containsKey("coco/stats"), "scalars only: " + val);

        // read back (what `logs` does with an MMDetection run): metrics.jsonl's records, value for value (its scalars)
        List<Map<String, Object>> mine = MetricsLog.readRecords(wd.resolve("metrics.jsonl"));
        for (Map<String, Object> r : mine) r.keySet().removeAll(List.of("stats", "stat_names"));
        List<Map<String, Object>> back = MmengineScalars.records(MetricsLog.readRecords(vis.resolve("scalars.json")));
        assertEquals(mine.size(), back.size());
        for (int i = 0; i < mine.size(); i++) assertEquals(mine.get(i), back.get(i), "record " + i);
    }

    @Test
    void theConsoleGetsTextInItsOwnEncodingAndTheFileUtf8() throws Exception {
        java.io.ByteArrayOutputStream latin = new java.io.ByteArrayOutputStream();
        RunLog log = new RunLog(new PrintStream(latin, true, StandardCharsets.ISO_8859_1));
        log.println("before: café");
        Path file = tmp.resolve("run/x.log");
        log.attach(file);
        StringBuilder longLine = new StringBuilder();
        for (int i = 0; i < 5000; i++) longLine.append('é'); // an encoder chunk may end inside a character
        log.println(longLine);
        log.println("after: ü");
        log.detach();
        String expected = "before: café\n" + longLine + "\nafter: ü\n";
        assertEquals(expected, latin.toString(StandardCharsets.ISO_8859_1));
        assertEquals(expected, Files.readString(file, StandardCharsets.UTF_8));
    }
}
