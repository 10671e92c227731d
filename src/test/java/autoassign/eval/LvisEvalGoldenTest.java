package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * lvis-api's LVISEval (bbox) and MMDetection's LVISMetric against every case of {@code <goldens>/lvis_eval}, written by
 * scripts/goldens/lvis_eval.py (a numpy transcription of lvis-api's eval.py / results.py / lvis.py and pycocotools' box
 * IoU): the 13 results, each category's AP, the printed summary and the reported metrics. The reference is float64 numpy
 * with the same summation order, so the numbers must be equal bit for bit.
 * {@code -Dgoldens.dir=DIR} points at another folder.
 */
class LvisEvalGoldenTest {
    @TempDir Path tmp;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("lvis_eval");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void equalsLvisApi(String name, Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode c = json.readTree(file.toFile());
        Path gtFile = Files.writeString(tmp.resolve("gt.json"), c.get("gt").toString());
        Path dtFile = Files.writeString(tmp.resolve("dt.json"), c.get("results").toString());
        LvisGroundTruth gt = LvisGroundTruth.read(gtFile);
        LvisEvalResult r = LvisEvaluator.evaluate(gt, CocoDetections.read(dtFile, gt.coco()), true);
        JsonNode exp = c.get("expected");

        List<String> names = new ArrayList<>();
        exp.get("results").fieldNames().forEachRemaining(names::add);
        assertEquals(names, new ArrayList<>(r.results().keySet()));
        for (String k : names) assertEquals(exp.get("results").get(k).asDouble(), r.results().get(k), 0, k);

        exp.get("per_category_AP").fields().forEachRemaining(e -> {
            double ap = r.categoryAp(Long.parseLong(e.getKey()));
            if (e.getValue().isNull()) assertTrue(Double.isNaN(ap), "category " + e.getKey() + ": " + ap);
            else assertEquals(e.getValue().asDouble(), ap, 0, "category " + e.getKey());
        });

        List<String> printed = new ArrayList<>();
        exp.get("printed").forEach(l -> printed.add(l.asText()));
        List<String> lines = r.summaryLines();
        assertEquals(printed, lines.subList(lines.size() - printed.size(), lines.size()));

        Map<String, Double> reported = r.reportedMetrics();
        List<String> keys = new ArrayList<>();
        exp.get("reported").fieldNames().forEachRemaining(k -> keys.add(LvisEvalResult.PREFIX + k));
        assertEquals(keys, new ArrayList<>(reported.keySet()));
        exp.get("reported").fields().forEachRemaining(e -> {
            Double got = reported.get(LvisEvalResult.PREFIX + e.getKey());
            if (e.getValue().isNull()) assertTrue(got.isNaN(), e.getKey());
            else assertEquals(e.getValue().asDouble(), got, 0, e.getKey());
        });
    }
}
