package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.backend.ConvParams;
import autoassign.model.ChannelAttention;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.leaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CSPNeXt's ChannelAttention: torch's {@code nn.Hardsigmoid} ({@link F#hardsigmoid}) against a double reference and
 * by finite differences away from the kinks at ±3, torch's values at the kinks and for NaN, and the whole gate
 * (adaptive average pool, 1×1 conv with bias, Hardsigmoid, {@code x * out}) by finite differences in x, the conv's
 * weight and its bias.
 */
class HardSigmoidGradCheckTest {
    private static double hs(double v) { return Math.min(Math.max(v + 3, 0), 6) / 6; }

    private static double[] refHardsigmoid(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = hs(x[i]);
        return y;
    }

    /** Values in [-5, 5) at least 0.05 from the kinks at ±3 (central differences must not straddle one). */
    private static float[] awayFromKinks(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            float v;
            do v = r.nextFloat() * 10 - 5; while (Math.abs(Math.abs(v) - 3) < 0.05f);
            a[i] = v;
        }
        return a;
    }

    @Test
    void hardsigmoidMatchesReferenceAndFiniteDifferences() {
        Random r = new Random(21);
        check("hardsigmoid", in -> F.hardsigmoid(in[0]), d -> refHardsigmoid(d[0]), leaf(awayFromKinks(r, 2 * 3 * 4 * 5), 2, 3, 4, 5));
        check("hardsigmoid [N, C, 1, 1]", in -> F.hardsigmoid(in[0]), d -> refHardsigmoid(d[0]), leaf(awayFromKinks(r, 12), 3, 4, 1, 1));
    }

    /** torch 1.13: hardsigmoid([-3, 3, nan, -4, 0.5]) = [0, 1, nan, 0, 0.58333]; its backward is 0 at ±3, NaN and outside, g/6 inside. */
    @Test
    void kinksAndNanAsTorch() {
        Tensor x = leaf(new float[] {-3f, 3f, Float.NaN, -4f, 0.5f, 2.9999998f, -0f}, 7);
        Graph.clear();
        Tensor y = F.hardsigmoid(x);
        float[] v = y.data();
        assertEquals(0f, v[0]);
        assertEquals(1f, v[1]);
        assertTrue(Float.isNaN(v[2]));
        assertEquals(0f, v[3]);
        assertEquals(3.5f / 6f, v[4]);
        assertEquals(0.5f, v[6]);
        float[] seed = {0.7f, 0.7f, 0.7f, 0.7f, 0.7f, 0.7f, 1.3f};
        Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(seed, 7)});
        float sixth = 1f / 6f;
        assertArrayEquals(new float[] {0, 0, 0, 0, 0.7f * sixth, 0.7f * sixth, 1.3f * sixth}, x.grad().data());
    }

    @Test
    void backwardChecksShapes() {
        Backend be = Backends.cpu();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> be.hardsigmoidBackward(Tensor.of(new float[] {1, 2}, 2), Tensor.of(new float[] {1, 2, 3}, 3)));
        assertTrue(e.getMessage().contains("hardsigmoidBackward"), e.getMessage());
    }

    /** y[n, c] = x[n, c] · hs(Σ_k W[c, k] · mean(x[n, k]) + b[c]). */
    private static double[] refAttention(double[] x, double[] w, double[] b, int n, int c, int hw) {
        double[] y = new double[x.length];
        for (int s = 0; s < n; s++) {
            double[] m = new double[c];
            for (int k = 0; k < c; k++) {
                double sum = 0;
                for (int j = 0; j < hw; j++) sum += x[(s * c + k) * hw + j];
                m[k] = sum / hw;
            }
            for (int o = 0; o < c; o++) {
                double z = b[o];
                for (int k = 0; k < c; k++) z += w[o * c + k] * m[k];
                double a = hs(z);
                for (int j = 0; j < hw; j++) y[(s * c + o) * hw + j] = x[(s * c + o) * hw + j] * a;
            }
        }
        return y;
    }

    @Test
    void channelAttentionGateByFiniteDifferences() {
        Random r = new Random(22);
        int n = 2, c = 5, h = 3, w = 4;
        float[] x = new float[n * c * h * w], wt = new float[c * c], b = new float[c];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 4 - 2;
        for (int i = 0; i < wt.length; i++) wt[i] = r.nextFloat() * 4 - 2;
        // biases put some gates in the flat parts (|z| > 3: no gradient to W, b there) and keep others inside
        for (int i = 0; i < b.length; i++) b[i] = new float[] {-4.5f, 0.3f, 4.2f, -1f, 1.5f}[i];
        check("channel attention", in -> {
            Tensor z = F.conv2d(SpatialMean.of(in[0]), in[1], in[2], ConvParams.of(1, 0));
            return F.rowScale(in[0], F.hardsigmoid(z));
        }, d -> refAttention(d[0], d[1], d[2], n, c, h * w), leaf(x, n, c, h, w), leaf(wt, c, c, 1, 1), leaf(b, c));
    }

    @Test
    void moduleHasUpstreamsNamesAndComputesTheGate() {
        ChannelAttention a = new ChannelAttention(3);
        assertEquals(java.util.List.of("fc.weight", "fc.bias"), java.util.List.copyOf(a.namedParameters().keySet()));
        assertArrayEquals(new int[] {3, 3, 1, 1}, a.fc.weight.shape());
        a.fc.weight.data()[0] = 1f; // gate 0 = hs(mean(x0) + 0) with the other weights 0 and bias 0
        a.fc.bias.data()[1] = 6f;   // gate 1 = hs(6) = 1
        a.fc.bias.data()[2] = -6f;  // gate 2 = hs(-6) = 0
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 3, 1, 2);
        try (Graph.Scope g = Graph.noGrad()) {
            float[] y = a.forward(x).data();
            float g0 = (float) hs(1.5);
            assertArrayEquals(new float[] {1 * g0, 2 * g0, 3, 4, 0, 0}, y, 1e-6f);
        }
    }
}
