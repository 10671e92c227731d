package autoassign.eval;

import autoassign.cli.CliRun;
import autoassign.cli.EvalCommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** VOC mAP (MMDetection's eval_map) on a case worked out by hand, and {@code eval --metric voc}. */
class VocMapTest {
    @TempDir Path tmp;

    /**
     * Class a (id 1): image 1 has GTs A [0,0,10,10], B [20,20,10,10] and a crowd C [40,40,10,10]; image 2 none.
     * Detections by score: .9 on A (TP), .8 on A again (FP), .7 on C (ignored), .6 on nothing (FP), .5 in image 2 (FP).
     * So recall .5 throughout and precision 1, .5, .5, 1/3, .25: AP 6/11 (11 points: recall ≥ 0 … 0.5) or 0.5 (area).
     * Class b (id 2) has a detection and no GT (left out of the mean); class c (id 3) a GT and no detection (AP 0).
     */
    private void files() throws Exception {
        Files.writeString(tmp.resolve("gt.json"), """
                {"images": [{"id": 1, "file_name": "1.jpg", "width": 100, "height": 100},
                            {"id": 2, "file_name": "2.jpg", "width": 100, "height": 100}],
                 "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}],
                 "annotations": [
                   {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0},
                   {"id": 2, "image_id": 1, "category_id": 1, "bbox": [20, 20, 10, 10], "area": 100, "iscrowd": 0},
                   {"id": 3, "image_id": 1, "category_id": 1, "bbox": [40, 40, 10, 10], "area": 100, "iscrowd": 1},
                   {"id": 4, "image_id": 2, "category_id": 3, "bbox": [5, 5, 20, 20], "area": 400, "iscrowd": 0}]}
                """);
        Files.writeString(tmp.resolve("dets.json"), """
                [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
                 {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.8},
                 {"image_id": 1, "category_id": 1, "bbox": [40, 40, 10, 10], "score": 0.7},
                 {"image_id": 1, "category_id": 1, "bbox": [70, 70, 10, 10], "score": 0.6},
                 {"image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5},
                 {"image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10], "score": 0.5}]
                """);
    }

    private VocMap.Result evaluate(double thr, boolean eleven) throws Exception {
        files();
        CocoGroundTruth gt = CocoGroundTruth.read(tmp.resolve("gt.json"));
        return VocMap.evaluate(gt, CocoDetections.read(tmp.resolve("dets.json"), gt), new double[] {thr}, eleven);
    }

    @Test
    void elevenPointsAndAreaByHand() throws Exception {
        VocMap.Result eleven = evaluate(0.5, true);
        List<VocMap.ClassResult> rows = eleven.classes().get(0.5);
        assertEquals(new VocMap.ClassResult("a", 2, 5, 0.5, (float) (6f / 11)), rows.get(0));
        assertEquals(new VocMap.ClassResult("b", 0, 1, 0, 0), rows.get(1));
        assertEquals(new VocMap.ClassResult("c", 1, 0, 0, 0), rows.get(2));
        assertEquals((float) ((float) (6f / 11) / 2), eleven.mAP(), 1e-7, "a and c: classes with ground truth");
        VocMap.Result area = evaluate(0.5, false);
        assertEquals(0.5, area.classes().get(0.5).get(0).ap(), 0);
        assertEquals(0.25, area.mAP(), 0);
    }

    @Test
    void aStricterThresholdTurnsLooseMatchesIntoFalsePositives() throws Exception {
        files();
        // a detection [0,0,10,14] on A: IoU 100/140 = 0.714, a TP at 0.5 and an FP at 0.75
        Files.writeString(tmp.resolve("dets.json"), "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 10, 14], \"score\": 0.9}]");
        CocoGroundTruth gt = CocoGroundTruth.read(tmp.resolve("gt.json"));
        VocMap.Result r = VocMap.evaluate(gt, CocoDetections.read(tmp.resolve("dets.json"), gt), new double[] {0.5, 0.75}, false);
        assertEquals(0.5, r.classes().get(0.5).get(0).ap(), 0);
        assertEquals(0.0, r.classes().get(0.75).get(0).ap(), 0);
        assertEquals((0.25 + 0.0) / 2, r.mAP(), 0, "the mean over the thresholds");
        assertTrue(String.join("\n", r.lines()).contains("AP50: 0.250  AP75: 0.000  mAP: 0.1250"), String.join("\n", r.lines()));
    }

    @Test
    void evalCommandRunsTheVocMetric() throws Exception {
        files();
        Path json = tmp.resolve("voc.json");
        CliRun r = CliRun.run(new EvalCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results",
                tmp.resolve("dets.json").toString(), "--metric", "voc", "--eval-mode", "area", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| a     | 2   | 5    | 0.500  | 0.500 |"), r.out()); // terminaltables: left-aligned
        assertTrue(r.out().contains("AP50: 0.250  mAP: 0.2500"), r.out());
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals(0.25, j.get("mAP").asDouble(), 0);
        assertEquals(0.25, j.get("AP50").asDouble(), 0);
        CliRun bad = CliRun.run(new EvalCommand(), "--ann", tmp.resolve("gt.json").toString(), "--results",
                tmp.resolve("dets.json").toString(), "--iou-thrs", "0.5");
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("--iou-thrs and --eval-mode go with --metric voc"), bad.err());
    }
}
