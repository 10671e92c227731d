package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.config.NormConfig;
import autoassign.nn.BatchNorm2d;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import autoassign.train.dist.InProcessCommunicator;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The split attention's {@code bn1} sees one value per image. torch's {@code SyncBatchNorm} (MMDetection's SyncBN in
 * distributed training) refuses only a whole group of one value, so two workers of one image each train as one
 * process of both images; without SyncBN one image is refused (torch's {@code F.batch_norm}: "Expected more than 1
 * value per channel when training").
 */
class SplitAttentionSyncBnTest {
    private static final NormConfig SYNC_BN = new NormConfig("SyncBN", 0, true, 1e-5);
    private static final int[] ONE = {1, 8, 5, 6};

    @Test
    void twoWorkersOfOneImageEachMatchOneProcessOfBoth() throws Exception {
        Random rng = new Random(3);
        float[] x = new float[2 * 8 * 5 * 6], g = new float[2 * 8 * 5 * 6];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
            g[i] = (float) rng.nextGaussian();
        }
        float[][] want = run(module(null), x, g, new int[] {2, 8, 5, 6}); // {y, dx}
        int half = x.length / 2;
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofSeconds(30));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<float[][]>> got = new java.util.ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                got.add(pool.submit(() -> {
                    SplitAttentionConv2d m = module(comms.get(rank)::allReduceSum); // the same weights
                    return run(m, Arrays.copyOfRange(x, rank * half, (rank + 1) * half),
                            Arrays.copyOfRange(g, rank * half, (rank + 1) * half), ONE);
                }));
            }
            for (int r = 0; r < 2; r++) {
                float[][] w = got.get(r).get();
                close(Arrays.copyOfRange(want[0], r * half, (r + 1) * half), w[0], "output of worker " + r);
                close(Arrays.copyOfRange(want[1], r * half, (r + 1) * half), w[1], "input gradient of worker " + r);
            }
        } finally {
            pool.shutdownNow();
            comms.forEach(InProcessCommunicator::close);
        }
    }

    @Test
    void oneImageWithoutSyncIsRefused() {
        SplitAttentionConv2d m = module(null);
        Tensor x = Tensor.zeros(ONE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.forward(x));
        assertTrue(e.getMessage().contains("more than 1"), e.getMessage());
    }

    /** A radix-2 split attention (8 → 8 channels, inter 32) in train mode with batch statistics, its weights seeded. */
    private static SplitAttentionConv2d module(java.util.function.UnaryOperator<double[]> allReduceSum) {
        SplitAttentionConv2d m = new SplitAttentionConv2d(8, 8, 1, 1, 1, 2, 4, SYNC_BN);
        Random rng = new Random(11);
        for (Tensor t : m.namedParameters().values()) {
            float[] v = new float[(int) t.numel()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (t.rank() == 1 ? 1 + 0.3 * rng.nextGaussian() : 0.3 * rng.nextGaussian());
            t.copyFrom(Tensor.of(v, t.shape()));
        }
        Norms.forEachBatchNorm(m, bn -> {
            bn.useBatchStatistics(true);
            if (allReduceSum != null) bn.syncBatchStatistics(allReduceSum);
        });
        m.train(true);
        return m;
    }

    private static float[][] run(SplitAttentionConv2d m, float[] x, float[] g, int[] shape) {
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor xt = Tensor.of(x, shape).setRequiresGrad(true);
            Tensor y = m.forward(xt);
            Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(g, y.shape())});
            float[][] out = {y.toFloatArray(), xt.grad().toFloatArray()};
            BatchNorm2d bn1 = (BatchNorm2d) m.bn1;
            assertEquals(1f, bn1.numBatchesTracked.toFloatArray()[0], "bn1 updated its running statistics once");
            return out;
        }
    }

    private static void close(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[i], 1e-4 * scale, what + " [" + i + "]");
    }
}
