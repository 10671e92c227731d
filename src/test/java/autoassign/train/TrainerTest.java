package autoassign.train;

import autoassign.config.Config;
import autoassign.io.ModelWeights;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    @TempDir Path tmp;

    private TrainOptions options(Path workDir) {
        return TrainOptions.defaults().withWorkDir(workDir).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
    }

    private static Trainer.Result train(Config cfg, TrainOptions opt) throws Exception {
        return new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    private static Map<String, RawTensor> weights(Path file) throws Exception {
        return Safetensors.read(file).tensors();
    }

    private static void assertBitIdentical(Path a, Path b) throws Exception {
        Map<String, RawTensor> wa = weights(a), wb = weights(b);
        assertEquals(wa.keySet(), wb.keySet());
        for (String k : wa.keySet())
            assertArrayEquals(wa.get(k).toFloatArray(), wb.get(k).toFloatArray(), 0f, k + " differs");
    }

    @Test
    void writesCheckpointsLogsCurvesAndFinalJson() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
        Path wd = tmp.resolve("run");
        Trainer.Result r = train(cfg, options(wd));
        assertEquals(2, r.epochsDone());
        assertFalse(r.stoppedEarly());
        assertNotNull(r.lastEval());
        for (String f : List.of("epoch_1.safetensors", "epoch_1.state.safetensors", "epoch_2.safetensors",
                "epoch_2.state.safetensors", "metrics.jsonl", "final.json", "curves.png", "tiny_test.yaml"))
            assertTrue(Files.isRegularFile(wd.resolve(f)), f + " missing");
        String metrics = Files.readString(wd.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"loss_pos\"") && metrics.contains("\"bbox_mAP\""), metrics);
        assertEquals(cfg.model(), autoassign.config.ConfigLoader.load(wd.resolve("tiny_test.yaml")).model(), "the dumped config runs again");
        assertEquals(cfg.text(), Safetensors.readHeader(wd.resolve("epoch_2.safetensors")).metadata().get("config"));
        assertEquals("[\"red_circle\",\"green_square\",\"blue_triangle\",\"yellow_diamond\"]",
                Safetensors.readHeader(wd.resolve("epoch_2.safetensors")).metadata().get("classes"), "the class names travel with it");
        String fin = Files.readString(wd.resolve("final.json"));
        assertTrue(fin.contains("\"stats\"") && fin.contains("\"per_category_AP\""), fin);
        // no temporary file left behind
        try (var s = Files.list(wd)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
        // the model file is an ordinary checkpoint: it loads strictly into a fresh model
        AutoAssignDetector fresh = new AutoAssignDetector(cfg.model(), 123);
        assertTrue(ModelWeights.load(wd.resolve("epoch_2.safetensors"), fresh, true).report().clean());
    }

    @Test
    void multiScaleTrainingRuns() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_dataloader.dataset.pipeline="
                + "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                + " {type: RandomChoiceResize, scales: [[96, 96], [64, 64]], keep_ratio: true}, {type: RandomFlip, prob: 0.5}, {type: PackDetInputs}]"));
        assertEquals(2, cfg.trainDataloader().dataset().pipeline().multiScale().scales().size());
        Trainer.Result r = train(cfg, options(tmp.resolve("ms")));
        assertEquals(2, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()));
        assertNotNull(r.lastEval());
    }

    /** MMCV's keep_ratio=False: multi-scale training stretched to each drawn (w, h), validation stretched to (96, 64). */
    @Test
    void stretchedResizeTrainsAndEvaluates() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of("train_dataloader.dataset.pipeline="
                + "[{type: LoadImageFromFile}, {type: LoadAnnotations, with_bbox: true},"
                + " {type: RandomChoiceResize, scales: [[96, 64], [64, 96]], keep_ratio: false}, {type: RandomFlip, prob: 0.5},"
                + " {type: PackDetInputs}]", "val_dataloader.dataset.pipeline=[{type: LoadImageFromFile},"
                + " {type: Resize, scale: [96, 64], keep_ratio: false}, {type: LoadAnnotations, with_bbox: true}, {type: PackDetInputs}]",
                "train_cfg.max_epochs=1"));
        assertEquals(autoassign.data.ResizeStep.stretch(true), cfg.trainDataloader().dataset().pipeline().resizeStep());
        Trainer.Result r = train(cfg, options(tmp.resolve("stretch")));
        assertEquals(1, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()));
        assertNotNull(r.lastEval());
    }

    @Test
    void configLoadFromAndResumeAsMmengine() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml"), wd = tmp.resolve("cfg-resume");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Config resume = autoassign.config.ConfigLoader.load(file, List.of("resume=true", "train_cfg.max_epochs=1"));
        new Trainer(resume, options(wd), new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("has no checkpoint yet: starting afresh"), log.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream log2 = new ByteArrayOutputStream();
        Config more = autoassign.config.ConfigLoader.load(file, List.of("resume=true", "train_cfg.max_epochs=2"));
        Trainer.Result r = new Trainer(more, options(wd), new PrintStream(log2, true, StandardCharsets.UTF_8)).run();
        assertTrue(log2.toString(StandardCharsets.UTF_8).contains("resumed from " + wd.resolve("epoch_1.safetensors")), log2.toString(StandardCharsets.UTF_8));
        assertEquals(2, r.epochsDone());

        Config load = autoassign.config.ConfigLoader.load(file, List.of("load_from=" + tmp.resolve("missing.safetensors")));
        TrainOptions opt = Trainer.withConfigStart(load, options(tmp.resolve("x")), tmp.resolve("x"), new PrintStream(new ByteArrayOutputStream()));
        assertEquals(tmp.resolve("missing.safetensors"), opt.loadFrom());
        Config url = autoassign.config.ConfigLoader.load(file, List.of("load_from=https://download.openmmlab.com/x/auto_assign_nope.pth"));
        autoassign.cli.CliErrors.UserError e = org.junit.jupiter.api.Assertions.assertThrows(autoassign.cli.CliErrors.UserError.class,
                () -> Trainer.withConfigStart(url, options(tmp.resolve("x")), tmp.resolve("x"), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().startsWith("auto_assign_nope.pth not found: put it at ") && e.getMessage().contains("hub/checkpoints"), e.getMessage());
        assertEquals("cli.safetensors", Trainer.withConfigStart(load, options(tmp.resolve("x")).withLoadFrom(Path.of("cli.safetensors")),
                tmp.resolve("x"), new PrintStream(new ByteArrayOutputStream())).loadFrom().toString(), "the command line wins");
    }

    @Test
    void aPythonConfigOnAYamlBaseTrains() throws Exception {
        TinyTrainConfig.write(tmp);
        Path py = Files.writeString(tmp.resolve("tiny_child.py"), """
                _base_ = './tiny_test.yaml'
                epochs = 1
                train_cfg = dict(max_epochs=epochs, val_interval=1)
                """);
        Config cfg = autoassign.config.ConfigLoader.load(py);
        Path wd = tmp.resolve("py-run");
        Trainer.Result r = train(cfg, options(wd));
        assertEquals(1, r.epochsDone());
        assertTrue(Files.isRegularFile(wd.resolve("tiny_child.yaml")), "the config as run, named after the .py");
        assertEquals(1, autoassign.config.ConfigLoader.load(wd.resolve("tiny_child.yaml")).runtime().maxEpochs());
    }

    @Test
    void resumeAtEpochBoundaryIsBitExact() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
        Path straight = tmp.resolve("straight"), split = tmp.resolve("split");
        train(cfg, options(straight));
        train(cfg, options(split).withEpochs(1));
        Trainer.Result r = train(cfg, options(split).withResume("auto"));
        assertEquals(2, r.epochsDone());
        assertBitIdentical(straight.resolve("epoch_2.safetensors"), split.resolve("epoch_2.safetensors"));
        // the logged means go on over the iterations before the resume, as MMEngine restores its message hub
        assertEquals(epochLosses(straight, 2), epochLosses(split, 2));
    }

    /** The logged (windowed) losses of an epoch's training records in a work dir's metrics.jsonl. */
    private static List<Object> epochLosses(Path workDir, int epoch) throws Exception {
        List<Object> out = new java.util.ArrayList<>();
        for (Map<String, Object> rec : MetricsLog.readRecords(workDir.resolve("metrics.jsonl")))
            if ("train".equals(rec.get("mode")) && Integer.valueOf(epoch).equals(rec.get("epoch"))) out.add(rec.get("loss"));
        assertFalse(out.isEmpty(), "no training record of epoch " + epoch + " in " + workDir);
        return out;
    }

    /**
     * norm_eval false (BN with batch statistics in training): the run trains and evaluates, the checkpoints carry the
     * running statistics it gathered, and a resumed run continues them bit-exactly.
     */
    @Test
    void batchStatisticsTrainEvaluateAndResumeBitExact() throws Exception {
        TinyTrainConfig.write(tmp);
        Config bn = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("model.backbone.norm_cfg={_delete_: true, type: BN, requires_grad: true}", "model.backbone.norm_eval=false"));
        Path straight = tmp.resolve("bn-straight"), split = tmp.resolve("bn-split");
        Trainer.Result r = train(bn, options(straight));
        assertEquals(2, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
        assertNotNull(r.lastEval());
        Map<String, RawTensor> w = weights(straight.resolve("epoch_2.safetensors"));
        assertTrue(w.get("backbone.layer1.0.bn1.num_batches_tracked").toFloatArray()[0] > 1, "the statistics were updated every step");
        float[] var = w.get("backbone.layer2.0.bn1.running_var").toFloatArray();
        assertFalse(java.util.Arrays.equals(var, new float[var.length]) || java.util.stream.IntStream.range(0, var.length)
                .allMatch(i -> var[i] == 1f), "running_var moved from its initial ones");
        train(bn, options(split).withEpochs(1));
        assertEquals(2, train(bn, options(split).withResume("auto")).epochsDone());
        assertBitIdentical(straight.resolve("epoch_2.safetensors"), split.resolve("epoch_2.safetensors"));
    }

    @Test
    void adamWTrainsAndResumesBitExactAndRefusesAnSgdState() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        Config adamw = autoassign.config.ConfigLoader.load(file,
                List.of("optim_wrapper.optimizer={_delete_: true, type: AdamW, lr: 0.0005, weight_decay: 0.05}"));
        Path straight = tmp.resolve("adamw-straight"), split = tmp.resolve("adamw-split");
        Trainer.Result r = train(adamw, options(straight));
        assertEquals(2, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
        Map<String, RawTensor> state = Safetensors.read(straight.resolve("epoch_2.state.safetensors")).tensors();
        assertTrue(state.containsKey("exp_avg.bbox_head.conv_cls.weight") && state.containsKey("step.bbox_head.conv_cls.weight"),
                "Adam's state is saved: " + state.keySet().stream().limit(4).toList());
        train(adamw, options(split).withEpochs(1));
        assertEquals(2, train(adamw, options(split).withResume("auto")).epochsDone());
        assertBitIdentical(straight.resolve("epoch_2.safetensors"), split.resolve("epoch_2.safetensors"));
        // an AdamW state does not resume an SGD run, and says why
        Config sgd = autoassign.config.ConfigLoader.load(file);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> train(sgd, options(split).withResume(split.resolve("epoch_1.safetensors").toString())));
        assertTrue(e.getMessage().startsWith(split.resolve("epoch_1.state.safetensors") + ": the optimizer state is Adam's"), e.getMessage());
    }

    @Test
    void stopMidEpochLeavesLoadableCheckpointAndResumesBitExact() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
        Path straight = tmp.resolve("straight"), stopped = tmp.resolve("stopped");
        train(cfg, options(straight));
        Trainer t = new Trainer(cfg, options(stopped), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        t.requestStop(); // what SIGINT/SIGTERM do: stop after the current iteration with a checkpoint
        Trainer.Result r = t.run();
        assertTrue(r.stoppedEarly());
        assertEquals(1, r.iterations());
        Path latest = stopped.resolve("latest.safetensors");
        assertTrue(Files.isRegularFile(latest));
        assertTrue(ModelWeights.load(latest, new AutoAssignDetector(cfg.model(), 7), true).report().clean());
        Trainer.Result resumed = train(cfg, options(stopped).withResume("auto"));
        assertEquals(2, resumed.epochsDone());
        assertBitIdentical(straight.resolve("epoch_2.safetensors"), stopped.resolve("epoch_2.safetensors"));
    }

    @Test
    void nonFiniteLossesStopTrainingAfterThreeInARow() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
        AutoAssignDetector poisoned = new AutoAssignDetector(cfg.model(), 0);
        Tensor w = poisoned.stateDict().get("bbox_head.conv_cls.weight");
        float[] v = w.data();
        Arrays.fill(v, Float.NaN);
        Path ckpt = tmp.resolve("nan.safetensors");
        ModelWeights.save(ckpt, poisoned, Map.of());
        Path wd = tmp.resolve("nan-run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(cfg, options(wd).withLoadFrom(ckpt),
                new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        assertTrue(r.stoppedEarly());
        assertTrue(r.stopReason().contains("3 non-finite"), r.stopReason());
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("cls_scores"), "the log names the bad tensor: " + text);
        try (var s = Files.list(wd)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }
}
