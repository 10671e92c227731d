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
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/autoaugment}: an image, boxes, a transform of the AutoAugment family at a given level
 * (and reversal), and MMDetection's result computed with NumPy and Python's OpenCV 4.6 by scripts/goldens/autoaugment.py
 * ({@code -Dgoldens.dir=DIR} reads another folder laid out like src/test/resources/goldens). The magnitude comes from
 * the engine's {@code level_to_mag} and must equal the script's exactly.
 *
 * <p>Tolerances: NumPy-only transforms (Solarize, SolarizeAdd, Posterize, Equalize, AutoContrast, Invert, and the
 * translations, whose integer shifts copy pixels) must match bit for bit. Those that go through OpenCV's
 * {@code warpAffine}, {@code addWeighted}, {@code cvtColor} or {@code filter2D} (shears, Rotate, Color, Brightness,
 * Contrast, Sharpness) may differ by one grey level (1e-4 relative on float images) in at most 1 % of the values: another
 * OpenCV build may round a fused multiply-add or a fixed-point weight differently, and the truncating
 * {@code astype(uint8)} after {@code addWeighted} turns any float difference at an integer into a whole grey level
 * (our OpenCV 4.13 reproduces Python's 4.6 bit for bit on every case). Boxes within 1e-4.
 */
class AutoAugmentGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The transforms computed by NumPy alone (or by copying pixels): bit for bit. */
    private static final Set<String> EXACT = Set.of("Solarize", "SolarizeAdd", "Posterize", "Equalize", "AutoContrast", "Invert",
            "TranslateX", "TranslateY");

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("autoaugment"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        String type = c.get("type").asText();
        int level = c.get("level").asInt();
        double min = c.get("min_mag").asDouble(), max = c.get("max_mag").asDouble();
        double mag = AugmentMagnitude.ofLevel(level, min, max);
        assertEquals(c.get("level_mag").asDouble(), mag, 0.0, name + ": level_to_mag");

        float[] boxes = GoldenFiles.floats(c.get("boxes"));
        float[] wantBoxes = GoldenFiles.floats(c.get("out_boxes"));
        float[] got, gotBoxes;
        try (Mat in = RandomAffineGoldenTest.input(c);
             TransformState s = new TransformState(in, new ImageRecord(1, "x.png", in.cols(), in.rows(), boxes,
                     new int[boxes.length / 4], new float[0], new int[0], true))) {
            GeometricAugment.Kind g = GeometricAugment.Kind.of(type);
            if (g != null) {
                JsonNode b = c.get("img_border_value");
                GeometricAugment t = new GeometricAugment(g, new AugmentMagnitude(1, level, min, max), 0.5,
                        List.of(b.get(0).asDouble(), b.get(1).asDouble(), b.get(2).asDouble()), c.get("interpolation").asText());
                double signed = g == GeometricAugment.Kind.SHEAR_X || g == GeometricAugment.Kind.SHEAR_Y ? Math.tan(mag * Math.PI / 180) : mag;
                if (c.get("reversed").asBoolean()) signed = -signed;
                assertEquals(c.get("mag").asDouble(), signed, 1e-15 * Math.max(1, Math.abs(signed)), name + ": signed magnitude");
                float[] wantH = GoldenFiles.floats(c.get("homography"));
                float[] hm = t.homography(signed, in.rows(), in.cols());
                for (int i = 0; i < 9; i++) assertEquals(wantH[i], hm[i], 0f, name + " homography[" + i + "]");
                t.transform(s, signed);
            } else {
                new ColorAugment(ColorAugment.Kind.of(type), new AugmentMagnitude(1, level, min, max)).transform(s, mag);
            }
            assertEquals(in.type(), s.image().type(), name + ": the image keeps its type");
            assertEquals(in.rows(), s.height());
            assertEquals(in.cols(), s.width());
            got = TransformState.floats(s.image());
            gotBoxes = s.boxes();
        }

        float[] expected = GoldenFiles.floats(c.get("output"));
        boolean bytes = c.get("dtype").asText().equals("uint8");
        int exact = 0;
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            if (got[i] == expected[i]) exact++;
            worst = Math.max(worst, Math.abs(got[i] - expected[i]) / (bytes ? 1 : Math.max(1, Math.abs(expected[i]))));
        }
        System.out.printf("%s: %d of %d values equal, worst difference %.3g%n", name, exact, got.length, worst);
        if (EXACT.contains(type)) {
            assertEquals(got.length, exact, name + ": worst difference " + worst);
        } else {
            assertTrue(bytes ? worst <= 1 : worst <= 1e-4, name + ": worst difference " + worst);
            assertTrue(exact >= 0.99 * got.length, name + ": only " + exact + " of " + got.length + " values equal");
        }
        assertEquals(wantBoxes.length, gotBoxes.length, name + ": no box is dropped");
        for (int i = 0; i < gotBoxes.length; i++) assertEquals(wantBoxes[i], gotBoxes[i], 1e-4f, name + " box value " + i);
    }
}
