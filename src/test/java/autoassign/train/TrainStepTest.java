package autoassign.train;

import autoassign.config.Config;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainStepTest {
    @TempDir Path tmp;

    @Test
    void aFewStepsOnSyntheticDataLowerTheLoss() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
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
            if (i == 0) first = l.total();
            last = l.total();
        }
        assertTrue(last < 0.8 * first, "loss " + first + " -> " + last);
    }

    @Test
    void normParametersGetNoWeightDecay() {
        Config cfg = autoassign.config.ConfigLoader.loadNamed("autoassign_tiny_synthetic", java.util.List.of());
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Set<String> norms = model.normParameterNames();
        int decayed = 0, plain = 0;
        for (Optimizer.Group g : OptimizerGroups.of(model, new autoassign.config.OptimConfig(0.01, 0.9, 1e-4, false, 0, 0))) {
            if (norms.contains(g.name())) { assertEquals(0f, g.weightDecay(), g.name()); plain++; }
            else { assertEquals(1e-4f, g.weightDecay(), g.name()); decayed++; }
        }
        assertTrue(plain > 0 && decayed > 0);
        assertTrue(norms.contains("bbox_head.cls_convs.0.gn.weight"));
    }
}
