package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static autoassign.GoldenFiles.ints;

/**
 * One case written by scripts/goldens/crop_expand_shift.py: the input image, its boxes (label = the box's index; the
 * ignored ones become the engine's crowd boxes), the given draws ({@code draw}) and MMDetection's result (image, kept
 * boxes in float32, their labels and ignore flags). Shared by the RandomCrop, Expand, MinIoURandomCrop, RandomShift and
 * CutOut golden tests.
 */
final class TransformGoldenCase implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    final JsonNode c;
    final String name;
    final int h, w;
    final JsonNode cfg, draw;
    final ImageRecord rec;
    private final Mat input;

    private TransformGoldenCase(JsonNode c) {
        this.c = c;
        this.name = c.get("name").asText();
        this.h = c.get("h").asInt();
        this.w = c.get("w").asInt();
        this.cfg = c.get("cfg");
        this.draw = c.get("draw");
        float[] all = GoldenFiles.floats(c.get("boxes"));
        List<Integer> labels = new ArrayList<>(), crowdLabels = new ArrayList<>();
        List<Float> boxes = new ArrayList<>(), crowd = new ArrayList<>();
        for (int i = 0; i < all.length / 4; i++) {
            boolean ignored = c.get("ignore").get(i).asBoolean();
            for (int q = 0; q < 4; q++) (ignored ? crowd : boxes).add(all[4 * i + q]);
            (ignored ? crowdLabels : labels).add(i);
        }
        this.rec = new ImageRecord(1, name, w, h, floats(boxes), ints(labels), floats(crowd), ints(crowdLabels), true);
        this.input = RandomAffineGoldenTest.input(c);
    }

    static TransformGoldenCase read(Path file) throws IOException { return new TransformGoldenCase(JSON.readTree(file.toFile())); }

    /** A fresh pipeline state on the case's input. */
    TransformState state() { return new TransformState(input, rec); }

    static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asDouble();
        return out;
    }

    static List<Double> doubleList(JsonNode a) {
        List<Double> out = new ArrayList<>();
        for (JsonNode v : a) out.add(v.asDouble());
        return out;
    }

    /** The state's result against MMDetection's: image size, type and pixels, kept boxes (float32 bits), labels, crowd. */
    void assertResult(TransformState s) {
        PreparedImage p = s.result(rec, 0);
        assertEquals(c.get("out_h").asInt(), p.meta().imgH(), name + ": image height");
        assertEquals(c.get("out_w").asInt(), p.meta().imgW(), name + ": image width");
        assertEquals(c.get("dtype").asText().equals("uint8"), p.values() == null, name + ": the image keeps its type");
        float[] got = p.values();
        if (got == null) {
            got = new float[p.pixels().length];
            for (int i = 0; i < got.length; i++) got[i] = p.pixels()[i] & 0xFF;
        }
        assertArrayEquals(GoldenFiles.floats(c.get("output")), got, name + ": pixels");
        float[] outBoxes = GoldenFiles.floats(c.get("out_boxes"));
        List<Integer> labels = new ArrayList<>(), crowdLabels = new ArrayList<>();
        List<Float> boxes = new ArrayList<>(), crowd = new ArrayList<>();
        for (int i = 0; i < c.get("out_labels").size(); i++) {
            boolean ignored = c.get("out_ignore").get(i).asBoolean();
            for (int q = 0; q < 4; q++) (ignored ? crowd : boxes).add(outBoxes[4 * i + q]);
            (ignored ? crowdLabels : labels).add(c.get("out_labels").get(i).asInt());
        }
        assertArrayEquals(ints(labels), p.gt().labels(), name + ": kept boxes");
        assertArrayEquals(floats(boxes), p.gt().boxes(), name + ": box coordinates");
        assertArrayEquals(ints(crowdLabels), p.gt().ignoredLabels(), name + ": kept ignored boxes");
        assertArrayEquals(floats(crowd), p.gt().ignoredBoxes(), name + ": ignored box coordinates");
    }

    private static float[] floats(List<Float> v) {
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    private static int[] ints(List<Integer> v) { return v.stream().mapToInt(Integer::intValue).toArray(); }

    @Override public void close() { input.close(); }
}
