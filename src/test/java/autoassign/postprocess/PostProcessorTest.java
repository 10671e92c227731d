package autoassign.postprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AA_8 §7 post-processing goldens (MMDetection v3.3.0 predict_by_feat + MMCV batched_nms) and unit checks. */
class PostProcessorTest {

    static final int C = 80;
    static final int[] STRIDES = {8, 16, 32, 64, 128};
    // padded 64x96: 8x12, 4x6, 2x3, 1x2, 1x1 (129 points)
    static final int[][] SIZES = {{8, 12}, {4, 6}, {2, 3}, {1, 2}, {1, 1}};

    static double frac(double x) {
        return x - Math.floor(x);
    }

    /** The synthetic head outputs of AA_8 §7, image b = 0; {@code clsShift} is subtracted in float32. */
    static List<LevelOutput> syntheticLevels(float clsShift) {
        List<LevelOutput> levels = new ArrayList<>();
        int p0 = 0;
        for (int l = 0; l < STRIDES.length; l++) {
            int h = SIZES[l][0];
            int w = SIZES[l][1];
            int s = STRIDES[l];
            int hw = h * w;
            float[] cls = new float[C * hw];
            float[] dist = new float[4 * hw];
            float[] obj = new float[hw];
            for (int q = 0; q < hw; q++) {
                int p = p0 + q;
                for (int c = 0; c < C; c++) {
                    float v = (float) (-9 + 11 * frac(0.7548776662466927 * p + 0.5698402909980532 * c + 0.1 * 0));
                    cls[c * hw + q] = v - clsShift;
                }
                obj[q] = (float) (-2 + 4 * frac(0.6180339887498949 * p + 0.3 * 0));
                for (int k = 0; k < 4; k++) {
                    dist[k * hw + q] = (float) (s * (0.5 + 2.5 * frac(0.41 * p + 0.29 * k + 0.13 * 0)));
                }
            }
            levels.add(new LevelOutput(s, C, h, w, cls, dist, obj));
            p0 += hw;
        }
        assertEquals(129, p0);
        return levels;
    }

    static final ImageMeta META = new ImageMeta(60, 90, 1.5, 1.5);

    static void assertDet(Detections d, int rank, int label, double score, double... box) {
        assertEquals(label, d.label(rank), "label at rank " + rank);
        assertEquals(score, d.score(rank), 1e-6, "score at rank " + rank);
        for (int k = 0; k < 4; k++) {
            // the spec prints 4 decimals
            assertEquals(box[k], d.boxes()[4 * rank + k], 6e-5, "box[" + k + "] at rank " + rank);
        }
    }

    static double[] sums(Detections d) {
        double s = 0;
        double b = 0;
        long l = 0;
        for (int i = 0; i < d.size(); i++) {
            s += d.score(i);
            for (int k = 0; k < 4; k++) {
                b += d.boxes()[4 * i + k];
            }
            l += d.label(i);
        }
        return new double[] {s, b, l};
    }

    @Test
    void goldenI2() {
        Detections d = PostProcessor.process(syntheticLevels(0f), META, PostProcessConfig.DEFAULT);
        assertEquals(100, d.size());
        assertDet(d, 0, 57, 0.7719128, 27.3333, 7.4667, 41.7333, 29.6);
        assertDet(d, 1, 28, 0.7613670, 13.3333, 5.6, 44.8, 40.0);
        assertDet(d, 2, 64, 0.7600315, 27.3333, 7.4667, 41.7333, 29.6);
        assertDet(d, 3, 2, 0.7594642, 37.2, 0.0, 53.2, 14.4);
        assertDet(d, 4, 59, 0.7553604, 16.5333, 23.3333, 33.8667, 35.0667);
        assertDet(d, 5, 54, 0.7499873, 0.0, 0.0, 25.3333, 22.4);
        assertDet(d, 6, 35, 0.7488326, 13.3333, 5.6, 44.8, 40.0);
        assertDet(d, 7, 28, 0.7478698, 36.2667, 0.0, 56.8, 4.6667);
        assertDet(d, 8, 71, 0.7470373, 27.3333, 7.4667, 41.7333, 29.6);
        assertDet(d, 9, 9, 0.7469659, 37.2, 0.0, 53.2, 14.4);
        assertDet(d, 99, 3, 0.6681352, 0.0, 0.0, 25.3333, 22.4);
        double[] s = sums(d);
        assertEquals(70.487298, s[0], 1e-5);
        assertEquals(9854.4002, s[1], 1e-3);
        assertEquals(3931, s[2]);
    }

    @Test
    void goldenI3() {
        Detections d = PostProcessor.process(syntheticLevels(4.85f), META, PostProcessConfig.DEFAULT);
        assertEquals(88, d.size());
        assertDet(d, 0, 57, 0.0475609, 27.3333, 7.4667, 41.7333, 29.6);
        assertDet(d, 1, 49, 0.0452435, 27.2, 8.8, 60.0, 40.0);
        assertDet(d, 4, 28, 0.0441898, 36.2667, 0.0, 56.8, 4.6667);
        assertDet(d, 87, 62, 0.0065438, 38.1333, 4.9333, 60.0, 24.1333);
        double[] s = sums(d);
        assertEquals(2.219296, s[0], 1e-5);
        assertEquals(8956.5335, s[1], 1e-3);
        assertEquals(3499, s[2]);
        // scores fall below the 0.05 threshold: it applies to the class probability only
        assertTrue(d.score(0) < 0.05f);
    }

    private static LevelOutput oneLevel(int stride, int h, int w, int classes) {
        return new LevelOutput(stride, classes, h, w, new float[classes * h * w], new float[4 * h * w],
                new float[h * w]);
    }

    @Test
    void thresholdIsStrictAndOnClassProbabilityAlone() {
        LevelOutput lv = oneLevel(8, 2, 2, 2);
        java.util.Arrays.fill(lv.clsLogits(), -20f);
        java.util.Arrays.fill(lv.distances(), 4f);
        lv.clsLogits()[0 * 4 + 3] = 3f; // point 3 = (8, 8), class 0
        lv.objLogits()[3] = -10f; // tiny objectness: still a candidate, final score below threshold
        Detections d = PostProcessor.process(List.of(lv), new ImageMeta(16, 16, 1, 1));
        assertEquals(1, d.size());
        assertEquals(PostProcessor.sigmoid(3f) * PostProcessor.sigmoid(-10f), d.score(0), 0f);
        assertEquals(4f, d.x1(0));
        assertEquals(12f, d.y2(0));
    }

    @Test
    void clipsRescalesAndDropsCollapsedBoxes() {
        LevelOutput lv = oneLevel(8, 1, 2, 1);
        java.util.Arrays.fill(lv.clsLogits(), 5f);
        // point 0 at (0,0): distances 10 each -> clipped to (0,0,10,10) in a 20x30 (h x w) image
        // point 1 at (8,0): left/top 0, right/bottom 0 -> zero-size box, dropped
        float[] d = lv.distances();
        d[0] = 10; d[2] = 10; d[4] = 10; d[6] = 10;
        Detections out = PostProcessor.process(List.of(lv), new ImageMeta(20, 30, 2.0, 4.0));
        assertEquals(1, out.size());
        assertEquals(0f, out.x1(0));
        assertEquals(0f, out.y1(0));
        assertEquals(5f, out.x2(0)); // 10 / 2
        assertEquals(2.5f, out.y2(0)); // 10 / 4
    }

    @Test
    void nmsPreKeepsTopCandidatesPerLevel() {
        LevelOutput lv = oneLevel(8, 1, 4, 1);
        float[] cls = lv.clsLogits();
        for (int p = 0; p < 4; p++) {
            cls[p] = p; // point 3 best
        }
        float[] d = lv.distances();
        java.util.Arrays.fill(d, 2f);
        PostProcessConfig cfg = new PostProcessConfig(2, 0.05f, 0.6f, 100, 0f);
        Detections out = PostProcessor.process(List.of(lv), new ImageMeta(100, 100, 1, 1), cfg);
        assertEquals(2, out.size());
        assertEquals(22f, out.x1(0)); // point 3 at x = 24
        assertEquals(14f, out.x1(1)); // point 2 at x = 16
    }

    @Test
    void thresholdExactNearTheBoundary() {
        // logits around logit(0.05) = -2.944: the candidate count must equal the brute-force count
        int n = 4000;
        LevelOutput lv = oneLevel(8, 1, n, 1);
        float[] cls = lv.clsLogits();
        int expected = 0;
        for (int p = 0; p < n; p++) {
            cls[p] = -2.96f + p * 1e-5f;
            if (PostProcessor.sigmoid(cls[p]) > 0.05f) {
                expected++;
            }
        }
        java.util.Arrays.fill(lv.distances(), 1f);
        // distinct classes are not needed: no NMS suppression because boxes are 8 px apart and 2 px wide
        PostProcessConfig cfg = new PostProcessConfig(-1, 0.05f, 0.6f, n, 0f);
        Detections out = PostProcessor.process(List.of(lv), new ImageMeta(100, 8 * n, 1, 1), cfg);
        assertTrue(expected > 100 && expected < n - 100, "boundary inside the range: " + expected);
        assertEquals(expected, out.size());
    }

    @Test
    void noCandidatesGivesEmpty() {
        LevelOutput lv = oneLevel(8, 2, 2, 3);
        java.util.Arrays.fill(lv.clsLogits(), -10f);
        assertEquals(0, PostProcessor.process(List.of(lv), new ImageMeta(16, 16, 1, 1)).size());
    }
}
