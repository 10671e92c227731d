package autoassign.model;

import autoassign.config.SwinConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Swin's dropout as upstream places it: {@code drop_after_pos} (drop_rate), per block WindowMSA's {@code attn_drop}
 * (attn_drop_rate, on the softmax) and {@code proj_drop} (drop_rate), the FFN's two {@code Dropout(ffn_drop)}
 * (drop_rate); identity in eval mode and without a generator; one seed per dropout call in forward order (counted);
 * frozen stages (eval mode, as upstream's _freeze_stages) and a frozen patch embed's {@code drop_after_pos} draw
 * nothing; the same generator seed gives the same forward. And use_abs_pos_embed's grid check.
 */
class SwinDropoutTest {
    /** Counts nextLong calls (the dropout seeds); drop path draws floats. */
    static final class CountingRandom extends Random {
        int longs;

        CountingRandom(long seed) { super(seed); }

        @Override public long nextLong() {
            longs++;
            return super.nextLong();
        }
    }

    private static SwinConfig base(int frozen) {
        return new SwinConfig(8, 4, 3, 2, List.of(2, 3), List.of(1, 2), List.of(4, 2), List.of(0, 1), true, null, true, 0.0,
                false, false, frozen, null);
    }

    private static Tensor image(int h, int w) {
        Random r = new Random(2);
        float[] v = new float[2 * 3 * h * w];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() * 2 - 1;
        return Tensor.of(v, 2, 3, h, w);
    }

    private static SwinTransformer withWeightsOf(SwinConfig c, SwinTransformer src) {
        SwinTransformer m = new SwinTransformer(c);
        Map<String, Tensor> sd = src.stateDict();
        m.stateDict().forEach((k, t) -> t.copyFrom(sd.get(k)));
        return m;
    }

    private static float[] out(SwinTransformer m, Tensor x) {
        List<Tensor> o = m.forward(x);
        float[] a = o.get(0).toFloatArray(), b = o.get(1).toFloatArray(), r = new float[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void identityInEvalModeAndWithoutAGenerator() {
        SwinTransformer plain = new SwinTransformer(base(-1));
        plain.initWeights(new Random(1));
        SwinTransformer drop = withWeightsOf(base(-1).withDropout(0.3, 0.2), plain);
        Tensor x = image(29, 35);
        float[] want = out(plain, x);
        assertArrayEquals(want, out(drop, x), "eval mode");
        drop.train(true);
        assertArrayEquals(want, out(drop, x), "train mode without a generator");
        drop.setTrainingRandom(new Random(7));
        float[] a = out(drop, x);
        assertFalse(java.util.Arrays.equals(want, a), "train mode with a generator drops");
        drop.setTrainingRandom(new Random(7));
        assertArrayEquals(a, out(drop, x), "the same seed, the same masks");
        drop.setTrainingRandom(new Random(8));
        assertFalse(java.util.Arrays.equals(a, out(drop, x)));
    }

    @Test
    void oneSeedPerDropoutLayerAsUpstreamPlacesThem() {
        Tensor x = image(29, 35);
        int blocks = 2 + 3;
        int[][] cases = { // drop_rate, attn_drop_rate (x10), frozen_stages, expected seeds
                {1, 2, -1, 1 + 4 * blocks},    // drop_after_pos; attn_drop, proj_drop, 2 FFN dropouts per block
                {1, 0, -1, 1 + 3 * blocks},    // attn_drop_rate 0: no attn_drop
                {0, 2, -1, blocks},            // drop_rate 0: attn_drop only
                {1, 2, 0, 4 * blocks},         // frozen_stages 0: drop_after_pos in eval mode
                {1, 2, 1, 4 * 3},              // frozen_stages 1: stage 0's two blocks too
        };
        for (int[] c : cases) {
            SwinTransformer m = new SwinTransformer(base(c[2]).withDropout(c[0] / 10.0, c[1] / 10.0));
            m.initWeights(new Random(1));
            m.train(true);
            CountingRandom r = new CountingRandom(3);
            m.setTrainingRandom(r);
            m.forward(x);
            assertEquals(c[3], r.longs, java.util.Arrays.toString(c));
        }
    }

    @Test
    void absolutePositionEmbeddingNeedsItsPatchGrid() {
        SwinTransformer m = new SwinTransformer(base(-1).withAbsPosEmbed(32, 40));
        m.initWeights(new Random(1));
        assertArrayEquals(new int[] {1, 80, 8}, m.absolutePosEmbed.shape());
        float[] v = m.absolutePosEmbed.toFloatArray();
        double ss = 0;
        for (float f : v) ss += f * f;
        assertEquals(0.02, Math.sqrt(ss / v.length), 0.006, "trunc_normal_(std=0.02)");
        assertEquals(2, m.forward(image(29, 37)).size(), "29x37 pads to 32x40: 8x10 patches");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.forward(image(32, 32)));
        assertTrue(e.getMessage().contains("absolute_pos_embed of 80 tokens") && e.getMessage().contains("8x8 patches"), e.getMessage());
        SwinTransformer frozen = new SwinTransformer(base(0).withAbsPosEmbed(32, 40));
        assertFalse(frozen.absolutePosEmbed.requiresGrad(), "frozen_stages >= 0 freezes absolute_pos_embed");
    }
}
