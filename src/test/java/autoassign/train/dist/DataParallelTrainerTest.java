package autoassign.train.dist;

import autoassign.api.Detector;
import autoassign.cli.Main;
import autoassign.config.Config;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.LoaderOptions;
import autoassign.eval.CocoEvalParams;
import autoassign.eval.CocoEvalResult;
import autoassign.eval.CocoGroundTruth;
import autoassign.eval.DatasetEvaluation;
import autoassign.eval.Inference;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import autoassign.train.DataSources;
import autoassign.train.DistTestSupport;
import autoassign.train.TrainOptions;
import autoassign.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataParallelTrainerTest {
    @TempDir Path tmp;

    /**
     * The session-6 training features through the data-parallel path: every worker keeps an EMA and swaps it in for
     * the sharded VOC validation, the accumulation windows, per-group rates and clipping run on each worker, and the
     * early-stopping verdict (rank 0's) is agreed by all, so the run ends together without a hang.
     */
    @Test
    void twoCpuWorkersRunEmaVocEarlyStoppingAndAccumulation() throws Exception {
        DistTestSupport.tinyFixedSize(tmp, 2);
        Config cfg = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_fixed.yaml"), List.of(
                "custom_hooks=[{type: SyncNormHook}, {type: EMAHook, momentum: 0.01}, {type: EarlyStoppingHook, monitor: pascal_voc/mAP, rule: less, "
                        + "stopping_threshold: 2.0}]",
                "val_evaluator={_delete_: true, type: VOCMetric}", "default_hooks.checkpoint.save_best=auto",
                "optim_wrapper.accumulative_counts=2", "optim_wrapper.clip_grad={max_norm: 10.0}",
                "optim_wrapper.paramwise_cfg.bias_lr_mult=2.0",
                "default_hooks.visualization={type: DetVisualizationHook, draw: true, interval: 1}"));
        TrainOptions opt = new TrainOptions(tmp.resolve("data").toString(), null, 1, 0.01, tmp.resolve("w"), 3L, "cpu", null, null,
                false, null, 0);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = DataParallelTrainer.run(cfg, opt, DistOptions.cpuWorkers(2).withBucketBytes(64 << 10),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(r.stoppedEarly() && r.stopReason().startsWith("early stopping"), text);
        assertEquals(1, r.epochsDone(), "stopped after the first validation: " + text);
        assertTrue(r.lastEval() instanceof autoassign.eval.VocMap.Result, text);
        assertTrue(Files.isRegularFile(tmp.resolve("w/epoch_1.state.safetensors")), text);
        assertTrue(Safetensors.read(tmp.resolve("w/epoch_1.state.safetensors")).tensors().keySet().stream()
                .anyMatch(k -> k.startsWith("ema_source.")), "the trained weights beside the average");
        try (var s = Files.list(tmp.resolve("w"))) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("best_pascal_voc_mAP_epoch_1")).count());
        }
        // DetVisualizationHook(draw=True, interval=1): rank 0 draws its own shard's batches (images 0, 2, 4, ... at batch 1),
        // numbered from the iterations done as MMEngine's after_val_iter counts them
        int valImages = autoassign.train.DataSources.load(cfg, false, opt.dataRoot(), new autoassign.data.DataIssues("v")).size();
        assertEquals(1, cfg.valDataloader().batchSize());
        List<String> expected = new java.util.ArrayList<>();
        for (int k = 0; k < (valImages + 1) / 2; k++) expected.add("val_img_" + (r.iterations() + k) + ".png");
        try (var runs = Files.list(tmp.resolve("w")); var pics = Files.list(runs.filter(Files::isDirectory).findFirst().orElseThrow()
                .resolve("vis_data/vis_image"))) {
            assertEquals(expected.stream().sorted().toList(), pics.map(p -> p.getFileName().toString()).sorted().toList(), text);
        }
    }

    /**
     * An InfiniteSampler's len() is the whole dataset (MMEngine), so a by-epoch scheduler converted to iterations counts
     * an epoch as ceil(samples / batch) = 4 on each of 2 workers over 8 images at batch 2, not a worker's 2 batches per pass.
     */
    @Test
    void anInfiniteSamplersSchedulerEpochIsTheWholeDatasetOnEveryWorker() throws Exception {
        DistTestSupport.tinyFixedSize(tmp, 1);
        Config cfg = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_fixed.yaml"), List.of(
                "train_cfg={_delete_: true, type: IterBasedTrainLoop, max_iters: 6, val_interval: 100}",
                "train_dataloader.sampler={type: InfiniteSampler, shuffle: true}",
                "default_hooks.checkpoint={type: CheckpointHook, by_epoch: false, interval: 100}",
                "param_scheduler=[{type: MultiStepLR, milestones: [1], by_epoch: true, convert_to_iter_based: true, gamma: 0.1, end: 10}]"));
        TrainOptions opt = new TrainOptions(tmp.resolve("data").toString(), null, 2, 0.01, tmp.resolve("inf"), 3L, "cpu", null,
                null, false, null, 0);
        DataParallelTrainer.run(cfg, opt, DistOptions.cpuWorkers(2).withBucketBytes(64 << 10),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        List<Double> lrs = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("inf/metrics.jsonl"))) {
            var n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            if (n.get("mode").asText().equals("train")) lrs.add(n.get("lr").asDouble());
        }
        assertEquals(6, lrs.size(), lrs.toString());
        for (int i = 0; i < 6; i++) assertEquals(i < 4 ? 0.01 : 0.001, lrs.get(i), 1e-12, "iteration " + (i + 1) + ": " + lrs);
    }

    /**
     * SyncBN with norm_eval false: two CPU workers of batch 1 normalise with the statistics of both images, so they
     * train like one worker of batch 2 (the running statistics included); plain BN normalises each worker's image
     * alone, and its weights part from the single worker's.
     */
    @Test
    void syncBatchNormOverTwoWorkersTrainsLikeOneWorkerOfTheWholeBatch() throws Exception {
        DistTestSupport.tinyFixedSize(tmp, 1);
        for (String type : List.of("SyncBN", "BN")) {
            Config cfg = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_fixed.yaml"), List.of(
                    "model.backbone.norm_cfg={_delete_: true, type: " + type + ", requires_grad: true}", "model.backbone.norm_eval=false"));
            TrainOptions base = new TrainOptions(tmp.resolve("data").toString(), 1, null, 0.01, null, 3L, "cpu", null, null, false, null, 0);
            Path single = tmp.resolve(type + "-single"), dist = tmp.resolve(type + "-dist");
            new Trainer(cfg, withBatch(base, 2).withWorkDir(single), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            DataParallelTrainer.run(cfg, withBatch(base, 1).withWorkDir(dist), DistOptions.cpuWorkers(2).withBucketBytes(64 << 10),
                    new PrintStream(log, true, StandardCharsets.UTF_8));
            String text = log.toString(StandardCharsets.UTF_8);
            assertEquals(type.equals("SyncBN"), text.contains("SyncBN: the backbone's batch statistics span all 2 workers"), text);
            Object[] worst = worstRelativeDifference(single.resolve("epoch_1.safetensors"), dist.resolve("epoch_1.safetensors"));
            System.out.printf("%s, norm_eval false: --cpu-workers 2 (batch 1) vs 1 worker (batch 2): max rel. diff %.3g at %s%n",
                    type, worst[0], worst[1]);
            if (type.equals("SyncBN")) assertTrue((double) worst[0] < 1e-4, "SyncBN: weights differ by " + worst[0] + " at " + worst[1]);
            else assertTrue((double) worst[0] > 1e-3, "per-worker BN statistics should differ from the whole batch's: " + worst[0]);
        }
    }

    /** The largest difference over all tensors of two checkpoints, relative to each tensor's largest value: {value, name}. */
    private static Object[] worstRelativeDifference(Path fa, Path fb) throws Exception {
        Map<String, RawTensor> a = Safetensors.read(fa).tensors(), b = Safetensors.read(fb).tensors();
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        String at = null;
        for (String k : a.keySet()) {
            float[] x = a.get(k).toFloatArray(), y = b.get(k).toFloatArray();
            double scale = 1e-3, d = 0;
            for (int i = 0; i < x.length; i++) { scale = Math.max(scale, Math.abs(x[i])); d = Math.max(d, Math.abs(x[i] - y[i])); }
            if (d / scale > worst) { worst = d / scale; at = k; }
        }
        return new Object[] {worst, at};
    }

    @Test
    void twoCpuWorkersOfBatchOneTrainLikeOneWorkerOfBatchTwo() throws Exception {
        Config cfg = DistTestSupport.tinyFixedSize(tmp, 1);
        TrainOptions base = new TrainOptions(tmp.resolve("data").toString(), 1, null, 0.01, null, 3L, "cpu", null, null, false, null, 0);
        Path single = tmp.resolve("single"), dist = tmp.resolve("dist");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result one = new Trainer(cfg, withBatch(base, 2).withWorkDir(single),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        Trainer.Result two = DataParallelTrainer.run(cfg, withBatch(base, 1).withWorkDir(dist),
                DistOptions.cpuWorkers(2).withBucketBytes(64 << 10), new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(one.iterations(), two.iterations(), text);
        assertFalse(two.stoppedEarly(), text);
        assertTrue(text.contains("data parallel: 2 CPU worker threads"), text);
        assertTrue(text.contains("per worker × 2 workers"), text);
        // rank 0 alone wrote the files, and evaluated (the detections of both shards gathered)
        for (String f : List.of("epoch_1.safetensors", "epoch_1.state.safetensors", "metrics.jsonl", "final.json", "curves.png"))
            assertTrue(Files.isRegularFile(dist.resolve(f)), f + " missing");
        assertNotNull(two.lastEval());
        assertEquals(1, text.split("Average Precision  \\(AP\\) @\\[ IoU=0.50:0.95 \\| area=   all", -1).length - 1, "one evaluation summary: " + text);
        Object[] w = worstRelativeDifference(single.resolve("epoch_1.safetensors"), dist.resolve("epoch_1.safetensors"));
        double worst = (double) w[0];
        String at = (String) w[1];
        System.out.printf("train --cpu-workers 2 (batch 1) vs 1 worker (batch 2), one epoch: max rel. weight diff %.3g at %s%n", worst, at);
        assertTrue(worst < 1e-4, "weights after one epoch differ by " + worst + " at " + at);
        assertEquals(one.lastLoss(), two.lastLoss(), 1e-4 * Math.abs(one.lastLoss()));
    }

    private static TrainOptions withBatch(TrainOptions o, int b) {
        return new TrainOptions(o.dataRoot(), o.epochs(), b, o.lr(), o.workDir(), o.seed(), o.device(), o.resume(), o.pretrained(),
                o.noPretrained(), o.loadFrom(), o.workers());
    }

    @Test
    void shardedEvaluationGivesTheSingleProcessNumbers() throws Exception {
        Config cfg = DistTestSupport.tinyFixedSize(tmp, 1);
        CocoDataset val = DataSources.load(cfg, false, tmp.resolve("data").toString(), new DataIssues("val", s -> {}, 0));
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 1);
        var p0 = Inference.postProcessConfig(cfg.model().testCfg());
        var post = new autoassign.postprocess.PostProcessConfig(p0.nmsPre(), 0f, p0.iouThr(), p0.maxPerImg(), p0.minBboxSize());
        CocoEvalResult ref = DatasetEvaluation.run(model, val, CocoGroundTruth.read(val.annotationFile()), Detector.testPipeline(cfg),
                LoaderOptions.test(1, 0), post, CocoEvalParams.standard(), null).eval();
        // 3 workers over 4 images: the shards are padded with a repeat, which must not count twice
        List<InProcessCommunicator> comms = InProcessCommunicator.create(3, Duration.ofSeconds(60));
        List<CocoEvalResult> res = InProcessCommunicatorTest.onRanks(comms, r -> () -> ShardedEvaluation.run(comms.get(r), model, val,
                val.annotationFile(), Detector.testPipeline(cfg), LoaderOptions.test(1, 0), post, CocoEvalParams.standard()));
        assertEquals(null, res.get(1));
        assertEquals(null, res.get(2));
        assertArrayEquals(ref.stats(), res.get(0).stats(), 0.0);
        assertTrue(ref.stats()[1] >= 0, "evaluated: " + java.util.Arrays.toString(ref.stats()));
    }

    /** Runs the CLI; returns exit code and what it printed on stderr. */
    private static Object[] cli(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Object[] {code, buf.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(err);
        }
    }

    @Test
    void gpusBeyondThisMachineFailAtStartWithOneLine() {
        Object[] r = cli("train", "--gpus", "2", "--work-dir", tmp.resolve("w").toString());
        assertEquals(1, r[0]);
        String err = ((String) r[1]).strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        // here (no GPU): "CUDA is not available: ..."; on a 1-GPU machine: "only 1 CUDA device(s)"; without NCCL: "NCCL ..."
        assertTrue(err.startsWith("error: --gpus 2: "), err);
        assertTrue(err.contains("CUDA is not available") || err.contains("only 1 CUDA device(s)") || err.contains("NCCL"), err);
        assertFalse(Files.exists(tmp.resolve("w")), "nothing written before failing");
    }

    @Test
    void contradictoryDistributedOptionsAreOneLineErrors() {
        Object[][] cases = {
                {new String[] {"train", "--cpu-workers", "2", "--gpus", "2"}, "error: --cpu-workers and --gpus exclude each other"},
                {new String[] {"train", "--nodes", "2"}, "error: --nodes 2 needs --gpus N (the GPUs of each machine)"},
                {new String[] {"train", "--gpus", "1", "--nodes", "2", "--node-rank", "2", "--master", "h:1"},
                        "error: --node-rank must be in 0..1 for --nodes 2, got 2"},
                {new String[] {"train", "--gpus", "1", "--nodes", "2", "--node-rank", "1"},
                        "error: --master HOST:PORT is required with --nodes > 1"},
                {new String[] {"train", "--cpu-workers", "2", "--device", "cuda"},
                        "error: --cpu-workers runs on the CPU; it cannot be combined with --device cuda"},
                // the config positionally, as tools/train.py CONFIG takes it (here a file that is not there), or twice
                {new String[] {"train", "/nonexistent/cfg.py"}, "error: /nonexistent/cfg.py: file not found (nor a built-in config of that name)"},
                {new String[] {"train", "a.py", "--config", "b.py"}, "error: give the config once: as CFG or with --config, not both"},
                {new String[] {"train", "--gpus", "2", "--device", "cpu"},
                        "error: --gpus 2 trains on GPUs; it cannot be combined with --device cpu (use --cpu-workers N for data parallel workers on the CPU)"},
        };
        List<String> failures = new ArrayList<>();
        for (Object[] c : cases) {
            Object[] r = cli((String[]) c[0]);
            String err = ((String) r[1]).strip();
            if (!Integer.valueOf(1).equals(r[0]) || !err.equals(c[1])) failures.add(String.join(" ", (String[]) c[0]) + " -> " + r[0] + " " + err);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
