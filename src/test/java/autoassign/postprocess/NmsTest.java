package autoassign.postprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NmsTest {

    @Test
    void suppressesOnlyStrictlyAboveThreshold() {
        // IoU(A, B) = 60 / 100 = 0.6 exactly in float32 (== 0.6f): kept by MMCV's float comparison
        float[] boxes = {0, 0, 10, 10, 0, 0, 10, 6, 0, 0, 10, 7};
        float[] scores = {0.9f, 0.8f, 0.7f};
        // C vs A: 70/100 = 0.7 > 0.6 -> suppressed
        assertArrayEquals(new int[] {0, 1}, Nms.nms(boxes, scores, 0.6f));
    }

    @Test
    void noPlusOneInIou() {
        // touching boxes (shared edge) have IoU 0, not > 0
        float[] boxes = {0, 0, 10, 10, 10, 0, 20, 10};
        assertArrayEquals(new int[] {1, 0}, Nms.nms(boxes, new float[] {0.5f, 0.6f}, 0f));
    }

    @Test
    void classAwareKeepsOverlapsOfDifferentClasses() {
        float[] boxes = {0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10};
        float[] scores = {0.5f, 0.9f, 0.7f};
        int[] labels = {1, 1, 2};
        assertArrayEquals(new int[] {1, 2}, Nms.batchedNms(boxes, scores, labels, 0.6f));
        assertArrayEquals(new int[] {1}, Nms.nms(boxes, scores, 0.6f));
    }

    @Test
    void tiesKeepIndexOrder() {
        float[] boxes = {0, 0, 1, 1, 5, 5, 6, 6, 0, 0, 1, 1};
        int[] keep = Nms.batchedNms(boxes, new float[] {0.5f, 0.5f, 0.5f}, new int[] {0, 0, 0}, 0.6f);
        assertArrayEquals(new int[] {0, 1}, keep);
        assertEquals(0, Nms.batchedNms(new float[0], new float[0], new int[0], 0.6f).length);
    }

    @Test
    void argSortIsStableDescending() {
        double[] k = new double[100];
        for (int i = 0; i < k.length; i++) {
            k[i] = (i * 7) % 5;
        }
        int[] idx = ArgSort.descending(k, k.length);
        for (int i = 1; i < idx.length; i++) {
            boolean ok = k[idx[i - 1]] > k[idx[i]] || (k[idx[i - 1]] == k[idx[i]] && idx[i - 1] < idx[i]);
            org.junit.jupiter.api.Assertions.assertTrue(ok, "at " + i);
        }
        int[] z = ArgSort.descending(new double[] {0.0, -0.0, 0.0}, 3);
        assertArrayEquals(new int[] {0, 1, 2}, z);
    }
}
