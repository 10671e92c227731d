package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * pycocotools goldens: every case folder of {@code <goldens>/coco_eval} (gt.json, dets.json, expected.json,
 * expected_mmdet.json, optional summary.txt). The folder defaults to {@code src/test/resources/goldens};
 * {@code -Dgoldens.dir=DIR} points at another folder laid out like {@code shared/goldens}.
 */
class CocoEvalGoldenTest {

    static final double TOL = 1e-9;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.cases("coco_eval", p -> Files.isRegularFile(p.resolve("gt.json")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void standardParams(String name, Path dir) throws IOException {
        check(name, dir, "expected.json", CocoEvalParams.standard(), 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void mmdetParams(String name, Path dir) throws IOException {
        check(name, dir, "expected_mmdet.json", CocoEvalParams.mmdet(), 1);
    }

    private static void check(String name, Path dir, String expectedFile, CocoEvalParams params, int summaryBlock)
            throws IOException {
        CocoGroundTruth gt = CocoGroundTruth.read(dir.resolve("gt.json"));
        CocoDetections dt = CocoDetections.read(dir.resolve("dets.json"), gt);
        CocoEvalResult res = CocoEvaluator.evaluate(gt, dt, params);
        JsonNode exp = new ObjectMapper().readTree(dir.resolve(expectedFile).toFile());

        double[] stats = res.stats();
        JsonNode es = exp.get("stats");
        assertEquals(12, es.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(es.get(i).doubleValue(), stats[i], TOL, name + " " + expectedFile + " stats[" + i + "] "
                    + exp.get("names").get(i).asText());
        }
        List<String> names = new ArrayList<>();
        exp.get("names").forEach(n -> names.add(n.asText()));
        assertEquals(names, res.statNames());

        Map<Long, Double> ap = res.perCategoryAp();
        JsonNode ec = exp.get("per_category_AP");
        assertEquals(ec.size(), ap.size(), "number of categories");
        for (Iterator<Map.Entry<String, JsonNode>> it = ec.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Double got = ap.get(Long.parseLong(e.getKey()));
            assertTrue(got != null, "category " + e.getKey() + " missing");
            if (e.getValue().isNull()) {
                assertTrue(got.isNaN(), name + " category " + e.getKey() + ": expected null, got " + got);
            } else {
                assertEquals(e.getValue().doubleValue(), got, TOL, name + " " + expectedFile + " AP of category "
                        + e.getKey());
            }
        }

        // the printed table equals pycocotools' text
        Path summary = dir.resolve("summary.txt");
        if (Files.isRegularFile(summary)) {
            List<String> lines = new ArrayList<>();
            for (String l : Files.readAllLines(summary, StandardCharsets.UTF_8)) {
                if (l.startsWith(" Average")) {
                    lines.add(l);
                }
            }
            if (lines.size() == 24) {
                assertEquals(lines.subList(12 * summaryBlock, 12 * summaryBlock + 12), res.summaryLines(),
                        name + " summary text");
            }
        }
    }
}
