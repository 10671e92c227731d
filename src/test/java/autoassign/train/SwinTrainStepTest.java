package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.model.SwinTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by a small Swin Transformer (embed 16, four stages,
 * stages 1..3 at strides 8, 16, 32 with 32 / 64 / 128 channels, window 4, drop path 0.2 with a seeded generator):
 * every backbone parameter trains and the loss falls; MMDetection's Swin paramwise_cfg (custom_keys
 * relative_position_bias_table / norm / absolute_pos_embed with decay_mult 0) reaches exactly the bias tables and
 * every LayerNorm, under AdamW. With {@code drop_rate} / {@code attn_drop_rate} 0.1 and {@code use_abs_pos_embed}
 * ({@code pretrain_img_size} the batch's size) the loss falls as well and absolute_pos_embed trains.
 */
class SwinTrainStepTest {
    @TempDir Path tmp;

    static final String SWIN = """
              backbone:
                type: SwinTransformer
                embed_dims: 16
                depths: [2, 2, 2, 2]
                num_heads: [1, 2, 2, 4]
                window_size: 4
                mlp_ratio: 2
                drop_path_rate: 0.2
                out_indices: [1, 2, 3]                 # 32, 64, 128 channels at strides 8, 16, 32
            """;

    static Config tinySwin(Path dir, String... overrides) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RegNetTrainStepTest.RESNET18) || !y.contains("in_channels: [32, 64, 128]"))
            throw new IllegalStateException("the tiny config's backbone changed");
        y = y.replace(RegNetTrainStepTest.RESNET18, SWIN);
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_swin.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f, List.of(overrides));
    }

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        Config cfg = tinySwin(tmp);
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        SwinTransformer sw = assertInstanceOf(SwinTransformer.class, model.backbone);
        sw.setTrainingRandom(new Random(3));
        Map<String, float[]> before = new java.util.LinkedHashMap<>();
        model.backbone.namedParameters().forEach((k, t) -> before.put(k, t.toFloatArray()));
        TinyTrainSteps.lowerTheLoss(model, batch, () -> model.backbone.namedParameters().forEach((k, t) ->
                assertFalse(java.util.Arrays.equals(before.get(k), t.toFloatArray()), "backbone." + k + " trains")));
    }

    @Test
    void withDropoutAndTheAbsolutePositionEmbeddingTheLossFalls() throws Exception {
        Batch batch = TinyTrainSteps.firstBatch(tinySwin(tmp), tmp.resolve("data"));
        Config cfg = tinySwin(tmp.resolve("dropout"), "model.backbone.drop_rate=0.1", "model.backbone.attn_drop_rate=0.1",
                "model.backbone.use_abs_pos_embed=true",
                "model.backbone.pretrain_img_size=[" + batch.height() + ", " + batch.width() + "]");
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        SwinTransformer sw = assertInstanceOf(SwinTransformer.class, model.backbone);
        assertTrue(sw.config().dropRate() == 0.1 && sw.config().attnDropRate() == 0.1 && sw.absolutePosEmbed != null);
        sw.setTrainingRandom(new Random(4));
        Map<String, float[]> before = new java.util.LinkedHashMap<>();
        model.backbone.namedParameters().forEach((k, t) -> before.put(k, t.toFloatArray()));
        TinyTrainSteps.lowerTheLoss(model, batch, () -> model.backbone.namedParameters().forEach((k, t) ->
                assertFalse(java.util.Arrays.equals(before.get(k), t.toFloatArray()), "backbone." + k + " trains")));
        assertTrue(before.containsKey("absolute_pos_embed"));
    }

    @Test
    void swinParamwiseCfgZeroesTheDecayOfTablesAndNorms() throws Exception {
        Config cfg = tinySwin(tmp, "optim_wrapper.optimizer={_delete_: true, type: AdamW, lr: 0.0001, betas: [0.9, 0.999], weight_decay: 0.05}",
                "optim_wrapper.paramwise_cfg={custom_keys: {absolute_pos_embed: {decay_mult: 0.0}, "
                        + "relative_position_bias_table: {decay_mult: 0.0}, norm: {decay_mult: 0.0}}}");
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Map<String, Optimizer.Group> g = OptimizerGroups.of(model, cfg.optimWrapper()).stream()
                .collect(Collectors.toMap(Optimizer.Group::name, x -> x));
        int tables = 0, norms = 0;
        for (Optimizer.Group x : g.values()) {
            String n = x.name();
            // the tiny config's norm_decay_mult 0 stays (cfg-options merge): the head's GroupNorms too
            boolean zero = n.contains("relative_position_bias_table") || n.contains("norm") || model.normParameterNames().contains(n);
            if (n.contains("relative_position_bias_table")) tables++;
            if (n.startsWith("backbone.") && n.contains("norm")) norms++;
            assertEquals(zero ? 0f : 0.05f, x.weightDecay(), 1e-9f, n);
        }
        assertEquals(8, tables, "one table per block");
        // patch_embed.norm, 2 per block, 3 PatchMerging norms, norm1..3; weight and bias each
        assertEquals(2 * (1 + 2 * 8 + 3 + 3), norms);
        assertTrue(model.normParameterNames().contains("backbone.stages.0.blocks.0.norm1.weight"), "LayerNorm is a norm (norm_decay_mult)");
    }
}
