package autoassign.postprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Class-aware NMS against every {@code *.json} case of {@code <goldens>/nms} (torchvision / MMCV goldens).
 * The folder defaults to {@code src/test/resources/goldens}; {@code -Dgoldens.dir=DIR} points elsewhere.
 */
class NmsGoldenTest {

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("nms");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void keptSetEqualsMmcv(String name, Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        JsonNode jb = root.get("boxes");
        int n = jb.size();
        float[] boxes = new float[4 * n];
        float[] scores = new float[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 4; k++) {
                boxes[4 * i + k] = (float) jb.get(i).get(k).doubleValue();
            }
            scores[i] = (float) root.get("scores").get(i).doubleValue();
            labels[i] = root.get("labels").get(i).intValue();
        }
        float thr = (float) root.get("iou_threshold").doubleValue();

        int[] keep = Nms.batchedNms(boxes, scores, labels, thr);
        TreeSet<Integer> got = new TreeSet<>();
        for (int k : keep) {
            assertTrue(got.add(k), "index kept twice: " + k);
        }
        TreeSet<Integer> expected = new TreeSet<>();
        root.get("keep_mmcv").forEach(v -> expected.add(v.intValue()));
        TreeSet<Integer> missing = new TreeSet<>(expected);
        missing.removeAll(got);
        TreeSet<Integer> extra = new TreeSet<>(got);
        extra.removeAll(expected);
        assertTrue(missing.isEmpty() && extra.isEmpty(),
                name + ": kept set differs from keep_mmcv; missing " + missing + ", extra " + extra);

        // output order: descending score, ties by index
        for (int i = 1; i < keep.length; i++) {
            float a = scores[keep[i - 1]];
            float b = scores[keep[i]];
            assertTrue(a > b || (a == b && keep[i - 1] < keep[i]), "order broken at " + i);
        }
        // keep_stable is torchvision's set in (score desc, index asc) order; it differs from MMCV's only by
        // pairs whose IoU is exactly 0.6f, so per-class NMS with the double threshold must reproduce it
        List<Integer> stable = new ArrayList<>();
        root.get("keep_stable").forEach(v -> stable.add(v.intValue()));
        assertEquals(stable, torchvisionStyle(boxes, scores, labels, root.get("iou_threshold").doubleValue()),
                name + ": keep_stable");
    }

    /** Per-class NMS with torchvision's double threshold comparison, merged in (score desc, index asc) order. */
    private static List<Integer> torchvisionStyle(float[] boxes, float[] scores, int[] labels, double thr) {
        int n = scores.length;
        int[] order = ArgSort.descending(scores, n);
        boolean[] sup = new boolean[n];
        List<Integer> keep = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            if (sup[a]) {
                continue;
            }
            int i = order[a];
            keep.add(i);
            for (int b = a + 1; b < n; b++) {
                int j = order[b];
                if (sup[b] || labels[j] != labels[i]) {
                    continue;
                }
                float ai = (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
                float aj = (boxes[4 * j + 2] - boxes[4 * j]) * (boxes[4 * j + 3] - boxes[4 * j + 1]);
                float w = Math.max(0f, Math.min(boxes[4 * i + 2], boxes[4 * j + 2])
                        - Math.max(boxes[4 * i], boxes[4 * j]));
                float h = Math.max(0f, Math.min(boxes[4 * i + 3], boxes[4 * j + 3])
                        - Math.max(boxes[4 * i + 1], boxes[4 * j + 1]));
                float inter = w * h;
                float iou = inter / (ai + aj - inter);
                if (iou > thr) {
                    sup[b] = true;
                }
            }
        }
        return keep;
    }
}
