package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static autoassign.GoldenFiles.ints;

/**
 * Every case of {@code <goldens>/random_erasing}: an image, boxes with ignore flags, the patches' ratios and corners, and
 * MMDetection's RandomErasing result (patches, erased image, kept boxes) computed with NumPy by
 * scripts/goldens/random_erasing.py. Patches and pixels must be equal, the kept flags exact.
 */
class RandomErasingGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("random_erasing"); }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asDouble();
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int h = c.get("h").asInt(), w = c.get("w").asInt();
        int[][] patches = RandomErasing.patches(h, w, doubles(c.get("ratios_h")), doubles(c.get("ratios_w")),
                ints(c.get("px1")), ints(c.get("py1")));
        JsonNode want = c.get("patches");
        assertEquals(want.size(), patches.length, name);
        for (int j = 0; j < patches.length; j++) assertArrayEquals(ints(want.get(j)), patches[j], name + " patch " + j);

        // boxes split as the engine keeps them: ignored (crowd) boxes apart, labels = the box's index
        float[] all = GoldenFiles.floats(c.get("boxes"));
        List<float[]> boxes = new ArrayList<>(), crowd = new ArrayList<>();
        List<Integer> labels = new ArrayList<>(), crowdLabels = new ArrayList<>(), wantKept = new ArrayList<>(), wantCrowd = new ArrayList<>();
        for (int i = 0; i < all.length / 4; i++) {
            float[] b = {all[4 * i], all[4 * i + 1], all[4 * i + 2], all[4 * i + 3]};
            boolean ignored = c.get("ignore").get(i).asBoolean(), valid = c.get("valid").get(i).asBoolean();
            (ignored ? crowd : boxes).add(b);
            (ignored ? crowdLabels : labels).add(i);
            if (valid) (ignored ? wantCrowd : wantKept).add(i);
        }
        ImageRecord rec = new ImageRecord(1, name, w, h, flat(boxes), labels.stream().mapToInt(Integer::intValue).toArray(),
                flat(crowd), crowdLabels.stream().mapToInt(Integer::intValue).toArray(), true);
        RandomErasing t = new RandomErasing(1, 1, 0, 0, true, c.get("thr").asDouble(), List.of(c.get("border").get(0).asDouble(),
                c.get("border").get(1).asDouble(), c.get("border").get(2).asDouble()));
        PreparedImage p;
        try (Mat in = RandomAffineGoldenTest.input(c); TransformState s = new TransformState(in, rec)) {
            t.erase(s, patches);
            p = s.result(rec, 0);
        }
        float[] got = p.values();
        if (got == null) { // an 8-bit image stays 8-bit
            got = new float[p.pixels().length];
            for (int i = 0; i < got.length; i++) got[i] = p.pixels()[i] & 0xFF;
        }
        assertEquals(c.get("dtype").asText().equals("uint8"), p.values() == null, name + ": the image keeps its type");
        assertArrayEquals(GoldenFiles.floats(c.get("output")), got, name + ": erased image");
        assertArrayEquals(wantKept.stream().mapToInt(Integer::intValue).toArray(), p.gt().labels(), name + ": kept boxes");
        assertArrayEquals(wantCrowd.stream().mapToInt(Integer::intValue).toArray(), p.gt().ignoredLabels(), name + ": kept ignored boxes");
        for (int k = 0; k < wantKept.size(); k++) // boxes are kept as they were
            for (int q = 0; q < 4; q++) assertEquals(all[4 * wantKept.get(k) + q], p.gt().boxes()[4 * k + q], name);
    }

    private static float[] flat(List<float[]> boxes) {
        float[] out = new float[boxes.size() * 4];
        for (int i = 0; i < boxes.size(); i++) System.arraycopy(boxes.get(i), 0, out, 4 * i, 4);
        return out;
    }
}
