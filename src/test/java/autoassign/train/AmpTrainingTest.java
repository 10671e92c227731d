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
        LossScaler fixed = new LossScaler(new AmpConfig(512, 1, 1, 2000, false, null));
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
        assertEquals("65536.0,4", Safetensors.read(tmp.resolve("amp/epoch_1.state.safetensors")).metadata().get("loss_scaler"));
        assertFalse(Safetensors.read(tmp.resolve("plain/epoch_1.state.safetensors")).metadata().containsKey("loss_scaler"));

        Config growing = ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper",
                "optim_wrapper.loss_scale={init_scale: 1024.0, growth_interval: 3}"));
        Path straight = tmp.resolve("straight"), split = tmp.resolve("split");
        train(growing, options(straight));
        train(growing, options(split).withEpochs(1));
        assertEquals("2048.0,1", Safetensors.read(split.resolve("epoch_1.state.safetensors")).metadata().get("loss_scaler"));
        train(growing, options(split).withResume("auto"));
        assertEquals("4096.0,2", Safetensors.read(straight.resolve("epoch_2.state.safetensors")).metadata().get("loss_scaler"),
                "8 finite steps: × 2 after the 3rd and the 6th");
        assertEquals("4096.0,2", Safetensors.read(split.resolve("epoch_2.state.safetensors")).metadata().get("loss_scaler"));
        assertSameWeights(straight.resolve("epoch_2.safetensors"), split.resolve("epoch_2.safetensors"));
    }

    @Test
    void mmengineLossScalerStateIsRestored() {
        Tensor p = Tensor.of(new float[] {1f}, 1).setRequiresGrad(true);
        Sgd sgd = new Sgd(List.of(new Optimizer.Group("w", p, 0f)), 0, 0f, false, 0);
        sgd.useLossScaler(AmpConfig.dynamicDefaults());
        Path f = Path.of("epoch_3.pth");
        MmengineResume.restoreLossScaler(f, Map.of("loss_scaler", Map.of("scale", 2048.0, "growth_factor", 2.0,
                "backoff_factor", 0.5, "growth_interval", 2000L, "_growth_tracker", 17L)), sgd);
        assertEquals(2048f, sgd.lossScale());
        assertEquals(17, sgd.lossScaler().growthTracker());
        MmengineResume.restoreLossScaler(f, Map.of("state", Map.of()), sgd); // saved without AMP: the scaler stays
        assertEquals(2048f, sgd.lossScale());
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
        assertEquals(new AmpConfig(512, 1, 1, 2000, false, "bfloat16"), fixed);
        AmpConfig dict = ConfigLoader.load(file, List.of("optim_wrapper.type=AmpOptimWrapper",
                "optim_wrapper.loss_scale={init_scale: 256.0, growth_factor: 4.0, backoff_factor: 0.25, growth_interval: 10}"))
                .optimWrapper().amp();
        assertEquals(new AmpConfig(256, 4, 0.25, 10, true, null), dict);
        for (String[] bad : new String[][] {
                {"optim_wrapper.loss_scale=static", "optim_wrapper.loss_scale"},
                {"optim_wrapper.use_fsdp=true", "optim_wrapper.use_fsdp"},
                {"optim_wrapper.loss_scale={growth_factor: 1.0}", "optim_wrapper.loss_scale.growth_factor"},
                {"optim_wrapper.loss_scale={enabled: false}", "optim_wrapper.loss_scale.enabled"}}) {
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
        assertEquals("65536.0,4", Safetensors.read(tmp.resolve("flag/epoch_1.state.safetensors")).metadata().get("loss_scaler"));
    }
}
