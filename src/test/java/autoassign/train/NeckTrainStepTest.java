package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.model.AutoAssignDetector;
import autoassign.model.Hrfpn;
import autoassign.model.Pafpn;
import autoassign.tensor.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny synthetic training recipe with its FPN swapped for PAFPN (same keys) or HRFPN (on C2..C5 of the
 * ResNet-18, 3×3 convs of stride 2 so that the five outputs keep the head's strides 8..128, as MMDetection's HRNet
 * configs for one-stage heads do): the AutoAssign loss is finite and falls within a few SGD steps.
 */
class NeckTrainStepTest {
    @TempDir Path tmp;

    private static final String FPN = """
              neck:
                type: FPN
                in_channels: [32, 64, 128]
                out_channels: 32
                start_level: 0
                add_extra_convs: on_input
                num_outs: 5
                relu_before_extra_convs: true
                init_cfg: {type: Caffe2Xavier, layer: Conv2d}
            """;

    private static final String HRFPN = """
              neck:
                type: HRFPN
                in_channels: [16, 32, 64, 128]
                out_channels: 32
                num_outs: 5
                pooling_type: AVG
                stride: 2
            """;

    private Config tiny(String from, String to, String... more) throws Exception {
        String y = TinyTrainConfig.yaml();
        if (!y.contains(from)) throw new IllegalStateException("the tiny config's neck changed");
        y = y.replace(from, to);
        for (int i = 0; i < more.length; i += 2) {
            if (!y.contains(more[i])) throw new IllegalStateException("the tiny config no longer contains " + more[i]);
            y = y.replace(more[i], more[i + 1]);
        }
        Files.createDirectories(tmp);
        Path f = tmp.resolve("tiny_neck.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f);
    }

    private void lossFalls(Config cfg, float lr) throws Exception {
        CocoDataset ds = DataSources.load(cfg, true, tmp.resolve("data").toString(), new DataIssues("test", s -> {}, 0));
        Batch batch;
        try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(2, 0, 0));
             DataLoader.Epoch e = dl.epoch(0)) {
            batch = e.next();
        }
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Sgd sgd = new Sgd(OptimizerGroups.of(model, new autoassign.config.OptimConfig(lr, 0.9, 1e-4, false, 0, 0)), 0.9f);
        double first = Double.NaN, last = Double.NaN;
        for (int i = 0; i < 8; i++) {
            Trainer.StepLosses l = Trainer.step(model, sgd, batch, Device.CPU, lr);
            assertNull(l.badTerm());
            assertTrue(Double.isFinite(l.total()), "step " + i + ": " + l.total());
            if (i == 0) first = l.total();
            last = l.total();
        }
        assertTrue(last < 0.8 * first, "loss " + first + " -> " + last);
    }

    @Test
    void pafpnTrains() throws Exception {
        Config cfg = tiny(FPN, FPN.replace("type: FPN", "type: PAFPN"));
        AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
        assertInstanceOf(Pafpn.class, m.neck);
        assertEquals(2, ((Pafpn) m.neck).downsampleConvs.size());
        lossFalls(cfg, 0.01f);
    }

    @Test
    void hrfpnTrainsOnAResNet() throws Exception {
        Config cfg = tiny(FPN, HRFPN, "out_indices: [1, 2, 3]", "out_indices: [0, 1, 2, 3]");
        assertEquals(List.of(8, 16, 32, 64, 128), cfg.model().expectedStrides());
        AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
        assertInstanceOf(Hrfpn.class, m.neck);
        lossFalls(cfg, 0.01f);
    }
}
