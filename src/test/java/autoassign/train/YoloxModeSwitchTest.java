package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.data.Transform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMDetection's YOLOXModeSwitchHook: YOLOX's last epochs run the MultiImageMixDataset without Mosaic, RandomAffine, MixUp. */
public class YoloxModeSwitchTest {
    @TempDir Path tmp;

    /** The tiny config's train set as YOLOX's MultiImageMixDataset (Mosaic, RandomAffine, MixUp, HSV, flip, resize). */
    public static final String MIX = "train_dataloader.dataset={_delete_: true, type: MultiImageMixDataset,"
            + " dataset: {type: SyntheticShapes, num_images: 8, num_classes: 4, img_size: [64, 96], object_size: [12, 40],"
            + " pipeline: [{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}]},"
            + " pipeline: [{type: Mosaic, img_scale: [96, 96], pad_val: 114.0},"
            + " {type: RandomAffine, scaling_ratio_range: [0.5, 1.5], border: [-48, -48]},"
            + " {type: MixUp, img_scale: [96, 96], ratio_range: [0.8, 1.6], pad_val: 114.0}, {type: YOLOXHSVRandomAug},"
            + " {type: RandomFlip, prob: 0.5}, {type: Resize, scale: [96, 96], keep_ratio: true}, {type: PackDetInputs}]}";

    private static Config config(String... more) throws Exception {
        List<String> o = new ArrayList<>(List.of(MIX, "val_dataloader.dataset.num_images=4", "val_dataloader.dataset.img_size=[64, 96]",
                "val_dataloader.dataset.object_size=[12, 40]",
                "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Resize, scale: [96, 96], keep_ratio: true},"
                        + " {type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]",
                "train_dataloader.batch_size=2", "train_cfg.max_epochs=2", "train_cfg.val_interval=2",
                "default_hooks.checkpoint.interval=1", "default_hooks.logger.interval=1"));
        o.addAll(List.of(more));
        return ConfigLoader.loadNamed("autoassign_tiny_synthetic", o);
    }

    private static List<String> types(List<Transform> ts) {
        return ts.stream().map(t -> t.getClass().getSimpleName()).toList();
    }

    @Test
    void theLastEpochsSkipTheHooksSteps() throws Exception {
        Config cfg = config("train_cfg.max_epochs=20", "custom_hooks=[{type: YOLOXModeSwitchHook, num_last_epochs: 15, priority: 48}]");
        PipelineSchedule s = PipelineSchedule.of(cfg);
        assertEquals(4, s.switchEpoch(), "MMDetection's test (epoch + 1) >= 20 - 15: the last 16 epochs");
        List<String> before = types(s.forEpoch(3).transforms()), after = types(s.forEpoch(4).transforms());
        assertTrue(before.containsAll(List.of("Mosaic", "RandomAffine", "MixUp")), before.toString());
        assertFalse(after.contains("Mosaic") || after.contains("RandomAffine") || after.contains("MixUp"), after.toString());
        assertTrue(after.contains("YoloxHsvRandomAug") && after.contains("RandomFlip"), after.toString());
        // the hook's own list replaces the dataset's (update_skip_type_keys)
        Config own = config("custom_hooks=[{type: YOLOXModeSwitchHook, num_last_epochs: 1, skip_type_keys: [MixUp]}]");
        List<String> mixOnly = types(PipelineSchedule.of(own).forEpoch(0).transforms());
        assertTrue(mixOnly.contains("Mosaic") && !mixOnly.contains("MixUp"), mixOnly.toString());
        PipelineSchedule none = PipelineSchedule.of(config());
        assertEquals(none.forEpoch(0), none.forEpoch(1000), "no hook: one pipeline");
    }

    @Test
    void trainingSwitchesBetweenEpochs() throws Exception {
        Config cfg = config("custom_hooks=[{type: YOLOXModeSwitchHook, num_last_epochs: 0}]");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainOptions opt = TrainOptions.defaults().withWorkDir(tmp.resolve("run")).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(2, r.epochsDone(), text);
        assertTrue(Double.isFinite(r.lastLoss()), text);
        assertTrue(text.contains("YOLOXModeSwitchHook: from epoch 2 the MultiImageMixDataset skips [Mosaic, RandomAffine, MixUp]"), text);
        int first = text.indexOf("Epoch(train) [2]"), said = text.indexOf("YOLOXModeSwitchHook");
        assertTrue(said < first, "switched before the second epoch's iterations: " + text);
    }

    /** YOLOX's data_preprocessor batch augment: a new input size every iteration here, training goes on. */
    @Test
    void trainingWithBatchSyncRandomResize() throws Exception {
        Config cfg = config("train_cfg.max_epochs=1", "train_cfg.val_interval=1", "model.data_preprocessor.batch_augments=[{type: "
                + "BatchSyncRandomResize, random_size_range: [64, 128], size_divisor: 32, interval: 1}]");
        TrainOptions opt = TrainOptions.defaults().withWorkDir(tmp.resolve("resize")).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        assertEquals(1, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
    }

    @Test
    void whatMmdetectionCannotSwitchIsAOneLineError() throws Exception {
        String e = assertThrows(ConfigException.class, () -> ConfigLoader.loadNamed("autoassign_tiny_synthetic",
                List.of("custom_hooks=[{type: YOLOXModeSwitchHook}]"))).getMessage();
        assertTrue(e.contains("custom_hooks: YOLOXModeSwitchHook switches the steps of train_dataloader.dataset, which must be a "
                + "MultiImageMixDataset"), e);
        e = assertThrows(ConfigException.class, () -> config("train_dataloader.dataset={_delete_: true, type: RepeatDataset, times: 2, dataset: "
                + MIX.substring(MIX.indexOf('{')) + "}", "custom_hooks=[{type: YOLOXModeSwitchHook}]")).getMessage();
        assertTrue(e.contains("must be a MultiImageMixDataset (not wrapped"), e);
        e = assertThrows(ConfigException.class, () -> config("custom_hooks=[{type: YOLOXModeSwitchHook, skip_type_keys: Mosaic}]"))
                .getMessage();
        assertTrue(e.contains("custom_hooks[0].skip_type_keys: must be a list"), e);
    }
}
