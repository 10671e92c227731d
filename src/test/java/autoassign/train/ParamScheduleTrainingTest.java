package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trainer with momentum and ReduceOnPlateau schedulers: the scheduled momentum reaches the optimizer, the plateau
 * scheduler steps with each validation's metrics, and a run resumed from an epoch checkpoint (written before that epoch's
 * validation, its state updated after it) goes on bit-exactly.
 */
class ParamScheduleTrainingTest {
    @TempDir Path tmp;

    /** A LinearLR warm-up, a momentum cosine over 3 epochs, and a ReduceOnPlateauLR that reduces from the 2nd validation on. */
    private static final String SCHEDULERS = "param_scheduler=[{type: LinearLR, start_factor: 0.1, by_epoch: false, begin: 0, end: 3},"
            + " {type: CosineAnnealingMomentum, T_max: 3, eta_min: 0.5, by_epoch: true, begin: 0, end: 3, convert_to_iter_based: true},"
            // abs threshold 10: only the first validation improves on MMEngine's INF; patience 0: every later one reduces
            + " {type: ReduceOnPlateauLR, monitor: coco/bbox_mAP, rule: less, threshold: 10, threshold_rule: abs, patience: 0,"
            + " factor: 0.5}]";

    private TrainOptions options(Path workDir) {
        return TrainOptions.defaults().withWorkDir(workDir).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
    }

    private static Trainer.Result train(Config cfg, TrainOptions opt) throws Exception {
        return new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    private static void assertBitIdentical(Path a, Path b) throws Exception {
        Map<String, RawTensor> wa = Safetensors.read(a).tensors(), wb = Safetensors.read(b).tensors();
        assertEquals(wa.keySet(), wb.keySet());
        for (String k : wa.keySet()) assertArrayEquals(wa.get(k).toFloatArray(), wb.get(k).toFloatArray(), 0f, k + " differs");
    }

    private static List<Double> loggedLr(Path workDir, int epoch) throws Exception {
        return MetricsLog.readRecords(workDir.resolve("metrics.jsonl")).stream()
                .filter(r -> "train".equals(r.get("mode")) && Integer.valueOf(epoch).equals(r.get("epoch")))
                .map(r -> ((Number) r.get("lr")).doubleValue()).toList();
    }

    @Test
    void plateauAndMomentumTrainAndResumeBitExact() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        Config cfg = ConfigLoader.load(file, List.of(SCHEDULERS, "train_cfg.max_epochs=3"));
        Path straight = tmp.resolve("straight"), split = tmp.resolve("split");
        assertEquals(3, train(cfg, options(straight)).epochsDone());
        // the 2nd validation did not improve: epoch 3 runs at half the rate of epoch 2
        assertEquals(loggedLr(straight, 2).get(loggedLr(straight, 2).size() - 1) * 0.5, loggedLr(straight, 3).get(0), 1e-15);
        String state = Safetensors.readHeader(straight.resolve("epoch_2.state.safetensors")).metadata()
                .get(CheckpointStore.PARAM_SCHEDULERS);
        assertTrue(state != null && state.contains("\"iter\":8") && state.contains("\"iter\":4"),
                "epoch_2 keeps both validations, the one after it too: " + state);

        assertEquals(2, train(cfg, options(split).withEpochs(2)).epochsDone());
        assertEquals(3, train(cfg, options(split).withResume(split.resolve("epoch_2.safetensors").toString())).epochsDone());
        assertBitIdentical(straight.resolve("epoch_3.safetensors"), split.resolve("epoch_3.safetensors"));
        assertEquals(loggedLr(straight, 3), loggedLr(split, 3));

        // the scheduled momentum reaches SGD: without the momentum scheduler the weights differ after one epoch
        Config noMomentum = ConfigLoader.load(file, List.of(SCHEDULERS.replace(" {type: CosineAnnealingMomentum, T_max: 3, eta_min: 0.5,"
                + " by_epoch: true, begin: 0, end: 3, convert_to_iter_based: true},", ""), "train_cfg.max_epochs=1"));
        Path plain = tmp.resolve("plain");
        train(noMomentum, options(plain));
        float[] a = Safetensors.read(plain.resolve("epoch_1.safetensors")).tensors().get("bbox_head.conv_cls.weight").toFloatArray();
        float[] b = Safetensors.read(straight.resolve("epoch_1.safetensors")).tensors().get("bbox_head.conv_cls.weight").toFloatArray();
        assertFalse(Arrays.equals(a, b), "the momentum schedule changed the updates");
    }

    @Test
    void aMissingMonitorIsMmenginesKeyError() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        // its default end is max_epochs (MMEngine's runner): the validation after the last epoch is past it, so 2 epochs
        Config loss = ConfigLoader.load(file, List.of("param_scheduler=[{type: ReduceOnPlateauLR}]", "train_cfg.max_epochs=2"));
        UserError e = assertThrows(UserError.class, () -> train(loss, options(tmp.resolve("loss"))));
        assertTrue(e.getMessage().contains("param_scheduler[0] (ReduceOnPlateauLR).monitor: Excepted key in ['coco/bbox_mAP',")
                && e.getMessage().endsWith("but got key loss is not in dict"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
