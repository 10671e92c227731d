package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.model.PyramidVisionTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by a small PVT (embed 16, heads [1, 2, 4, 8]: stages
 * 1..3 at strides 8, 16, 32 with 32 / 64 / 128 channels, drop path 0.2 with a seeded generator): v1 (position
 * embeddings of a 64×64 pretrain grid, resized to the batch's patch grid every step) and v2 (overlapping patch embed,
 * MixFFN's depth-wise conv, stage norms). Every backbone parameter that a returned map depends on trains (stage 0's
 * too: the later stages read it) and the loss falls; with dropout as well.
 */
class PvtTrainStepTest {
    @TempDir Path tmp;

    static String pvt(boolean v2) {
        return "  backbone:\n"
                + "    type: " + (v2 ? "PyramidVisionTransformerV2" : "PyramidVisionTransformer") + "\n"
                + "    embed_dims: 16\n"
                + "    num_layers: [1, 1, 1, 1]\n"
                + "    num_heads: [1, 2, 4, 8]\n"
                + "    mlp_ratios: [2, 2, 2, 2]\n"
                + (v2 ? "" : "    pretrain_img_size: 64\n")
                + "    drop_path_rate: 0.2\n"
                + "    out_indices: [1, 2, 3]\n";
    }

    static Config tinyPvt(Path dir, boolean v2, String... overrides) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RegNetTrainStepTest.RESNET18) || !y.contains("in_channels: [32, 64, 128]"))
            throw new IllegalStateException("the tiny config's backbone changed");
        y = y.replace(RegNetTrainStepTest.RESNET18, pvt(v2));
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_pvt.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f, List.of(overrides));
    }

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        for (boolean v2 : new boolean[] {false, true}) {
            Config cfg = tinyPvt(tmp.resolve(v2 ? "v2" : "v1"), v2);
            Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
            AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
            PyramidVisionTransformer b = assertInstanceOf(PyramidVisionTransformer.class, model.backbone);
            if (!v2) assertNotEquals(16, batch.height() / 4, "the position embeddings are resized");
            b.setTrainingRandom(new Random(3));
            Map<String, float[]> before = new java.util.LinkedHashMap<>();
            model.backbone.namedParameters().forEach((k, t) -> before.put(k, t.toFloatArray()));
            TinyTrainSteps.lowerTheLoss(model, batch, () -> model.backbone.namedParameters().forEach((k, t) ->
                    assertFalse(java.util.Arrays.equals(before.get(k), t.toFloatArray()), (v2 ? "v2 " : "v1 ") + "backbone." + k + " trains")));
            assertTrue(before.containsKey(v2 ? "layers.0.2.weight" : "layers.0.1.0.pos_embed"));
        }
    }

    /** drop_rate and attn_drop_rate 0.1 (the engine's Dropout op, seeded by the training generator): the loss still falls. */
    @Test
    void withDropoutTheLossFalls() throws Exception {
        Config cfg = tinyPvt(tmp.resolve("dropout"), false, "model.backbone.drop_rate=0.1", "model.backbone.attn_drop_rate=0.1");
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        PyramidVisionTransformer b = assertInstanceOf(PyramidVisionTransformer.class, model.backbone);
        assertTrue(b.config().dropRate() == 0.1 && b.config().attnDropRate() == 0.1);
        b.setTrainingRandom(new Random(4));
        TinyTrainSteps.lowerTheLoss(model, batch, () -> {});
    }
}
