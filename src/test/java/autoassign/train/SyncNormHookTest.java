package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import autoassign.train.dist.InProcessCommunicator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMDetection's SyncNormHook: before a validation the workers average their BatchNorm running statistics. */
class SyncNormHookTest {
    @TempDir Path tmp;

    private Config bnConfig(String... more) throws Exception {
        TinyTrainConfig.write(tmp);
        List<String> o = new java.util.ArrayList<>(List.of("model.backbone.norm_cfg={_delete_: true, type: BN, requires_grad: true}",
                "model.backbone.norm_eval=false"));
        o.addAll(List.of(more));
        return ConfigLoader.load(tmp.resolve("tiny_test.yaml"), o);
    }

    @Test
    void theConfigReadsTheHook() throws Exception {
        assertTrue(bnConfig("custom_hooks=[{type: SyncNormHook, priority: 48}]").runtime().syncNorm());
        assertFalse(bnConfig().runtime().syncNorm());
    }

    @Test
    void everyWorkerEndsWithTheMeanOfTheRunningStatisticsAndTheSameWeights() throws Exception {
        Config cfg = bnConfig();
        AutoAssignDetector[] models = {new AutoAssignDetector(cfg.model(), 0), new AutoAssignDetector(cfg.model(), 0)};
        String mean = "backbone.layer2.0.bn1.running_mean", var = "backbone.layer3.0.downsample.1.running_var",
                weight = "backbone.layer2.0.bn1.weight";
        for (int r = 0; r < 2; r++) { // what per-worker batch statistics leave behind: different values on each worker
            for (String k : List.of(mean, var)) {
                Tensor t = models[r].stateDict().get(k);
                float[] v = new float[t.numel()];
                for (int i = 0; i < v.length; i++) v[i] = 1f + r * 2f + i * 0.5f;
                t.copyFrom(Tensor.of(v, v.length));
            }
        }
        float[] w0 = models[0].stateDict().get(weight).toFloatArray();
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofSeconds(30));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> a = pool.submit(() -> { Trainer.averageNormStatistics(models[0], comms.get(0)); return null; });
            Future<?> b = pool.submit(() -> { Trainer.averageNormStatistics(models[1], comms.get(1)); return null; });
            a.get();
            b.get();
        } finally {
            pool.shutdownNow();
            comms.forEach(InProcessCommunicator::close);
        }
        for (String k : List.of(mean, var)) {
            float[] x = models[0].stateDict().get(k).toFloatArray(), y = models[1].stateDict().get(k).toFloatArray();
            assertArrayEquals(x, y, k + ": the same on both workers");
            for (int i = 0; i < x.length; i++) assertEquals(2f + i * 0.5f, x[i], 1e-6f, k + ": the mean");
        }
        Map<String, Tensor> sd = models[0].stateDict();
        assertArrayEquals(w0, sd.get(weight).toFloatArray(), "weights are left alone");
    }
}
