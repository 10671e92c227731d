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
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every case of {@code <goldens>/resize_modes}: an 8-bit image with boxes through MMDetection 3.3's {@code Resize}
 * (keep_ratio False / True, clip_object_border, scale_factor without a scale) or {@code FixShapeResize} (keep_ratio False / True with its Pad), as
 * scripts/goldens/resize_modes.py transcribes them with NumPy and cv2. Image size, scale factor (exact doubles), pixels
 * and float32 boxes must be equal.
 */
class ResizeModesGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("resize_modes"); }

    private static ResizeStep step(JsonNode c) {
        boolean keep = c.get("keep_ratio").asBoolean(), clip = c.get("clip_object_border").asBoolean();
        JsonNode p = c.get("pad_val");
        List<Double> fill = List.of(p.get(0).asDouble(), p.get(1).asDouble(), p.get(2).asDouble());
        JsonNode f = c.get("scale_factor_arg");
        if (f != null && !f.isNull()) return ResizeStep.byFactor(keep, clip, f.get(0).asDouble(), f.get(1).asDouble());
        return c.get("type").asText().equals("FixShapeResize") ? ResizeStep.fixShape(keep, clip, fill)
                : new ResizeStep("Resize", keep, clip, null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int h = c.get("h").asInt(), w = c.get("w").asInt();
        float[] boxes = GoldenFiles.floats(c.get("boxes"));
        ImageRecord rec = new ImageRecord(1, name, w, h, boxes, new int[boxes.length / 4], new float[0], new int[0], true);
        ResizeStep step = step(c);
        PreparedImage p;
        try (Mat in = RandomAffineGoldenTest.input(c); TransformState s = new TransformState(in, rec)) {
            s.resize(step, c.get("scale").get(0).asInt(), c.get("scale").get(1).asInt());
            p = s.result(rec, 0);
        }
        assertEquals(c.get("img_shape").get(0).asInt(), p.meta().imgH(), name + ": img_shape[0]");
        assertEquals(c.get("img_shape").get(1).asInt(), p.meta().imgW(), name + ": img_shape[1]");
        assertEquals(c.get("scale_factor").get(0).asDouble(), p.meta().scaleW(), 0.0, name + ": scale_factor[0]");
        assertEquals(c.get("scale_factor").get(1).asDouble(), p.meta().scaleH(), 0.0, name + ": scale_factor[1]");
        assertEquals(h, p.meta().oriH(), name);
        assertEquals(w, p.meta().oriW(), name);
        JsonNode want = c.get("output");
        byte[] got = p.pixels();
        assertEquals(want.size(), got.length, name + ": pixel count");
        for (int i = 0; i < got.length; i++)
            if (want.get(i).asInt() != (got[i] & 0xFF))
                throw new AssertionError(name + ": pixel " + i + " (y " + i / 3 / p.meta().imgW() + ", x " + i / 3 % p.meta().imgW()
                        + ", channel " + i % 3 + ") is " + (got[i] & 0xFF) + ", MMDetection has " + want.get(i).asInt());
        assertArrayEquals(GoldenFiles.floats(c.get("out_boxes")), p.gt().boxes(), name + ": boxes");
    }
}
