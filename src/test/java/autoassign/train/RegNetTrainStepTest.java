package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by a small RegNet (MMDetection's regnet.py with a
 * dict arch: stages of 16, 24, 48, 80 channels in groups of 8, GroupNorm): the AutoAssign loss is finite and falls.
 */
class RegNetTrainStepTest {
    @TempDir Path tmp;

    static final String RESNET18 = """
              backbone:
                type: ResNet
                depth: 18
                num_stages: 4
                base_channels: 16
                out_indices: [1, 2, 3]                 # C3, C4, C5 (strides 8, 16, 32)
                frozen_stages: -1
                norm_cfg: {type: GN, num_groups: 8, requires_grad: true}
                style: pytorch
                zero_init_residual: true
            """;

    static final String REGNET = """
              backbone:
                type: RegNet
                arch: {w0: 16, wa: 16.0, wm: 1.7, group_w: 8, depth: 6, bot_mul: 1.0}
                out_indices: [1, 2, 3]
                frozen_stages: -1
                norm_cfg: {type: GN, num_groups: 8, requires_grad: true}
                style: pytorch
                zero_init_residual: true
            """;

    static Config tinyRegNet(Path dir) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RESNET18) || !y.contains("in_channels: [32, 64, 128]"))
            throw new IllegalStateException("the tiny config's backbone changed");
        y = y.replace(RESNET18, REGNET).replace("in_channels: [32, 64, 128]", "in_channels: [24, 48, 80]");
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_regnet.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f);
    }

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        Config cfg = tinyRegNet(tmp);
        assertEquals("RegNet", cfg.model().backbone().type());
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        TinyTrainSteps.lowerTheLoss(model, batch, () -> {});
    }
}
