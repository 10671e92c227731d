package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import autoassign.data.Odgt;
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
 * MMDetection 3.3's CrowdHumanMetric (AP, MR, JI) against every case of {@code <goldens>/crowdhuman_eval}, written by
 * scripts/goldens/crowdhuman_eval.py (a numpy transcription of crowdhuman_metric.py, mmdet's bbox_overlaps and SciPy's
 * Hopcroft-Karp matching): eval modes 0, 1, 2, IoU thresholds 0.3 / 0.5 / 0.7, both mr_ref, ignored people and masks,
 * an image without people and one without detections, score ties, crowded overlaps. AP and JI are the same arithmetic
 * in the same order, so equal bit for bit; MR goes through numpy's log / exp (SIMD code, within an ulp of Java's), so
 * to 1e-12; the reported (rounded) numbers are equal. {@code -Dgoldens.dir=DIR} points at another folder.
 */
class CrowdHumanEvalGoldenTest {
    @TempDir Path tmp;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("crowdhuman_eval");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void equalsMmdetectionsCrowdHumanMetric(String name, Path file) throws IOException {
        JsonNode c = new ObjectMapper().readTree(file.toFile());
        StringBuilder odgt = new StringBuilder();
        for (JsonNode r : c.get("gt")) odgt.append(r.toString()).append('\n');
        List<Odgt.Entry> gt = Odgt.read(Files.writeString(tmp.resolve("gt.odgt"), odgt));
        List<CrowdHumanEval.Sample> samples = new ArrayList<>();
        for (int i = 0; i < gt.size(); i++) {
            JsonNode res = c.get("results").get(i);
            JsonNode boxes = res.get("dtboxes");
            double[] dets = new double[5 * boxes.size()];
            for (int k = 0; k < boxes.size(); k++) {
                JsonNode b = boxes.get(k).get("box");
                dets[5 * k] = b.get(0).asDouble();
                dets[5 * k + 1] = b.get(1).asDouble();
                dets[5 * k + 2] = b.get(0).asDouble() + b.get(2).asDouble();
                dets[5 * k + 3] = b.get(1).asDouble() + b.get(3).asDouble();
                dets[5 * k + 4] = boxes.get(k).get("score").asDouble();
            }
            samples.add(new CrowdHumanEval.Sample(gt.get(i).id(), res.get("width").asDouble(), res.get("height").asDouble(),
                    gt.get(i).people(), dets));
        }
        JsonNode p = c.get("params");
        CrowdHumanEval.Raw raw = CrowdHumanEval.evaluate(samples, new CrowdHumanEval.Params(p.get("eval_mode").asInt(),
                p.get("iou_thres").asDouble(), p.get("mr_ref").asText().equals("CALTECH_-4")));
        JsonNode want = c.get("expected").get("raw"), reported = c.get("expected").get("reported");
        assertEquals(want.get("AP").asDouble(), raw.ap(), 0, "AP");
        assertEquals(want.get("JI").asDouble(), raw.ji(), 0, "JI");
        assertEquals(want.get("MR").asDouble(), raw.mr(), 1e-12 * Math.abs(want.get("MR").asDouble()), "MR");
        assertEquals(reported.get("mAP").asDouble(), CrowdHumanEval.round4(raw.ap()), 0, "mAP");
        assertEquals(reported.get("mMR").asDouble(), CrowdHumanEval.round4(raw.mr()), 0, "mMR");
        assertEquals(reported.get("JI").asDouble(), CrowdHumanEval.round4(raw.ji()), 0, "JI");
    }
}
