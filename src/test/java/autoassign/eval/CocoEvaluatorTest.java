package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.postprocess.Detections;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-made checks of COCOeval behaviours the goldens exercise only in aggregate. */
class CocoEvaluatorTest {

    static CocoGroundTruth gt(List<CocoGroundTruth.Annotation> anns, long... images) {
        Map<Long, String> cats = new LinkedHashMap<>();
        cats.put(1L, "person");
        cats.put(3L, "car");
        return new CocoGroundTruth(null, images, cats, anns);
    }

    static CocoGroundTruth.Annotation ann(long id, long img, long cat, double x, double y, double w, double h,
                                          boolean crowd) {
        return new CocoGroundTruth.Annotation(id, img, cat, x, y, w, h, w * h, crowd);
    }

    static CocoDetections.Detection det(int id, long img, long cat, double x, double y, double w, double h, double s) {
        return new CocoDetections.Detection(id, img, cat, x, y, w, h, s);
    }

    @Test
    void thresholdsAreNumpyLinspace() {
        CocoEvalParams p = CocoEvalParams.standard();
        assertEquals(10, p.iouThrs().length);
        assertEquals(0.75, p.iouThrs()[5], 0.0); // the AP75 row must be found by exact comparison
        assertEquals(0.5, p.iouThrs()[0], 0.0);
        assertEquals(0.95, p.iouThrs()[9], 0.0);
        assertEquals(101, p.recThrs().length);
        assertEquals(3 * 0.01, p.recThrs()[3], 0.0);
        assertEquals(1.0, p.recThrs()[100], 0.0);
    }

    @Test
    void perfectDetectionsGiveOne() {
        CocoGroundTruth g = gt(List.of(ann(1, 10, 1, 10, 10, 50, 50, false), ann(2, 11, 3, 0, 0, 200, 150, false)),
                10, 11, 12);
        CocoDetections d = CocoDetections.of(List.of(det(1, 10, 1, 10, 10, 50, 50, 0.9),
                det(2, 11, 3, 0, 0, 200, 150, 0.8)), g);
        double[] s = CocoEvaluator.evaluate(g, d).stats();
        // precision = tp / (tp + fp + spacing(1)) = 0.9999999999999998, as in pycocotools
        assertEquals(1.0, s[0], 1e-12);
        assertEquals(-1.0, s[3], 0.0, "no small GT");
        assertEquals(1.0, s[4], 1e-12);
        assertEquals(1.0, s[8], 0.0);
    }

    @Test
    void restrictedToSomeImagesScoresThoseOnly() {
        CocoGroundTruth g = gt(List.of(ann(1, 10, 1, 10, 10, 50, 50, false), ann(2, 11, 3, 0, 0, 200, 150, false),
                ann(3, 12, 1, 5, 5, 60, 60, false)), 10, 11, 12);
        List<CocoDetections.Detection> two = List.of(det(1, 10, 1, 10, 10, 50, 50, 0.9), det(2, 11, 3, 0, 0, 200, 150, 0.8));
        assertEquals(0.75, CocoEvaluator.evaluate(g, CocoDetections.of(two, g)).stats()[8], 1e-12, "image 12 missed: person recall 0.5, car 1");
        CocoGroundTruth cut = g.restrictTo(new long[] {11, 10, 99});
        assertEquals(List.of(10L, 11L), java.util.Arrays.stream(cut.imageIds()).boxed().toList(), "sorted, unknown ids left out");
        assertEquals(2, cut.annotations().size());
        double[] s = CocoEvaluator.evaluate(cut, CocoDetections.of(two, cut)).stats();
        assertEquals(1.0, s[0], 1e-12);
        assertEquals(1.0, s[8], 0.0);
        assertTrue(g.restrictTo(new long[] {12, 10, 11}) == g, "all images: the same ground truth");
        // each image on its own, in one pass: what restrictTo gives for that image
        java.util.Map<Long, CocoGroundTruth> each = g.perImage();
        assertEquals(List.of(10L, 11L, 12L), List.copyOf(each.keySet()));
        for (long id : g.imageIds()) {
            CocoGroundTruth one = g.restrictTo(new long[] {id});
            assertArrayEquals(one.imageIds(), each.get(id).imageIds());
            assertEquals(one.annotations(), each.get(id).annotations());
        }
        List<CocoDetections.Detection> all = List.of(two.get(0), det(3, 12, 1, 5, 5, 60, 60, 0.7), two.get(1));
        java.util.Map<Long, List<CocoDetections.Detection>> byImage = CocoDetections.of(all, g).byImage();
        assertEquals(java.util.Set.of(10L, 11L, 12L), byImage.keySet());
        assertEquals(List.of(two.get(0)), byImage.get(10L));
        assertEquals(List.of(all.get(1)), byImage.get(12L));
    }

    @Test
    void detectionsOnCrowdRegionsAreIgnored() {
        List<CocoGroundTruth.Annotation> anns = List.of(ann(1, 10, 1, 10, 10, 50, 50, false),
                ann(2, 10, 1, 100, 100, 300, 300, true));
        CocoGroundTruth g = gt(anns, 10);
        List<CocoDetections.Detection> ds = new ArrayList<>();
        ds.add(det(1, 10, 1, 10, 10, 50, 50, 0.5));
        // three high-scoring detections inside the crowd box (IoU = inter / det area = 1): not false positives
        for (int i = 0; i < 3; i++) {
            ds.add(det(2 + i, 10, 1, 120 + 10 * i, 120, 40, 40, 0.9));
        }
        double[] s = CocoEvaluator.evaluate(g, CocoDetections.of(ds, g)).stats();
        assertEquals(1.0, s[0], 1e-12);
        // a detection outside both is a false positive ranked first: AP drops
        ds.add(det(5, 10, 1, 600, 600, 40, 40, 0.95));
        double[] s2 = CocoEvaluator.evaluate(g, CocoDetections.of(ds, g)).stats();
        assertTrue(s2[0] < 0.6, "FP ranked above the TP: " + s2[0]);
    }

    @Test
    void maxDetsIsPerImageAndCategory() {
        // 2 categories in one image, one GT each; the TP of each category has the lowest score of 11
        List<CocoGroundTruth.Annotation> anns = List.of(ann(1, 10, 1, 0, 0, 40, 40, false),
                ann(2, 10, 3, 100, 100, 40, 40, false));
        CocoGroundTruth g = gt(anns, 10);
        List<CocoDetections.Detection> ds = new ArrayList<>();
        int id = 1;
        for (long cat : new long[] {1, 3}) {
            double off = cat == 1 ? 0 : 100;
            for (int i = 0; i < 10; i++) {
                ds.add(det(id++, 10, cat, 300 + 10 * i, 300, 5, 5, 0.9)); // false positives
            }
            ds.add(det(id++, 10, cat, off, off, 40, 40, 0.1));
        }
        CocoEvalResult r = CocoEvaluator.evaluate(g, CocoDetections.of(ds, g));
        double[] s = r.stats();
        assertEquals(0.0, s[7], 0.0, "AR10: the TP is the 11th of its category");
        assertEquals(1.0, s[8], 0.0, "AR100: 11 per category fit in 100");
    }

    @Test
    void resultsFromDetectionsUseCategoryIdsAndXywh() {
        CocoResults res = new CocoResults();
        res.add(10, new Detections(new float[] {1.5f, 2f, 11.5f, 7f}, new float[] {0.7f}, new int[] {1}),
                new long[] {1, 3});
        CocoDetections.Detection d = res.detections().get(0);
        assertEquals(3, d.categoryId());
        assertEquals(10.0, d.w(), 0.0);
        assertEquals(5.0, d.h(), 0.0);
        assertEquals((double) 0.7f, d.score(), 0.0);
        assertEquals(1, d.id());
    }

    @Test
    void printsLikePython() {
        assertEquals("0.123", CocoEvalResult.fixed3(0.1235)); // binary value is below the tie (String.format: 0.124)
        assertEquals("0.455", CocoEvalResult.fixed3(0.4545)); // binary value is above it
        assertEquals("0.062", CocoEvalResult.fixed3(0.0625)); // exact tie: half even
        assertEquals("-1.000", CocoEvalResult.fixed3(-1));
        assertEquals("1.000", CocoEvalResult.fixed3(0.99951));
    }
}
