package autoassign.nn;

import autoassign.backend.CheckedDeviceBackend;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BatchNorm with batch statistics allocates one activation-sized tensor in its forward beyond its input: the centred
 * values become the output in place, so the centred copy and the output are never live together (each a full
 * activation: a BN over the deep stem's 32 channels at 800×1216, batch 2, is 250 MB).
 */
class BatchNormTrainingMemoryTest {
    @Test
    void forwardPeakIsTheInputPlusOneActivation() {
        int[] shape = {2, 4, 32, 32};
        long bytes = 4L * 2 * 4 * 32 * 32;
        float[] x = new float[(int) (bytes / 4)];
        Random rng = new Random(5);
        for (int i = 0; i < x.length; i++) x[i] = (float) (3 + rng.nextGaussian());
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(96)) {
            BatchNorm2d bn = new BatchNorm2d(4, true);
            bn.to(dev.device());
            bn.useBatchStatistics(true);
            bn.train(true);
            try (MemoryScope ignored = MemoryScope.open()) {
                Tensor xt = Tensor.of(x, shape).to(dev.device()).setRequiresGrad(true);
                long before = dev.liveBytes();
                dev.resetPeakMemory();
                bn.forward(xt);
                long extra = dev.peakMemoryBytes() - before;
                assertTrue(extra < bytes * 3 / 2, "forward peak beyond its input: " + extra + " bytes for a " + bytes
                        + "-byte activation, " + dev.peakBreakdown());
            }
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }
}
