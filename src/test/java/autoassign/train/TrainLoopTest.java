package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMEngine's loops on the tiny config (8 images, batch 2: 4 iterations a pass): IterBasedTrainLoop with checkpoints,
 * validation and best checkpoints counted in iterations, iteration checkpoints in an epoch loop, val_begin, and
 * the learning rates a general param_scheduler list gives.
 */
class TrainLoopTest {
    @TempDir Path tmp;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The tiny config as an IterBasedTrainLoop of {@code iters} iterations with the given hooks / schedulers. */
    private Config iterConfig(int iters, String... more) throws Exception {
        TinyTrainConfig.write(tmp);
        Path child = tmp.resolve("tiny_iter.yaml");
        Files.writeString(child, """
                _base_: tiny_test.yaml
                train_cfg: {_delete_: true, type: IterBasedTrainLoop, max_iters: %d, val_interval: 3}
                train_dataloader:
                  sampler: {type: InfiniteSampler, shuffle: true}
                default_hooks:
                  checkpoint: {type: CheckpointHook, by_epoch: false, interval: 2, max_keep_ckpts: -1, save_best: auto}
                param_scheduler:
                  - {type: LinearLR, start_factor: 0.1, by_epoch: false, begin: 0, end: 3}
                  - {type: PolyLR, power: 0.9, eta_min: 0.0001, by_epoch: false, begin: 1}
                """.formatted(iters));
        return ConfigLoader.load(child, List.of(more));
    }

    private TrainOptions options(Path workDir) {
        return TrainOptions.defaults().withWorkDir(workDir).withDevice("cpu");
    }

    private static Trainer.Result train(Config cfg, TrainOptions opt) throws Exception {
        return new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    private static List<JsonNode> records(Path wd, String mode) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(wd.resolve("metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.get("mode").asText().equals(mode)) out.add(n);
        }
        return out;
    }

    @Test
    void iterationLoopCountsCheckpointsValidationAndRatesInIterations() throws Exception {
        Config cfg = iterConfig(7, "log_processor={type: LogProcessor, by_epoch: false, window_size: 2}",
                "optim_wrapper.clip_grad={max_norm: 35, norm_type: 2}");
        assertTrue(cfg.runtime().iterBased());
        Path wd = tmp.resolve("iter");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(cfg, options(wd), new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("Iter(train) [7/7]  base_lr: "), text);
        assertTrue(text.contains("  grad_norm: "), "clip_grad logs the gradient norm: " + text);
        assertEquals(7, r.iterations(), "stops after max_iters, in the middle of the second pass");
        assertFalse(r.stoppedEarly());
        for (String f : List.of("iter_2", "iter_4", "iter_6", "iter_7"))
            assertTrue(Files.isRegularFile(wd.resolve(f + ".safetensors")) && Files.isRegularFile(wd.resolve(f + ".state.safetensors")), f);
        assertFalse(Files.exists(wd.resolve("epoch_1.safetensors")), "no epoch checkpoints in an iteration loop");
        List<Long> valIters = records(wd, "val").stream().map(n -> n.get("iter").asLong()).toList();
        assertEquals(List.of(3L, 6L, 7L), valIters, "every val_interval iterations and after the last");
        try (var s = Files.list(wd)) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().matches("best_coco_bbox_mAP_iter_[367]\\.safetensors")).count());
        }
        // the logged rates are the schedule's, one per iteration
        LrSchedule expected = new LrSchedule(cfg.optimWrapper().lr(), cfg.paramScheduler(), 1, 7, 4);
        List<JsonNode> train = records(wd, "train");
        assertEquals(7, train.size());
        for (JsonNode n : train) {
            assertEquals(expected.lr(), n.get("lr").asDouble(), 1e-15, "iteration " + n.get("iter"));
            expected.afterIter();
        }
    }

    @Test
    void iterationLoopResumesBitExactFromAnyCheckpoint() throws Exception {
        Config cfg = iterConfig(6);
        Path straight = tmp.resolve("straight"), fromFour = tmp.resolve("from4"), stopped = tmp.resolve("stopped");
        train(cfg, options(straight));
        // iter_4 ends the first pass: the run goes on with the second pass
        Trainer.Result r = train(cfg, options(fromFour).withResume(straight.resolve("iter_4.safetensors").toString()));
        assertEquals(6, r.iterations());
        assertSameWeights(straight.resolve("iter_6.safetensors"), fromFour.resolve("iter_6.safetensors"));
        // a signal after the first iteration leaves "latest" in the middle of a pass
        Trainer t = new Trainer(cfg, options(stopped), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        t.requestStop();
        assertTrue(t.run().stoppedEarly());
        assertEquals(6, train(cfg, options(stopped).withResume("auto")).iterations());
        assertSameWeights(straight.resolve("iter_6.safetensors"), stopped.resolve("iter_6.safetensors"));
    }

    @Test
    void epochLoopCanCheckpointByIterationAndBeginValidationLater() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.val_begin=2",
                "default_hooks.checkpoint.by_epoch=false", "default_hooks.checkpoint.interval=3"));
        Path wd = tmp.resolve("ep");
        Trainer.Result r = train(cfg, options(wd));
        assertEquals(2, r.epochsDone());
        for (String f : List.of("iter_3", "iter_6", "iter_8")) assertTrue(Files.isRegularFile(wd.resolve(f + ".safetensors")), f);
        assertFalse(Files.exists(wd.resolve("epoch_1.safetensors")));
        assertEquals(List.of(2), records(wd, "val").stream().map(n -> n.get("epoch").asInt()).toList(), "val_begin: 2");
    }

    /**
     * {@code train_cfg.dynamic_intervals} (YOLOX's and RTMDet's configs), as MMEngine's loops decide the interval: after
     * {@code done} epochs (iterations) it is the one whose milestone is at most {@code done + 1}, so a
     * {@code (3, 1)} entry already validates after epoch 2.
     */
    @Test
    void dynamicIntervalsChangeTheValidationIntervalAsMmengine() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.max_epochs=4", "train_cfg.val_interval=3",
                "train_cfg.dynamic_intervals=[[3, 1]]", "default_hooks.checkpoint.interval=4"));
        assertEquals(List.of(3, 3, 1, 1, 1), java.util.stream.IntStream.range(0, 5).map(cfg.runtime()::valIntervalAfter).boxed().toList());
        Path wd = tmp.resolve("dyn");
        train(cfg, options(wd));
        assertEquals(List.of(2, 3, 4), records(wd, "val").stream().map(n -> n.get("epoch").asInt()).toList());

        Path iw = tmp.resolve("dyn_iter");
        train(iterConfig(7, "train_cfg.dynamic_intervals=[[5, 1]]"), options(iw));
        assertEquals(List.of(3L, 4L, 5L, 6L, 7L), records(iw, "val").stream().map(n -> n.get("iter").asLong()).toList());

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("train_cfg.dynamic_intervals=[[3, 1], [2, 1]]")));
        assertTrue(e.getMessage().contains("train_cfg.dynamic_intervals: milestones must increase"), e.getMessage());
    }

    /**
     * {@code max_keep_ckpts} removes only the checkpoints of this run (and of the run it resumed), as MMEngine's
     * {@code keep_ckpt_ids}: a fresh run in a work dir that holds a longer run's {@code epoch_N} files keeps its own newest.
     */
    @Test
    void maxKeepCkptsRemovesOnlyThisRunsCheckpoints() throws Exception {
        TinyTrainConfig.write(tmp);
        Path wd = tmp.resolve("keep");
        train(ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.max_epochs=3")), options(wd));
        train(ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.max_epochs=1",
                "default_hooks.checkpoint.max_keep_ckpts=1")), options(wd));
        for (String f : List.of("epoch_1", "epoch_2", "epoch_3"))
            assertTrue(Files.isRegularFile(wd.resolve(f + ".safetensors")), f + ": the new run's epoch_1 and the old run's files");

        // a resumed run goes on with the kept list of the checkpoint it resumed
        Path wd2 = tmp.resolve("keep2");
        train(ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("default_hooks.checkpoint.max_keep_ckpts=2")), options(wd2));
        train(ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.max_epochs=3", "default_hooks.checkpoint.max_keep_ckpts=2")),
                options(wd2).withResume(wd2.resolve("epoch_2.safetensors").toString()));
        assertFalse(Files.exists(wd2.resolve("epoch_1.safetensors")));
        assertFalse(Files.exists(wd2.resolve("epoch_1.state.safetensors")));
        assertTrue(Files.isRegularFile(wd2.resolve("epoch_2.safetensors")) && Files.isRegularFile(wd2.resolve("epoch_3.safetensors")));
    }

    @Test
    void accumulatedGradientsUpdateEverySecondIteration() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("optim_wrapper.accumulative_counts=2",
                "train_cfg.max_epochs=1", "default_hooks.checkpoint.by_epoch=false", "default_hooks.checkpoint.interval=1"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path wd = tmp.resolve("acc");
        Trainer.Result r = new Trainer(cfg, options(wd), new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        assertEquals(4, r.iterations());
        assertTrue(Double.isFinite(r.lastLoss()));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("gradients accumulated over 2 iterations"), log.toString(StandardCharsets.UTF_8));
        var init = new autoassign.model.AutoAssignDetector(cfg.model(), cfg.runtime().seed()).stateDict();
        var first = autoassign.io.Safetensors.read(wd.resolve("iter_1.safetensors")).tensors();
        var second = autoassign.io.Safetensors.read(wd.resolve("iter_2.safetensors")).tensors();
        String w = "bbox_head.conv_cls.weight";
        assertArrayEquals(init.get(w).data(), first.get(w).toFloatArray(), 0f, "no update after the first iteration of a window");
        assertFalse(java.util.Arrays.equals(first.get(w).toFloatArray(), second.get(w).toFloatArray()), "one update after the second");
    }

    @Test
    void earlyStoppingHookEndsTheRunAfterAValidation() throws Exception {
        TinyTrainConfig.write(tmp);
        // every mAP is below 2: the threshold of a "less" rule is reached at the first validation (epoch 1 of 2)
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("custom_hooks=[{type: EarlyStoppingHook, "
                + "monitor: coco/bbox_mAP, rule: less, stopping_threshold: 2.0}]"));
        Trainer.Result r = train(cfg, options(tmp.resolve("early")));
        assertEquals(1, r.epochsDone());
        assertTrue(r.stoppedEarly());
        assertTrue(r.stopReason().startsWith("early stopping: coco/bbox_mAP = ") && r.stopReason().contains("stopping threshold"),
                r.stopReason());
        ConfigException c = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("custom_hooks=[{type: EarlyStoppingHook, monitor: loss}]")));
        assertTrue(c.getMessage().contains("custom_hooks[0].monitor: must be one of coco/bbox_mAP"), c.getMessage());
    }

    @Test
    void autoScaleLrFlagScalesByTheTotalBatch() throws Exception {
        TinyTrainConfig.write(tmp);
        PrintStream stdout = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = autoassign.cli.Main.execute("train", "--config", tmp.resolve("tiny_test.yaml").toString(), "--device", "cpu",
                    "--epochs", "1", "--work-dir", tmp.resolve("asl").toString(), "--auto-scale-lr",
                    "--cfg-options", "auto_scale_lr.base_batch_size=8");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, code);
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("lr 0.002500 = 0.01000 × 2/8 (linear scaling rule for batch 2)"), text);
    }

    @Test
    void logLinesFollowMmenginesLoggerHook() throws Exception {
        // 8 images at batch 2: epochs of 4 iterations; interval 3. An epoch's partial window is logged at its end only
        // with ignore_last false (MMEngine's default is true); an iteration loop counts the global iteration
        TinyTrainConfig.write(tmp);
        record Case(String name, Config cfg, List<Long> iters) {}
        List<Case> cases = List.of(
                new Case("epochs", ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("default_hooks.logger.interval=3")),
                        List.of(3L, 7L)),
                new Case("epochs-last", ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("default_hooks.logger.interval=3",
                        "default_hooks.logger.ignore_last=false")), List.of(3L, 4L, 7L, 8L)),
                new Case("iters", iterConfig(7, "default_hooks.logger={type: LoggerHook, interval: 3}"), List.of(3L, 6L)),
                new Case("iters-last", iterConfig(7, "default_hooks.logger={type: LoggerHook, interval: 3, ignore_last: false}"),
                        List.of(3L, 4L, 6L)));
        for (Case c : cases) {
            Path wd = tmp.resolve("log-" + c.name());
            train(c.cfg(), options(wd));
            assertEquals(c.iters(), records(wd, "train").stream().map(n -> n.get("iter").asLong()).toList(), c.name());
        }
    }

    @Test
    void vocMetricValidatesAndKeepsTheBestByItsMap() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of(
                "val_evaluator={_delete_: true, type: VOCMetric, metric: mAP, iou_thrs: [0.5, 0.75], eval_mode: area}",
                "default_hooks.checkpoint.save_best=auto"));
        assertEquals(List.of("pascal_voc/mAP", "pascal_voc/AP50", "pascal_voc/AP75"), cfg.valEvaluator().metricNames());
        assertEquals("pascal_voc/mAP", cfg.runtime().saveBest(), "auto: the evaluator's first metric");
        Path wd = tmp.resolve("voc");
        Trainer.Result r = train(cfg, options(wd));
        assertTrue(r.lastEval() instanceof autoassign.eval.VocMap.Result, String.valueOf(r.lastEval()));
        List<JsonNode> val = records(wd, "val");
        assertEquals(2, val.size());
        assertTrue(val.get(1).has("pascal_voc/mAP") && val.get(1).has("pascal_voc/AP75"), val.get(1).toString());
        try (var s = Files.list(wd)) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().matches("best_pascal_voc_mAP_epoch_[12]\\.safetensors")).count());
        }
        assertTrue(Files.readString(wd.resolve("final.json")).contains("\"eval_mode\" : \"area\""));
        // eval --config runs the config's VOCMetric (test_evaluator is the val one here)
        autoassign.cli.CliRun voc = autoassign.cli.CliRun.run(new autoassign.cli.EvalCommand(), "--config",
                tmp.resolve("tiny_test.yaml").toString(), "--checkpoint", wd.resolve("epoch_2.safetensors").toString(), "--device",
                "cpu", "--cfg-options", "val_evaluator={_delete_: true, type: VOCMetric, eval_mode: area}");
        assertEquals(0, voc.code(), voc.err());
        assertTrue(voc.out().contains("AP50: ") && voc.out().contains("| class "), voc.out());
        ConfigException c = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of(
                "val_evaluator={_delete_: true, type: VOCMetric}", "default_hooks.checkpoint.save_best=coco/bbox_mAP")));
        assertTrue(c.getMessage().contains("save_best: must be auto or one of pascal_voc/mAP, pascal_voc/AP50"), c.getMessage());
    }

    @Test
    void classwiseValidationPrintsThePerClassTable() throws Exception {
        TinyTrainConfig.write(tmp);
        // save_best: auto follows the first key CocoMetric reports, the first class's precision (MMEngine's auto)
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.max_epochs=1", "val_evaluator.classwise=true",
                "default_hooks.checkpoint.save_best=auto"));
        assertEquals("auto", cfg.runtime().saveBest());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(cfg, options(tmp.resolve("cw")), new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        assertTrue(Files.isRegularFile(tmp.resolve("cw/best_coco_red_circle_precision_epoch_1.safetensors")), log.toString());
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("red_circle") && text.contains("yellow_diamond"), text);
        assertTrue(text.contains("| category "), text);
        // the val record: <name>_precision first (CocoMetric's order), then bbox_*, all rounded to 3 decimals as reported
        JsonNode val = records(tmp.resolve("cw"), "val").get(0);
        List<String> keys = new java.util.ArrayList<>();
        val.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("mode", "epoch", "iter", "red_circle_precision"), keys.subList(0, 4), keys.toString());
        assertTrue(keys.indexOf("bbox_mAP") > keys.indexOf("yellow_diamond_precision"), keys.toString());
        double map = val.get("bbox_mAP").asDouble();
        assertEquals(Math.round(map * 1000) / 1000.0, map, 0, "rounded as CocoMetric reports it");

        // a class's precision by name; a name that is no class, or without classwise, is a one-line error
        // (and early stopping on one: any precision reaches the threshold 0, so the run stops after its first validation)
        Config named = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.max_epochs=2",
                "val_evaluator.classwise=true", "default_hooks.checkpoint.save_best=coco/yellow_diamond_precision",
                "custom_hooks=[{type: EarlyStoppingHook, monitor: coco/green_square_precision, stopping_threshold: 0.0}]"));
        Trainer.Result stopped = new Trainer(named, options(tmp.resolve("cw2")), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run();
        assertTrue(stopped.stoppedEarly() && stopped.epochsDone() == 1, stopped.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("cw2/best_coco_yellow_diamond_precision_epoch_1.safetensors")));
        Config unknown = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("val_evaluator.classwise=true",
                "custom_hooks=[{type: EarlyStoppingHook, monitor: coco/unicorn_precision}]"));
        UserError u = assertThrows(UserError.class, () -> new Trainer(unknown, options(tmp.resolve("cw3")), System.out).run());
        assertTrue(u.getMessage().endsWith("custom_hooks (EarlyStoppingHook).monitor: 'unicorn' in coco/unicorn_precision is not a"
                + " class of the val set ([red_circle, green_square, blue_triangle, yellow_diamond])"), u.getMessage());
        ConfigException c = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("default_hooks.checkpoint.save_best=coco/red_circle_precision")));
        assertTrue(c.getMessage().contains("save_best: must be auto or one of coco/bbox_mAP"), c.getMessage());
        assertFalse(c.getMessage().contains("<class>"), "no per-class names without classwise: " + c.getMessage());
    }

    @Test
    void visualizationHookDrawsEveryIntervalthValidationImage() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("default_hooks.visualization={type: DetVisualizationHook, draw: true, interval: 2, score_thr: 0.0}"));
        assertEquals(new autoassign.config.RuntimeConfig.ValVisualization(2, 0.0, null), cfg.runtime().valVisualization());
        Path wd = tmp.resolve("vis");
        train(cfg, options(wd));
        // 4 iterations an epoch, 4 val images at batch 1: steps 4..7 after epoch 1, 8..11 after epoch 2, every 2nd drawn
        Path run;
        try (var s = Files.list(wd)) {
            run = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        try (var s = Files.list(run.resolve("vis_data/vis_image"))) {
            assertEquals(List.of("val_img_10.png", "val_img_4.png", "val_img_6.png", "val_img_8.png"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        java.awt.image.BufferedImage pic = javax.imageio.ImageIO.read(run.resolve("vis_data/vis_image/val_img_4.png").toFile());
        autoassign.data.ImageRecord first = DataSources.load(cfg, false, null, new autoassign.data.DataIssues("v")).get(0);
        assertEquals(2 * first.width(), pic.getWidth(), "ground truth | predictions, at the original size");
        assertEquals(first.height(), pic.getHeight());
        assertEquals(null, ConfigLoader.load(tmp.resolve("tiny_test.yaml")).runtime().valVisualization(), "draw: false by default");

        // eval --config with the hook drawing: every test image, as MMDetection's after_test_iter (test_img_<k>.png in the
        // test's run folder, or under test_out_dir named as the images)
        for (String outDir : new String[] {null, "shown"}) {
            Path evalWd = tmp.resolve("eval_" + outDir);
            autoassign.cli.CliRun ev = autoassign.cli.CliRun.run(new autoassign.cli.EvalCommand(), "--config",
                    tmp.resolve("tiny_test.yaml").toString(), "--checkpoint", wd.resolve("epoch_2.safetensors").toString(), "--device",
                    "cpu", "--cfg-options", "work_dir=" + evalWd, "default_hooks.visualization={type: DetVisualizationHook, draw: true"
                            + (outDir == null ? "" : ", test_out_dir: " + outDir) + "}");
            assertEquals(0, ev.code(), ev.err());
            Path folder;
            try (var s = Files.list(evalWd)) {
                Path testRun = s.filter(Files::isDirectory).findFirst().orElseThrow();
                folder = outDir == null ? testRun.resolve("vis_data/vis_image") : testRun.resolve(outDir);
            }
            assertTrue(ev.out().contains("4 pictures (ground truth | predictions with score > 0.30) -> " + folder), ev.out());
            try (var s = Files.list(folder)) {
                List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
                assertEquals(outDir == null ? List.of("test_img_1.png", "test_img_2.png", "test_img_3.png", "test_img_4.png")
                        : List.of("val_000001.png", "val_000002.png", "val_000003.png", "val_000004.png"), names);
            }
        }
    }

    @Test
    void theConfigsWorkDirIsUsedWithoutAWorkDirOption() throws Exception {
        TinyTrainConfig.write(tmp);
        Path wd = tmp.resolve("from_config");
        Config cfg = ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_cfg.max_epochs=1", "work_dir=" + wd));
        TrainOptions opt = TrainOptions.defaults().withDevice("cpu");
        assertEquals(null, opt.workDir());
        Trainer.Result r = new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        assertEquals(wd, r.workDir());
        assertTrue(Files.isRegularFile(wd.resolve("epoch_1.safetensors")));
    }

    @Test
    void reduceOnPlateauStepsAfterTheValidationsOfAnIterationLoop() throws Exception {
        // by_epoch: true is its only form, and ParamSchedulerHook.after_val_epoch steps it in iteration loops too
        Config cfg = iterConfig(4, "param_scheduler=[{type: ReduceOnPlateauLR, monitor: no/such_metric, rule: greater}]");
        UserError e = assertThrows(UserError.class, () -> new Trainer(cfg, options(tmp.resolve("plateau")), System.out).run());
        assertTrue(e.getMessage().contains("param_scheduler[0] (ReduceOnPlateauLR).monitor: Excepted key in"), e.getMessage());
        assertTrue(e.getMessage().contains("no/such_metric"), e.getMessage());
        ConfigException c = assertThrows(ConfigException.class,
                () -> iterConfig(6, "param_scheduler=[{type: MultiStepMomentum, milestones: [1], by_epoch: true}]"));
        assertTrue(c.getMessage().contains("param_scheduler[0]: MultiStepMomentum steps after each epoch"), c.getMessage());
    }

    @Test
    void loopMistakesAreOneLineErrors() throws Exception {
        Config cfg = iterConfig(6);
        UserError e = assertThrows(UserError.class, () -> new Trainer(cfg, options(tmp.resolve("x")).withEpochs(2), System.out));
        assertTrue(e.getMessage().contains("train_cfg.max_iters"), e.getMessage());
        ConfigException c = assertThrows(ConfigException.class,
                () -> iterConfig(6, "param_scheduler=[{type: MultiStepLR, milestones: [1], by_epoch: true}]"));
        assertTrue(c.getMessage().endsWith("tiny_iter.yaml: param_scheduler[0]: MultiStepLR steps after each epoch, which an "
                + "IterBasedTrainLoop never ends: set by_epoch: false or convert_to_iter_based: true"), c.getMessage());
        c = assertThrows(ConfigException.class, () -> iterConfig(6, "default_hooks.checkpoint.by_epoch=true"));
        assertTrue(c.getMessage().contains("default_hooks.checkpoint.by_epoch: must be false"), c.getMessage());
        c = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("train_dataloader.sampler.type=InfiniteSampler")));
        assertTrue(c.getMessage().contains("train_dataloader.sampler.type: an InfiniteSampler never ends an epoch"), c.getMessage());
        c = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("val_dataloader.sampler.type=InfiniteSampler")));
        assertTrue(c.getMessage().contains("val_dataloader.sampler.type"), c.getMessage());
        c = assertThrows(ConfigException.class, () -> ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("default_hooks.visualization={type: DetVisualizationHook, draw: true, show: true}")));
        assertTrue(c.getMessage().contains("default_hooks.visualization.show: showing pictures in a window is not supported"),
                c.getMessage());
    }

    private static void assertSameWeights(Path a, Path b) throws Exception {
        Map<String, autoassign.io.RawTensor> wa = autoassign.io.Safetensors.read(a).tensors(), wb = autoassign.io.Safetensors.read(b).tensors();
        assertEquals(wa.keySet(), wb.keySet());
        for (String k : wa.keySet()) assertArrayEquals(wa.get(k).toFloatArray(), wb.get(k).toFloatArray(), 0f, k + " differs");
    }
}
