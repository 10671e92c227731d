package autoassign.data;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.train.TrainOptions;
import autoassign.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Short training runs of the tiny config with augmentations added through the config: RandomCrop and
 * PhotoMetricDistortion; Expand, MinIoURandomCrop, RandomAffine, YOLOXHSVRandomAug, RandomShift and CutOut; YOLOX's
 * MultiImageMixDataset with Mosaic, RandomAffine and MixUp.
 */
class AugmentedTrainingTest {
    @TempDir Path tmp;

    @Test
    void tinyConfigTrainsWithCropAndPhotometricDistortion() throws Exception {
        String pipeline = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                + " {type: RandomCrop, crop_size: [0.6, 0.6], crop_type: relative_range}, {type: PhotoMetricDistortion},"
                + " {type: Resize, scale: [96, 96], keep_ratio: true},"
                + " {type: RandomFlip, prob: [0.25, 0.25], direction: [horizontal, vertical]}, {type: PackDetInputs}]";
        Config cfg = tiny(pipeline);
        assertEquals(4, cfg.trainDataloader().dataset().pipeline().transforms().size());
        trainsOneEpoch(cfg, "crop");
    }

    @Test
    void tinyConfigTrainsWithSsdAndYoloxSteps() throws Exception {
        String pipeline = "train_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                + " {type: Expand, mean: [123.675, 116.28, 103.53], to_rgb: true, ratio_range: [1, 2]},"
                + " {type: MinIoURandomCrop, min_ious: [0.1, 0.3, 0.5], min_crop_size: 0.3},"
                + " {type: RandomAffine, max_rotate_degree: 5, scaling_ratio_range: [0.8, 1.2]}, {type: YOLOXHSVRandomAug},"
                + " {type: RandomShift, prob: 0.5, max_shift_px: 8}, {type: CutOut, n_holes: [1, 3], cutout_ratio: [0.1, 0.1]},"
                + " {type: Resize, scale: [96, 96], keep_ratio: true}, {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]";
        Config cfg = tiny(pipeline);
        assertEquals(8, cfg.trainDataloader().dataset().pipeline().transforms().size());
        trainsOneEpoch(cfg, "ssd");
    }

    @Test
    void tinyConfigTrainsWithYoloxsMultiImageMixDataset() throws Exception {
        String dataset = autoassign.train.YoloxModeSwitchTest.MIX;
        Config cfg = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(dataset,
                "val_dataloader.dataset.num_images=4", "val_dataloader.dataset.img_size=[64, 96]", "val_dataloader.dataset.object_size=[12, 40]",
                "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Resize, scale: [96, 96], keep_ratio: true},"
                        + " {type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]",
                "train_dataloader.batch_size=2", "train_cfg.max_epochs=1", "train_cfg.val_interval=1",
                "default_hooks.checkpoint.interval=1", "default_hooks.logger.interval=1"));
        assertEquals(7, cfg.trainDataloader().dataset().pipeline().transforms().size());
        trainsOneEpoch(cfg, "mix");
    }

    @Test
    void tinyConfigTrainsWithYoloxsStage2PipelineWithPadAndFilterAnnotations() throws Exception {
        // MMDetection's YOLOX stage-2 list (Python) with the tiny config's Resize scale
        String pipeline = autoassign.config.AugmentationConfigTest.yoloxStage2Override().replace("[640,640]", "[96,96]");
        assertTrue(pipeline.contains("[96,96]"), pipeline);
        Config cfg = tiny(pipeline);
        assertEquals(5, cfg.trainDataloader().dataset().pipeline().transforms().size());
        trainsOneEpoch(cfg, "yolox2");
    }

    /** The tiny config on 8 small synthetic images, one epoch, with this training pipeline. */
    static Config tiny(String pipeline) throws Exception {
        return ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of(pipeline,
                "train_dataloader.dataset.num_images=8", "val_dataloader.dataset.num_images=4",
                "train_dataloader.dataset.img_size=[64, 96]", "val_dataloader.dataset.img_size=[64, 96]",
                "train_dataloader.dataset.object_size=[12, 40]", "val_dataloader.dataset.object_size=[12, 40]",
                "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Resize, scale: [96, 96], keep_ratio: true},"
                        + " {type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]",
                "train_dataloader.batch_size=2", "train_cfg.max_epochs=1", "train_cfg.val_interval=1",
                "default_hooks.checkpoint.interval=1", "default_hooks.logger.interval=1"));
    }

    private void trainsOneEpoch(Config cfg, String run) throws Exception {
        trainsOneEpoch(tmp, cfg, run);
    }

    /** One epoch of {@code cfg} on the CPU in {@code dir/run}, the synthetic data in {@code dir/data}: finite loss, an evaluation. */
    static void trainsOneEpoch(Path dir, Config cfg, String run) throws Exception {
        TrainOptions opt = TrainOptions.defaults().withWorkDir(dir.resolve(run)).withDevice("cpu")
                .withDataRoot(dir.resolve("data").toString());
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        assertEquals(1, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
        assertNotNull(r.lastEval());
    }
}
