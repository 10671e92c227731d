package autoassign.backend;

import autoassign.autograd.RefOps;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward results (against double references), shape edge cases and error messages of the non-conv CPU ops. */
class CpuOpsTest {
    private final Backend be = Backends.cpu();
    private final Random rnd = new Random(11);

    private Tensor rand(int... shape) { return RefOps.random(rnd, shape); }

    private static void assertClose(double[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": size");
        for (int i = 0; i < got.length; i++)
            if (Math.abs(want[i] - got[i]) > tol * Math.max(1, Math.abs(want[i])))
                throw new AssertionError(what + ": at " + i + " want " + want[i] + " got " + got[i]);
    }

    private static double[] d(Tensor t) { return RefOps.toDouble(t.data()); }

    @Test
    void elementwiseOnLargeTensorsUseAllChunks() {
        // sizes above the parallel threshold with an odd length, so chunk borders are exercised
        Tensor a = rand(3, 7, 61, 97), b = rand(3, 7, 61, 97);
        assertClose(RefOps.add(d(a), d(b)), be.add(a, b).data(), 1e-7, "add");
        assertClose(RefOps.mul(d(a), 0.37), be.mulScalar(a, 0.37f).data(), 1e-6, "mulScalar");
        assertClose(RefOps.clampMin(d(a), 0), be.clampMin(a, 0f).data(), 0, "clampMin");
        assertClose(RefOps.sigmoid(d(a)), be.sigmoid(a).data(), 1e-6, "sigmoid");
        assertClose(RefOps.sum(d(a)), be.sum(a).data(), 1e-6, "sum");
        Tensor acc = Tensor.of(a.data().clone(), a.shape());
        be.addInPlace(acc, b);
        assertClose(RefOps.add(d(a), d(b)), acc.data(), 1e-7, "addInPlace");
    }

    @Test
    void sigmoidSaturatesWithoutNaN() {
        float[] y = be.sigmoid(Tensor.of(new float[] {-1000f, -90f, 0f, 90f, 1000f}, 5)).data();
        assertArrayEquals(new float[] {0f, 0f, 0.5f, 1f, 1f}, y, 1e-30f);
        float[] g = be.sigmoidBackward(Tensor.of(new float[] {1, 1, 1, 1, 1}, 5), Tensor.of(y, 5)).data();
        for (float v : g) assertFalse(Float.isNaN(v));
    }

    @Test
    void clampBackwardPassesFromMinUp() {
        // PyTorch clamp(min) backward: gradient where x >= min (ReLU, via F.relu, is strict: x > 0)
        Tensor x = Tensor.of(new float[] {-1f, 0f, 0.5f, 2f}, 4);
        assertArrayEquals(new float[] {0f, 2f, 3f, 4f}, be.clampMinBackward(Tensor.of(new float[] {1, 2, 3, 4}, 4), x, 0f).data());
        assertArrayEquals(new float[] {0f, 0f, 3f, 4f}, be.clampMinBackward(Tensor.of(new float[] {1, 2, 3, 4}, 4), x, Float.MIN_VALUE).data());
    }

    @Test
    void maxPoolShapesAndValues() {
        int[][] shapes = {{2, 3, 7, 9}, {2, 2, 8, 8}, {1, 1, 1, 1}, {1, 2, 2, 3}, {2, 1, 200, 304}};
        for (int[] s : shapes) {
            Tensor x = rand(s);
            Tensor y = be.maxPool2d(x, 3, 2, 1);
            assertArrayEquals(new int[] {s[0], s[1], (s[2] - 1) / 2 + 1, (s[3] - 1) / 2 + 1}, y.shape());
            assertClose(RefOps.maxPool(d(x), s, 3, 2, 1), y.data(), 0, "maxPool " + java.util.Arrays.toString(s));
        }
    }

    @Test
    void maxPoolBackwardRoutesToFirstMaximumOnTies() {
        Tensor x = Tensor.of(new float[] {1, 1, 1, 1}, 1, 1, 2, 2);
        Tensor g = be.maxPool2dBackward(Tensor.of(new float[] {5}, 1, 1, 1, 1), x, 3, 2, 1);
        assertArrayEquals(new float[] {5, 0, 0, 0}, g.data()); // PyTorch keeps the first maximum in row-major order
    }

    @Test
    void upsampleMatchesPyTorchIndexRule() {
        int[][] cases = {{2, 3, 25, 38, 50, 76}, {1, 2, 13, 19, 25, 38}, {1, 1, 7, 10, 13, 19}, {2, 2, 1, 1, 3, 5}, {1, 1, 5, 7, 5, 7}};
        for (int[] c : cases) {
            int[] s = {c[0], c[1], c[2], c[3]};
            Tensor x = rand(s);
            Tensor y = be.upsampleNearest(x, c[4], c[5]);
            assertArrayEquals(new int[] {c[0], c[1], c[4], c[5]}, y.shape());
            assertClose(RefOps.upsampleNearest(d(x), s, c[4], c[5]), y.data(), 0, "upsample " + java.util.Arrays.toString(c));
        }
        // 13 → 25 (an FPN level pair at 800x1216 / 64 / 32): rows repeat by floor(i·13/25)
        assertEquals(0, RefOps.nearestSource(1, 13, 25));
        assertEquals(12, RefOps.nearestSource(24, 13, 25));
    }

    @Test
    void groupNormForward() {
        int[][] shapes = {{2, 8, 5, 7}, {2, 4, 1, 1}, {1, 6, 3, 3}};
        int[] groups = {4, 2, 6};
        for (int i = 0; i < shapes.length; i++) {
            int[] s = shapes[i];
            Tensor x = rand(s), g = rand(s[1]), b = rand(s[1]);
            Tensor[] r = be.groupNorm(x, g, b, groups[i], 1e-5f);
            assertArrayEquals(s, r[0].shape());
            assertArrayEquals(new int[] {s[0] * groups[i]}, r[1].shape());
            assertClose(RefOps.groupNorm(d(x), s, d(g), d(b), groups[i], 1e-5), r[0].data(), 2e-5, "groupNorm " + java.util.Arrays.toString(s));
        }
        // large offset: statistics must not lose precision (computed in double)
        Tensor x = rand(1, 2, 16, 16);
        float[] v = x.data();
        for (int i = 0; i < v.length; i++) v[i] = 1000f + v[i];
        assertClose(RefOps.groupNorm(d(x), x.shape(), null, null, 1, 1e-5), be.groupNorm(x, null, null, 1, 1e-5f)[0].data(), 1e-3, "offset");
    }

    @Test
    void channelAffineIsFrozenBatchNorm() {
        Tensor x = rand(2, 3, 4, 5);
        Tensor y = be.channelAffine(x, Tensor.of(new float[] {2, -1, 0.5f}, 3), null);
        double[] want = RefOps.batchNorm(d(x), x.shape(), new double[] {2, -1, 0.5}, new double[3], new double[3], new double[] {1, 1, 1}, 0);
        assertClose(want, y.data(), 1e-6, "channelAffine");
    }

    @Test
    void broadcastAndDot() {
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f}, be.broadcastScalar(Tensor.scalar(3f), 0.5f, 2, 3).data());
        assertEquals(32f, be.dot(Tensor.of(new float[] {1, 2, 3}, 3), Tensor.of(new float[] {4, 5, 6}, 3)).item());
    }

    private static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void badInputNamesOpAndShapes() {
        Tensor x = rand(2, 4, 5, 5);
        assertMessage(() -> be.add(x, rand(2, 4, 5, 4)), "add", "[2, 4, 5, 5]", "[2, 4, 5, 4]");
        assertMessage(() -> be.addInPlace(x, rand(3)), "addInPlace", "[3]");
        assertMessage(() -> be.dot(x, rand(3)), "dot", "[3]");
        assertMessage(() -> be.mulByTensorScalar(x, rand(2)), "mulByTensorScalar", "[2]");
        assertMessage(() -> be.clampMinBackward(rand(3), x, 0f), "clampMinBackward", "[3]", "[2, 4, 5, 5]");
        assertMessage(() -> be.sigmoidBackward(rand(3), x), "sigmoidBackward", "[3]");
        assertMessage(() -> be.channelAffine(x, rand(3), null), "channelAffine", "[2, 4, 5, 5]", "[3]");
        assertMessage(() -> be.channelAffine(rand(4, 5), rand(4), null), "channelAffine", "[4, 5]");
        assertMessage(() -> be.groupNorm(x, null, null, 3, 1e-5f), "groupNorm", "[2, 4, 5, 5]", "3 groups");
        assertMessage(() -> be.groupNorm(x, rand(3), rand(4), 2, 1e-5f), "groupNorm", "[3]", "[2, 4, 5, 5]");
        assertMessage(() -> be.groupNorm(x, rand(4), rand(5), 2, 1e-5f), "groupNorm", "[5]", "[2, 4, 5, 5]");
        assertMessage(() -> be.groupNorm(rand(4, 5), null, null, 1, 1e-5f), "groupNorm", "[4, 5]");
        assertMessage(() -> be.groupNormBackward(rand(2, 4, 5, 4), x, rand(4), rand(4), null, 2), "groupNormBackward", "[2, 4, 5, 4]");
        assertMessage(() -> be.groupNormBackward(x, x, rand(3), rand(3), null, 2), "groupNormBackward", "[3]");
        assertMessage(() -> be.maxPool2d(rand(4, 5), 3, 2, 1), "maxPool2d", "[4, 5]");
        assertMessage(() -> be.maxPool2d(x, 3, 2, 2), "maxPool2d", "pad=2", "[2, 4, 5, 5]");
        assertMessage(() -> be.maxPool2d(rand(1, 1, 1, 1), 3, 2, 0), "maxPool2d", "[1, 1, 1, 1]");
        assertMessage(() -> be.maxPool2dBackward(rand(2, 4, 2, 2), x, 3, 2, 1), "maxPool2dBackward", "[2, 4, 2, 2]", "[2, 4, 3, 3]");
        assertMessage(() -> be.upsampleNearest(x, -1, 4), "upsampleNearest", "-1x4", "[2, 4, 5, 5]");
        assertMessage(() -> be.upsampleNearest(rand(5, 5), 10, 10), "upsampleNearest", "[5, 5]");
        assertMessage(() -> be.upsampleNearestBackward(x, 0, 3), "upsampleNearestBackward", "0x3", "[2, 4, 5, 5]");
        assertMessage(() -> be.broadcastScalar(Tensor.scalar(1f), 1f, 2, -3), "broadcastScalar", "[2, -3]");
        assertMessage(() -> be.broadcastScalar(rand(2), 1f, 2), "broadcastScalar", "[2]");
        assertMessage(() -> Tensor.zeros(2, -1), "Tensor.zeros", "[2, -1]");
        assertMessage(() -> Tensor.of(new float[3], 2, 2), "Tensor.of", "[2, 2]");
        assertMessage(() -> x.view(3, 7), "view", "[2, 4, 5, 5]", "[3, 7]");
    }
}
