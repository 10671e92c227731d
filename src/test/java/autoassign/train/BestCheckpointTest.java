package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.io.ModelWeights;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code default_hooks.checkpoint.save_best} / {@code rule}, as MMEngine's CheckpointHook. */
class BestCheckpointTest {
    @TempDir Path tmp;

    private static java.util.Map<String, Double> stats(double map, double map50) {
        return java.util.Map.of("coco/bbox_mAP", map, "coco/bbox_mAP_50", map50);
    }

    private List<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("best_")).sorted().toList();
        }
    }

    @Test
    void keepsOneFileForTheBestScoreAndGoesOnFromItWhenResumed() throws Exception {
        AutoAssignDetector model = new AutoAssignDetector(ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of()).model(), 0);
        BestCheckpoint b = new BestCheckpoint(tmp, "coco/bbox_mAP", true, false);
        Path first = b.offer(stats(0.3, 0.5), 1, 10, model);
        assertEquals(tmp.resolve("best_coco_bbox_mAP_epoch_1.safetensors"), first);
        assertNull(b.offer(stats(0.2, 0.9), 2, 20, model), "worse");
        assertNull(b.offer(stats(0.3, 0.9), 3, 30, model), "a tie keeps the earlier file");
        assertEquals("0.3", Safetensors.readHeader(first).metadata().get("best_score"));
        assertTrue(ModelWeights.load(first, new AutoAssignDetector(model.config(), 1), true).report().clean());

        BestCheckpoint resumed = new BestCheckpoint(tmp, "coco/bbox_mAP", true, true);
        assertEquals(0.3, resumed.best());
        assertNull(resumed.offer(stats(0.25, 0.9), 4, 40, model));
        assertEquals(tmp.resolve("best_coco_bbox_mAP_epoch_5.safetensors"), resumed.offer(stats(0.4, 0.1), 5, 50, model));
        assertEquals(List.of("best_coco_bbox_mAP_epoch_5.safetensors"), files(tmp), "the old best is removed");

        BestCheckpoint fresh = new BestCheckpoint(tmp, "coco/bbox_mAP", true, false);
        assertEquals(tmp.resolve("best_coco_bbox_mAP_epoch_1.safetensors"), fresh.offer(stats(0.1, 0.1), 1, 10, model));
        assertEquals(List.of("best_coco_bbox_mAP_epoch_1.safetensors"), files(tmp), "a fresh run starts over");

        Path other = Files.createDirectories(tmp.resolve("less"));
        BestCheckpoint less = new BestCheckpoint(other, "coco/bbox_mAP_50", false, false);
        less.offer(stats(0.9, 0.5), 1, 10, model);
        assertNull(less.offer(stats(0.9, 0.6), 2, 20, model));
        assertEquals(other.resolve("best_coco_bbox_mAP_50_epoch_3.safetensors"), less.offer(stats(0.0, 0.4), 3, 30, model));
    }

    @Test
    void configKeysAsMmengine() throws Exception {
        Path r50 = Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml");
        assertNull(ConfigLoader.load(r50).runtime().saveBest());
        Config auto = ConfigLoader.load(r50, List.of("default_hooks.checkpoint.save_best=auto"));
        assertEquals("coco/bbox_mAP", auto.runtime().saveBest());
        assertTrue(auto.runtime().saveBestGreater());
        assertFalse(ConfigLoader.load(r50, List.of("default_hooks.checkpoint.save_best=coco/bbox_mAP_75",
                "default_hooks.checkpoint.rule=less")).runtime().saveBestGreater());
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(r50, List.of("default_hooks.checkpoint.save_best=mAP")));
        assertEquals("default_hooks.checkpoint.save_best", e.key());
    }

    @Test
    void aTrainingRunKeepsTheBestEvaluatedEpoch() throws Exception {
        Path cfgFile = tmp.resolve("cfg");
        TinyTrainConfig.write(cfgFile);
        Config cfg = ConfigLoader.load(cfgFile.resolve("tiny_test.yaml"), List.of("default_hooks.checkpoint.save_best=coco/bbox_mAP_50"));
        Path wd = tmp.resolve("run");
        TrainOptions opt = TrainOptions.defaults().withWorkDir(wd).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
        new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        double best = Double.NEGATIVE_INFINITY;
        int bestEpoch = -1;
        for (String line : Files.readAllLines(wd.resolve("metrics.jsonl"))) {
            JsonNode r = new ObjectMapper().readTree(line);
            if (!"val".equals(r.path("mode").asText())) continue;
            double v = r.get("bbox_mAP_50").asDouble();
            if (v > best) {
                best = v;
                bestEpoch = r.get("epoch").asInt();
            }
        }
        assertTrue(bestEpoch > 0, "evaluated");
        assertEquals(List.of("best_coco_bbox_mAP_50_epoch_" + bestEpoch + ".safetensors"), files(wd));
    }
}
