package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MMDetection 3.3's classwise table ({@code CocoMetric(classwise=True)}) against {@code <goldens>/coco_classwise/<case>.json},
 * made by scripts/goldens/coco_classwise.py from pycocotools' precision array as coco_metric.py reads it, for the cases of
 * {@code <goldens>/coco_eval} under COCOeval's maxDets and CocoMetric's proposal_nums: every cell equal as text, and the
 * {@code <name>_precision} results equal to the mAP column. {@code -Dgoldens.dir=DIR} points at another folder.
 */
class CocoClasswiseGoldenTest {

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("coco_classwise");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tableAsCocoMetricLogsIt(String name, Path file) throws IOException {
        JsonNode exp = new ObjectMapper().readTree(file.toFile());
        Path dir = autoassign.GoldenFiles.folder("coco_eval").resolve(exp.get("case").asText());
        CocoGroundTruth gt = CocoGroundTruth.read(dir.resolve("gt.json"));
        CocoDetections dt = CocoDetections.read(dir.resolve("dets.json"), gt);
        for (String variant : List.of("standard", "mmdet")) {
            CocoEvalResult res = CocoEvaluator.evaluate(gt, dt, variant.equals("mmdet") ? CocoEvalParams.mmdet() : CocoEvalParams.standard());
            List<List<String>> rows = cells(res.classwiseTable());
            assertEquals(CocoEvalResult.CLASSWISE_HEADERS, rows.get(0));
            JsonNode want = exp.get(variant);
            assertEquals(want.size(), rows.size() - 1, variant);
            Map<String, Double> metrics = res.classwiseMetrics();
            for (int i = 0; i < want.size(); i++) {
                List<String> w = new ArrayList<>();
                want.get(i).forEach(c -> w.add(c.asText()));
                assertEquals(w, rows.get(i + 1), variant + " row " + i);
                double ap = w.get(1).equals("nan") ? Double.NaN : Double.parseDouble(w.get(1));
                assertEquals(ap, metrics.get(w.get(0) + "_precision"), 0, variant + " " + w.get(0));
            }
        }
    }

    /** The cells of an AsciiTable's rows (borders dropped, padding trimmed). */
    static List<List<String>> cells(List<String> table) {
        List<List<String>> rows = new ArrayList<>();
        for (String line : table) {
            if (line.startsWith("+")) continue;
            List<String> row = new ArrayList<>();
            for (String c : line.substring(1, line.length() - 1).split("\\|")) row.add(c.strip());
            rows.add(row);
        }
        return rows;
    }

    @Test
    void layoutIsTerminaltablesAsciiTable() throws IOException {
        Path dir = autoassign.GoldenFiles.folder("coco_eval").resolve("case1_tiny");
        CocoGroundTruth gt = CocoGroundTruth.read(dir.resolve("gt.json"));
        List<String> t = CocoEvaluator.evaluate(gt, CocoDetections.read(dir.resolve("dets.json"), gt), CocoEvalParams.mmdet())
                .classwiseTable();
        // +----…+ border, header, border, one row per category, border; every line as wide; cells left-aligned, 1 space
        assertEquals(t.get(0), t.get(2));
        assertEquals(t.get(0), t.get(t.size() - 1));
        assertEquals(80 + 4, t.size());
        for (String line : t) assertEquals(t.get(0).length(), line.length(), line);
        assertEquals("| category ", t.get(1).substring(0, 11));
        assertEquals(true, t.get(3).startsWith("| person "), t.get(3));
    }
}
