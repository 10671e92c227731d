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
import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;

/**
 * Every case of {@code <goldens>/mosaic_mixup}: images, boxes, labels and given draws, and MMDetection's Mosaic / MixUp
 * result (image, kept boxes and labels) computed with NumPy and Python's OpenCV 4.6 by scripts/goldens/mosaic_mixup.py
 * (a transcription of mmdet 3.3's formulas; {@code -Dgoldens.dir=DIR} reads another folder). Images must agree bit for
 * bit (8-bit and float64 bilinear resizes, truncating casts), boxes exactly (the same float32 operations).
 */
class MosaicMixUpGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("mosaic_mixup"); }

    private static Mat image(JsonNode c) {
        int h = c.get("h").asInt(), w = c.get("w").asInt();
        byte[] px = new byte[h * w * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) c.get("data").get(i).asInt();
        return TransformState.byteMat(px, h, w);
    }

    private static byte[] bytes(JsonNode c) {
        byte[] px = new byte[c.get("data").size()];
        for (int i = 0; i < px.length; i++) px[i] = (byte) c.get("data").get(i).asInt();
        return px;
    }

    /** A state over this image with these boxes and labels (no crowd boxes). */
    private static TransformState state(Mat img, float[] boxes, int[] labels) {
        return new TransformState(img, new ImageRecord(1, "x.png", img.cols(), img.rows(), boxes, labels, new float[0], new int[0], true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int sw = c.get("img_scale").get(0).asInt(), sh = c.get("img_scale").get(1).asInt(); // (w, h), as mmdet 3.x reads it
        boolean clip = c.get("bbox_clip_border").asBoolean();
        List<Mat> mats = new ArrayList<>();
        List<TransformState> states = new ArrayList<>();
        try {
            TransformState s;
            if (c.get("kind").asText().equals("mosaic")) {
                for (int i = 0; i < 4; i++) {
                    Mat m = image(c.get("images").get(i));
                    mats.add(m);
                    states.add(state(m, floats(c.get("boxes").get(i)), ints(c.get("labels").get(i))));
                }
                s = states.get(0);
                Mosaic mo = new Mosaic(sw, sh, 0.5, 1.5, clip, c.get("pad_val").asDouble(), 1.0);
                mo.mix(s, states.subList(1, 4), c.get("center").get(0).asInt(), c.get("center").get(1).asInt());
            } else {
                Mat a = image(c.get("image")), b = image(c.get("other"));
                mats.add(a);
                mats.add(b);
                s = state(a, floats(c.get("boxes")), ints(c.get("labels")));
                TransformState o = state(b, floats(c.get("other_boxes")), ints(c.get("other_labels")));
                states.add(s);
                states.add(o);
                MixUp mu = new MixUp(sw, sh, 0.5, 1.5, 0.5, c.get("pad_val").asDouble(), c.get("pad_is_int").asBoolean(), 15, clip);
                int y = c.get("y_offset").asInt(), x = c.get("x_offset").asInt();
                mu.mix(s, o, new MixUp.Draw(c.get("jit").asDouble(), c.get("flip").asBoolean()), n -> y, n -> x);
            }
            JsonNode out = c.get("out_image");
            assertEquals(out.get("h").asInt(), s.height());
            assertEquals(out.get("w").asInt(), s.width());
            byte[] want = bytes(out), got = TransformState.bytes(s.image());
            int unequal = 0, first = -1;
            for (int i = 0; i < want.length; i++)
                if (want[i] != got[i] && unequal++ == 0) first = i;
            assertEquals(0, unequal, name + ": " + unequal + " of " + want.length + " values differ, first at " + first
                    + (first < 0 ? "" : " (" + (want[first] & 0xFF) + " vs " + (got[first] & 0xFF) + ")"));
            assertArrayEquals(floats(c.get("out_boxes")), s.boxes(), 0f, name + " boxes");
            assertArrayEquals(ints(c.get("out_labels")), s.labels(), name + " labels");
        } finally {
            for (TransformState t : states) t.close();
            for (Mat m : mats) m.close();
        }
    }
}
