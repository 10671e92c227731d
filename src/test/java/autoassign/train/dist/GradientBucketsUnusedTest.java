package autoassign.train.dist;

import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Tensors without a gradient on some or all workers (DDP with {@code find_unused_parameters=True}): used somewhere,
 * they receive the average (zeros from the workers that did not use them); used nowhere, they keep no gradient, so
 * the optimizer skips them instead of applying weight decay and momentum to a zero gradient.
 */
class GradientBucketsUnusedTest {
    @Test
    void aTensorNoWorkerUsedKeepsNoGradientAndOneUsedByOneWorkerIsAveraged() throws Exception {
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofSeconds(20));
        List<Tensor[]> res = InProcessCommunicatorTest.onRanks(comms, r -> () -> {
            Tensor usedEverywhere = Tensor.of(new float[2], 2), usedByRank1 = Tensor.of(new float[3], 3),
                    usedNowhere = Tensor.of(new float[1], 1);
            // 8-byte buckets: each tensor in its own, and the unused one in a bucket shared with nothing else
            GradientBuckets buckets = new GradientBuckets(comms.get(r), List.of(usedEverywhere, usedByRank1, usedNowhere), 8);
            for (int step = 0; step < 2; step++) { // the flags are per step: a second step starts clean
                usedEverywhere.setGrad(Tensor.of(new float[] {r + 1, 2 * (r + 1)}, 2));
                usedByRank1.setGrad(r == 1 ? Tensor.of(new float[] {4, 6, 8}, 3) : null);
                usedNowhere.setGrad(null);
                buckets.beginStep();
                buckets.onGradReady(usedEverywhere);
                if (r == 1) buckets.onGradReady(usedByRank1);
                buckets.finish();
            }
            return new Tensor[] {usedEverywhere.grad(), usedByRank1.grad(), usedNowhere.grad()};
        });
        for (Tensor[] g : res) {
            assertArrayEquals(new float[] {1.5f, 3f}, g[0].data());
            assertArrayEquals(new float[] {2f, 3f, 4f}, g[1].data());
            assertNull(g[2]);
        }
    }
}
