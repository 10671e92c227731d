package autoassign.data;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.util.List;

import static autoassign.data.AugmentationTest.px;
import static autoassign.data.AugmentationTest.run;
import static autoassign.data.AugmentationTest.steps;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RandomErasing's random side and its effect on images and boxes (pixel (x, y) holds (B, G, R) = (x, y, 7)): patch counts,
 * sizes and corners within MMDetection's bounds, pixels filled inside the patches only, boxes and crowd boxes dropped
 * with their labels when erased enough, float images kept float.
 */
class RandomErasingTest {
    private static final int H = 40, W = 60;
    private static final ImageRecord REC = new ImageRecord(1, "a", W, H, new float[] {2, 3, 12, 8, 20, 10, 40, 30},
            new int[] {4, 5}, new float[] {0, 0, 10, 10}, new int[] {9}, true);

    @Test
    void patchesStayWithinMmdetsBounds() {
        RandomErasing squared = new RandomErasing(1, 3, 0.1, 0.5, true, 0.9, List.of(0.0, 0.0, 0.0));
        RandomErasing free = new RandomErasing(2, 2, 0.0, 1.0, false, 0.9, List.of(0.0, 0.0, 0.0));
        int[] counts = new int[4];
        int unequal = 0;
        for (int i = 0; i < 3000; i++) {
            SampleDraws d = SampleDraws.of(11, 2, i);
            int[][] p = squared.patches(H, W, d);
            counts[p.length]++;
            for (int[] q : p) {
                int pw = q[2] - q[0], ph = q[3] - q[1];
                assertTrue(q[0] >= 0 && q[2] < W && q[1] >= 0 && q[3] < H, "NumPy's randint(0, w - pw) never reaches the edge");
                assertTrue(pw >= (int) (0.1 * W) && pw <= (int) (0.5 * W) && ph >= (int) (0.1 * H) && ph <= (int) (0.5 * H));
                // squared: one ratio for both sides, so pw / W and ph / H agree up to the int() truncations
                assertEquals(pw / (double) W, ph / (double) H, 1.0 / H + 1e-9);
            }
            for (int[] q : free.patches(H, W, d)) {
                assertTrue(q[2] < W && q[3] < H);
                if (Math.abs((q[2] - q[0]) / (double) W - (q[3] - q[1]) / (double) H) > 0.1) unequal++;
            }
        }
        assertEquals(0, counts[0]);
        for (int n = 1; n <= 3; n++) assertEquals(1000, counts[n], 100, "count " + n + " is uniform in [1, 3]");
        assertTrue(unequal > 1000, "squared: false draws the two sides apart");
    }

    @Test
    void erasesThePatchesAndDropsBoxesErasedEnough() {
        RandomErasing t = new RandomErasing(1, 1, 0, 0, true, 0.5, List.of(10.9, 20.0, 255.0));
        try (Mat in = new Mat(H, W, org.bytedeco.opencv.global.opencv_core.CV_8UC3);
             TransformState s = new TransformState(in, REC)) {
            in.put(new org.bytedeco.opencv.opencv_core.Scalar(1, 2, 3, 0));
            // patch (2, 3)-(12, 8) erases box 4 (2, 3, 12, 8) whole (dropped) and 8 × 5 of the crowd box (0, 0, 10, 10) (0.4:
            // kept); patch (25, 15)-(40, 25): 15 × 10 of box 5 (20, 10, 40, 30), 0.375 (kept)
            t.erase(s, new int[][] {{2, 3, 12, 8}, {25, 15, 40, 25}});
            PreparedImage p = s.result(REC, 0);
            assertArrayEquals(new int[] {5}, p.gt().labels());
            assertArrayEquals(new float[] {20, 10, 40, 30}, p.gt().boxes(), "kept boxes are not changed");
            assertArrayEquals(new int[] {9}, p.gt().ignoredLabels());
            assertEquals(10, px(p, 2, 3, 0), "8-bit: 10.9 truncated");
            assertEquals(20, px(p, 11, 7, 1));
            assertEquals(255, px(p, 39, 24, 2));
            assertEquals(1, px(p, 12, 3, 0), "the patch ends before x2");
            assertEquals(2, px(p, 2, 8, 1), "and before y2");
            assertEquals(3, px(p, 24, 20, 2));
        }
        // a threshold crossed by the crowd box: it goes with its label
        RandomErasing strict = new RandomErasing(1, 1, 0, 0, true, 0.05, List.of(0.0, 0.0, 0.0));
        try (Mat in = new Mat(H, W, org.bytedeco.opencv.global.opencv_core.CV_8UC3); TransformState s = new TransformState(in, REC)) {
            strict.erase(s, new int[][] {{2, 3, 12, 8}});
            PreparedImage p = s.result(REC, 0);
            assertArrayEquals(new int[] {5}, p.gt().labels());
            assertArrayEquals(new int[0], p.gt().ignoredLabels());
        }
    }

    @Test
    void aFloatImageStaysFloatWithTheFillAsFloat32() {
        float[] v = new float[H * W * 3];
        java.util.Arrays.fill(v, -7.5f);
        RandomErasing t = new RandomErasing(1, 1, 0, 0, true, 0.9, List.of(128.6, 0.0, 300 - 45.0));
        try (FloatPointer fp = new FloatPointer(v); Mat m = new Mat(H, W, CV_32FC3, fp); Mat in = m.clone();
             TransformState s = new TransformState(in, REC)) {
            t.erase(s, new int[][] {{1, 1, 3, 3}});
            PreparedImage p = s.result(REC, 0);
            assertNotNull(p.values());
            assertEquals((float) 128.6, p.values()[(W + 1) * 3], "float32(128.6), not truncated");
            assertEquals(255f, p.values()[(W + 2) * 3 + 2]);
            assertEquals(-7.5f, p.values()[(3 * W + 3) * 3]);
        }
    }

    @Test
    void inThePipelineEveryImageGetsItsOwnPatches() {
        RandomErasing t = new RandomErasing(1, 2, 0.2, 0.4, true, 0.9, List.of(0.0, 0.0, 0.0));
        PipelineOptions o = steps(H, W, ResizeStep.INSTANCE, t);
        int[][] first = null;
        boolean differ = false;
        for (int i = 0; i < 10; i++) {
            SampleDraws d = SampleDraws.of(4, 0, i);
            int[][] p = t.patches(H, W, d);
            PreparedImage img = run(o, H, W, REC, d);
            for (int[] q : p) assertEquals(0, px(img, q[0], q[1], 2), "erased where drawn (R was 7)");
            if (first == null) first = p;
            else differ |= !java.util.Arrays.deepEquals(first, p);
        }
        assertTrue(differ);
    }

    @Test
    void constructorRefusesWhatMmdetCannotRun() {
        List<Double> fill = List.of(0.0, 0.0, 0.0);
        assertThrows(IllegalArgumentException.class, () -> new RandomErasing(0, 2, 0, 0.5, true, 0.9, fill));
        assertThrows(IllegalArgumentException.class, () -> new RandomErasing(1, 1, 1, 1, true, 0.9, fill));
        assertThrows(IllegalArgumentException.class, () -> new RandomErasing(1, 1, 0, 0.5, true, 0.9, List.of(0.0, 0.0, 256.0)));
    }
}
