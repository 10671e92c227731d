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
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/yolox_hsv}: an image, the gains' uniforms and flags, and MMDetection's
 * YOLOXHSVRandomAug result computed with NumPy and Python's OpenCV 4.6 by scripts/goldens/yolox_hsv.py.
 */
class YoloxHsvGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("yolox_hsv"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        JsonNode d = c.get("draw");
        YoloxHsvRandomAug t = new YoloxHsvRandomAug(d.get("hue_delta").asDouble(), d.get("saturation_delta").asDouble(),
                d.get("value_delta").asDouble());
        double[] u = new double[3];
        int[] flags = new int[3], want = new int[3];
        for (int i = 0; i < 3; i++) {
            u[i] = d.get("uniforms").get(i).asDouble();
            flags[i] = d.get("flags").get(i).asInt();
            want[i] = c.get("gains").get(i).asInt();
        }
        int[] g = t.gains(u, flags);
        assertArrayEquals(want, g, name + " gains");

        boolean bytes = c.get("dtype").asText().equals("uint8");
        float[] expected = GoldenFiles.floats(c.get("output")), got;
        try (Mat in = RandomAffineGoldenTest.input(c);
             Mat out = bytes ? YoloxHsvRandomAug.applyBytes(in, g) : YoloxHsvRandomAug.applyFloats(in, g)) {
            assertEquals(in.type(), out.type(), name + ": the image keeps its type");
            got = TransformState.floats(out);
        }
        int exact = 0;
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            if (got[i] == expected[i]) exact++;
            worst = Math.max(worst, Math.abs(got[i] - expected[i]) / (bytes ? 1 : Math.max(1, Math.abs(expected[i]))));
        }
        System.out.printf("%s: %d of %d values equal, worst difference %.3g%n", name, exact, got.length, worst);
        // the 8-bit path is integer arithmetic and OpenCV's table-driven conversions: bit for bit with 4.6; the float
        // conversions may round the last bit differently between builds (as for PhotoMetricDistortion)
        assertTrue(bytes ? worst == 0 : worst <= 1e-4, name + ": worst difference " + worst);
    }
}
