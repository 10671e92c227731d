package autoassign.train;

import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A NaN {@code grad_norm} is logged as MMEngine logs it: OptimWrapper puts {@code clip_grad_norm_}'s NaN into
 * MessageHub's {@code train/grad_norm}, HistoryBuffer's window mean (sum / count) is then NaN, LogProcessor writes
 * {@code grad_norm: nan} in the text log and LocalVisBackend's {@code json.dump} a bare {@code NaN} in the json logs.
 * An iteration without clipping still adds nothing.
 */
class NanGradNormLogTest {
    private static Trainer.StepLosses losses() { return new Trainer.StepLosses(1, 0, 0, null); }

    @Test
    void aNanNormMakesTheWindowMeanNanUntilItLeavesTheWindow() {
        LogWindow w = new LogWindow(2);
        w.add(losses(), 0.1, 0.01, false, Double.NaN); // no clipping: nothing recorded
        assertFalse(w.hasGradNorm());
        w.add(losses(), 0.1, 0.01, true, 3.0);
        w.add(losses(), 0.1, 0.01, true, Double.NaN);
        assertTrue(w.hasGradNorm());
        assertTrue(Double.isNaN(w.gradNorm()), "mean of 3 and NaN");
        w.add(losses(), 0.1, 0.01, false, Double.NaN); // an iteration inside an accumulation window: no norm
        assertTrue(Double.isNaN(w.gradNorm()));
        w.add(losses(), 0.1, 0.01, true, 5.0);
        assertTrue(Double.isNaN(w.gradNorm()), "NaN is still one of the last two norms");
        w.add(losses(), 0.1, 0.01, true, 7.0);
        assertEquals(6.0, w.gradNorm(), 1e-12);
        w.add(losses(), 0.1, 0.01, true, Double.POSITIVE_INFINITY);
        assertEquals(Double.POSITIVE_INFINITY, w.gradNorm());
        // the history survives a resume with its NaN
        LogWindow x = new LogWindow(2);
        w.add(losses(), 0.1, 0.01, true, Double.NaN);
        x.restore(w.state());
        assertTrue(x.hasGradNorm());
        assertTrue(Double.isNaN(x.gradNorm()));
    }

    @Test
    void theOptimizerReportsANanNormAsAClip() {
        Tensor p = Tensor.of(new float[] {1, 2}, 2);
        Optimizer sgd = new Sgd(List.of(new Optimizer.Group("p", p, 0f)), 0.0, 0f, false, 1.0);
        p.setGrad(Tensor.of(new float[] {Float.NaN, 1}, 2));
        sgd.step(0.1f);
        assertTrue(sgd.clipped());
        assertTrue(Double.isNaN(sgd.lastGradNorm()));
        sgd.zeroGrad();
        sgd.step(0.1f); // no gradient (a skipped iteration): nothing clipped, nothing to log
        assertFalse(sgd.clipped());
        Optimizer noClip = new Sgd(List.of(new Optimizer.Group("p", Tensor.of(new float[] {1, 2}, 2), 0f)), 0.0, 0f, false, 0);
        noClip.groups().get(0).param().setGrad(Tensor.of(new float[] {Float.NaN, 1}, 2));
        noClip.step(0.1f);
        assertFalse(noClip.clipped(), "without clip_grad OptimWrapper logs no grad_norm");
    }

    @Test
    void textAndJsonLogsWriteNanAsMmengine(@TempDir Path dir) throws Exception {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("mode", "train");
        rec.put("epoch", 1);
        rec.put("iter", 10);
        rec.put("lr", 0.01);
        rec.put("time", 0.5);
        rec.put("data_time", 0.1);
        rec.put("memory_mb", 100L);
        rec.put("grad_norm", Double.NaN);
        rec.put("loss", 1.0);
        rec.put("loss_pos", 0.5);
        rec.put("loss_neg", 0.25);
        rec.put("loss_center", 0.25);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TrainProgress progress = new TrainProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), 0, 1, 20, 20, true)) {
            progress.logLine(10, 10, rec);
        }
        String line = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(line.contains("  grad_norm: nan  loss: 1.0000"), line);
        assertEquals("inf", TrainProgress.pythonFixed4(Double.POSITIVE_INFINITY));
        assertEquals("2.5000", TrainProgress.pythonFixed4(2.5));
        try (MetricsLog log = new MetricsLog(dir.resolve("metrics.jsonl"), false)) {
            log.alsoMmengine(dir.resolve("vis_data"), "20260101_000000", true);
            log.log(rec);
        }
        String scalars = Files.readString(dir.resolve("vis_data/scalars.json"));
        assertTrue(scalars.contains("\"grad_norm\":NaN,"), scalars); // Python's json.dump: a bare NaN token
        // metrics.jsonl keeps its own form (the string "NaN"), which every reader here takes back as NaN
        List<Map<String, Object>> back = MetricsLog.readRecords(dir.resolve("metrics.jsonl"));
        assertEquals(1, back.size());
        Map<String, Object> mm = MmengineScalars.line(rec, true);
        assertTrue(Double.isNaN((Double) mm.get("grad_norm")));
    }
}
