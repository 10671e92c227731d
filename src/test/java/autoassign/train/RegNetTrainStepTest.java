package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        CocoDataset ds = DataSources.load(cfg, true, tmp.resolve("data").toString(), new DataIssues("test", s -> {}, 0));
        Batch batch;
        try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(2, 0, 0));
             DataLoader.Epoch e = dl.epoch(0)) {
            batch = e.next();
        }
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Sgd sgd = new Sgd(OptimizerGroups.of(model, new autoassign.config.OptimConfig(0.01, 0.9, 1e-4, false, 0, 0)), 0.9f);
        double first = Double.NaN, last = Double.NaN;
        for (int i = 0; i < 8; i++) {
            Trainer.StepLosses l = Trainer.step(model, sgd, batch, Device.CPU, 0.01f);
            assertNull(l.badTerm());
            assertTrue(Double.isFinite(l.total()), "step " + i + ": " + l.total());
            if (i == 0) first = l.total();
            last = l.total();
        }
        assertTrue(last < 0.8 * first, "loss " + first + " -> " + last);
    }
}
