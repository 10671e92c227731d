package autoassign.train;

import autoassign.backend.cpu.HostArrays;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU backend's recycled op outputs ({@link HostArrays}): reuse, loud use-after-release, identical training. */
class HostArrayPoolTest {
    @AfterEach
    void restore() {
        HostArrays.setEnabled(true);
        HostArrays.setPoison(false);
    }

    @Test
    void anArrayComesBackAfterItsScopeAndItsOldTensorFailsLoudly() {
        HostArrays.setEnabled(true);
        Tensor a, b;
        float[] first;
        try (MemoryScope ignored = MemoryScope.open()) {
            a = HostArrays.empty(1, 4, 128, 256);
            first = a.data();
            assertNotNull(a.storageBuffer(), "pooled inside a scope");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, a::data);
        assertTrue(e.getMessage().contains("released"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> a.view(4, 128 * 256));
        try (MemoryScope ignored = MemoryScope.open()) {
            b = HostArrays.empty(2, 2, 128, 256); // same length, another shape
            assertSame(first, b.data());
            Tensor kept = HostArrays.empty(1, 4, 128, 256).keep();
            kept.data()[0] = 1f;
            b = kept;
        }
        assertEquals(1f, b.data()[0], "kept tensors survive their scope");
        Tensor small = HostArrays.empty(4, 4), outside = HostArrays.empty(1, 4, 128, 256);
        assertEquals(null, small.storageBuffer(), "small arrays are plain");
        assertEquals(null, outside.storageBuffer(), "no scope: plain");
    }

    @Test
    void zerosAreZeroEvenFromADirtyArray() {
        HostArrays.setEnabled(true);
        HostArrays.setPoison(true);
        try (MemoryScope ignored = MemoryScope.open()) { HostArrays.empty(1, 1, 300, 300); }
        try (MemoryScope ignored = MemoryScope.open()) {
            for (float v : HostArrays.zeros(1, 1, 300, 300).data()) assertEquals(0f, v);
        }
    }

    /**
     * Training steps of the tiny model with recycled, NaN-poisoned arrays give bit for bit the losses and weights of
     * the same steps with plain arrays: no op reads its output before writing it, and nothing the backward frees
     * early (or a scope frees) is read afterwards.
     */
    @Test
    void trainingStepsAreIdenticalWithRecycledPoisonedArrays() {
        Config cfg = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of());
        Batch batch = StepBenchmark.randomBatch(2, 128, 160, cfg.model().bboxHead().numClasses(), 3);
        HostArrays.setEnabled(false);
        Run plain = steps(cfg, batch);
        HostArrays.setEnabled(true);
        HostArrays.setPoison(true);
        long reusedBefore = HostArrays.counts()[0];
        Run pooled = steps(cfg, batch);
        assertTrue(HostArrays.counts()[0] > reusedBefore, "arrays were reused");
        assertArrayEquals(plain.losses, pooled.losses);
        for (Map.Entry<String, Tensor> e : plain.weights.entrySet())
            assertArrayEquals(e.getValue().data(), pooled.weights.get(e.getKey()).data(), e.getKey());
        HostArrays.setPoison(false);
    }

    private record Run(double[] losses, Map<String, Tensor> weights) {}

    private static Run steps(Config cfg, Batch batch) {
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        Sgd sgd = new Sgd(OptimizerGroups.of(model, new autoassign.config.OptimConfig(0.01, 0.9, 1e-4, false, 0, 0)), 0.9f);
        double[] losses = new double[3];
        for (int i = 0; i < losses.length; i++) {
            Trainer.StepLosses l = Trainer.step(model, sgd, batch, Device.CPU, 0.01f);
            assertEquals(null, l.badTerm());
            losses[i] = l.total();
        }
        return new Run(losses, model.stateDict());
    }
}
