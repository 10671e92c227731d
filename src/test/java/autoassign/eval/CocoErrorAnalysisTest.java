package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * coco_error_analysis.py's decomposition worked out by hand on one image, and its consistency with COCOeval on the
 * pycocotools goldens.
 */
class CocoErrorAnalysisTest {

    @TempDir
    Path tmp;

    static final int C75 = 0, C50 = 1, LOC = 2, SIM = 3, OTH = 4, BG = 5, FN = 6;
    static final int ALL = 0, SMALL = 1, MEDIUM = 2, LARGE = 3;

    /**
     * One 1000 × 1000 image; "cat" and "dog" share the supercategory "animal", "car" is a "vehicle". Four cat GTs
     * (100 × 100): G1 found exactly, G6 found at IoU 0.6, G2 found at IoU 1/3 (localisation error), G3 missed. All
     * detections say "cat": on the dog (similar-class confusion, score 0.95), on G1 (0.9), on the car (other-class
     * confusion, 0.85), on G6 (0.8), on background (50 × 50, 0.75), on G2 (0.7).
     */
    static final String GT = """
            {"images": [{"id": 1, "file_name": "1.jpg", "width": 1000, "height": 1000}],
             "categories": [{"id": 1, "name": "cat", "supercategory": "animal"},
                            {"id": 2, "name": "dog", "supercategory": "animal"},
                            {"id": 3, "name": "car", "supercategory": "vehicle"}],
             "annotations": [
               {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "area": 10000, "iscrowd": 0},
               {"id": 2, "image_id": 1, "category_id": 1, "bbox": [200, 0, 100, 100], "area": 10000, "iscrowd": 0},
               {"id": 3, "image_id": 1, "category_id": 1, "bbox": [400, 0, 100, 100], "area": 10000, "iscrowd": 0},
               {"id": 4, "image_id": 1, "category_id": 2, "bbox": [0, 200, 100, 100], "area": 10000, "iscrowd": 0},
               {"id": 5, "image_id": 1, "category_id": 3, "bbox": [200, 200, 100, 100], "area": 10000, "iscrowd": 0},
               {"id": 6, "image_id": 1, "category_id": 1, "bbox": [400, 200, 100, 100], "area": 10000, "iscrowd": 0}]}
            """;
    static final String DETS = """
            [{"image_id": 1, "category_id": 1, "bbox": [0, 200, 100, 100], "score": 0.95},
             {"image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "score": 0.9},
             {"image_id": 1, "category_id": 1, "bbox": [200, 200, 100, 100], "score": 0.85},
             {"image_id": 1, "category_id": 1, "bbox": [425, 200, 100, 100], "score": 0.8},
             {"image_id": 1, "category_id": 1, "bbox": [600, 600, 50, 50], "score": 0.75},
             {"image_id": 1, "category_id": 1, "bbox": [250, 0, 100, 100], "score": 0.7}]
            """;

    CocoGroundTruth gt;
    CocoDetections dt;

    private CocoErrorAnalysis handCase(String gtJson) throws IOException {
        Path g = Files.writeString(tmp.resolve("gt.json"), gtJson);
        Path d = Files.writeString(tmp.resolve("dets.json"), DETS);
        gt = CocoGroundTruth.read(g);
        dt = CocoDetections.read(d, gt);
        return CocoErrorAnalysis.run(gt, dt, CocoErrorAnalysis.DEFAULT_AREAS);
    }

    /** {@code n} recall thresholds (from recall 0) at precision {@code p}, the rest 0. */
    private static double[] steps(double[]... parts) {
        double[] c = new double[101];
        int r = 0;
        for (double[] part : parts) {
            for (int i = 0; i < (int) part[0]; i++) {
                c[r++] = part[1];
            }
        }
        return c;
    }

    @Test
    void eachVariantRemovesItsErrorsOnly() throws IOException {
        CocoErrorAnalysis a = handCase(GT);
        double e = 1 / (1 + Math.ulp(1.0)); // 1 / (1 + np.spacing(1)) = 1 - 2^-52: one TP, no FP
        // recall steps of 1/4 reach recall thresholds 0..25 (26 of them), ..50 (51), ..75 (76)
        // C75: dog FP, G1 TP, then only FPs: precision 1/2 up to recall 1/4
        assertArrayEquals(steps(new double[] {26, 0.5}), a.curve(C75, 0, ALL));
        assertEquals(13.0 / 101, a.ap(C75, 0, ALL));
        // C50: G6 (IoU 0.6) is found too: 2 TP over 4 detections, 1/2 up to recall 1/2
        assertArrayEquals(steps(new double[] {51, 0.5}), a.curve(C50, 0, ALL));
        assertEquals(25.5 / 101, a.ap(C50, 0, ALL));
        // Loc (IoU 0.1): G2 (IoU 1/3) is found last: 3 TP over 6, 1/2 up to recall 3/4
        assertArrayEquals(steps(new double[] {76, 0.5}), a.curve(LOC, 0, ALL));
        assertEquals(38.0 / 101, a.ap(LOC, 0, ALL));
        // Sim: the detection on the dog is ignored (dog GT = crowd region); the car one still counts:
        // G1 alone (1/(1+eps)), then 2 TP / 3, then 3 TP / 5
        assertArrayEquals(steps(new double[] {26, e}, new double[] {25, 2.0 / 3}, new double[] {25, 0.6}),
                a.curve(SIM, 0, ALL));
        assertEquals((26 * e + 25 * (2.0 / 3) + 25 * 0.6) / 101, a.ap(SIM, 0, ALL), 1e-15);
        // Oth: the car detection is ignored too: precision 1 up to recall 1/2, then 3 TP / 4 (the background FP)
        assertArrayEquals(steps(new double[] {51, 1}, new double[] {25, 0.75}), a.curve(OTH, 0, ALL));
        assertEquals(69.75 / 101, a.ap(OTH, 0, ALL));
        // BG: 1 wherever Oth > 0, i.e. up to the recall reached (3/4: G3 is missed); FN: 1
        assertArrayEquals(steps(new double[] {76, 1}), a.curve(BG, 0, ALL));
        assertEquals(76.0 / 101, a.ap(BG, 0, ALL));
        assertEquals(1.0, a.ap(FN, 0, ALL));
        double[] aps = new double[7];
        for (int t = 0; t < 7; t++) {
            aps[t] = a.ap(t, 0, ALL);
        }
        for (int t = 1; t < 7; t++) {
            assertTrue(aps[t - 1] < aps[t], "C75 < C50 < Loc < Sim < Oth < BG < FN: " + java.util.Arrays.toString(aps));
        }
        assertEquals("[0.129]C75", CocoErrorAnalysis.legend(a.ap(C75, 0, ALL), "C75"));
        assertEquals("[0.691]Oth", CocoErrorAnalysis.legend(a.ap(OTH, 0, ALL), "Oth"));
    }

    @Test
    void areaRangesAndCategoriesWithoutDetections() throws IOException {
        CocoErrorAnalysis a = handCase(GT);
        // every GT is large (area 10000): small and medium have none, -1 becomes 0, BG 0, FN still 1
        for (int area : new int[] {SMALL, MEDIUM}) {
            for (int t = 0; t < 6; t++) {
                assertEquals(0.0, a.ap(t, 0, area), "type " + t + " area " + area);
            }
            assertEquals(1.0, a.ap(FN, 0, area));
        }
        // large: the 50 x 50 background detection is outside the range and unmatched, so ignored
        assertEquals(13.0 / 101, a.ap(C75, 0, LARGE));
        assertArrayEquals(steps(new double[] {76, 1}), a.curve(OTH, 0, LARGE));
        // dog and car have GT but no detection: 0 everywhere, FN 1
        for (int k = 1; k < 3; k++) {
            for (int t = 0; t < 6; t++) {
                assertEquals(0.0, a.ap(t, k, ALL));
            }
            assertEquals(1.0, a.ap(FN, k, ALL));
        }
        // allclass: the mean over the three categories (dog and car count as 0)
        assertEquals(13.0 / 303, a.allClassAp(C75, ALL), 1e-16);
        assertEquals(1.0, a.allClassAp(FN, ALL));
        double[] curve = a.allClassCurve(OTH, ALL);
        assertEquals(1.0 / 3, curve[0], 1e-16);
        assertEquals(0.25, curve[75], 1e-16);
        assertEquals(0.0, curve[76]);
        assertEquals(Map.of("all", 6L, "small", 0L, "medium", 0L, "large", 6L), a.gtPerArea());
        assertEquals(List.of("cat", "dog", "car"), List.of(a.name(0), a.name(1), a.name(2)));
        assertEquals("animal", a.supercategory(1));
    }

    @Test
    void consistentWithEvalOnTheHandCase() throws IOException {
        CocoErrorAnalysis a = handCase(GT);
        CocoEvalResult ev = CocoEvaluator.evaluate(gt, dt); // maxDets [1, 10, 100]: stats use 100
        assertEquals(ev.stats()[2], a.allClassAp(C75, ALL)); // AP75
        assertEquals(ev.stats()[1], a.allClassAp(C50, ALL)); // AP50
    }

    @Test
    void withoutSupercategoriesSimIsLoc() throws IOException {
        CocoErrorAnalysis a = handCase(GT.replace(", \"supercategory\": \"animal\"", "")
                .replace(", \"supercategory\": \"vehicle\"", ""));
        assertNull(a.supercategory(0));
        assertArrayEquals(a.curve(LOC, 0, ALL), a.curve(SIM, 0, ALL));
        assertEquals(69.75 / 101, a.ap(OTH, 0, ALL)); // Oth does not need them
    }

    @Test
    void otherAreaBoundaries() throws IOException {
        Path g = Files.writeString(tmp.resolve("gt.json"), GT);
        Path d = Files.writeString(tmp.resolve("dets.json"), DETS);
        CocoGroundTruth truth = CocoGroundTruth.read(g);
        // 10000 is "small" when the first boundary is 10000 (ranges are inclusive)
        CocoErrorAnalysis a = CocoErrorAnalysis.run(truth, CocoDetections.read(d, truth), List.of(10000L, 20000L, 30000L));
        assertEquals(13.0 / 101, a.ap(C75, 0, SMALL));
        assertEquals(0.0, a.ap(C75, 0, LARGE));
        assertArrayEquals(new double[][] {{0, 30000}, {0, 10000}, {10000, 20000}, {20000, 30000}}, a.areaRanges());
    }

    static Stream<Arguments> goldens() {
        return autoassign.GoldenFiles.cases("coco_eval", p -> Files.isRegularFile(p.resolve("gt.json")));
    }

    /**
     * On the pycocotools goldens (real COCO categories with supercategories): C75 and C50 are COCOeval's precision
     * at IoU 0.75 / 0.5, maxDets 100, every area (the default areas are COCOeval's), -1 read as 0; the allclass
     * values are AP75 / AP50 rescaled to all categories; and the areas grow from C75 to FN in every category.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("goldens")
    void consistentWithCocoEval(String name, Path dir) throws IOException {
        CocoGroundTruth g = CocoGroundTruth.read(dir.resolve("gt.json"));
        CocoDetections d = CocoDetections.read(dir.resolve("dets.json"), g);
        CocoErrorAnalysis a = CocoErrorAnalysis.run(g, d, CocoErrorAnalysis.DEFAULT_AREAS);
        CocoEvalResult ev = CocoEvaluator.evaluate(g, d);
        double[] ious = ev.params().iouThrs();
        int t75 = -1;
        for (int t = 0; t < ious.length; t++) {
            if (ious[t] == 0.75) {
                t75 = t;
            }
        }
        assertEquals(0.5, ious[0]);
        int numK = a.categoryIds().length;
        int withGt = 0;
        for (int k = 0; k < numK; k++) {
            for (int area = 0; area < 4; area++) {
                double[] c75 = a.curve(C75, k, area);
                double[] c50 = a.curve(C50, k, area);
                for (int r = 0; r < 101; r++) {
                    assertEquals(Math.max(0, ev.precision(t75, r, k, area, 2)), c75[r], name + " C75 k=" + k);
                    assertEquals(Math.max(0, ev.precision(0, r, k, area, 2)), c50[r], name + " C50 k=" + k);
                }
                for (int t = 1; t < 7; t++) {
                    assertTrue(a.ap(t - 1, k, area) <= a.ap(t, k, area), name + " k=" + k + " area=" + area
                            + " type " + t);
                }
            }
            if (ev.precision(0, 0, k, 0, 2) > -1) {
                withGt++;
            }
        }
        assertEquals(ev.stats()[2], a.allClassAp(C75, ALL) * numK / withGt, 1e-12);
        assertEquals(ev.stats()[1], a.allClassAp(C50, ALL) * numK / withGt, 1e-12);
        assertEquals(1.0, a.allClassAp(FN, ALL));
        assertTrue(a.allClassAp(LOC, ALL) <= a.allClassAp(OTH, ALL) && a.allClassAp(OTH, ALL) <= a.allClassAp(BG, ALL));
    }

    @Test
    void histogramIsNumpys() {
        // np.histogram([1, 2, 3, 4], 3): edges 1, 2, 3, 4; the last bin is closed
        CocoErrorAnalysis.Histogram h = CocoErrorAnalysis.histogram(new double[] {1, 2, 3, 4}, 3);
        assertArrayEquals(new double[] {1, 2, 3, 4}, h.edges());
        assertArrayEquals(new long[] {1, 1, 2}, h.counts());
        // all equal: range widened by 0.5 each side
        h = CocoErrorAnalysis.histogram(new double[] {5, 5}, 2);
        assertArrayEquals(new double[] {4.5, 5, 5.5}, h.edges());
        assertArrayEquals(new long[] {0, 2}, h.counts());
        // empty: numpy's range (0, 1)
        h = CocoErrorAnalysis.histogram(new double[0], 2);
        assertArrayEquals(new double[] {0, 0.5, 1}, h.edges());
        assertArrayEquals(new long[] {0, 0}, h.counts());
        // 0.3 lands on an edge computed as 0.30000000000000004: numpy's correction puts it in the bin below
        h = CocoErrorAnalysis.histogram(new double[] {0, 0.3, 1}, 10);
        assertEquals(0.30000000000000004, h.edges()[3]);
        assertArrayEquals(new long[] {1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, h.counts());
    }

    @Test
    void readsSupercategories() throws IOException {
        CocoGroundTruth g = CocoGroundTruth.read(Files.writeString(tmp.resolve("g.json"), GT));
        assertEquals(Map.of(1L, "animal", 2L, "animal", 3L, "vehicle"), g.supercategories());
        assertEquals(g.supercategories(), g.restrictTo(new long[] {1}).supercategories());
    }
}
