package autoassign.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of {@code <goldens>/wbf}: boxes of several models and MMDetection 3.3's {@code weighted_boxes_fusion} of
 * them, computed by scripts/goldens/wbf.py with numpy 1.24 / torch 1.13 ({@code -Dgoldens.dir=DIR} reads another folder
 * laid out like src/test/resources/goldens). Random and hand-made cases: every conf_type, weights, skip_box_thr,
 * allows_overflow, several labels, boxes of one model overlapping each other, equal scores, swapped corners, zero-area
 * boxes, an IoU equal to iou_thr, score-0 boxes fusing into a NaN box, nothing left.
 *
 * <p>The reference returns float32 tensors but computes in a mix: rows, IoUs and score rescaling in float64, a fused
 * cluster box in float32. The engine follows the same steps; boxes and scores must agree to 1e-5 relative (float32
 * values; only numpy's pairwise summation of 8 or more weights may round differently), labels and the order exactly.
 * On the cases here the engine is bit-exact (checked once with tolerance 0, 2026-11-27).
 */
class WeightedBoxesFusionGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("wbf"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        List<WeightedBoxesFusion.ModelBoxes> models = new ArrayList<>();
        for (JsonNode m : c.get("models")) models.add(modelBoxes(m));
        double[] weights = c.get("weights").isNull() ? null : doubles(c.get("weights"));
        WeightedBoxesFusion.ConfType type = WeightedBoxesFusion.ConfType.of(c.get("conf_type").asText());
        assertNotNull(type, name);
        var o = new WeightedBoxesFusion.Options(weights, c.get("iou_thr").asDouble(), c.get("skip_box_thr").asDouble(),
                type, c.get("allows_overflow").asBoolean());
        WeightedBoxesFusion.Fused got = WeightedBoxesFusion.fuse(models, o);

        int n = c.get("scores").size();
        assertEquals(n, got.size(), name + ": fused boxes");
        for (int i = 0; i < n; i++) {
            String at = name + " [" + i + "]";
            assertEquals(c.get("labels").get(i).asLong(), got.labels()[i], at + " label");
            close(c.get("scores").get(i).asDouble(), got.scores()[i], at + " score");
            for (int k = 0; k < 4; k++) {
                JsonNode v = c.get("boxes").get(i).get(k);
                if (v.isNull()) assertTrue(Float.isNaN(got.boxes()[4 * i + k]), at + " box[" + k + "] is NaN");
                else close(v.asDouble(), got.boxes()[4 * i + k], at + " box[" + k + "]");
            }
        }
    }

    private static void close(double want, double got, String what) {
        assertEquals(want, got, 1e-5 * Math.abs(want) + 1e-7, what);
    }

    @Test
    void weightCountMustMatchTheModels() {
        var models = List.of(WeightedBoxesFusion.ModelBoxes.empty(), WeightedBoxesFusion.ModelBoxes.empty());
        var o = new WeightedBoxesFusion.Options(new double[] {1}, 0.55, 0, WeightedBoxesFusion.ConfType.AVG, false);
        var e = assertThrows(IllegalArgumentException.class, () -> WeightedBoxesFusion.fuse(models, o));
        assertEquals("1 weights for 2 models", e.getMessage());
    }

    @Test
    void twoAgreeingModelsAverageTheirBoxes() {
        // a hand check independent of the goldens: equal scores -> the mean box; avg over 2 models -> the same score
        var a = new WeightedBoxesFusion.ModelBoxes(new double[] {0, 0, 10, 10}, new double[] {0.8}, new long[] {3});
        var b = new WeightedBoxesFusion.ModelBoxes(new double[] {2, 0, 12, 10}, new double[] {0.8}, new long[] {3});
        WeightedBoxesFusion.Fused f = WeightedBoxesFusion.fuse(List.of(a, b), WeightedBoxesFusion.Options.defaults());
        assertEquals(1, f.size());
        assertArrayEquals(new float[] {1, 0, 11, 10}, f.boxes());
        assertEquals(0.8f, f.scores()[0], 1e-7f);
        assertEquals(3, f.labels()[0]);
    }

    private static WeightedBoxesFusion.ModelBoxes modelBoxes(JsonNode m) {
        int n = m.get("scores").size();
        double[] boxes = new double[4 * n];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 4; k++) boxes[4 * i + k] = m.get("boxes").get(i).get(k).asDouble();
            labels[i] = m.get("labels").get(i).asLong();
        }
        return new WeightedBoxesFusion.ModelBoxes(boxes, doubles(m.get("scores")), labels);
    }

    private static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).asDouble();
        return d;
    }
}
