package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.model.ResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by a ResNeSt-50 at base 4 (widths 4 .. 32, radix 2,
 * the avd layers; layer2 / layer3 / layer4 give the tiny neck's 32, 64, 128 channels), BN with a trainable affine on
 * running statistics: every backbone parameter trains, the loss is finite and falls. (With norm_eval false, as
 * MMDetection's s50 configs, the attention's bn1 normalises two values per channel at batch 2: the trajectory then
 * depends on float rounding, e.g. BLAS threading, too much for a fixed loss bar; the gradients of that mode are
 * checked against torch in ResNeStGoldenTest's train cases.)
 */
class ResNeStTrainStepTest {
    @TempDir Path tmp;

    static final String RESNEST = """
              backbone:
                type: ResNeSt
                depth: 50
                base_channels: 4
                stem_channels: 8
                radix: 2
                reduction_factor: 4
                avg_down_stride: true
                out_indices: [1, 2, 3]                 # 32, 64, 128 channels at strides 8, 16, 32
                frozen_stages: -1
                norm_cfg: {type: BN, requires_grad: true}
                norm_eval: true
                style: pytorch
            """;

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RegNetTrainStepTest.RESNET18)) throw new IllegalStateException("the tiny config's backbone changed");
        Files.createDirectories(tmp);
        Path f = tmp.resolve("tiny_resnest.yaml");
        Files.writeString(f, y.replace(RegNetTrainStepTest.RESNET18, RESNEST));
        Config cfg = ConfigLoader.load(f, List.of());
        assertEquals("ResNeSt", cfg.model().backboneSpec().type());
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        assertNotNull(assertInstanceOf(ResNet.class, model.backbone).resNeSt());
        Map<String, float[]> before = new LinkedHashMap<>();
        model.backbone.namedParameters().forEach((k, t) -> before.put(k, t.toFloatArray()));
        TinyTrainSteps.lowerTheLoss(model, batch, () -> {});
        // after the eight steps (the attention's bn1 gets gradients too small to move a float32 1.0 in one step)
        model.backbone.namedParameters().forEach((k, t) ->
                assertEquals(true, !Arrays.equals(before.get(k), t.toFloatArray()), "backbone." + k + " trains"));
    }
}
