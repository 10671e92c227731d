package autoassign.train;

import autoassign.config.Config;
import autoassign.config.OptimConfig;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Device;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the backbones' train-step tests share: the tiny config's first synthetic batch and eight SGD steps on it. */
final class TinyTrainSteps {
    private TinyTrainSteps() {}

    /** The first training batch (2 images) of {@code cfg}'s synthetic data, generated under {@code dataDir}. */
    static Batch firstBatch(Config cfg, Path dataDir) throws Exception {
        CocoDataset ds = DataSources.load(cfg, true, dataDir.toString(), new DataIssues("test", s -> {}, 0));
        try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(2, 0, 0));
             DataLoader.Epoch e = dl.epoch(0)) {
            return e.next();
        }
    }

    /**
     * Eight SGD steps (lr 0.01, momentum 0.9, decay 1e-4) on {@code batch}: every loss finite without a bad term, the
     * last below 0.8× the first; {@code afterFirstStep} runs right after the first step.
     */
    static void lowerTheLoss(AutoAssignDetector model, Batch batch, Runnable afterFirstStep) {
        Sgd sgd = new Sgd(OptimizerGroups.of(model, new OptimConfig(0.01, 0.9, 1e-4, false, 0, 0)), 0.9f);
        double first = Double.NaN, last = Double.NaN;
        for (int i = 0; i < 8; i++) {
            Trainer.StepLosses l = Trainer.step(model, sgd, batch, Device.CPU, 0.01f);
            assertNull(l.badTerm());
            assertTrue(Double.isFinite(l.total()), "step " + i + ": " + l.total());
            if (i == 0) {
                first = l.total();
                afterFirstStep.run();
            }
            last = l.total();
        }
        assertTrue(last < 0.8 * first, "loss " + first + " -> " + last);
    }
}
