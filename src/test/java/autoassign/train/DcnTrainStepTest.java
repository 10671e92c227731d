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
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny synthetic training recipe with its ResNet-18 replaced by a narrow ResNet-50 whose layer2..layer4 3×3s are
 * DCNv2, or DCN, at deform_groups 2: the AutoAssign loss is finite and falls, and the offset convs,
 * which start at zero, learn.
 */
class DcnTrainStepTest {
    @TempDir Path tmp;

    static final String DCN_R50 = """
              backbone:
                type: ResNet
                depth: 50
                num_stages: 4
                base_channels: 8
                out_indices: [1, 2, 3]                 # C3, C4, C5 (strides 8, 16, 32)
                frozen_stages: -1
                norm_cfg: {type: GN, num_groups: 8, requires_grad: true}
                style: pytorch
                zero_init_residual: true
                dcn: {type: %s, deform_groups: 2, fallback_on_stride: false}
                stage_with_dcn: [false, true, true, true]
            """;

    static Config tinyDcn(Path dir, String type) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(RegNetTrainStepTest.RESNET18) || !y.contains("in_channels: [32, 64, 128]"))
            throw new IllegalStateException("the tiny config's backbone changed");
        y = y.replace(RegNetTrainStepTest.RESNET18, DCN_R50.formatted(type)).replace("in_channels: [32, 64, 128]", "in_channels: [64, 128, 256]");
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_dcn_" + type + ".yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f);
    }

    private void trains(String type) throws Exception {
        Config cfg = tinyDcn(tmp, type);
        assertEquals(type, cfg.model().backbone().dcn().type());
        CocoDataset ds = DataSources.load(cfg, true, tmp.resolve("data").toString(), new DataIssues("test", s -> {}, 0));
        Batch batch;
        try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(2, 0, 0));
             DataLoader.Epoch e = dl.epoch(0)) {
            batch = e.next();
        }
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Tensor offset = model.stateDict().get("backbone.layer3.0.conv2.conv_offset.weight");
        Sgd sgd = new Sgd(OptimizerGroups.of(model, new autoassign.config.OptimConfig(0.01, 0.9, 1e-4, false, 0, 0)), 0.9f);
        double first = Double.NaN, last = Double.NaN;
        for (int i = 0; i < 8; i++) {
            Trainer.StepLosses l = Trainer.step(model, sgd, batch, Device.CPU, 0.01f);
            assertNull(l.badTerm());
            assertTrue(Double.isFinite(l.total()), type + " step " + i + ": " + l.total());
            if (i == 0) first = l.total();
            last = l.total();
        }
        assertTrue(last < 0.8 * first, type + ": loss " + first + " -> " + last);
        double moved = 0;
        for (float v : offset.toFloatArray()) moved = Math.max(moved, Math.abs(v));
        assertTrue(moved > 0, type + ": the offset conv (zero at start) learns");
    }

    @Test
    void dcnv2StepsLowerTheLoss() throws Exception { trains("DCNv2"); }

    @Test
    void dcnStepsLowerTheLoss() throws Exception { trains("DCN"); }
}
