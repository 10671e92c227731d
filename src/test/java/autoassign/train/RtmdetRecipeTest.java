package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.data.CachedMixUp;
import autoassign.data.CachedMosaic;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.PipelineOptions;
import autoassign.data.Transform;
import autoassign.data.WorkerLayout;
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

/**
 * RTMDet's training recipe on the tiny config: CachedMosaic → RandomResize → RandomCrop → YOLOXHSVRandomAug → RandomFlip
 * → Pad → CachedMixUp as the train dataset's own pipeline, and MMDetection's PipelineSwitchHook switching to the stage-2
 * pipeline (no cached steps, 64 px instead of 96) from 0-based epoch 1; every wrong key a one-line config error.
 */
class RtmdetRecipeTest {
    @TempDir Path tmp;

    private static final String LOAD = "{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true}, ";
    static final String STAGE1 = "[" + LOAD + "{type: CachedMosaic, img_scale: [96, 96], pad_val: 114.0, max_cached_images: 8},"
            + " {type: RandomResize, scale: [192, 192], ratio_range: [0.5, 2.0], keep_ratio: true},"
            + " {type: RandomCrop, crop_size: [96, 96]}, {type: YOLOXHSVRandomAug}, {type: RandomFlip, prob: 0.5},"
            + " {type: Pad, size: [96, 96], pad_val: {img: [114, 114, 114]}},"
            + " {type: CachedMixUp, img_scale: [96, 96], ratio_range: [1.0, 1.0], max_cached_images: 6, pad_val: [114, 114, 114]},"
            + " {type: PackDetInputs}]";
    static final String STAGE2 = "[" + LOAD + "{type: RandomResize, scale: [64, 64], ratio_range: [0.5, 2.0], keep_ratio: true},"
            + " {type: RandomCrop, crop_size: [64, 64]}, {type: YOLOXHSVRandomAug}, {type: RandomFlip, prob: 0.5},"
            + " {type: Pad, size: [64, 64], pad_val: {img: [114, 114, 114]}}, {type: PackDetInputs}]";
    static final String HOOK = "custom_hooks=[{type: PipelineSwitchHook, switch_epoch: 1, switch_pipeline: " + STAGE2 + "}]";

    private static List<String> base() {
        return new ArrayList<>(List.of("train_dataloader.dataset.num_images=8", "train_dataloader.dataset.img_size=[64, 96]",
                "train_dataloader.dataset.object_size=[12, 40]", "train_dataloader.num_workers=2", "train_dataloader.persistent_workers=true",
                "val_dataloader.dataset.num_images=4", "val_dataloader.dataset.img_size=[64, 96]",
                "val_dataloader.dataset.object_size=[12, 40]",
                "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile}, {type: Resize, scale: [96, 96], keep_ratio: true},"
                        + " {type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]",
                "train_dataloader.batch_size=2", "train_cfg.max_epochs=2", "train_cfg.val_interval=2",
                "default_hooks.checkpoint.interval=1", "default_hooks.logger.interval=1"));
    }

    private static Config config(String pipeline, String... more) throws Exception {
        List<String> o = base();
        o.add("train_dataloader.dataset.pipeline=" + pipeline);
        o.addAll(List.of(more));
        return ConfigLoader.loadNamed("autoassign_tiny_synthetic", o);
    }

    private static List<String> types(List<Transform> ts) { return ts.stream().map(Transform::type).toList(); }

    @Test
    void theRecipeReadsAndTheHookSwitchesToStage2Batches() throws Exception {
        Config cfg = config(STAGE1, HOOK);
        PipelineSchedule s = PipelineSchedule.of(cfg);
        assertEquals(1, s.switchEpoch());
        PipelineOptions first = s.forEpoch(0), second = s.forEpoch(1);
        List<Transform> t = first.transforms();
        assertTrue(t.get(0) instanceof CachedMosaic m && m.maxCachedImages() == 8 && m.randomPop() && m.mosaic().scaleH() == 96,
                t.toString());
        CachedMixUp mix = (CachedMixUp) t.get(t.size() - 1);
        assertEquals(6, mix.maxCachedImages());
        assertTrue(mix.mixUp().padIsInt() && mix.mixUp().padVal() == 114, "(114, 114, 114): an integer canvas");
        assertEquals(new WorkerLayout(2, true), first.workerLayout(), "train_dataloader.num_workers, persistent");
        assertEquals(first.workerLayout(), second.workerLayout());
        // torch's default persistent_workers false: new worker processes (empty caches) every epoch; num_workers 0: the
        // main process keeps them
        assertEquals(new WorkerLayout(2, false), PipelineSchedule.of(config(STAGE1, HOOK, "train_dataloader.persistent_workers=false"))
                .forEpoch(0).workerLayout());
        assertEquals(new WorkerLayout(0, true), PipelineSchedule.of(config(STAGE1, HOOK, "train_dataloader.persistent_workers=false",
                "train_dataloader.num_workers=0")).forEpoch(0).workerLayout());
        assertFalse(types(second.transforms()).contains("CachedMosaic") || types(second.transforms()).contains("CachedMixUp"),
                types(second.transforms()).toString());

        // the loader as the trainer drives it: stage-1 batches (Pad 96), then after usePipeline stage-2 ones (Pad 64)
        CocoDataset ds = DataSources.load(cfg, true, tmp.resolve("data").toString(), new DataIssues("train", x -> { }, 5))
                .filterForTraining();
        try (DataLoader l = new DataLoader(ds, s.forEpoch(0), Trainer.trainLoader(cfg, 2, 0, 2))) {
            for (int e = 0; e < 2; e++) {
                if (s.forEpoch(e) != s.forEpoch(0)) l.usePipeline(s.forEpoch(e));
                int side = e == 0 ? 96 : 64;
                try (DataLoader.Epoch it = l.epoch(e)) {
                    while (it.hasNext()) {
                        Batch b = it.next();
                        for (var m : b.metas()) assertEquals(List.of(side, side), List.of(m.imgH(), m.imgW()), "epoch " + e);
                    }
                }
            }
        }
    }

    @Test
    void trainingSwitchesPipelineBeforeTheSecondEpoch() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainOptions opt = TrainOptions.defaults().withWorkDir(tmp.resolve("run")).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
        Trainer.Result r = new Trainer(config(STAGE1, HOOK), opt, new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(2, r.epochsDone(), text);
        assertTrue(Double.isFinite(r.lastLoss()), text);
        String said = "PipelineSwitchHook: Switch pipeline now! From epoch 2 the train dataset runs switch_pipeline [LoadImageFromFile,"
                + " LoadAnnotations, RandomResize, RandomCrop, YOLOXHSVRandomAug, RandomFlip, Pad, PackDetInputs]";
        assertTrue(text.contains(said), text);
        assertTrue(text.indexOf("Epoch(train) [1]") < text.indexOf(said) && text.indexOf(said) < text.indexOf("Epoch(train) [2]"), text);
        assertEquals(text.indexOf(said), text.lastIndexOf(said), "switched once");
    }

    private static void assertError(String key, String text, ThrowingConfig c) {
        ConfigException e = assertThrows(ConfigException.class, c::load);
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(text), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    private interface ThrowingConfig { void load() throws Exception; }

    private static String pipe(String cached) {
        return "[" + LOAD + cached + ", {type: Resize, scale: [96, 96], keep_ratio: true}, {type: PackDetInputs}]";
    }

    @Test
    void everyWrongKeyIsAOneLineError() {
        String p = "train_dataloader.dataset.pipeline[2]";
        assertError(p + ".max_cached_images", "must be >= 4", () -> config(pipe("{type: CachedMosaic, max_cached_images: 3}")));
        // an InfiniteSampler's single round-robin over the run is not the per-epoch layout reproduced here
        assertError("train_dataloader.sampler", "need a DefaultSampler", () -> config(pipe("{type: CachedMosaic}"),
                "train_cfg={_delete_: true, type: IterBasedTrainLoop, max_iters: 6, val_interval: 3}",
                "train_dataloader.sampler={type: InfiniteSampler, shuffle: true}",
                "default_hooks.checkpoint={type: CheckpointHook, by_epoch: false, interval: 2}",
                "param_scheduler=[{type: LinearLR, start_factor: 0.1, by_epoch: false, begin: 0, end: 3}]"));
        assertError(p + ".random_pop", "", () -> config(pipe("{type: CachedMosaic, random_pop: 2}")));
        assertError(p + ".center_ratio_range", "0 <= lo <= hi <= 2", () -> config(pipe("{type: CachedMosaic, center_ratio_range: [0.5, 2.5]}")));
        assertError(p + ".prob", "", () -> config(pipe("{type: CachedMosaic, prob: 1.5}")));
        assertError(p + ".max_refetch", "", () -> config(pipe("{type: CachedMosaic, max_refetch: 15}")));
        assertError(p + ".max_cached_images", "must be >= 2", () -> config(pipe("{type: CachedMixUp, max_cached_images: 1}")));
        assertError(p + ".prob", "", () -> config(pipe("{type: CachedMixUp, prob: -0.5}")));
        assertError(p + ".max_iters", "", () -> config(pipe("{type: CachedMixUp, max_iters: 0}")));
        assertError(p + ".pad_val", "per-channel values are not supported",
                () -> config(pipe("{type: CachedMixUp, pad_val: [114, 115, 114]}")));
        assertError(p + ".pad_val", "use ratio_range: [1, 1]", () -> config(pipe("{type: CachedMixUp, pad_val: [114, 114, 114]}")));
        assertError("val_dataloader.dataset.pipeline[2].type", "only belongs in a training pipeline",
                () -> config(STAGE1, "val_dataloader.dataset.pipeline=" + pipe("{type: CachedMixUp}")));
        String part = "{type: CocoDataset, ann_file: a.json, data_prefix: {img: a/}, pipeline: " + STAGE1 + "}";
        assertError("train_dataloader.dataset", "not supported in a ConcatDataset", () -> config(STAGE1,
                "train_dataloader.dataset={_delete_: true, type: ConcatDataset, datasets: [" + part + ", " + part.replace("a.json", "b.json") + "]}"));
        String mix = "train_dataloader.dataset={_delete_: true, type: MultiImageMixDataset, dataset: {type: SyntheticShapes, num_images: 8,"
                + " num_classes: 4, img_size: [64, 96], object_size: [12, 40], pipeline: [" + LOAD.substring(0, LOAD.length() - 2) + "]},"
                + " pipeline: [{type: CachedMosaic, img_scale: [96, 96]}, {type: Resize, scale: [96, 96], keep_ratio: true}]}";
        assertError("train_dataloader.dataset.pipeline[0].type", "not in a MultiImageMixDataset", () -> config(STAGE1, mix));
        // PipelineSwitchHook
        String h = "custom_hooks[0]";
        assertError(h + ".switch_epoch", "required", () -> config(STAGE1, "custom_hooks=[{type: PipelineSwitchHook, switch_pipeline: " + STAGE2 + "}]"));
        assertError(h + ".switch_epoch", "", () -> config(STAGE1, "custom_hooks=[{type: PipelineSwitchHook, switch_epoch: -1, switch_pipeline: " + STAGE2 + "}]"));
        assertError(h + ".switch_pipeline", "required", () -> config(STAGE1, "custom_hooks=[{type: PipelineSwitchHook, switch_epoch: 1}]"));
        assertError(h + ".switch_pipeline", "Resize", () -> config(STAGE1, "custom_hooks=[{type: PipelineSwitchHook, switch_epoch: 1,"
                + " switch_pipeline: [" + LOAD + "{type: PackDetInputs}]}]"));
        assertError(h + ".switch_pipeline[2].type", "", () -> config(STAGE1, "custom_hooks=[{type: PipelineSwitchHook, switch_epoch: 1,"
                + " switch_pipeline: [" + LOAD + "{type: Nonsense}]}]"));
        assertError(h + ".switch_after", "", () -> config(STAGE1, "custom_hooks=[{type: PipelineSwitchHook, switch_after: 1, switch_epoch: 1,"
                + " switch_pipeline: " + STAGE2 + "}]"));
        assertError("custom_hooks[1].type", "only one PipelineSwitchHook", () -> config(STAGE1, "custom_hooks=[{type: PipelineSwitchHook,"
                + " switch_epoch: 1, switch_pipeline: " + STAGE2 + "}, {type: PipelineSwitchHook, switch_epoch: 2, switch_pipeline: " + STAGE2 + "}]"));
        assertError("custom_hooks", "must be a CocoDataset or SyntheticShapes", () -> config(STAGE1, HOOK,
                "train_dataloader.dataset={_delete_: true, type: RepeatDataset, times: 2, dataset: {type: SyntheticShapes, num_images: 8,"
                        + " num_classes: 4, img_size: [64, 96], object_size: [12, 40], pipeline: " + STAGE2 + "}}"));
    }

    @Test
    void anIterationLoopRefusesTheHook() throws Exception {
        TinyTrainConfig.write(tmp);
        java.nio.file.Files.writeString(tmp.resolve("iter.yaml"), """
                _base_: tiny_test.yaml
                train_cfg: {_delete_: true, type: IterBasedTrainLoop, max_iters: 8, val_interval: 4}
                train_dataloader:
                  sampler: {type: InfiniteSampler, shuffle: true}
                default_hooks:
                  checkpoint: {type: CheckpointHook, by_epoch: false, interval: 4}
                param_scheduler:
                  - {type: LinearLR, start_factor: 0.1, by_epoch: false, begin: 0, end: 3}
                """);
        assertError("custom_hooks[0].type", "needs an EpochBasedTrainLoop",
                () -> ConfigLoader.load(tmp.resolve("iter.yaml"), List.of(HOOK)));
    }
}
