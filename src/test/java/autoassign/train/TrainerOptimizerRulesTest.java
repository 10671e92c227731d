package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny training config end to end with torch.optim rules beyond SGD and Adam: RMSprop (centered, with momentum)
 * and NAdam (decoupled decay) train, save their state under torch's names, and NAdam resumes bit-exactly from its
 * epoch-1 checkpoint; a state of one rule does not resume a run of another. Rprop trains and saves its state; ASGD
 * (averaging from its third step, with its one-number eta and mu states) resumes bit-exactly too.
 */
class TrainerOptimizerRulesTest {
    @TempDir Path tmp;

    private TrainOptions options(Path workDir) {
        return TrainOptions.defaults().withWorkDir(workDir).withDevice("cpu").withDataRoot(tmp.resolve("data").toString());
    }

    private static Trainer.Result train(Config cfg, TrainOptions opt) throws Exception {
        return new Trainer(cfg, opt, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    @Test
    void rmspropAndNadamTrainAndNadamResumesBitExact() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        Config rms = ConfigLoader.load(file, List.of("optim_wrapper.optimizer={_delete_: true, type: RMSprop, lr: 0.0002, alpha: 0.9,"
                + " momentum: 0.5, centered: true, weight_decay: 0.0001}"));
        Trainer.Result r = train(rms, options(tmp.resolve("rms")));
        assertEquals(2, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
        Map<String, RawTensor> state = Safetensors.read(tmp.resolve("rms").resolve("epoch_2.state.safetensors")).tensors();
        for (String k : List.of("square_avg", "momentum_buffer", "grad_avg", "step"))
            assertTrue(state.containsKey(k + ".bbox_head.conv_cls.weight"), k + " saved: " + state.keySet().stream().limit(5).toList());

        Config nadam = ConfigLoader.load(file, List.of("optim_wrapper.optimizer={_delete_: true, type: NAdam, lr: 0.0005,"
                + " weight_decay: 0.05, decoupled_weight_decay: true}"));
        Path straight = tmp.resolve("nadam-straight"), split = tmp.resolve("nadam-split");
        r = train(nadam, options(straight));
        assertEquals(2, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
        train(nadam, options(split).withEpochs(1));
        assertEquals(2, train(nadam, options(split).withResume("auto")).epochsDone());
        Map<String, RawTensor> a = Safetensors.read(straight.resolve("epoch_2.safetensors")).tensors(),
                b = Safetensors.read(split.resolve("epoch_2.safetensors")).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
        // NAdam's state does not resume the RMSprop run, and says why
        Exception e = assertThrows(RuntimeException.class,
                () -> train(rms, options(split).withResume(split.resolve("epoch_1.safetensors").toString())));
        assertTrue(e.getMessage().contains("which is not RMSprop's"), e.getMessage());
    }

    @Test
    void rpropTrainsAndAsgdResumesBitExact() throws Exception {
        TinyTrainConfig.write(tmp);
        Path file = tmp.resolve("tiny_test.yaml");
        // torch's Rprop takes no weight_decay, so MMEngine's paramwise decay multipliers cannot apply: the base's go
        Config rprop = ConfigLoader.load(file, List.of("optim_wrapper.optimizer={_delete_: true, type: Rprop, lr: 0.0001,"
                + " step_sizes: [1.0e-6, 0.001]}", "optim_wrapper.paramwise_cfg={_delete_: true}"));
        Trainer.Result r = train(rprop, options(tmp.resolve("rprop")).withEpochs(1));
        assertEquals(1, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
        Map<String, RawTensor> state = Safetensors.read(tmp.resolve("rprop").resolve("epoch_1.state.safetensors")).tensors();
        for (String k : List.of("prev", "step_size", "step"))
            assertTrue(state.containsKey(k + ".bbox_head.conv_cls.weight"), k + " saved: " + state.keySet().stream().limit(5).toList());

        Config asgd = ConfigLoader.load(file, List.of("optim_wrapper.optimizer={_delete_: true, type: ASGD, lr: 0.001, lambd: 0.01,"
                + " t0: 2, weight_decay: 0.0001}"));
        Path straight = tmp.resolve("asgd-straight"), split = tmp.resolve("asgd-split");
        r = train(asgd, options(straight));
        assertEquals(2, r.epochsDone());
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
        train(asgd, options(split).withEpochs(1));
        assertEquals(2, train(asgd, options(split).withResume("auto")).epochsDone());
        Map<String, RawTensor> a = Safetensors.read(straight.resolve("epoch_2.safetensors")).tensors(),
                b = Safetensors.read(split.resolve("epoch_2.safetensors")).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
        Map<String, RawTensor> sa = Safetensors.read(straight.resolve("epoch_2.state.safetensors")).tensors(),
                sb = Safetensors.read(split.resolve("epoch_2.state.safetensors")).tensors();
        float mu = sa.get("mu.bbox_head.conv_cls.weight").toFloatArray()[0];
        assertTrue(mu < 1f, "ASGD averages by epoch 2: mu " + mu);
        for (String k : List.of("ax", "eta", "mu", "step"))
            assertArrayEquals(sa.get(k + ".bbox_head.conv_cls.weight").toFloatArray(), sb.get(k + ".bbox_head.conv_cls.weight").toFloatArray(),
                    0f, k);
    }
}
