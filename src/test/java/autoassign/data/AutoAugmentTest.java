package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The random side of the AutoAugment family (the deterministic side is {@link AutoAugmentGoldenTest}): Python's
 * {@code round(x, 1)}, prob / level / reversal draws, AutoAugment's policy choice, RandAugment's distinct choices,
 * independent draws for the steps of a policy, boxes never dropped, 8-bit-only transforms on a float image.
 */
class AutoAugmentTest {
    private static final int N = 4000;

    private static TransformState state(Mat img, float[] boxes, float[] crowd) {
        return new TransformState(img, new ImageRecord(1, "x.png", img.cols(), img.rows(), boxes, new int[boxes.length / 4],
                crowd, new int[crowd.length / 4], true));
    }

    private static Mat grey(int type, double v) {
        try (Scalar s = new Scalar(v, v, v, 0)) {
            return new Mat(20, 30, type, s);
        }
    }

    @Test
    void levelToMagRoundsLikePython() {
        // values from Python 3: round(x, 1) rounds the exact binary value, ties to even
        double[][] pairs = {{0.25, 0.2}, {0.35, 0.3}, {0.05, 0.1}, {0.15, 0.1}, {0.45, 0.5}, {2.675, 2.7}, {1.25, 1.2},
                {76.85, 76.8}, {-0.25, -0.2}, {12.349999, 12.3}};
        for (double[] p : pairs) assertEquals(p[1], AugmentMagnitude.round1(p[0]), 0.0, "round(" + p[0] + ", 1)");
        assertEquals(76.8, AugmentMagnitude.ofLevel(3, 0, 256), 0.0);
        assertEquals(9.0, AugmentMagnitude.ofLevel(3, 0, 30), 0.0);
        assertEquals(1.9, AugmentMagnitude.ofLevel(10, 0.1, 1.9), 0.0);
    }

    @Test
    void probLevelAndReversalAreDrawnPerImage() {
        AugmentMagnitude drawn = new AugmentMagnitude(0.3, null, 0, 30);
        long salt = SampleDraws.GEOMETRIC_AUG;
        int applied = 0;
        Set<Double> mags = new HashSet<>();
        for (int i = 0; i < N; i++) {
            SampleDraws d = SampleDraws.of(7, 0, i);
            if (!drawn.disabled(d, salt, 6)) applied++;
            double m = drawn.magnitude(d, salt, 6);
            assertTrue(m >= 0 && m <= 30 && Math.abs(m * 10 - Math.rint(m * 10)) < 1e-9, "a magnitude of one decimal in range: " + m);
            mags.add(m);
        }
        assertEquals(0.3, applied / (double) N, 0.03, "applied with probability prob");
        assertTrue(mags.size() > 250, "levels drawn per image: " + mags.size() + " magnitudes");
        // prob 1 always applies, prob 0 (u > 0) never does
        for (int i = 0; i < 200; i++) {
            SampleDraws d = SampleDraws.of(7, 0, i);
            assertTrue(!new AugmentMagnitude(1, 5, 0, 1).disabled(d, salt, 0));
            assertTrue(new AugmentMagnitude(0, 5, 0, 1).disabled(d, salt, 0));
        }
    }

    @Test
    void rotationIsReversedAboutHalfTheTimeAndBoxesAreNeverDropped() {
        GeometricAugment rotate = GeometricAugment.defaults(GeometricAugment.Kind.ROTATE, 1.0, 10); // always 30 degrees
        float[] box = {2, 2, 8, 6}, crowd = {25, 14, 30, 20};
        int clockwise = 0;
        for (int i = 0; i < 400; i++) {
            try (Mat img = grey(CV_8UC3, 90); TransformState s = state(img, box, crowd)) {
                rotate.apply(s, SampleDraws.of(3, 1, i));
                assertEquals(4, s.boxes().length, "no box dropped");
                assertEquals(4, s.crowdBoxes().length, "no crowd box dropped");
                for (float v : s.crowdBoxes()) assertTrue(v >= 0 && v <= 30, "clipped to the image: " + Arrays.toString(s.crowdBoxes()));
                // a box in the top-left corner: rotated clockwise (positive mag) about the centre its top-left moves right
                if (s.boxes()[0] > box[0] + 1) clockwise++;
            }
        }
        assertEquals(0.5, clockwise / 400.0, 0.1, "reversal_prob 0.5");
    }

    @Test
    void autoAugmentChoosesPoliciesByTheirProbabilities() {
        AutoAugment v0 = AutoAugment.defaults();
        assertEquals(25, v0.policies().size());
        assertEquals(ColorAugment.defaults(ColorAugment.Kind.EQUALIZE, 0.8, 1), v0.policies().get(0).get(0));
        assertEquals(GeometricAugment.defaults(GeometricAugment.Kind.ROTATE, 0.4, 5), v0.policies().get(24).get(1));
        int[] counts = new int[25];
        for (int i = 0; i < N * 5; i++) counts[AutoAugment.choose(List.of(), 25, SampleDraws.of(1, 0, i).unit(SampleDraws.AUTO_AUGMENT, 0))]++;
        for (int c : counts) assertEquals(N * 5 / 25.0, c, 0.2 * N * 5 / 25.0, "uniform: " + Arrays.toString(counts));
        // NumPy's searchsorted(cdf, u, 'right'): zero-probability policies are never chosen
        List<Double> p = List.of(0.0, 0.25, 0.0, 0.75);
        int[] byP = new int[4];
        for (int i = 0; i < N; i++) byP[AutoAugment.choose(p, 4, SampleDraws.of(1, 0, i).unit(SampleDraws.AUTO_AUGMENT, 0))]++;
        assertEquals(0, byP[0]);
        assertEquals(0, byP[2]);
        assertEquals(0.25, byP[1] / (double) N, 0.03);
        assertEquals(0, AutoAugment.choose(p.subList(1, 2), 1, 0.999));
    }

    @Test
    void twoEqualStepsOfAPolicyDecideIndependently() {
        // V0's policy 4 is [Solarize 0.4 level 2, Solarize 0.6 level 2]: each step applies on its own draw
        ImageStep a = AutoAugment.transform("Solarize", 0.5, 2), b = AutoAugment.transform("Solarize", 0.5, 2);
        AutoAugment one = new AutoAugment(List.of(List.of(a, b)), List.of());
        // Solarize at level 2 inverts values >= 51.2: 200 -> 55 -> 200, so 55 means exactly one of the two applied
        int once = 0;
        for (int i = 0; i < 600; i++) {
            try (Mat img = grey(CV_8UC3, 200); TransformState s = state(img, new float[0], new float[0])) {
                one.apply(s, SampleDraws.of(5, 0, i));
                if ((TransformState.bytes(s.image())[0] & 0xFF) == 55) once++;
            }
        }
        // shared draws would give 0 (both or neither); independent ½ decisions give ½
        assertEquals(0.5, once / 600.0, 0.08, "exactly one of two independent decisions");
    }

    @Test
    void randAugmentDrawsDistinctTransforms() {
        RandAugment r = RandAugment.defaults();
        assertEquals(15, r.space().size());
        assertEquals(2, r.augNum());
        assertEquals(GeometricAugment.defaults(GeometricAugment.Kind.ROTATE, 1.0, null), r.space().get(3));
        int[] counts = new int[15];
        for (int i = 0; i < N; i++) {
            int[] c = r.choose(SampleDraws.of(2, 0, i));
            assertEquals(2, c.length);
            assertNotEquals(c[0], c[1], "distinct transforms");
            for (int k : c) counts[k]++;
        }
        for (int c : counts) assertEquals(2.0 * N / 15, c, 0.2 * 2 * N / 15, Arrays.toString(counts));
        // with probabilities: a zero one is never drawn, and aug_num = the non-zero count takes all of them
        List<Double> p = new ArrayList<>(java.util.Collections.nCopies(15, 0.0));
        p.set(4, 0.5);
        p.set(9, 0.5);
        RandAugment two = new RandAugment(r.space(), 2, p);
        for (int i = 0; i < 200; i++) {
            int[] c = two.choose(SampleDraws.of(2, 0, i));
            Arrays.sort(c);
            assertArrayEquals(new int[] {4, 9}, c);
        }
        assertThrows(IllegalArgumentException.class, () -> new RandAugment(r.space(), 3, p));
    }

    @Test
    void bytesOnlyTransformsRefuseAFloatImage() {
        ColorAugment eq = ColorAugment.defaults(ColorAugment.Kind.EQUALIZE, 1.0, null);
        try (Mat img = grey(CV_32FC3, 12.5); TransformState s = state(img, new float[0], new float[0])) {
            DataException e = assertThrows(DataException.class, () -> eq.apply(s, SampleDraws.of(1, 0, 0)));
            assertTrue(e.getMessage().contains("Equalize needs an 8-bit image"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            // the others keep a float image float
            ColorAugment.defaults(ColorAugment.Kind.INVERT, 1.0, null).apply(s, SampleDraws.of(1, 0, 0));
            assertEquals(CV_32FC3, s.image().type());
            assertEquals(242.5f, TransformState.floats(s.image())[0]);
        }
    }
}
