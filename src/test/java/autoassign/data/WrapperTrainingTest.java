package autoassign.data;

import autoassign.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The tiny config trains an epoch with MMCV's RandomApply / RandomChoice / Compose and RandomErasing in its pipeline, and
 * with DETR's RandomChoice between resize chains (every resize inside the wrapper).
 */
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

    @Test
    void tinyConfigTrainsWithDetrsResizeChains() throws Exception {
        // MMDetection's configs/detr train_pipeline, its scales shrunk to the 64 x 96 synthetic images
        String big = "[[48, 96], [56, 96], [64, 96], [72, 96], [80, 96]]";
        String pipeline = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                + " {type: RandomFlip, prob: 0.5}, {type: RandomChoice, transforms: ["
                + "[{type: RandomChoiceResize, scales: " + big + ", keep_ratio: true}],"
                + " [{type: RandomChoiceResize, scales: [[40, 96], [50, 96], [60, 96]], keep_ratio: true},"
                + " {type: RandomCrop, crop_type: absolute_range, crop_size: [38, 60], allow_negative_crop: true},"
                + " {type: RandomChoiceResize, scales: " + big + ", keep_ratio: true}]]}, {type: PackDetInputs}]";
        Config cfg = AugmentedTrainingTest.tiny(pipeline);
        assertEquals(2, cfg.trainDataloader().dataset().pipeline().transforms().size());
        PipelineOptions o = autoassign.train.DataSources.trainPipeline(cfg);
        assertEquals(3, o.ownResizes().size());
        // every image the loader prepares is bounded by the chains' last scales (80 short side, 96 long side)
        Pipeline p = new Pipeline(o);
        for (int pos = 0; pos < 40; pos++) {
            byte[] px = new byte[64 * 96 * 3];
            ImageRecord rec = new ImageRecord(1, "a", 96, 64, new float[] {10, 10, 50, 40}, new int[] {0}, new float[0], new int[0], true);
            try (org.bytedeco.opencv.opencv_core.Mat m = new org.bytedeco.opencv.opencv_core.Mat(64, 96,
                    org.bytedeco.opencv.global.opencv_core.CV_8UC3, new org.bytedeco.javacpp.BytePointer(px))) {
                PreparedImage img = p.prepare(m, rec, 0, SampleDraws.of(1, 0, pos));
                int lo = Math.min(img.meta().imgH(), img.meta().imgW()), hi = Math.max(img.meta().imgH(), img.meta().imgW());
                org.junit.jupiter.api.Assertions.assertTrue(hi <= 96 && lo <= 80 && (hi == 96 || lo >= 48), img.meta().toString());
            }
        }
        AugmentedTrainingTest.trainsOneEpoch(tmp, cfg, "detr-resizes");
    }
}
