package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.io.PthWriter;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --resume} from a checkpoint laid out as MMEngine's runner saves it ({@code meta}, {@code state_dict},
 * {@code optimizer} as torch's {@code state_dict()}: state by parameter index, param groups of indices): the run
 * continues exactly as from the engine's own checkpoint of the same moment.
 */
class MmengineResumeTest {
    @TempDir Path tmp;

    private TrainOptions options(Path workDir) {
        return TrainOptions.defaults().withWorkDir(workDir).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
    }

    private static Trainer.Result train(Config cfg, TrainOptions opt) throws Exception {
        return new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    /** The engine's epoch checkpoint rewritten as MMEngine's {@code epoch_N.pth}, one param group per parameter. */
    private static Path asMmengine(Path model, Path out, List<String> paramNames) throws Exception {
        return asMmengine(model, out, paramNames, -1, -1);
    }

    /** As above, with {@code meta.epoch} / {@code meta.iter} set (≥ 0) instead of the checkpoint's own position. */
    private static Path asMmengine(Path model, Path out, List<String> paramNames, long metaEpoch, long metaIter) throws Exception {
        Safetensors.Contents weights = Safetensors.read(model);
        Path stateFile = model.resolveSibling(model.getFileName().toString().replace(".safetensors", ".state.safetensors"));
        Safetensors.Contents momentum = Safetensors.read(stateFile);
        Map<Long, Object> state = new LinkedHashMap<>();
        List<Object> groups = new ArrayList<>();
        // EMAHook: ema_state_dict holds module.<name> (after MMEngine's swap: the trained weights) and steps
        Map<String, Object> ema = new LinkedHashMap<>();
        momentum.tensors().forEach((k, t) -> { if (k.startsWith("ema_source.")) ema.put("module." + k.substring(11), t); });
        if (!ema.isEmpty())
            ema.put("steps", RawTensor.ofLongs(new long[] {Long.parseLong(momentum.metadata().get("ema_steps"))}, new long[0]));
        for (int i = 0; i < paramNames.size(); i++) {
            RawTensor buf = momentum.tensors().get(paramNames.get(i));
            if (buf != null) state.put((long) i, new LinkedHashMap<>(Map.of("momentum_buffer", buf)));
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("lr", 0.01);
            g.put("momentum", 0.9);
            g.put("params", List.of((long) i));
            groups.add(g);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("meta", new LinkedHashMap<>(Map.of(
                "epoch", metaEpoch >= 0 ? metaEpoch : Long.parseLong(momentum.metadata().get("epoch")),
                "iter", metaIter >= 0 ? metaIter : Long.parseLong(momentum.metadata().get("global_iter")),
                "mmengine_version", "0.10.4")));
        root.put("state_dict", PthWriter.stateDict(weights.tensors()));
        root.put("message_hub", new LinkedHashMap<>());
        root.put("optimizer", new LinkedHashMap<>(Map.of("state", state, "param_groups", groups)));
        root.put("param_schedulers", List.of());
        if (!ema.isEmpty()) root.put("ema_state_dict", PthWriter.stateDict(new LinkedHashMap<>((Map) ema)));
        PthWriter.write(out, root);
        return out;
    }

    @Test
    void resumesAnMmengineCheckpointAsItsOwn() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
        Path straight = tmp.resolve("straight"), first = tmp.resolve("first"), mm = tmp.resolve("mm");
        train(cfg, options(straight));
        train(cfg, options(first).withEpochs(1));
        List<String> names = new ArrayList<>(new AutoAssignDetector(cfg.model(), 0).namedParameters().keySet());
        Path pth = asMmengine(first.resolve("epoch_1.safetensors"), tmp.resolve("epoch_1.pth"), names);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(cfg, options(mm).withResume(pth.toString()), new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        assertEquals(2, r.epochsDone());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("resumed from " + pth + " at epoch 2"), log.toString(StandardCharsets.UTF_8));
        Map<String, RawTensor> a = Safetensors.read(straight.resolve("epoch_2.safetensors")).tensors();
        Map<String, RawTensor> b = Safetensors.read(mm.resolve("epoch_2.safetensors")).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
    }

    @Test
    void withAnEmaHookTheAverageAndTheTrainedWeightsComeBack() throws Exception {
        TinyTrainConfig.write(tmp);
        Config cfg = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("custom_hooks=[{type: EMAHook, ema_type: ExpMomentumEMA, momentum: 0.01, gamma: 4}]"));
        Path straight = tmp.resolve("straight"), first = tmp.resolve("first"), mm = tmp.resolve("mm");
        train(cfg, options(straight));
        train(cfg, options(first).withEpochs(1));
        List<String> names = new ArrayList<>(new AutoAssignDetector(cfg.model(), 0).namedParameters().keySet());
        Path pth = asMmengine(first.resolve("epoch_1.safetensors"), tmp.resolve("epoch_1.pth"), names);
        assertEquals(2, train(cfg, options(mm).withResume(pth.toString())).epochsDone());
        Map<String, RawTensor> a = Safetensors.read(straight.resolve("epoch_2.safetensors")).tensors();
        Map<String, RawTensor> b = Safetensors.read(mm.resolve("epoch_2.safetensors")).tensors();
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
    }

    /** EMAHook.after_load_checkpoint: no ema_state_dict is a warning, and the average starts from the loaded weights. */
    @Test
    void withoutEmaStateTheAverageStartsFromTheWeightsWithAWarning() throws Exception {
        Config plain = TinyTrainConfig.write(tmp);
        Config withEma = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_test.yaml"),
                List.of("custom_hooks=[{type: EMAHook, ema_type: ExpMomentumEMA, momentum: 0.01, gamma: 4}]"));
        Path first = tmp.resolve("first");
        train(plain, options(first).withEpochs(1));
        List<String> names = new ArrayList<>(new AutoAssignDetector(plain.model(), 0).namedParameters().keySet());
        Path pth = asMmengine(first.resolve("epoch_1.safetensors"), tmp.resolve("epoch_1.pth"), names);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(withEma, options(tmp.resolve("mm")).withResume(pth.toString()),
                new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        assertEquals(2, r.epochsDone());
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("warning: " + pth + " has no ema_state_dict: the EMAHook's average starts from its state_dict"), text);
    }

    @Test
    void aCheckpointSavedMidEpochRerunsThatEpochWithTheCounterGoingOn() throws Exception {
        // MMEngine's CheckpointHook(by_epoch=False) in an epoch loop saves meta.epoch = the epoch in progress (0-based
        // count of finished ones) and meta.iter = the iterations done; resume runs that epoch again in full while the
        // counter and the schedule go on: 4 iterations an epoch, saved at iteration 6 of 8 → 4 more, ending at 10
        TinyTrainConfig.write(tmp);
        Config cfg = autoassign.config.ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of( // a warm-up past the end
                "param_scheduler=[{type: LinearLR, start_factor: 0.001, by_epoch: false, begin: 0, end: 20}]"));
        Path straight = tmp.resolve("straight"), first = tmp.resolve("first"), mm = tmp.resolve("mm");
        Trainer.Result full = train(cfg, options(straight));
        assertEquals(8, full.iterations());
        train(cfg, options(first).withEpochs(1));
        List<String> names = new ArrayList<>(new AutoAssignDetector(cfg.model(), 0).namedParameters().keySet());
        Path pth = asMmengine(first.resolve("epoch_1.safetensors"), tmp.resolve("iter_6.pth"), names, 1, 6);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(cfg, options(mm).withResume(pth.toString()), new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("resumed mid-epoch (MMEngine): epoch 2 runs again from its start"), text);
        assertEquals(2, r.epochsDone());
        assertEquals(10, r.iterations());
        // the learning rate of iteration 7 is the straight run's iteration 7 (the warm-up goes on, it does not restart)
        assertEquals(lrAt(straight, 7), lrAt(mm, 7));
        assertTrue(lrAt(mm, 7) != lrAt(straight, 5), "the warm-up rates differ from one iteration to the next");
    }

    @Test
    void anIterationLoopCheckpointSplitsItsIterationIntoPasses() throws Exception {
        // IterBasedTrainLoop: MMEngine's meta.iter is the only position; the engine finds its pass (4 iterations
        // each here) and the place in it, so resuming at iteration 2 ends bit-identical to the straight run
        TinyTrainConfig.write(tmp);
        Path child = tmp.resolve("tiny_iter.yaml");
        java.nio.file.Files.writeString(child, """
                _base_: tiny_test.yaml
                train_cfg: {_delete_: true, type: IterBasedTrainLoop, max_iters: 6, val_interval: 6}
                train_dataloader:
                  sampler: {type: InfiniteSampler, shuffle: true}
                default_hooks:
                  checkpoint: {type: CheckpointHook, by_epoch: false, interval: 2}
                param_scheduler:
                  - {type: LinearLR, start_factor: 0.1, by_epoch: false, begin: 0, end: 5}
                """);
        Config cfg = autoassign.config.ConfigLoader.load(child);
        Path straight = tmp.resolve("straight"), mm = tmp.resolve("mm");
        train(cfg, options(straight));
        List<String> names = new ArrayList<>(new AutoAssignDetector(cfg.model(), 0).namedParameters().keySet());
        Path pth = asMmengine(straight.resolve("iter_2.safetensors"), tmp.resolve("iter_2.pth"), names, 0, 2);
        Trainer.Result r = train(cfg, options(mm).withResume(pth.toString()));
        assertEquals(6, r.iterations());
        Map<String, RawTensor> a = Safetensors.read(straight.resolve("iter_6.safetensors")).tensors();
        Map<String, RawTensor> b = Safetensors.read(mm.resolve("iter_6.safetensors")).tensors();
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
    }

    private static double lrAt(Path workDir, long iter) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : java.nio.file.Files.readAllLines(workDir.resolve("metrics.jsonl"))) {
            var n = json.readTree(line);
            if ("train".equals(n.path("mode").asText()) && n.path("iter").asLong() == iter) return n.get("lr").asDouble();
        }
        throw new AssertionError("no train record of iteration " + iter + " in " + workDir);
    }

    private static Map<String, Object> adamState(int[] shape, Object step) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("step", step);
        s.put("exp_avg", RawTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, new long[] {shape[0], shape[1]}));
        s.put("exp_avg_sq", RawTensor.ofFloats(new float[] {6, 5, 4, 3, 2, 1}, new long[] {shape[0], shape[1]}));
        return s;
    }

    @Test
    void adamStateByIndexAndItsErrors() {
        Path f = Path.of("epoch_3.pth");
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("a.weight", Tensor.zeros(2, 3));
        params.put("a.bias", Tensor.zeros(2));
        params.put("b.weight", Tensor.zeros(2, 3));
        List<String> names = new ArrayList<>(params.keySet());
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("state", new LinkedHashMap<>(Map.of(2L, adamState(new int[] {2, 3}, RawTensor.ofFloats(new float[] {7}, new long[0])),
                0L, adamState(new int[] {2, 3}, 4L))));
        opt.put("param_groups", List.of(Map.of("params", List.of(0L, 1L)), Map.of("params", List.of(2L))));
        Map<String, Tensor> st = MmengineResume.optimizerState(f, opt, names, params);
        assertEquals(7f, st.get("step.b.weight").toFloatArray()[0]);
        assertEquals(4f, st.get("step.a.weight").toFloatArray()[0]);
        assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, st.get("exp_avg_sq.a.weight").toFloatArray());
        assertEquals(6, st.size());

        opt.put("param_groups", List.of(Map.of("params", List.of(0L, 1L))));
        String e = assertThrows(UserError.class, () -> MmengineResume.optimizerState(f, opt, names, params)).getMessage();
        assertEquals("epoch_3.pth: the optimizer holds 2 parameters, the model has 3 (another model or config?)", e);

        opt.put("param_groups", List.of(Map.of("params", List.of(0L, 1L, 2L))));
        opt.put("state", Map.of(1L, adamState(new int[] {2, 3}, 1L)));
        e = assertThrows(UserError.class, () -> MmengineResume.optimizerState(f, opt, names, params)).getMessage();
        assertTrue(e.startsWith("epoch_3.pth: optimizer state exp_avg of a.bias has shape [2, 3], the parameter [2]"), e);

        Map<String, Object> lbfgs = adamState(new int[] {2, 3}, 1L);
        lbfgs.put("prev_flat_grad", RawTensor.ofFloats(new float[6], new long[] {2, 3})); // LBFGS's
        opt.put("state", Map.of(0L, lbfgs));
        e = assertThrows(UserError.class, () -> MmengineResume.optimizerState(f, opt, names, params)).getMessage();
        assertTrue(e.contains("'prev_flat_grad' of a.weight is not one of SGD, Adam / AdamW (amsgrad too), RMSprop"), e);
    }
}
