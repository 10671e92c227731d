package autoassign.data;

import autoassign.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The tiny config trains an epoch with MMCV's RandomApply / RandomChoice / Compose and RandomErasing in its pipeline. */
class WrapperTrainingTest {
    @TempDir Path tmp;

    @Test
    void tinyConfigTrainsWithWrappersAndRandomErasing() throws Exception {
        String pipeline = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                + " {type: RandomApply, prob: 0.5, transforms: [{type: PhotoMetricDistortion}]},"
                + " {type: RandomChoice, transforms: [[{type: RandomCrop, crop_size: [0.7, 0.7], crop_type: relative_range}],"
                + " [{type: Compose, transforms: [{type: Expand, ratio_range: [1, 1.5]}, {type: CutOut, n_holes: 1, cutout_ratio: [0.1, 0.1]}]}],"
                + " []], prob: [0.4, 0.4, 0.2]},"
                + " {type: Resize, scale: [96, 96], keep_ratio: true},"
                + " {type: RandomErasing, n_patches: [1, 3], ratio: [0.05, 0.2], bbox_erased_thr: 0.8},"
                + " {type: RandomApply, transforms: {type: RandomFlip, prob: 1.0}}, {type: PackDetInputs}]";
        Config cfg = AugmentedTrainingTest.tiny(pipeline);
        assertEquals(5, cfg.trainDataloader().dataset().pipeline().transforms().size());
        AugmentedTrainingTest.trainsOneEpoch(tmp, cfg, "wrappers");
    }
}
