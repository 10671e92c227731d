package autoassign.train;

import autoassign.GoldenFiles;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resuming from a checkpoint torch wrote in the layout of MMEngine 0.10's {@code Runner.save_checkpoint}
 * (scripts/goldens/mmengine_checkpoint.py): a model mocked with MMDetection's module order, frozen parameters (BN
 * with requires_grad false, frozen_stages 1) that own param groups but no state, one group per parameter plus
 * {@code base_param_settings}, a message hub of HistoryBuffer objects with numpy arrays, schedulers with a
 * {@code collections.Counter}. Also MMEngine's {@code last_checkpoint} file and {@code train --resume} with nothing
 * to resume, and the seed a resumed run takes.
 */
class MmengineCheckpointGoldenTest {
    @TempDir Path tmp;

    private static JsonNode expected() throws Exception {
        return new ObjectMapper().readTree(GoldenFiles.folder("mmengine_checkpoint").resolve("expected.json").toFile());
    }

    private static Config config(JsonNode e) {
        List<String> overrides = new ArrayList<>();
        e.get("overrides").forEach(o -> overrides.add(o.asText()));
        return ConfigLoader.loadNamed("autoassign_tiny_synthetic", overrides);
    }

    @Test
    void momentumBuffersLandOnTheirParametersThroughFrozenGroups() throws Exception {
        JsonNode e = expected();
        Config cfg = config(e);
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        List<String> names = new ArrayList<>(model.namedParameters().keySet()), torchNames = new ArrayList<>();
        e.get("parameters").forEach(n -> torchNames.add(n.asText()));
        assertEquals(torchNames, names, "the engine's parameter order is MMDetection's (torch named_parameters)");
        List<String> frozen = new ArrayList<>();
        e.get("frozen").forEach(n -> frozen.add(n.asText()));
        model.namedParameters().forEach((k, t) -> assertEquals(frozen.contains(k), !t.requiresGrad(), k));

        Optimizer optimizer = Optimizer.of(OptimizerGroups.of(model, cfg.optimWrapper()), cfg.optimWrapper());
        Path file = GoldenFiles.folder("mmengine_checkpoint").resolve("epoch_2.pth");
        CheckpointStore.Resumed r = MmengineResume.load(file, model, optimizer, null, false);
        assertEquals(e.get("epoch").asInt(), r.epoch());
        assertEquals(e.get("iter").asLong(), r.globalIter());
        assertEquals(e.get("seed").asLong(), r.seed(), "meta.seed, which runner.resume takes");
        assertEquals(e.get("best_score").asDouble(), r.bestScore(), "message_hub.runtime_info.best_score");

        Map<String, Tensor> state = optimizer.state();
        assertEquals(e.get("momentum").size(), state.size(), state.keySet().toString());
        e.get("momentum").fields().forEachRemaining(m -> {
            Tensor buf = state.get(m.getKey());
            assertTrue(buf != null, "no momentum buffer for " + m.getKey());
            float[] v = buf.toFloatArray();
            double sum = 0;
            for (float x : v) sum += x;
            assertEquals(m.getValue().get(0).asDouble(), sum, 1e-5 * Math.max(1, Math.abs(sum)), m.getKey());
            assertEquals((float) m.getValue().get(1).asDouble(), v[0], m.getKey());
        });
        for (String f : frozen) assertFalse(state.containsKey(f), f + " is frozen: MMEngine's SGD never gave it a buffer");

        // save_best goes on from that run's best score: a worse evaluation writes no best file, a better one does
        BestCheckpoint best = new BestCheckpoint(tmp, "coco/bbox_mAP", true, true);
        best.resumeBest(r.bestScore());
        assertNull(best.offer(Map.of("coco/bbox_mAP", 0.40), 3, 12, model));
        assertEquals(tmp.resolve("best_coco_bbox_mAP_epoch_4.safetensors"), best.offer(Map.of("coco/bbox_mAP", 0.45), 4, 16, model));
    }

    @Test
    void resumeAutoReadsMmenginesLastCheckpointFile() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work_dirs/autoassign_tiny"));
        CheckpointStore store = new CheckpointStore(work, -1);
        assertNull(store.latest());
        Path pth = Files.copy(GoldenFiles.folder("mmengine_checkpoint").resolve("epoch_2.pth"), work.resolve("epoch_2.pth"));
        assertNull(store.latest(), "a .pth alone is not what MMEngine resumes: last_checkpoint names it");
        Files.writeString(work.resolve("last_checkpoint"), pth.toAbsolutePath().toString());
        assertEquals(pth.toAbsolutePath(), store.latest());
        // written where the run lived (an absolute path of another machine): the file of that name here
        Files.writeString(work.resolve("last_checkpoint"), "/abs/work_dirs/autoassign_tiny/epoch_2.pth");
        assertEquals(work.resolve("epoch_2.pth"), store.latest());

        JsonNode e = expected();
        Config cfg = config(e);
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Optimizer optimizer = Optimizer.of(OptimizerGroups.of(model, cfg.optimWrapper()), cfg.optimWrapper());
        CheckpointStore.Resumed r = store.resume("auto", model, optimizer, false);
        assertEquals(work.resolve("epoch_2.pth"), r.file());
        assertEquals(2, r.epoch());

        Files.writeString(work.resolve("last_checkpoint"), "/abs/elsewhere/epoch_9.pth");
        String msg = assertThrows(autoassign.cli.CliErrors.UserError.class, store::latest).getMessage();
        assertTrue(msg.contains("last_checkpoint: names /abs/elsewhere/epoch_9.pth, which does not exist"), msg);
    }

    private TrainOptions options(Path workDir, Long seed) {
        return new TrainOptions(tmp.resolve("data").toString(), null, null, null, workDir, seed, "cpu", null, null, false, null, null);
    }

    private static String run(Config cfg, TrainOptions opt) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(cfg, opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void resumeAutoWithNothingToResumeStartsAfreshAsMmdetection() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
        Path wd = tmp.resolve("fresh");
        String log = run(cfg, options(wd, null).withEpochs(1).withResume("auto"));
        assertTrue(log.contains("--resume auto: " + wd + " has no checkpoint yet: starting afresh"), log);
        assertTrue(Files.isRegularFile(wd.resolve("epoch_1.safetensors")));
    }

    @Test
    void aResumedRunTakesTheSeedItsCheckpointWasSavedWith() throws Exception {
        // MMEngine's runner.resume: meta.seed replaces the config's; the data order goes on as in the saved run
        Config cfg = TinyTrainConfig.write(tmp);
        Path straight = tmp.resolve("straight"), split = tmp.resolve("split");
        run(cfg, options(straight, 7L));
        run(cfg, options(split, 7L).withEpochs(1));
        String log = run(cfg, options(split, null).withResume("auto"));
        assertTrue(log.contains("resume: the checkpoint's seed 7 replaces"), log);
        Map<String, autoassign.io.RawTensor> a = autoassign.io.Safetensors.read(straight.resolve("epoch_2.safetensors")).tensors();
        Map<String, autoassign.io.RawTensor> b = autoassign.io.Safetensors.read(split.resolve("epoch_2.safetensors")).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
        assertEquals("7", autoassign.io.Safetensors.read(split.resolve("epoch_2.state.safetensors")).metadata().get("seed"));
    }
}
