package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.config.RuntimeConfig;
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
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EMAHook: the average's arithmetic, its swap with the model, and what training does with it. */
class WeightAverageTest {
    @TempDir Path tmp;

    private static final String W = "bbox_head.conv_cls.weight";

    private Config tiny(String... overrides) throws Exception {
        TinyTrainConfig.write(tmp);
        return ConfigLoader.load(tmp.resolve("tiny_test.yaml"), List.of(overrides));
    }

    @Test
    void firstUpdateCopiesThenLerpsAndSwapExchanges() throws Exception {
        Config cfg = tiny();
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        WeightAverage ema = new WeightAverage(model, new RuntimeConfig.Ema(false, 0.25, 0, 1, 0, 0));
        Tensor w = model.namedParameters().get(W);
        float[] start = w.data().clone();
        ema.afterIteration(0, 0); // steps 0: a copy
        for (int i = 0; i < start.length; i++) w.data()[i] = start[i] + 1f;
        ema.afterIteration(1, 0); // avg += 0.25 · (p − avg)
        float[] avg = ema.tensors().get(W).data().clone();
        for (int i = 0; i < start.length; i++) assertEquals(start[i] + 0.25f * 1f, avg[i], 1e-6f);
        assertEquals(2, ema.steps());
        float[] trained = w.data().clone();
        ema.swap();
        assertArrayEquals(avg, w.data(), "the model holds the average");
        assertArrayEquals(trained, ema.tensors().get(W).data(), "and the average's tensors the trained weights");
        ema.swap();
        assertArrayEquals(trained, w.data());
    }

    @Test
    void expMomentumAndBeginIter() throws Exception {
        AutoAssignDetector model = new AutoAssignDetector(tiny().model(), 0);
        WeightAverage exp = new WeightAverage(model, new RuntimeConfig.Ema(true, 0.0002, 2000, 1, 0, 0));
        assertEquals((1 - 0.0002) * Math.exp(-(1.0 + 5) / 2000) + 0.0002, exp.momentum(5), 1e-15);
        WeightAverage late = new WeightAverage(model, new RuntimeConfig.Ema(false, 0.5, 0, 1, 3, 0));
        late.afterIteration(0, 0);
        late.afterIteration(1, 0);
        assertEquals(0, late.steps(), "not started before begin_iter: the average only copies");
        late.afterIteration(2, 0);
        assertEquals(1, late.steps());
    }

    /**
     * update_buffers with BN batch statistics: the running statistics are averaged as the weights are (MMEngine
     * averages every floating buffer); without it the average is used with the model's own statistics.
     */
    @Test
    void updateBuffersAveragesTheRunningStatistics() throws Exception {
        Config cfg = tiny("model.backbone.norm_cfg={_delete_: true, type: BN, requires_grad: true}", "model.backbone.norm_eval=false");
        String rm = "backbone.layer2.0.bn1.running_mean";
        for (boolean update : new boolean[] {true, false}) {
            AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
            WeightAverage ema = new WeightAverage(model, new RuntimeConfig.Ema(false, 0.25, 0, 1, 0, 0, update));
            assertEquals(update, ema.tensors().containsKey(rm), "the statistics are among the averaged tensors");
            Tensor stat = model.stateDict().get(rm);
            float[] start = stat.toFloatArray();
            ema.afterIteration(0, 0); // a copy
            float[] moved = start.clone();
            for (int i = 0; i < moved.length; i++) moved[i] += 2f;
            stat.copyFrom(Tensor.of(moved, moved.length)); // what a training step's batch statistics do
            ema.afterIteration(1, 0);
            ema.swap();
            float[] seen = model.stateDict().get(rm).toFloatArray();
            for (int i = 0; i < seen.length; i++)
                assertEquals(update ? start[i] + 0.25f * 2f : moved[i], seen[i], 1e-6f, "the statistics validation uses");
            ema.swap();
            assertArrayEquals(moved, model.stateDict().get(rm).toFloatArray(), "the model's own statistics come back");
        }
    }

    @Test
    void trainingSavesTheAverageAsTheModelAndResumesBitExact() throws Exception {
        Config cfg = tiny("custom_hooks=[{type: EMAHook, ema_type: ExpMomentumEMA, momentum: 0.01, gamma: 4, priority: 49}]");
        Path straight = tmp.resolve("straight"), split = tmp.resolve("split");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        TrainOptions opt = TrainOptions.defaults().withDevice("cpu");
        new Trainer(cfg, opt.withWorkDir(straight), quiet).run();
        Map<String, RawTensor> model = Safetensors.read(straight.resolve("epoch_2.safetensors")).tensors();
        var state = Safetensors.read(straight.resolve("epoch_2.state.safetensors"));
        RawTensor source = state.tensors().get("ema_source." + W);
        assertTrue(source != null, "the trained weights are in the state file");
        assertFalse(java.util.Arrays.equals(model.get(W).toFloatArray(), source.toFloatArray()), "the model file holds the average");
        assertEquals("8", state.metadata().get("ema_steps"), "8 iterations: 8 updates");

        new Trainer(cfg, opt.withWorkDir(split).withEpochs(1), quiet).run();
        new Trainer(cfg, opt.withWorkDir(split).withResume("auto"), quiet).run();
        Map<String, RawTensor> resumed = Safetensors.read(split.resolve("epoch_2.safetensors")).tensors();
        var resumedState = Safetensors.read(split.resolve("epoch_2.state.safetensors")).tensors();
        for (String k : model.keySet())
            assertArrayEquals(model.get(k).toFloatArray(), resumed.get(k).toFloatArray(), 0f, k + ": the average");
        assertArrayEquals(source.toFloatArray(), resumedState.get("ema_source." + W).toFloatArray(), 0f, "the trained weights");
    }

    /** ExponentialMovingAverage's {@code assert 0.0 < momentum < 1.0} (ExpMomentumEMA inherits it). */
    @Test
    void momentumMustLieStrictlyBetweenZeroAndOne() throws Exception {
        for (String m : new String[] {"0", "1", "1.5"}) {
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> tiny("custom_hooks=[{type: EMAHook, ema_type: ExpMomentumEMA, momentum: " + m + "}]"));
            assertTrue(e.getMessage().contains("momentum"), e.getMessage());
        }
        assertEquals(0.5, tiny("custom_hooks=[{type: EMAHook, momentum: 0.5}]").runtime().ema().momentum());
    }

    /**
     * EMAHook.before_train's asserts: begin_epoch ≤ max_epochs (an IterBasedTrainLoop's max_epochs is 1: its epoch
     * never advances), begin_iter ≤ max_iters; MMEngine stops before training, and so does the engine.
     */
    @Test
    void beginBeyondTheRunIsAnError() throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        TrainOptions opt = TrainOptions.defaults().withDevice("cpu").withWorkDir(tmp.resolve("wd"));
        for (String hook : new String[] {"begin_epoch: 3", "begin_iter: 9"}) { // 2 epochs of 4 iterations
            Config cfg = tiny("custom_hooks=[{type: EMAHook, " + hook + "}]");
            var e = org.junit.jupiter.api.Assertions.assertThrows(autoassign.cli.CliErrors.UserError.class,
                    () -> new Trainer(cfg, opt, quiet).run());
            assertTrue(e.getMessage().contains(hook.substring(0, hook.indexOf(':'))), e.getMessage());
        }
        java.nio.file.Files.writeString(tmp.resolve("tiny_iter.yaml"), """
                _base_: tiny_test.yaml
                train_cfg: {_delete_: true, type: IterBasedTrainLoop, max_iters: 6, val_interval: 6}
                default_hooks:
                  checkpoint: {type: CheckpointHook, by_epoch: false, interval: 6}
                param_scheduler: [{type: LinearLR, start_factor: 0.1, by_epoch: false, begin: 0, end: 3}]
                custom_hooks: [{type: EMAHook, begin_epoch: 2}]
                """);
        Config iter = ConfigLoader.load(tmp.resolve("tiny_iter.yaml"), List.of());
        var e = org.junit.jupiter.api.Assertions.assertThrows(autoassign.cli.CliErrors.UserError.class,
                () -> new Trainer(iter, opt, quiet).run());
        assertTrue(e.getMessage().contains("IterBasedTrainLoop"), e.getMessage());
    }
}
