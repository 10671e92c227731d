package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.backend.DropoutMath;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dropout ({@link Dropout}, {@link Backend#dropout}, {@link DropoutMath}): the counter-based draws against values of an
 * independent Python transcription of SplitMix64's finaliser (the same numbers the CUDA host test pins), the forward
 * and its gradient by finite differences for a fixed (p, seed) mask, torch's scale 1/(1 − p), the kept fraction,
 * NaN propagation, p = 0 as the identity, p outside [0, 1) refused.
 */
class DropoutGradCheckTest {
    @Test
    void bitsMatchAnIndependentTranscription() {
        long[] seeds = {0L, 12345L, -7L};
        int[][] want = {{14819496, 7239838, 443485, 16288696, 13506518}, {2232706, 3436252, 2005591, 2954766, 13308621},
                {7085592, 8030196, 15216959, 2674358, 15920994}};
        long[] at = {0, 1, 2, 3, 1_000_000};
        for (int s = 0; s < 3; s++)
            for (int k = 0; k < 5; k++) assertEquals(want[s][k], DropoutMath.bits(seeds[s], at[k]), "seed " + seeds[s] + " i " + at[k]);
    }

    static double[] ref(double[] x, double p, long seed) {
        int thr = DropoutMath.threshold(p);
        double scale = DropoutMath.scale(p);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = DropoutMath.bits(seed, i) >= thr ? x[i] * scale : 0;
        return y;
    }

    @Test
    void forwardAndFiniteDifferencesWithAFixedMask() {
        Random r = new Random(5);
        for (double p : new double[] {0.1, 0.5, 0.9}) {
            long seed = 1000 + (long) (p * 10);
            check("dropout p " + p, in -> Dropout.apply(in[0], p, seed), d -> ref(d[0], p, seed),
                    leaf(uniform(r, 2 * 3 * 5 * 7), 2, 3, 5, 7));
        }
    }

    @Test
    void torchScaleKeptFractionAndNaN() {
        assertEquals(1f / 0.9f, DropoutMath.scale(0.1));
        assertEquals(2f, DropoutMath.scale(0.5));
        assertEquals(0, DropoutMath.threshold(0));
        assertEquals(1 << 23, DropoutMath.threshold(0.5));
        Backend be = Backends.cpu();
        int n = 200_000;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        ones[7] = Float.NaN;
        float[] y = be.dropout(Tensor.of(ones, n), 0.25, 99).data();
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (i == 7) { assertTrue(Float.isNaN(y[i])); continue; }
            if (y[i] != 0) { kept++; assertEquals(1f / 0.75f, y[i]); }
        }
        double frac = kept / (double) (n - 1), sd = Math.sqrt(0.25 * 0.75 / n);
        assertTrue(Math.abs(frac - 0.75) < 5 * sd, "kept fraction " + frac);
        // another seed, another mask; the same seed, the same mask
        assertTrue(!java.util.Arrays.equals(y, be.dropout(Tensor.of(ones, n), 0.25, 100).data()));
        assertTrue(java.util.Arrays.equals(y, be.dropout(Tensor.of(ones, n), 0.25, 99).data()));
    }

    @Test
    void zeroIsTheIdentityAndBadRatesAreRefused() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        assertSame(x, Dropout.apply(x, 0, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.cpu().dropout(x, 1.0, 1));
        assertTrue(e.getMessage().startsWith("dropout:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.cpu().dropout(x, -0.1, 1));
    }
}
