package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConfusionMatrix} on hand-built images whose matrix is worked out by hand from the rules of MMDetection's
 * {@code confusion_matrix.py}. Classes a, b, c; index 3 = background.
 */
class ConfusionMatrixTest {

    static final int A = 0, B = 1, C = 2, BG = 3;
    static final ConfusionMatrix.Settings DEFAULTS = ConfusionMatrix.Settings.defaults();

    @TempDir
    Path tmp;

    static float[] boxes(float... xyxy) {
        return xyxy;
    }

    @Test
    void eachRuleOfTheScriptOnOneImage() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("a", "b", "c"));
        float[] gt = boxes(
                0, 0, 10, 10,     // g0 a: found by d0 and again by d5
                20, 20, 30, 30,   // g1 b: only a "c" detection on it -> confusion b->c, and missed
                50, 50, 60, 60,   // g2 c: only a detection below the score threshold -> missed
                70, 70, 90, 90);  // g3 a, a crowd region: the script counts it as any GT
        int[] gtLabels = {A, B, C, A};
        float[] det = boxes(
                0, 0, 10, 10,        // d0 a 0.9: TP of g0
                20, 20, 30, 30,      // d1 c 0.8: on g1 (b)
                100, 100, 110, 110,  // d2 b 0.7: on nothing -> background row
                50, 50, 60, 60,      // d3 a 0.2: below 0.3, left out (g2 stays missed, no FP either)
                70, 70, 90, 90,      // d4 a 0.6: TP of the crowd GT g3
                0, 0, 10, 11);       // d5 a 0.5: IoU 100/110 with g0: a second TP count (one per detection)
        m.addImage(gt, gtLabels, det, new double[] {0.9, 0.8, 0.7, 0.2, 0.6, 0.5}, new int[] {A, C, B, A, A, A}, DEFAULTS);

        long[][] expected = new long[4][4];
        expected[A][A] = 3;  // d0, d4, d5
        expected[B][C] = 1;  // d1
        expected[B][BG] = 1; // g1 has no TP
        expected[C][BG] = 1; // g2 has no TP
        expected[BG][B] = 1; // d2
        assertArrayEquals(expected, m.counts());
        assertEquals(3, m.truePositives());
        assertEquals(1, m.confusions());
        assertEquals(2, m.missed());
        assertEquals(1, m.falsePositives());
        assertEquals(1, m.images());
        assertEquals(List.of("a", "b", "c", "background"), m.labels());
    }

    @Test
    void aDetectionOnTwoGtsCountsForBothAndThresholdsAreInclusive() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("a", "b", "c"));
        // the same box labelled a and b; one "a" detection matches both
        m.addImage(boxes(0, 0, 10, 10, 0, 0, 10, 10), new int[] {A, B},
                boxes(0, 0, 10, 10), new double[] {0.95}, new int[] {A}, DEFAULTS);
        // IoU exactly 0.5 and score exactly 0.3 both count (>=)
        m.addImage(boxes(0, 0, 10, 10), new int[] {C}, boxes(0, 0, 10, 20), new double[] {0.3}, new int[] {C}, DEFAULTS);
        // an image without detections: its GT is missed; one without GT: its detection is a false positive
        m.addImage(boxes(5, 5, 15, 15), new int[] {A}, new float[0], new double[0], new int[0], DEFAULTS);
        m.addImage(new float[0], new int[0], boxes(5, 5, 15, 15), new double[] {0.5}, new int[] {C}, DEFAULTS);

        long[][] expected = new long[4][4];
        expected[A][A] = 1 + 0;
        expected[B][A] = 1;      // the same detection, against the b box
        expected[B][BG] = 1;     // ... which has no TP
        expected[C][C] = 1;      // IoU 0.5, score 0.3
        expected[A][BG] += 1;    // image 3
        expected[BG][C] = 1;     // image 4
        assertArrayEquals(expected, m.counts());
        assertEquals(4, m.images());
    }

    @Test
    void nmsBeforeCountingRemovesDuplicates() {
        float[] gt = boxes(0, 0, 100, 100);
        float[] det = boxes(0, 0, 100, 100, 0, 0, 100, 90, 200, 200, 210, 210); // IoU(d0, d1) = 0.9
        double[] scores = {0.9, 0.8, 0.3};
        int[] labels = {A, A, A};

        ConfusionMatrix plain = new ConfusionMatrix(List.of("a"));
        plain.addImage(gt, new int[] {A}, det, scores, labels, DEFAULTS);
        assertArrayEquals(new long[][] {{2, 0}, {1, 0}}, plain.counts());

        // NMS at 0.5 drops d1; MMCV's score_threshold keeps score > 0.3 only, so d2 (exactly 0.3) goes too
        ConfusionMatrix nms = new ConfusionMatrix(List.of("a"));
        nms.addImage(gt, new int[] {A}, det, scores, labels, new ConfusionMatrix.Settings(0.3, 0.5, 0.5));
        assertArrayEquals(new long[][] {{1, 0}, {0, 0}}, nms.counts());

        // 0 is "no NMS", as the script's `if nms_iou_thr:`
        ConfusionMatrix zero = new ConfusionMatrix(List.of("a"));
        zero.addImage(gt, new int[] {A}, det, scores, labels, new ConfusionMatrix.Settings(0.3, 0.5, 0));
        assertArrayEquals(plain.counts(), zero.counts());
    }

    @Test
    void iouIsBboxOverlapsInFloat32() {
        float[] a = boxes(0, 0, 10, 10);
        float[] b = boxes(5, 0, 15, 10);
        assertEquals(50f / 150f, ConfusionMatrix.iou(a, 0, b, 0));
        assertEquals(0f, ConfusionMatrix.iou(a, 0, boxes(20, 20, 30, 30), 0));
        assertEquals(0f, ConfusionMatrix.iou(boxes(1, 1, 1, 1), 0, boxes(1, 1, 1, 1), 0), "empty boxes: union floored at 1e-6");
    }

    @Test
    void rowPercentagesAreNaNForEmptyRows() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("a", "b"));
        m.addImage(boxes(0, 0, 10, 10, 0, 0, 10, 10, 50, 50, 60, 60), new int[] {A, A, A},
                boxes(0, 0, 10, 10), new double[] {0.9}, new int[] {A}, DEFAULTS);
        double[][] p = m.rowPercentages();
        assertEquals(200.0 / 3, p[A][A], 1e-12); // 2 TP counts, 1 missed
        assertEquals(100.0 / 3, p[A][2], 1e-12);
        assertTrue(Double.isNaN(p[B][B]) && Double.isNaN(p[2][0]));
    }

    @Test
    void badLabelsAreRejected() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("a"));
        assertThrows(IllegalArgumentException.class, () -> m.addImage(new float[0], new int[0], boxes(0, 0, 1, 1),
                new double[] {1}, new int[] {1}, DEFAULTS));
    }

    /** Through the dataset: crowd kept, boxes outside the image or under 1 px dropped, categories by id. */
    @Test
    void computeUsesTheDatasetInstancesAndCategoryIds() throws Exception {
        Path gt = tmp.resolve("gt.json");
        Files.writeString(gt, """
                {"images": [{"id": 1, "file_name": "1.jpg", "width": 100, "height": 100},
                            {"id": 2, "file_name": "2.jpg", "width": 100, "height": 100}],
                 "categories": [{"id": 7, "name": "dog"}, {"id": 3, "name": "cat"}],
                 "annotations": [
                   {"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0},
                   {"id": 2, "image_id": 1, "category_id": 7, "bbox": [40, 40, 20, 20], "area": 400, "iscrowd": 1},
                   {"id": 3, "image_id": 1, "category_id": 7, "bbox": [200, 200, 10, 10], "area": 100, "iscrowd": 0},
                   {"id": 4, "image_id": 2, "category_id": 7, "bbox": [10, 10, 0.5, 10], "area": 5, "iscrowd": 0},
                   {"id": 5, "image_id": 2, "category_id": 3, "bbox": [10, 10, 30, 30], "area": 900, "iscrowd": 0}]}
                """);
        Path res = tmp.resolve("dets.json");
        Files.writeString(res, """
                [{"image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 10], "score": 0.9},
                 {"image_id": 1, "category_id": 7, "bbox": [40, 40, 20, 20], "score": 0.8},
                 {"image_id": 1, "category_id": 7, "bbox": [200, 200, 10, 10], "score": 0.8},
                 {"image_id": 2, "category_id": 7, "bbox": [10, 10, 30, 30], "score": 0.4}]
                """);
        CocoDetections dets = CocoDetections.read(res, CocoGroundTruth.read(gt));
        CocoDataset ds = CocoDataset.load(gt, tmp, null, new DataIssues("test", s -> { }, 0));
        ConfusionMatrix m = ConfusionMatrix.compute(ds, dets, DEFAULTS);
        assertEquals(List.of("dog", "cat"), m.classes()); // the file's order (ids 7, 3), as the script's dataset labels them
        int dog = 0, cat = 1, bg = 2;
        long[][] expected = new long[3][3];
        expected[cat][cat] = 1; // image 1, annotation 1
        expected[dog][dog] = 1; // the crowd box
        expected[bg][dog] = 1;  // the detection on annotation 3, which lies outside the image (dropped)
        expected[cat][dog] = 1; // image 2: a dog detection on the cat; annotation 4 is under 1 px wide (dropped)
        expected[cat][bg] = 1;  // ... so that cat is missed
        assertArrayEquals(expected, m.counts());
        assertEquals(2, m.images());
    }
}
