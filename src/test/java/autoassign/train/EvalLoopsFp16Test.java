package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigException;
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
 * {@code val_cfg: {type: ValLoop, fp16: true}} and {@code test_cfg: {type: TestLoop, fp16: true}}: MMEngine's loops run
 * their steps under autocast; here the key is accepted, the computation stays float32, and a training says so once.
 */
class EvalLoopsFp16Test {
    @TempDir Path tmp;

    @Test
    void fp16IsAcceptedAndOtherKeysStillRefused() throws Exception {
        TinyTrainConfig.write(tmp);
        Path base = tmp.resolve("tiny_test.yaml");
        Config plain = ConfigLoader.load(base);
        assertFalse(plain.evalLoops().valFp16() || plain.evalLoops().testFp16());
        assertNull(plain.evalLoops().note(false));
        Config c = ConfigLoader.load(base, List.of("val_cfg={type: ValLoop, fp16: true}", "test_cfg={type: TestLoop, fp16: true}"));
        assertTrue(c.evalLoops().valFp16() && c.evalLoops().testFp16());
        assertTrue(c.evalLoops().note(true).startsWith("test_cfg (TestLoop) fp16: true:"), c.evalLoops().note(true));
        assertTrue(c.evalLoops().note(false).contains("stays float32"));
        assertFalse(c.text().isEmpty());
        ConfigException bad = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(base, List.of("val_cfg={type: ValLoop, fp16: 1}")));
        assertTrue(bad.getMessage().contains("val_cfg.fp16"), bad.getMessage());
        ConfigException unknown = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(base, List.of("test_cfg={type: TestLoop, fp32: true}")));
        assertTrue(unknown.getMessage().contains("test_cfg.fp32"), unknown.getMessage());
    }

    @Test
    void aTrainingSaysOnceThatItsValidationsStayFloat32() throws Exception {
        TinyTrainConfig.write(tmp);
        Path child = tmp.resolve("tiny_fp16.yaml");
        Files.writeString(child, """
                _base_: tiny_test.yaml
                train_cfg: {_delete_: true, type: IterBasedTrainLoop, max_iters: 2, val_interval: 1}
                train_dataloader:
                  sampler: {type: InfiniteSampler, shuffle: true}
                default_hooks:
                  checkpoint: {type: CheckpointHook, by_epoch: false, interval: 2}
                param_scheduler: []
                val_cfg: {type: ValLoop, fp16: true}
                """);
        Config cfg = ConfigLoader.load(child);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(cfg, TrainOptions.defaults().withWorkDir(tmp.resolve("wd")).withDevice("cpu"),
                new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        String note = cfg.evalLoops().note(false);
        assertEquals(text.indexOf(note), text.lastIndexOf(note), "said once: " + text);
        assertTrue(text.contains(note), text);
        assertTrue(text.contains("bbox_mAP"), "the validations ran: " + text);
    }
}
