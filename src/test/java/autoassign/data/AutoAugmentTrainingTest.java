package autoassign.data;

import autoassign.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AutoAugment family in use: the loader gives the same batches for 0, 1 and 3 workers with AutoAugment (default
 * policies) and RandAugment, and the tiny config trains an epoch with each in its training pipeline.
 */
class AutoAugmentTrainingTest {
    @TempDir Path tmp;

    @Test
    void loaderIsReproducibleForAnyWorkers() {
        SyntheticShapes.Layout layout = SyntheticShapes.ensure(tmp.resolve("syn"), SyntheticShapesTest.SMALL.withCounts(12, 4));
        CocoDataset ds = layout.train(new DataIssues("syn", s -> { }, 5)).filterForTraining();
        PipelineOptions p = DataLoaderTest.SMALL_PIPE.withTransforms(List.of(AutoAugment.defaults(), RandAugment.defaults(),
                ResizeStep.INSTANCE, RandomFlip.horizontal(0.5)));
        List<Batch> serial = epoch(ds, p, 4, 0);
        for (int workers : new int[] {1, 3}) {
            List<Batch> other = epoch(ds, p, 4, workers);
            assertEquals(serial.size(), other.size());
            for (int i = 0; i < serial.size(); i++) {
                assertArrayEquals(serial.get(i).data(), other.get(i).data(), workers + " workers, batch " + i);
                for (int k = 0; k < serial.get(i).size(); k++)
                    assertArrayEquals(serial.get(i).targets().get(k).boxes(), other.get(i).targets().get(k).boxes());
            }
        }
        assertFalse(Arrays.equals(serial.get(0).data(), epoch(ds, p, 5, 0).get(0).data()), "another seed draws differently");
        PipelineOptions plain = DataLoaderTest.SMALL_PIPE.withTransforms(List.of(ResizeStep.INSTANCE, RandomFlip.horizontal(0.5)));
        List<Batch> without = epoch(ds, plain, 4, 0);
        int changed = 0;
        for (int i = 0; i < serial.size(); i++) if (!Arrays.equals(serial.get(i).data(), without.get(i).data())) changed++;
        assertTrue(changed >= serial.size() - 1, "the augmentations change the batches: " + changed + " of " + serial.size());
        int boxes = 0;
        for (Batch b : serial) for (int k = 0; k < b.size(); k++) boxes += b.targets().get(k).count();
        assertEquals(totalBoxes(ds), boxes, "no box is dropped (every image once, 12 / batch 2)");
    }

    private static int totalBoxes(CocoDataset ds) {
        int n = 0;
        for (int i = 0; i < ds.size(); i++) n += ds.get(i).numBoxes();
        return n;
    }

    private static List<Batch> epoch(CocoDataset ds, PipelineOptions p, long seed, int workers) {
        try (DataLoader l = new DataLoader(ds, p, LoaderOptions.train(2, seed, workers).withOpencvThreads(-1))) {
            return DataLoaderTest.epoch(l, 0);
        }
    }

    @Test
    void tinyConfigTrainsWithAutoAugment() throws Exception {
        trainsOneEpoch(tiny("{type: AutoAugment}"), "autoaugment");
        trainsOneEpoch(tiny("{type: AutoAugment, policies: [[{type: Rotate, prob: 0.6, level: 10}, {type: Color, prob: 1.0, level: 6}],"
                + " [{type: ShearX, prob: 0.4}, {type: TranslateY, level: 5, img_border_value: [114, 114, 114]}]], prob: [0.5, 0.5]}"), "policies");
    }

    @Test
    void tinyConfigTrainsWithRandAugment() throws Exception {
        trainsOneEpoch(tiny("{type: RandAugment, aug_num: 3}"), "randaugment");
    }

    /** The tiny config on 8 small synthetic images, one epoch, with {@code step} before its Resize (AugmentedTrainingTest's set-up). */
    private static Config tiny(String step) throws Exception {
        Config cfg = AugmentedTrainingTest.tiny("train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, "
                + "{type: LoadAnnotations, with_bbox: true}, " + step + ", {type: Resize, scale: [96, 96], keep_ratio: true}, "
                + "{type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]");
        assertEquals(3, cfg.trainDataloader().dataset().pipeline().transforms().size());
        return cfg;
    }

    private void trainsOneEpoch(Config cfg, String run) throws Exception {
        AugmentedTrainingTest.trainsOneEpoch(tmp, cfg, run);
    }
}
