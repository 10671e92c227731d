package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.model.Bottle2neck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by a small Res2Net-50 (base 4, base_width 8, scales 4:
 * slices of 8 .. 64 channels, deep stem of 8, 8, 16; GroupNorm): the AutoAssign loss is finite and falls.
 */
class Res2NetTrainStepTest {
    @TempDir Path tmp;

    static final String RES2NET = """
              backbone:
                type: Res2Net
                depth: 50
                scales: 4
                base_width: 8
                base_channels: 4
                stem_channels: 16
                out_indices: [1, 2, 3]
                frozen_stages: -1
                norm_cfg: {type: GN, num_groups: 8, requires_grad: true}
                style: pytorch
            """;

    static Config tinyRes2Net(Path dir) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RegNetTrainStepTest.RESNET18) || !y.contains("in_channels: [32, 64, 128]"))
            throw new IllegalStateException("the tiny config's backbone changed");
        // stage channels 16, 32, 64, 128: C3..C5 are the ResNet-18's 32, 64, 128, the neck stays
        y = y.replace(RegNetTrainStepTest.RESNET18, RES2NET);
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_res2net.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f);
    }

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        Config cfg = tinyRes2Net(tmp);
        assertEquals("Res2Net", cfg.model().backbone().type());
        Batch batch = TinyTrainSteps.firstBatch(cfg, tmp.resolve("data"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        assertInstanceOf(Bottle2neck.class, ((autoassign.model.ResNet) model.backbone).layers.get(3).get(0));
        TinyTrainSteps.lowerTheLoss(model, batch, () -> {});
    }
}
