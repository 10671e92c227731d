package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.model.EfficientNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by an EfficientNet-b0 (layers 3, 4, 5 at strides 8, 16,
 * 32; BN with batch statistics, Swish, SE layers, TF "same" padding, drop path 0.2 drawn from a seeded generator as the
 * trainer sets it): every backbone parameter trains, the loss is finite and falls; the depth-wise convs are what
 * {@code dwconv_decay_mult} reaches.
 */
class EfficientNetTrainStepTest {
    @TempDir Path tmp;

    static final String EFFICIENTNET = """
              backbone:
                type: EfficientNet
                arch: b0
                drop_path_rate: 0.2
                out_indices: [3, 4, 5]                 # 40, 112, 320 channels
            """;

    static Config tinyEfficientNet(Path dir, String... overrides) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RegNetTrainStepTest.RESNET18) || !y.contains("in_channels: [32, 64, 128]"))
            throw new IllegalStateException("the tiny config's backbone changed");
        y = y.replace(RegNetTrainStepTest.RESNET18, EFFICIENTNET).replace("in_channels: [32, 64, 128]", "in_channels: [40, 112, 320]");
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_efficientnet.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f, List.of(overrides));
    }

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        Config cfg = tinyEfficientNet(tmp);
        assertEquals("EfficientNet", cfg.model().backboneSpec().type());
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        assertInstanceOf(EfficientNet.class, model.backbone);
        model.backbone.setTrainingRandom(new java.util.Random(11));
        java.util.Map<String, float[]> before = new java.util.LinkedHashMap<>();
        model.backbone.namedParameters().forEach((k, t) -> before.put(k, t.toFloatArray()));
        TinyTrainSteps.lowerTheLoss(model, batch, () -> model.backbone.namedParameters().forEach((k, t) ->
                assertTrue(!java.util.Arrays.equals(before.get(k), t.toFloatArray()), "backbone." + k + " trains")));
        assertEquals(16, OptimizerGroups.depthwiseConvParameterNames(model.backbone).size(), "layers 1..5 of b0: 1 + 2 + 2 + 6 + 5 blocks");
    }
}
