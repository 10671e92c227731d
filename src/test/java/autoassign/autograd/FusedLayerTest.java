package autoassign.autograd;

import autoassign.backend.Backends;
import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused layers ({@link F#convAffineAct}, {@link F#groupNormAct}) give exactly the values and gradients of the
 * unfused ops they replace (conv2d → channelAffine → add → relu; groupNorm → relu), on the CPU bit for bit
 * (up to the sign of zero), so that fusing changes memory and speed but no result.
 */
class FusedLayerTest {
    private final Random rnd = new Random(7);

    private Tensor leaf(int... shape) { return RefOps.random(rnd, shape).setRequiresGrad(true); }

    private static float[][] grads(Tensor... ts) {
        float[][] g = new float[ts.length][];
        for (int i = 0; i < ts.length; i++) g[i] = ts[i] == null || ts[i].grad() == null ? null : ts[i].grad().data().clone();
        return g;
    }

    private static void clearGrads(Tensor... ts) { for (Tensor t : ts) if (t != null) t.setGrad(null); }

    private static void same(float[] want, float[] got, String what) {
        assertEquals(want == null, got == null, what);
        if (want != null) assertArrayEquals(want, got, 0f, what);
    }

    @Test
    void convAffineActEqualsTheUnfusedOps() {
        int[] xs = {2, 5, 9, 7}, ws = {6, 5, 3, 3};
        Tensor scale = RefOps.random(rnd, 6), shift = RefOps.random(rnd, 6);
        for (int variant = 0; variant < 8; variant++) {
            boolean relu = (variant & 1) != 0, withResidual = (variant & 2) != 0, withAffine = (variant & 4) != 0;
            Tensor x = leaf(xs), w = leaf(ws), b = leaf(6), res = withResidual ? leaf(2, 6, 9, 7) : null;
            Tensor sc = withAffine ? scale : null, sh = withAffine ? shift : null;
            Tensor seed = RefOps.random(rnd, 2, 6, 9, 7);

            Tensor y = F.conv2d(x, w, b, ConvParams.of(1, 1));
            if (withAffine) y = F.channelAffine(y, sc, sh);
            if (withResidual) y = F.add(y, res);
            if (relu) y = F.relu(y);
            float[] want = y.data().clone();
            Graph.backward(new Tensor[] {y}, new Tensor[] {seed});
            float[][] wantGrads = grads(x, w, b, res);
            clearGrads(x, w, b, res);

            Tensor z = F.convAffineAct(x, w, b, ConvParams.of(1, 1), sc, sh, res, relu);
            String what = "relu=" + relu + " residual=" + withResidual + " affine=" + withAffine;
            same(want, z.data(), "forward, " + what);
            Graph.backward(new Tensor[] {z}, new Tensor[] {seed});
            float[][] got = grads(x, w, b, res);
            String[] names = {"x", "w", "bias", "residual"};
            for (int i = 0; i < names.length; i++) same(wantGrads[i], got[i], "grad " + names[i] + ", " + what);
            assertEquals(0, Graph.size());
        }
    }

    @Test
    void groupNormActEqualsGroupNormThenRelu() {
        Tensor x = leaf(2, 8, 5, 6), g = leaf(8), b = leaf(8), seed = RefOps.random(rnd, 2, 8, 5, 6);
        Tensor y = F.relu(F.groupNorm(x, g, b, 4, 1e-5f));
        float[] want = y.data().clone();
        Graph.backward(new Tensor[] {y}, new Tensor[] {seed});
        float[][] wantGrads = grads(x, g, b);
        clearGrads(x, g, b);
        Tensor z = F.groupNormAct(x, g, b, 4, 1e-5f, true);
        same(want, z.data(), "forward");
        Graph.backward(new Tensor[] {z}, new Tensor[] {seed});
        float[][] got = grads(x, g, b);
        for (int i = 0; i < 3; i++) same(wantGrads[i], got[i], "grad " + i);
    }

    @Test
    void inPlaceTailPropagatesNaNAndMasksItsGradient() {
        var be = Backends.cpu();
        Tensor x = Tensor.of(new float[] {Float.NaN, -1f, 0f, 2f, -0f, 3f}, 1, 2, 1, 3);
        Tensor res = Tensor.of(new float[] {0f, 0.5f, 0f, -3f, 0f, 1f}, 1, 2, 1, 3);
        Tensor scale = Tensor.of(new float[] {2f, -1f}, 2), shift = Tensor.of(new float[] {1f, 0f}, 2);
        be.channelAffineActInPlace(x, scale, shift, res, true);
        // channel 0: NaN stays NaN, max(-1·2+1+0.5, 0) = 0, max(0·2+1, 0) = 1; channel 1: max(-2-3,0)=0, 0, max(-3+1,0)=0
        assertArrayEquals(new float[] {Float.NaN, 0f, 1f, 0f, 0f, 0f}, x.data(), 0f);
        Tensor g = Tensor.of(new float[] {1f, 1f, 1f, 1f, 1f, 1f}, 1, 2, 1, 3);
        // only y > 0 passes (NaN and 0 do not), times the channel's scale
        assertArrayEquals(new float[] {0f, 0f, 2f, 0f, 0f, 0f}, be.actAffineBackward(g, x, scale, true).data(), 0f);
        assertArrayEquals(new float[] {2f, 2f, 2f, -1f, -1f, -1f}, be.actAffineBackward(g, x, scale, false).data(), 0f);
        assertThrows(IllegalArgumentException.class, () -> be.channelAffineActInPlace(x, Tensor.of(new float[3], 3), null, null, false));
        assertThrows(IllegalArgumentException.class, () -> be.channelAffineActInPlace(x, null, null, Tensor.of(new float[6], 1, 6, 1, 1), false));
    }

    @Test
    void frozenInputsGetNoGradientAndInferenceRecordsNothing() {
        Tensor x = leaf(1, 3, 5, 5), w = RefOps.random(rnd, 4, 3, 1, 1), res = RefOps.random(rnd, 1, 4, 5, 5);
        Tensor y = F.convAffineAct(x, w, null, ConvParams.of(1, 0), null, null, res, true);
        Graph.backward(new Tensor[] {y}, new Tensor[] {RefOps.random(rnd, 1, 4, 5, 5)});
        assertTrue(x.grad() != null);
        assertNull(w.grad());
        assertNull(res.grad());
        try (Graph.Scope g = Graph.noGrad()) {
            F.convAffineAct(x, w, null, ConvParams.of(1, 0), null, null, res, true);
            assertEquals(0, Graph.size());
        }
    }
}
