package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import autoassign.postprocess.Detections;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What MMDetection 3.3's CocoMetric writes and logs around COCOeval's numbers, against
 * {@code <goldens>/coco_metric_format/cases.json} (scripts/goldens/coco_metric_format.py: coco_metric.py's
 * {@code results2json} / {@code xyxy2xywh} and its rounding transcribed, run with Python's json and numpy 1.24):
 * the results json byte for byte, Python's float repr, numpy's {@code round(np.float64, 3)} of the reported metrics and
 * the classwise cells, and the {@code bbox_mAP_copypaste} digits.
 */
class CocoMetricFormatGoldenTest {

    static JsonNode cases;

    @BeforeAll
    static void read() throws IOException {
        cases = new ObjectMapper().readTree(autoassign.GoldenFiles.folder("coco_metric_format").resolve("cases.json").toFile());
    }

    static double hex(String s) {
        return s.equals("nan") ? Double.NaN : Double.parseDouble(s);
    }

    @Test
    void pythonReprOfDoubles() {
        int n = 0;
        for (JsonNode c : cases.get("repr")) {
            assertEquals(c.get("repr").asText(), PyFloat.repr(hex(c.get("hex").asText())), c.get("hex").asText());
            n++;
        }
        assertEquals(true, n > 1000, "cases: " + n);
    }

    @Test
    void reportedValuesAreNumpyRoundedAndCopypasteIsFormatted() {
        for (JsonNode c : cases.get("metrics")) {
            double v = hex(c.get("hex").asText());
            String what = c.get("hex").asText();
            double reported = PyFloat.numpyRound3(v);
            assertEquals(c.get("cell").asText(), PyFloat.repr(reported), "cell " + what);
            assertEquals(c.get("reported_repr").asText(), PyFloat.repr(reported), "reported " + what);
            assertEquals(c.get("copypaste").asText(), CocoEvalResult.fixed3(v), "copypaste " + what);
            if (!Double.isNaN(v))
                assertEquals(c.get("log4").asText(), String.format(Locale.ROOT, "%.4f", reported), "Epoch(val) value " + what);
        }
    }

    /** An evaluation whose every precision entry is 0.2725 (its numpy mean exactly): numpy rounds to 0.272, Python to 0.273. */
    @Test
    void evaluationReportsNumpyRounding() {
        CocoEvalParams p = CocoEvalParams.standard();
        int t = p.iouThrs().length, r = p.recThrs().length, a = p.areaRng().length, m = p.maxDets().length;
        double[] precision = new double[t * r * a * m];
        Arrays.fill(precision, 0.2725);
        double[] recall = new double[t * a * m];
        Arrays.fill(recall, 0.5);
        CocoEvalResult res = new CocoEvalResult(p, new long[] {1}, Map.of(1L, "person"), precision, recall);
        assertEquals(0.2725, res.stats()[0]);
        assertEquals(0.272, res.reportedMetrics().get("coco/bbox_mAP"));
        assertEquals(0.272, res.classwiseMetrics().get("person_precision"));
        assertEquals(List.of("person", "0.272", "0.272", "0.272", "0.272", "0.272", "0.272"),
                CocoClasswiseGoldenTest.cells(res.classwiseTable()).get(1));
        assertEquals("bbox_mAP_copypaste: 0.273 0.273 0.273 0.273 0.273 0.273", res.copypasteLine()); // f'{v:.3f}': Python's
    }

    @Test
    void resultsJsonAsResults2jsonDumpsIt() throws IOException {
        JsonNode c = cases.get("results2json");
        long[] catIds = new long[c.get("cat_ids").size()];
        for (int i = 0; i < catIds.length; i++) catIds[i] = c.get("cat_ids").get(i).asLong();
        CocoResults results = new CocoResults();
        for (JsonNode img : c.get("images")) {
            int n = img.get("labels").size();
            float[] boxes = new float[4 * n], scores = new float[n];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 4; j++) boxes[4 * i + j] = (float) hex(img.get("bboxes_hex").get(i).get(j).asText());
                scores[i] = (float) hex(img.get("scores_hex").get(i).asText());
                labels[i] = img.get("labels").get(i).asInt();
            }
            results.add(img.get("img_id").asLong(), new Detections(boxes, scores, labels), catIds);
        }
        assertEquals(c.get("text").asText(), written(results.detections()));
        assertEquals(c.get("empty_text").asText(), written(List.of()));
    }

    @Test
    void writtenFileReadsBack(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path dir = autoassign.GoldenFiles.folder("coco_eval").resolve("case1_tiny");
        CocoGroundTruth gt = CocoGroundTruth.read(dir.resolve("gt.json"));
        CocoDetections dt = CocoDetections.read(dir.resolve("dets.json"), gt);
        Path out = tmp.resolve("r.bbox.json");
        CocoResults.write(dt.detections(), out);
        assertEquals(dt.detections(), CocoDetections.read(out, gt).detections());
    }

    private static String written(List<CocoDetections.Detection> dets) throws IOException {
        ByteArrayOutputStream os = new ByteArrayOutputStream();
        CocoResults.write(dets, os);
        return os.toString(StandardCharsets.US_ASCII);
    }
}
