package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * pycocotools goldens for CocoMetric's non-default parameters (scripts/goldens/coco_metric_params.py): every json of
 * {@code <goldens>/coco_metric_params} names a {@code coco_eval} case and the iou_thrs (as a config's list or as an
 * ndarray), proposal_nums, metric_items and use_mp_eval; the 12 stats, the printed summary, the per-category AP and
 * the reported metrics must be pycocotools' bit for bit. {@code -Dgoldens.dir=DIR} points at another goldens folder.
 */
class CocoMetricParamsGoldenTest {

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("coco_metric_params");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPycocotools(String name, Path file) throws IOException {
        JsonNode exp = new ObjectMapper().readTree(file.toFile());
        Path dir = autoassign.GoldenFiles.folder("coco_eval").resolve(exp.get("coco_eval_case").asText());
        CocoGroundTruth gt = CocoGroundTruth.read(dir.resolve("gt.json"));
        CocoDetections dt = CocoDetections.read(dir.resolve("dets.json"), gt);
        CocoEvalResult res = CocoEvaluator.evaluate(gt, dt, params(exp));

        double[] stats = res.stats();
        for (int i = 0; i < 12; i++) {
            assertEquals(exp.get("stats").get(i).doubleValue(), stats[i], 0.0, name + " stats[" + i + "]");
        }
        List<String> lines = new ArrayList<>();
        exp.get("summary").forEach(l -> lines.add(l.asText()));
        assertEquals(lines, res.summaryLines(), name + " summary");
        Map<Long, Double> ap = res.perCategoryAp();
        assertEquals(exp.get("per_category_AP").size(), ap.size());
        exp.get("per_category_AP").fields().forEachRemaining(e -> {
            double got = ap.get(Long.parseLong(e.getKey()));
            if (e.getValue().isNull()) assertTrue(Double.isNaN(got), name + " category " + e.getKey());
            else assertEquals(e.getValue().doubleValue(), got, 0.0, name + " AP of category " + e.getKey());
        });
        Map<String, Double> metrics = new LinkedHashMap<>();
        exp.get("metrics").fields().forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().doubleValue()));
        assertEquals(List.copyOf(metrics.keySet()), List.copyOf(res.metrics().keySet()), name + " metric names");
        assertEquals(metrics, res.metrics(), name + " metrics");
    }

    /** The case's parameters: a config's (CocoMetric hands pycocotools a list), or thresholds as an ndarray. */
    private static CocoEvalParams params(JsonNode exp) {
        double[] thrs = exp.get("iou_thrs").isNull() ? null : doubles(exp.get("iou_thrs"));
        int[] nums = new int[exp.get("proposal_nums").size()];
        for (int i = 0; i < nums.length; i++) nums[i] = exp.get("proposal_nums").get(i).asInt();
        List<String> items = null;
        if (!exp.get("metric_items").isNull()) {
            items = new ArrayList<>();
            for (JsonNode n : exp.get("metric_items")) items.add(n.asText());
        }
        boolean mp = exp.get("use_mp_eval").asBoolean();
        CocoEvalParams p = CocoEvalParams.cocoMetric(thrs, nums, items, mp);
        if (thrs != null && exp.get("iou_thrs_kind").asText().equals("ndarray")) {
            p = new CocoEvalParams(p.iouThrs(), p.recThrs(), p.maxDets(), p.areaRng(), p.areaLbl(), p.statNames(),
                    false, mp, p.metricItems());
        }
        assertEquals(thrs != null && exp.get("iou_thrs_kind").asText().equals("list"), p.listIouThrs());
        return p;
    }

    private static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).doubleValue();
        return d;
    }
}
