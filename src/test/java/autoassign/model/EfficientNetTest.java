package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.config.ActivationConfig;
import autoassign.config.EfficientNetConfig;
import autoassign.config.NormConfig;
import autoassign.nn.BatchNorm2d;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EfficientNet's pieces beyond the goldens: Conv2dAdaptivePadding's pads, drop path under the engine's seeded generator
 * (as Swin's), frozen stages and norm_eval, and upstream's Kaiming / Constant init.
 */
class EfficientNetTest {
    static EfficientNetConfig b0(double dropPath, int frozen, boolean normEval, List<Integer> outs) {
        return new EfficientNetConfig("b0", dropPath, outs, frozen, true, EfficientNetConfig.DEFAULT_NORM,
                ActivationConfig.SWISH_DEFAULT, normEval, false, null, null);
    }

    @Test
    void adaptivePaddingIsTensorflowsSame() {
        assertArrayEquals(new int[] {0, 1}, AdaptivePadding.pads(224, 3, 2, 1), "even size, 3x3/2: one after");
        assertArrayEquals(new int[] {1, 1}, AdaptivePadding.pads(225, 3, 2, 1));
        assertArrayEquals(new int[] {1, 2}, AdaptivePadding.pads(16, 5, 2, 1));
        assertArrayEquals(new int[] {2, 2}, AdaptivePadding.pads(15, 5, 2, 1));
        assertArrayEquals(new int[] {2, 2}, AdaptivePadding.pads(16, 5, 1, 1), "stride 1: k - 1, even");
        assertArrayEquals(new int[] {0, 0}, AdaptivePadding.pads(16, 1, 2, 1), "1x1/2 on an even size: max(-1, 0)");
        // the plan's symmetric conv with the shifted kernel equals the conv of the explicitly padded input
        Random r = new Random(3);
        float[] xv = new float[2 * 4 * 6 * 7], wv = new float[4 * 1 * 5 * 5];
        for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
        for (int i = 0; i < wv.length; i++) wv[i] = (float) r.nextGaussian();
        Tensor x = Tensor.of(xv, 2, 4, 6, 7), w = Tensor.of(wv, 4, 1, 5, 5);
        try (Graph.Scope g = Graph.noGrad()) {
            AdaptivePadding.Plan p = AdaptivePadding.plan(w, 6, 7, 2, 4);
            assertArrayEquals(new int[] {4, 1, 6, 5}, p.weight().shape(), "6 rows pad (1, 2): a zero row in front; 7 columns (2, 2)");
            Tensor got = x.backend().conv2d(x, p.weight(), null, p.params());
            int[] ph = AdaptivePadding.pads(6, 5, 2, 1), pw = AdaptivePadding.pads(7, 5, 2, 1);
            int hp = 6 + ph[0] + ph[1], wp = 7 + pw[0] + pw[1];
            float[] padded = new float[2 * 4 * hp * wp];
            for (int nc = 0; nc < 8; nc++)
                for (int y = 0; y < 6; y++)
                    for (int xx = 0; xx < 7; xx++) padded[(nc * hp + y + ph[0]) * wp + xx + pw[0]] = xv[(nc * 6 + y) * 7 + xx];
            Tensor want = x.backend().conv2d(Tensor.of(padded, 2, 4, hp, wp), w, null,
                    new autoassign.backend.ConvParams(2, 2, 0, 0, 1, 1, 4));
            assertArrayEquals(want.shape(), got.shape());
            float[] a = want.toFloatArray(), b = got.toFloatArray();
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5, "element " + i);
        }
    }

    private static List<float[]> run(EfficientNet m, Tensor x) {
        List<float[]> out = new ArrayList<>();
        try (Graph.Scope g = Graph.noGrad()) {
            for (Tensor t : m.forward(x)) out.add(t.toFloatArray());
        }
        return out;
    }

    @Test
    void dropPathDrawsFromTheTrainingGenerator() {
        EfficientNet m = new EfficientNet(b0(0.5, 0, false, List.of(2, 3)));
        m.initWeights(new Random(1));
        EfficientNet plain = new EfficientNet(b0(0, 0, false, List.of(2, 3)));
        plain.loadStateDict(m.stateDict(), true);
        Tensor x = DetectorShapeTest.randomImage(4, 32, 40, 2);
        m.train(true);
        plain.train(true);
        List<float[]> none = run(m, x), base = run(plain, x);
        for (int i = 0; i < none.size(); i++) assertArrayEquals(base.get(i), none.get(i), "no generator: the identity");
        m.setTrainingRandom(new Random(7));
        List<float[]> a = run(m, x);
        m.setTrainingRandom(new Random(7));
        List<float[]> b = run(m, x);
        m.setTrainingRandom(new Random(8));
        List<float[]> c = run(m, x);
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i), "same seed, same draws");
        assertFalse(Arrays.equals(a.get(1), c.get(1)), "another seed drops other samples");
        assertFalse(Arrays.equals(a.get(1), base.get(1)), "drop path acts in train mode");
        m.train(false);
        plain.loadStateDict(m.stateDict(), true); // the same running statistics
        plain.train(false);
        List<float[]> e = run(m, x), f = run(plain, x);
        for (int i = 0; i < e.size(); i++) assertArrayEquals(f.get(i), e.get(i), "eval mode: the identity");
    }

    @Test
    void frozenStagesAndNormEval() {
        EfficientNet m = new EfficientNet(b0(0, 2, false, List.of(3, 4, 5)));
        m.namedParameters().forEach((k, t) -> assertEquals(!(k.startsWith("layers.0.") || k.startsWith("layers.1.")), t.requiresGrad(), k));
        m.train(true);
        for (int i = 0; i < m.layers.size(); i++) {
            int layer = i;
            Norms.forEachBatchNorm(m.layers.get(i), bn -> assertEquals(layer >= 2, bn.normalisesWithBatchStatistics(), "layers." + layer));
        }
        EfficientNet e = new EfficientNet(b0(0, 0, true, List.of(3, 4, 5)));
        e.train(true);
        Norms.forEachBatchNorm(e, bn -> assertFalse(bn.normalisesWithBatchStatistics(), "norm_eval: running statistics"));
        assertTrue(e.namedParameters().values().stream().allMatch(Tensor::requiresGrad), "frozen_stages 0 freezes nothing");
        assertEquals(4, new EfficientNet(b0(0, 0, false, List.of(3))).layers.size(), "layers 0..3 only");
    }

    @Test
    void initIsKaimingFanOutAndConstantNorms() {
        EfficientNet m = new EfficientNet(b0(0, 0, false, List.of(6)));
        m.initWeights(new Random(5));
        float[] w = m.namedParameters().get("layers.6.conv.weight").toFloatArray(); // [1280, 320, 1, 1]: fan_out 1280
        double ss = 0;
        for (float v : w) ss += v * v;
        assertEquals(Math.sqrt(2.0 / 1280), Math.sqrt(ss / w.length), 0.02 * Math.sqrt(2.0 / 1280));
        for (float v : m.namedParameters().get("layers.1.0.se.conv1.conv.bias").toFloatArray()) assertEquals(0f, v);
        for (float v : m.namedParameters().get("layers.2.0.expand_conv.bn.weight").toFloatArray()) assertEquals(1f, v);
        BatchNorm2d bn = (BatchNorm2d) ((AdaptiveConvModule) m.layers.get(0)).norm;
        assertEquals(1e-3f, bn.eps());
        assertEquals(NormConfig.class, m.config().normCfg().getClass());
    }
}
