package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HrNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by a small HRNet (branches of 8, 16, 32, 64 channels,
 * GroupNorm; the FPN on its three coarser branches): every backbone parameter gets a gradient, the loss is finite and
 * falls.
 */
class HrNetTrainStepTest {
    @TempDir Path tmp;

    static final String HRNET = """
              backbone:
                type: HRNet
                extra:
                  stage1: {num_modules: 1, num_branches: 1, block: BOTTLENECK, num_blocks: [1], num_channels: [8]}
                  stage2: {num_modules: 1, num_branches: 2, block: BASIC, num_blocks: [1, 1], num_channels: [8, 16]}
                  stage3: {num_modules: 1, num_branches: 3, block: BASIC, num_blocks: [1, 1, 1], num_channels: [8, 16, 32]}
                  stage4: {num_modules: 1, num_branches: 4, block: BASIC, num_blocks: [1, 1, 1, 1], num_channels: [8, 16, 32, 64]}
                norm_cfg: {type: GN, num_groups: 4, requires_grad: true}
            """;

    static Config tinyHrNet(Path dir) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RegNetTrainStepTest.RESNET18) || !y.contains("in_channels: [32, 64, 128]") || !y.contains("start_level: 0"))
            throw new IllegalStateException("the tiny config's backbone changed");
        y = y.replace(RegNetTrainStepTest.RESNET18, HRNET).replace("in_channels: [32, 64, 128]", "in_channels: [8, 16, 32, 64]")
                .replace("start_level: 0", "start_level: 1");
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_hrnet.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f);
    }

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        Config cfg = tinyHrNet(tmp);
        assertEquals("HRNet", cfg.model().backboneSpec().type());
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        assertInstanceOf(HrNet.class, model.backbone);
        java.util.Map<String, float[]> before = new java.util.LinkedHashMap<>();
        model.backbone.namedParameters().forEach((k, t) -> before.put(k, t.toFloatArray()));
        TinyTrainSteps.lowerTheLoss(model, batch, () -> {
            // the optimizer skips a tensor without a gradient: each one that moved had one; the fuse layers into
            // stage 4's branch 0 feed only that output, which the FPN (start_level 1) does not take
            model.backbone.namedParameters().forEach((k, t) -> assertEquals(!k.startsWith("stage4.0.fuse_layers.0."),
                    !java.util.Arrays.equals(before.get(k), t.toFloatArray()), "backbone." + k + " trains"));
        });
    }
}
