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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The full R50 config, two training iterations on real coco128 images at the 1333×800 pipeline, on the CPU.
 * Slow (minutes): run with {@code mvn test -Dsurefire.excludedGroups= -Dgroups=slow -Dtest=R50Coco128SmokeTest}.
 */
@Tag("slow")
class R50Coco128SmokeTest {
    @Test
    void twoIterationsRunWithoutError() {
        Path coco128 = Path.of(System.getProperty("shared.dir", "../shared"), "data", "coco128");
        Assumptions.assumeTrue(Files.isDirectory(coco128.resolve("images")), "coco128 not found at " + coco128 + ": skipped");
        Config cfg = ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", List.of());
        CocoDataset ds = DataSources.load(cfg, true, coco128.toString(), new DataIssues("coco128"));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Sgd sgd = new Sgd(OptimizerGroups.of(model, new autoassign.config.OptimConfig(0.01, 0.9, 1e-4, false, 0, 0)), 0.9f);
        try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(2, 0, 2));
             DataLoader.Epoch e = dl.epoch(0)) {
            for (int i = 0; i < 2; i++) {
                Batch b = e.next();
                Trainer.StepLosses l = Trainer.step(model, sgd, b, Device.CPU, 1e-5f);
                System.out.printf("R50 iteration %d on %s: loss_pos %.4f loss_neg %.4f loss_center %.4f%n",
                        i, java.util.Arrays.toString(b.shape()), l.pos(), l.neg(), l.center());
                assertNull(l.badTerm());
            }
        }
    }
}
