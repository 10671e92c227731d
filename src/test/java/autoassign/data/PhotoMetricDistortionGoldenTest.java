package autoassign.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/photometric_distortion}: a uint8 image, the draws, and MMDetection's
 * PhotoMetricDistortion output computed with NumPy and Python's OpenCV (scripts/goldens/photometric_distortion.py).
 * The folder defaults to {@code src/test/resources/goldens}; {@code -Dgoldens.dir=DIR} points at another folder
 * laid out like it.
 */
class PhotoMetricDistortionGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() throws IOException {
        String d = System.getProperty("goldens.dir");
        Path dir = (d == null || d.isBlank() ? Paths.get("src/test/resources/goldens") : Paths.get(d)).resolve("photometric_distortion");
        List<Arguments> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.toString().endsWith(".json")).sorted()
                    .forEach(p -> out.add(Arguments.of(p.getFileName().toString(), p)));
        }
        assertFalse(out.isEmpty(), "no golden case in " + dir);
        return out.stream();
    }

    /** The draws of a case file. */
    static PhotoMetricDistortion.Draw draw(JsonNode d) {
        int[] perm = new int[3];
        for (int i = 0; i < 3; i++) perm[i] = d.get("permutation").get(i).asInt();
        return new PhotoMetricDistortion.Draw(d.get("mode").asInt() == 1, d.get("brightness").asBoolean(),
                d.get("contrast").asBoolean(), d.get("saturation").asBoolean(), d.get("hue").asBoolean(),
                d.get("swap").asBoolean(), d.get("delta").asDouble(), d.get("alpha").asDouble(),
                d.get("saturation_value").asDouble(), d.get("hue_value").asDouble(), perm);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int h = c.get("h").asInt(), w = c.get("w").asInt();
        float[] px = new float[h * w * 3];
        for (int i = 0; i < px.length; i++) px[i] = c.get("input").get(i).asInt();
        PhotoMetricDistortion.apply(px, h, w, draw(c.get("draw")));
        JsonNode want = c.get("output");
        assertEquals(px.length, want.size(), name);
        int exact = 0;
        double worst = 0;
        for (int i = 0; i < px.length; i++) {
            float e = (float) want.get(i).asDouble();
            if (Float.floatToIntBits(e) == Float.floatToIntBits(px[i]) || e == px[i]) exact++;
            worst = Math.max(worst, Math.abs(e - px[i]));
        }
        // OpenCV 4.13 here and the generator's OpenCV agree to a few float32 ulps (their vector code rounds a few
        // products differently); 1e-3 is a thousandth of a grey level
        System.out.printf("%s: %d of %d values bit-exact, worst difference %.3g%n", name, exact, px.length, worst);
        assertTrue(worst <= 1e-3, name + ": worst difference " + worst);
    }
}
