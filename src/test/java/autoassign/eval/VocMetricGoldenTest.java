package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MMDetection 3.3's VOCMetric ({@code eval_map} with {@code use_legacy_coordinate=True}) against every case of
 * {@code <goldens>/voc_metric}, written by scripts/goldens/voc_metric.py (a numpy 1.24 transcription of mean_ap.py,
 * bbox_overlaps.py and voc_metric.py): the reported metrics, each class's gts / dets / recall / AP, each threshold's mAP
 * and the logged table, bit for bit (float32 IoUs, numpy's pairwise sums). The cases have no tied scores: numpy's
 * argsort orders ties by the CPU's sort (see VocMap#descendingScores).
 * {@code -Dgoldens.dir=DIR} points at another folder.
 */
class VocMetricGoldenTest {
    @TempDir Path tmp;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("voc_metric");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void equalsMmdetection(String name, Path file) throws IOException {
        JsonNode c = new ObjectMapper().readTree(file.toFile());
        Path gtFile = Files.writeString(tmp.resolve("gt.json"), c.get("gt").toString());
        Path dtFile = Files.writeString(tmp.resolve("dt.json"), c.get("results").toString());
        CocoGroundTruth gt = CocoGroundTruth.read(gtFile);
        CocoDetections dets = CocoDetections.read(dtFile, gt);
        double[] thrs = new double[c.get("iou_thrs").size()];
        for (int i = 0; i < thrs.length; i++) thrs[i] = c.get("iou_thrs").get(i).asDouble();
        VocMap.Result r = VocMap.evaluate(gt, dets, thrs, c.get("eval_mode").asText().equals("11points"),
                c.get("legacy").asBoolean());
        JsonNode exp = c.get("expected");

        exp.get("metrics").fields().forEachRemaining(m ->
                assertEquals(m.getValue().asDouble(), r.metrics().get(VocMap.PREFIX + m.getKey()), 0, name + ": " + m.getKey()));
        assertEquals(exp.get("metrics").size(), r.metrics().size(), name);
        for (double t : thrs) {
            String key = String.valueOf(t); // Python's str(thr)
            JsonNode rows = exp.get("classes").get(key);
            assertEquals(exp.get("mean_aps").get(key).asDouble(), r.apByThreshold().get(t), 0, name + " mean_ap @" + t);
            List<VocMap.ClassResult> mine = r.classes().get(t);
            assertEquals(rows.size(), mine.size(), name);
            for (int k = 0; k < rows.size(); k++) {
                JsonNode e = rows.get(k);
                VocMap.ClassResult m = mine.get(k);
                String where = name + " @" + t + " " + e.get("name").asText();
                assertEquals(e.get("name").asText(), m.name(), where);
                assertEquals(e.get("gts").asInt(), m.gts(), where + " gts");
                assertEquals(e.get("dets").asInt(), m.dets(), where + " dets");
                assertEquals(e.get("recall").asDouble(), m.recall(), 0, where + " recall");
                assertEquals(e.get("ap").asDouble(), m.ap(), 0, where + " ap");
            }
        }
        List<String> printed = new ArrayList<>();
        exp.get("printed").forEach(l -> printed.add(l.asText()));
        List<String> lines = r.lines();
        assertEquals(String.join("\n", printed), String.join("\n", lines.subList(0, lines.size() - 1)), name);
    }

    /**
     * eval_map's {@code np.array(aps).mean().item()}: numpy sums the float32 APs in float32 (pairwise), divides in
     * float64 and rounds to float32; a float64 sum rounded once gives 0.44258758425712585 here (numpy 1.24).
     */
    @org.junit.jupiter.api.Test
    void meanApIsNumpysFloat32Mean() {
        float[] aps = {0.5715298056602478f, 0.3218694031238556f, 0.5943000316619873f, 0.3379112184047699f, 0.3916189968585968f,
                0.8902743458747864f, 0.2271575927734375f, 0.6231871247291565f, 0.08401534706354141f, 0.8326441645622253f,
                0.7870982885360718f, 0.2393694370985031f, 0.876484215259552f, 0.05856803432106972f, 0.33611705899238586f,
                0.1502794623374939f, 0.4503393769264221f, 0.7963242530822754f, 0.23064221441745758f, 0.05202130228281021f};
        assertEquals(0.44258755445480347, (float) (PairwiseSum.sum(aps, aps.length) / (double) aps.length), 0);
    }

    /** print_map_summary formats with Python's f'{x:.3f}' (the binary value, half-even), not Java's %.3f (half-up). */
    @org.junit.jupiter.api.Test
    void tableNumbersAreFormattedAsPython() {
        assertEquals("0.062", PyFloat.fixed(0.0625, 3), "f'{0.0625:.3f}'");
        assertEquals("0.124", PyFloat.fixed(0.1245, 3), "f'{0.1245:.3f}'");
        assertEquals("0.002", PyFloat.fixed(0.0015, 3), "f'{0.0015:.3f}'");
        assertEquals("1.000", PyFloat.fixed(1, 3));
    }
}

