package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code val_evaluator.format_only} during training, as MMDetection's CocoMetric: each validation only writes
 * {@code <outfile_prefix>.bbox.json} and reports no metric, so save_best and early stopping skip it.
 */
class ValidationFormatOnlyTest {
    @TempDir Path tmp;

    @Test
    void validationsOnlyWriteTheDetections() throws Exception {
        TinyTrainConfig.write(tmp);
        String prefix = tmp.resolve("out/val").toString();
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.max_epochs=1",
                "val_evaluator.format_only=True", "val_evaluator.outfile_prefix=" + prefix,
                "default_hooks.checkpoint.save_best=coco/bbox_mAP",
                "custom_hooks=[{type: EarlyStoppingHook, monitor: coco/bbox_mAP, patience: 1}]"));
        Files.createDirectories(tmp.resolve("out"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(cfg, TrainOptions.defaults().withWorkDir(tmp.resolve("work")).withDevice("cpu"),
                new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(1, r.epochsDone(), text);
        assertNull(r.lastEval(), "no metrics");
        assertTrue(Files.readString(Path.of(prefix + ".bbox.json")).startsWith("["), "the detections are written");
        assertTrue(text.contains("results are saved in " + tmp.resolve("out")), text);
        assertTrue(text.contains("warning: format_only gives no metrics: save_best and early stopping skip this validation"), text);
        assertFalse(text.contains("Average Precision"), "nothing evaluated: " + text);
        assertFalse(Files.exists(tmp.resolve("work/final.json")));
        try (var files = Files.list(tmp.resolve("work"))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("best_")), "no best checkpoint");
        }
    }

    @Test
    void formatOnlyNeedsAnOutfilePrefix() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("val_evaluator.format_only=True"));
        UserError e = assertThrows(UserError.class, () -> new Trainer(cfg, TrainOptions.defaults().withWorkDir(tmp.resolve("w"))
                .withDevice("cpu"), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run());
        assertTrue(e.getMessage().endsWith("val_evaluator.format_only needs an outfile_prefix (MMDetection asserts it)"), e.getMessage());
    }
}
