package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;

/**
 * Every case of {@code <goldens>/random_affine}: an image, boxes, given draws, and MMDetection's RandomAffine result
 * (warp matrix, image, boxes, kept flags) computed with NumPy and Python's OpenCV 4.6 by
 * scripts/goldens/random_affine.py ({@code -Dgoldens.dir=DIR} reads another folder laid out like
 * src/test/resources/goldens).
 */
class RandomAffineGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("random_affine"); }

    /** A Mat of the case's input (8-bit or float32), owning its memory. */
    static Mat input(JsonNode c) {
        int h = c.get("h").asInt(), w = c.get("w").asInt();
        float[] px = floats(c.get("input"));
        if (c.get("dtype").asText().equals("uint8")) {
            byte[] b = new byte[px.length];
            for (int i = 0; i < b.length; i++) b[i] = (byte) (int) px[i];
            try (BytePointer bp = new BytePointer(b); Mat m = new Mat(h, w, CV_8UC3, bp)) {
                return m.clone();
            }
        }
        try (FloatPointer fp = new FloatPointer(px); Mat m = new Mat(h, w, CV_32FC3, fp)) {
            return m.clone();
        }
    }

    static RandomAffine transform(JsonNode c) {
        JsonNode f = c.get("filter");
        boolean skip = c.get("skip_filter").asBoolean();
        return new RandomAffine(10, 0.1, 0.5, 1.5, 2, c.get("border").get(0).asInt(), c.get("border").get(1).asInt(),
                List.of(c.get("border_val").get(0).asDouble(), c.get("border_val").get(1).asDouble(), c.get("border_val").get(2).asDouble()),
                c.get("bbox_clip_border").asBoolean(), skip, skip ? 2 : f.get("min_bbox_size").asDouble(),
                skip ? 0.2 : f.get("min_area_ratio").asDouble(), skip ? 20 : f.get("max_aspect_ratio").asDouble());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int outH = c.get("out_h").asInt(), outW = c.get("out_w").asInt();
        RandomAffine t = transform(c);
        assertArrayEquals(new int[] {outH, outW}, t.outputSize(c.get("h").asInt(), c.get("w").asInt()), name);

        // the matrix from the draws: NumPy's float32 products may round an entry differently (BLAS order, libm)
        JsonNode d = c.get("draw");
        float[] want = floats(c.get("matrix"));
        float[] m = RandomAffine.matrix(new RandomAffine.Draw(d.get("rotate_degree").asDouble(), d.get("scale").asDouble(),
                d.get("shear_x_degree").asDouble(), d.get("shear_y_degree").asDouble(),
                d.get("translate_x_ratio").asDouble() * outW, d.get("translate_y_ratio").asDouble() * outH));
        int matrixExact = 0;
        for (int i = 0; i < 9; i++) {
            assertEquals(want[i], m[i], 2 * Math.ulp(Math.max(Math.abs(want[i]), 1f)), name + " matrix[" + i + "]");
            if (want[i] == m[i]) matrixExact++;
        }

        // the image, warped with the case's matrix
        float[] expected = floats(c.get("output"));
        float[] got;
        try (Mat in = input(c); Mat out = t.warp(in, want, outH, outW)) {
            assertEquals(in.type(), out.type(), name + ": the image keeps its type");
            assertEquals(outH, out.rows());
            assertEquals(outW, out.cols());
            got = TransformState.floats(out);
        }
        boolean bytes = c.get("dtype").asText().equals("uint8");
        int exact = 0;
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            if (got[i] == expected[i]) exact++;
            worst = Math.max(worst, Math.abs(got[i] - expected[i]) / (bytes ? 1 : Math.max(1, Math.abs(expected[i]))));
        }
        System.out.printf("%s: matrix %d of 9 entries equal; image %d of %d values equal, worst difference %.3g%n", name,
                matrixExact, exact, got.length, worst);
        // OpenCV 4.13 here reproduces 4.6's warp bit for bit on every case; the margin (one grey level, 1e-4 relative
        // for float images, 99 % equal) is for builds whose vector code rounds the mapped coordinates differently
        assertTrue(bytes ? worst <= 1 : worst <= 1e-4, name + ": worst difference " + worst);
        assertTrue(exact >= 0.99 * got.length, name + ": only " + exact + " of " + got.length + " values equal");

        // the boxes: projected corners, clipped, inside / 2.x filter
        float[] boxes = floats(c.get("boxes"));
        float[] warped = RandomAffine.project(boxes, want);
        boolean[] keep = t.keep(boxes, warped, outH, outW, d.get("scale").asDouble());
        float[] wantBoxes = floats(c.get("warped_boxes"));
        for (int i = 0; i < warped.length; i++)
            assertEquals(wantBoxes[i], warped[i], 1e-5f * Math.max(1, Math.abs(wantBoxes[i])), name + " box value " + i);
        JsonNode k = c.get("keep");
        for (int i = 0; i < keep.length; i++) assertEquals(k.get(i).asBoolean(), keep[i], name + " keep[" + i + "]");
    }
}
