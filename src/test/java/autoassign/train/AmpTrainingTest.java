package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.AmpConfig;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MMEngine's AmpOptimWrapper as this engine runs it (float32 compute, GradScaler's loss scaling): the scale's rules,
 * unscaling and skipping of non-finite updates, training equal bit for bit to OptimWrapper (the scale is a power of
 * two), the scaler's state in checkpoints (resumed bit-exactly, also from an MMEngine checkpoint's
 * {@code optimizer.loss_scaler}), its config keys and {@code train --amp}.
 */
class AmpTrainingTest {
    @TempDir Path tmp;

    @Test
    void scaleGrowsAfterIntervalBacksOffAndKeepsWhenGrowthOverflows() {
        LossScaler s = new LossScaler(new AmpConfig(8, 2, 0.5, 2, true, null));
        s.update(false);
        assertEquals(8f, s.scale());
        assertEquals(1, s.growthTracker());
        s.update(false);
        assertEquals(16f, s.scale());
        assertEquals(0, s.growthTracker());
        s.update(false);
        s.update(true);
        assertEquals(8f, s.scale());
        assertEquals(0, s.growthTracker());
        LossScaler big = new LossScaler(new AmpConfig(3e38, 2, 0.5, 1, true, null));
        big.update(false);
        assertEquals(3e38f, big.scale(), "a growth to infinity is not taken");
        LossScaler fixed = new LossScaler(new AmpConfig(512, 2, 0.5, 2000, false, null));
        fixed.update(true);
        fixed.update(false);
        assertEquals(512f, fixed.scale(), "a numeric loss_scale never moves");
    }

    @Test
    void optimizerUnscalesSkipsNonFiniteUpdatesAndCountsNonFiniteLosses() {
        Tensor p = Tensor.of(new float[] {1f, 2f}, 2).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("w", p, 0f)), 0, 0f, false, 0);
        sgd.useLossScaler(new AmpConfig(4, 2, 0.5, 2000, true, null));
        assertEquals(4f, sgd.lossScale());
        p.setGrad(Tensor.of(new float[] {4f, 8f}, 2)); // the gradient of 4 × loss
        sgd.step(0.5f);
        assertArrayEquals(new float[] {0.5f, 1f}, p.data(), "the unscaled gradient {1, 2} moved the weights");
        assertEquals(1, sgd.lossScaler().growthTracker());
        for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NaN}) {
            sgd.zeroGrad();
            p.setGrad(Tensor.of(new float[] {bad, 8f}, 2));
            float before = sgd.lossScale();
            sgd.step(0.5f);
            assertArrayEquals(new float[] {0.5f, 1f}, p.data(), "a non-finite gradient skips the update");
            assertEquals(before / 2, sgd.lossScale());
            assertEquals(0, sgd.lossScaler().growthTracker());
        }
        sgd.zeroGrad();
        sgd.nonFiniteLoss(); // the trainer skipped a non-finite loss: GradScaler would have seen non-finite gradients
        sgd.step(0.5f);
        assertEquals(0.5f, sgd.lossScale());
        sgd.step(0.5f); // nothing to update, nothing found: the scale stays (no check was recorded)
        assertEquals(0.5f, sgd.lossScale());
        assertEquals(0, sgd.lossScaler().growthTracker());
    }

    private TrainOptions options(Path workDir) {
        return TrainOptions.defaults().withWorkDir(workDir).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
    }

    private static Trainer.Result train(Config cfg, TrainOptions opt) throws Exception {
        return new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    private static void assertSameWeights(Path a, Path b) throws Exception {
        Map<String, RawTensor> x = Safetensors.read(a).tensors(), y = Safetensors.read(b).tensors();
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, k);
    }

    @Test
    void ampTrainsAsFloat32AndItsScalerResumesBitExact() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        Config plain = ConfigLoader.load(file);
        Config amp = ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper", "optim_wrapper.loss_scale=dynamic"));
        train(plain, options(tmp.resolve("plain")).withEpochs(1));
        train(amp, options(tmp.resolve("amp")).withEpochs(1));
        // scaling by 2^16 and back is exact: the same weights, the scaler's state saved beside the optimizer's
        assertSameWeights(tmp.resolve("plain/epoch_1.safetensors"), tmp.resolve("amp/epoch_1.safetensors"));
        assertEquals(state(65536, 2, 0.5, 2000, 4), Safetensors.read(tmp.resolve("amp/epoch_1.state.safetensors")).metadata().get("loss_scaler"));
        assertFalse(Safetensors.read(tmp.resolve("plain/epoch_1.state.safetensors")).metadata().containsKey("loss_scaler"));

        Config growing = ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper",
                "optim_wrapper.loss_scale={init_scale: 1024.0, growth_interval: 3}"));
        Path straight = tmp.resolve("straight"), split = tmp.resolve("split");
        train(growing, options(straight));
        train(growing, options(split).withEpochs(1));
        assertEquals(state(2048, 2, 0.5, 3, 1), Safetensors.read(split.resolve("epoch_1.state.safetensors")).metadata().get("loss_scaler"));
        // GradScaler.load_state_dict: the checkpoint's growth settings replace the config's (growth_interval 2000 here)
        Config otherSettings = ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper",
                "optim_wrapper.loss_scale={init_scale: 8.0, growth_interval: 2000, growth_factor: 4.0}"));
        train(otherSettings, options(split).withResume("auto"));
        assertEquals(state(4096, 2, 0.5, 3, 2), Safetensors.read(straight.resolve("epoch_2.state.safetensors")).metadata().get("loss_scaler"),
                "8 finite steps: × 2 after the 3rd and the 6th");
        assertEquals(state(4096, 2, 0.5, 3, 2), Safetensors.read(split.resolve("epoch_2.state.safetensors")).metadata().get("loss_scaler"));
        assertSameWeights(straight.resolve("epoch_2.safetensors"), split.resolve("epoch_2.safetensors"));

        // a numeric loss_scale resumed from a dynamic run: the first update uses the checkpoint's scale, every update
        // refills the config's (MMEngine's update(new_scale)); the tracker stays where the checkpoint left it
        Path fixedRun = tmp.resolve("fixed");
        train(growing, options(fixedRun).withEpochs(1));
        Config fixed = ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper", "optim_wrapper.loss_scale=512.0"));
        train(fixed, options(fixedRun).withResume("auto"));
        assertEquals(state(512, 2, 0.5, 3, 1), Safetensors.read(fixedRun.resolve("epoch_2.state.safetensors")).metadata().get("loss_scaler"));
        assertSameWeights(straight.resolve("epoch_2.safetensors"), fixedRun.resolve("epoch_2.safetensors"));
    }

    /** GradScaler's state_dict() as the state file keeps it. */
    private static String state(double scale, double growth, double backoff, int interval, int tracker) {
        return "{\"scale\": " + autoassign.eval.PyFloat.repr(scale) + ", \"growth_factor\": " + autoassign.eval.PyFloat.repr(growth)
                + ", \"backoff_factor\": " + autoassign.eval.PyFloat.repr(backoff) + ", \"growth_interval\": " + interval
                + ", \"_growth_tracker\": " + tracker + "}";
    }

    @Test
    void numericLossScaleIsRefilledAtEveryUpdateAndResumedStatesBringTheirGrowthSettings() {
        LossScaler fixed = new LossScaler(new AmpConfig(512, 2, 0.5, 2000, false, null));
        fixed.restore(state(32768, 2, 0.5, 2000, 7)); // a dynamic run's checkpoint
        assertEquals(32768f, fixed.scale(), "the first window after the resume runs at the checkpoint's scale");
        fixed.update(false);
        assertEquals(512f, fixed.scale(), "update(new_scale=loss_scale) refills the config's scale");
        assertEquals(7, fixed.growthTracker(), "update(new_scale) leaves the tracker alone");
        fixed.update(true);
        assertEquals(512f, fixed.scale());
        assertEquals(state(512, 2, 0.5, 2000, 7), fixed.state(), "a numeric loss_scale's GradScaler keeps the default growth settings");

        LossScaler dyn = new LossScaler(AmpConfig.dynamicDefaults());
        dyn.restore(state(1024, 4, 0.25, 2, 1));
        dyn.update(false);
        assertEquals(4096f, dyn.scale(), "the checkpoint's growth_interval 2 and growth_factor 4, not the config's 2000 and 2");
        dyn.update(true);
        assertEquals(1024f, dyn.scale(), "its backoff_factor 0.25");
        dyn.restore("2048.0,1"); // an older state: scale and tracker only, the settings stay
        assertEquals(2048f, dyn.scale());
        assertEquals(1, dyn.growthTracker());
        assertEquals(4.0, dyn.growthFactor());
        assertThrows(IllegalArgumentException.class, () -> dyn.restore("{\"scale\": 2.0}"));
        assertThrows(IllegalArgumentException.class, () -> dyn.restore("{\"scale\": 2.0, \"growth_factor\": 2.0, "
                + "\"backoff_factor\": 0.5, \"growth_interval\": 0, \"_growth_tracker\": 0}"));
    }

    @Test
    void nonFiniteCheckLooksAtTheScaledGradientsAsTorch() {
        // _amp_foreach_non_finite_check_and_unscale_ flags a value that is non-finite before the multiplication: with a
        // scale below 1, a finite gradient that 1/scale takes past float32's range is not flagged and the step is taken
        Tensor p = Tensor.of(new float[] {1f}, 1).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("w", p, 0f)), 0, 0f, false, 0);
        sgd.useLossScaler(new AmpConfig(0.25, 2, 0.5, 2000, true, null));
        p.setGrad(Tensor.of(new float[] {3e38f}, 1));
        sgd.step(1f);
        assertEquals(Float.NEGATIVE_INFINITY, p.data()[0], "the update ran with the overflowed gradient");
        assertEquals(0.25f, sgd.lossScale());
        assertEquals(1, sgd.lossScaler().growthTracker());
    }

    @Test
    void accumulationKeepsOneScalePerWindowAndSkipsAWindowWithANonFiniteIteration() {
        Tensor p = Tensor.of(new float[] {1f, 2f}, 2).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("w", p, 0f)), 0, 0f, false, 0);
        sgd.useLossScaler(new AmpConfig(4, 2, 0.5, 2000, true, null));
        sgd.accumulate(2, 0, -1);
        p.setGrad(Tensor.of(new float[] {Float.POSITIVE_INFINITY, 8f}, 2));
        sgd.step(0.5f);
        assertEquals(4f, sgd.lossScale(), "no update inside a window: the scale stays (GradScaler.update runs at the step)");
        p.setGrad(Tensor.of(new float[] {4f, 8f}, 2));
        sgd.step(0.5f);
        assertArrayEquals(new float[] {1f, 2f}, p.data(), "the window's summed gradient is not finite: no update");
        assertEquals(2f, sgd.lossScale(), "one back-off for the window");
        for (int i = 0; i < 2; i++) { // a window at scale 2: gradients of 2 × loss / 2 each
            p.setGrad(Tensor.of(new float[] {2f, 4f}, 2));
            sgd.step(0.5f);
        }
        assertArrayEquals(new float[] {0.5f, 1f}, p.data(), "the mean unscaled gradient {1, 2}");
        assertEquals(1, sgd.lossScaler().growthTracker());
        sgd.zeroGrad();
        sgd.nonFiniteLoss(); // a non-finite loss in the next window skips that window too
        sgd.step(0.5f);
        p.setGrad(Tensor.of(new float[] {2f, 4f}, 2));
        sgd.step(0.5f);
        assertArrayEquals(new float[] {0.5f, 1f}, p.data());
        assertEquals(1f, sgd.lossScale());
        assertEquals(0, sgd.lossScaler().growthTracker());
    }

    @Test
    void clippingSeesTheUnscaledGradients() {
        Tensor p = Tensor.of(new float[] {0f, 0f}, 2).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("w", p, 0f)), 0, 0f, false, 1.0);
        sgd.useLossScaler(new AmpConfig(4, 2, 0.5, 2000, true, null));
        p.setGrad(Tensor.of(new float[] {12f, 16f}, 2)); // 4 × {3, 4}: norm 5 once unscaled
        sgd.step(1f);
        assertEquals(5.0, sgd.lastGradNorm(), 1e-6, "grad_norm is the unscaled gradients' (AmpOptimWrapper.step unscales first)");
        assertArrayEquals(new float[] {-0.6f, -0.8f}, p.data(), 1e-6f);
    }

    @Test
    void mmengineLossScalerStateIsRestored() {
        Tensor p = Tensor.of(new float[] {1f}, 1).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("w", p, 0f)), 0, 0f, false, 0);
        sgd.useLossScaler(AmpConfig.dynamicDefaults());
        Path f = Path.of("epoch_3.pth");
        MmengineResume.restoreLossScaler(f, Map.of("loss_scaler", Map.of("scale", 2048.0, "growth_factor", 3.0,
                "backoff_factor", 0.25, "growth_interval", 20L, "_growth_tracker", 17L)), sgd);
        assertEquals(2048f, sgd.lossScale());
        assertEquals(17, sgd.lossScaler().growthTracker());
        // GradScaler.load_state_dict takes the saved growth settings too
        assertEquals(3.0, sgd.lossScaler().growthFactor());
        assertEquals(0.25, sgd.lossScaler().backoffFactor());
        assertEquals(20, sgd.lossScaler().growthInterval());
        for (int i = 0; i < 3; i++) sgd.lossScaler().update(false);
        assertEquals(6144f, sgd.lossScale(), "the 20th finite step in a row grows it by the saved factor 3");
        MmengineResume.restoreLossScaler(f, Map.of("state", Map.of()), sgd); // saved without AMP: the scaler stays
        assertEquals(6144f, sgd.lossScale());
        UserError e = assertThrows(UserError.class,
                () -> MmengineResume.restoreLossScaler(f, Map.of("loss_scaler", Map.of("scale", "big")), sgd));
        assertTrue(e.getMessage().startsWith("epoch_3.pth: optimizer.loss_scaler has no numeric scale"), e.getMessage());
    }

    @Test
    void configKeysOfTheWrapper() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        AmpConfig fixed = ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper", "optim_wrapper.loss_scale=512.0",
                "optim_wrapper.dtype=bfloat16")).optimWrapper().amp();
        assertEquals(new AmpConfig(512, 2, 0.5, 2000, false, "bfloat16"), fixed);
        AmpConfig dict = ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper",
                "optim_wrapper.loss_scale={init_scale: 256.0, growth_factor: 4.0, backoff_factor: 0.25, growth_interval: 10}"))
                .optimWrapper().amp();
        assertEquals(new AmpConfig(256, 4, 0.25, 10, true, null), dict);
        for (String[] bad : new String[][] {
                {"optim_wrapper.loss_scale=static", "optim_wrapper.loss_scale"},
                {"optim_wrapper.use_fsdp=true", "optim_wrapper.use_fsdp"},
                {"optim_wrapper.loss_scale={growth_factor: 1.0}", "optim_wrapper.loss_scale.growth_factor"},
                {"optim_wrapper.loss_scale={enabled: false}", "optim_wrapper.loss_scale.enabled"},
                {"optim_wrapper.loss_scale={init_scale: 8.0, growth_intervall: 10}", "optim_wrapper.loss_scale.growth_intervall"}}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper", bad[0])), bad[0]);
            assertEquals(bad[1], e.key(), e.getMessage());
        }
    }

    @Test
    void trainAmpFlagSwitchesTheWrapperAsMmdetection() throws Exception {
        TinyTrainConfig.write(tmp);
        String cfg = tmp.resolve("tiny_test.yaml").toString();
        PrintStream stdout = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code, code2;
        try {
            code = autoassign.cli.Main.execute("train", cfg, "--amp", "--epochs", "1", "--device", "cpu",
                    "--data-root", tmp.resolve("data").toString(), "--work-dir", tmp.resolve("flag").toString());
            code2 = autoassign.cli.Main.execute("train", cfg, "--amp", "--epochs", "1", "--device", "cpu",
                    "--data-root", tmp.resolve("data").toString(), "--work-dir", tmp.resolve("both").toString(),
                    "--cfg-options", "optim_wrapper.type=AmpOptimWrapper", "optim_wrapper.loss_scale=128.0");
        } finally {
            System.setOut(stdout);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertEquals(0, code2, out);
        assertTrue(out.contains("AmpOptimWrapper: loss scaling as torch's GradScaler (dynamic, initial scale 65536.0); the forward"
                + " and backward stay float32"), out);
        assertTrue(out.contains("AMP training is already enabled in your config."), out);
        assertTrue(out.contains("(static, scale 128.0)"), out);
        assertEquals(state(65536, 2, 0.5, 2000, 4), Safetensors.read(tmp.resolve("flag/epoch_1.state.safetensors")).metadata().get("loss_scaler"));
    }
}
