package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every case of {@code <goldens>/coco_data_path}, made by scripts/goldens/coco_data_path.py from transcriptions of
 * MMDetection 3.3 / MMCV 2.x / MMEngine 0.10 / pycocotools (NumPy 1.24, Python's OpenCV 4.6, torch 1.13):
 * <ul>
 *   <li>{@code dataset_*}: CocoDataset's parse_data_info + filter_data on an annotation file of edge cases: the images
 *       kept, in order, with their boxes (float32), labels and ignore flags (crowd boxes here);</li>
 *   <li>{@code resize_*}: keep-ratio Resize (size, scale_factor, OpenCV 4.6's bilinear bytes, boxes rescaled and
 *       clipped), RandomFlip (bytes, boxes), detections mapped back by {@code 1 / scale_factor}, and the data
 *       preprocessor's normalised, padded batch, all bit for bit; the parity-image cases need ../shared;</li>
 *   <li>{@code sampler_*}: DefaultSampler (no shuffle, round_up) shards and AspectRatioBatchSampler batches.</li>
 * </ul>
 */
class CocoDataPathGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("coco_data_path"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String name, Path file, @TempDir Path tmp) throws Exception {
        JsonNode c = JSON.readTree(file.toFile());
        if (name.startsWith("dataset_")) dataset(c, tmp);
        else if (name.startsWith("resize_")) resize(c);
        else if (name.startsWith("sampler_")) sampler(c);
        else throw new IllegalStateException("unknown case kind: " + name);
    }

    private static void dataset(JsonNode c, Path tmp) throws Exception {
        Path ann = tmp.resolve("instances.json");
        JSON.writeValue(ann.toFile(), c.get("coco"));
        List<String> classes = null;
        if (!c.get("classes").isNull()) {
            classes = new ArrayList<>();
            for (JsonNode n : c.get("classes")) classes.add(n.asText());
        }
        CocoDataset ds = CocoDataset.load(ann, tmp, classes, new DataIssues("golden", m -> { }, 0));
        if (!c.get("test_mode").asBoolean()) {
            JsonNode f = c.get("filter_cfg");
            ds = ds.filter(f.path("filter_empty_gt").asBoolean(false), f.path("min_size").asInt(0));
        }
        JsonNode exp = c.get("expected");
        long[] catIds = new long[exp.get("cat_ids").size()];
        for (int k = 0; k < catIds.length; k++) catIds[k] = exp.get("cat_ids").get(k).asLong();
        for (int k = 0; k < catIds.length; k++) assertEquals(catIds[k], ds.categories().categoryId(k), "category id of label " + k);
        JsonNode list = exp.get("data_list");
        assertEquals(list.size(), ds.size(), "images kept");
        for (int i = 0; i < list.size(); i++) {
            JsonNode d = list.get(i);
            ImageRecord r = ds.get(i);
            String at = "image " + d.get("img_id").asLong();
            assertEquals(d.get("img_id").asLong(), r.id(), "image " + i);
            assertEquals(d.get("width").asInt(), r.width(), at);
            assertEquals(d.get("height").asInt(), r.height(), at);
            assertEquals(d.get("file_name").asText(), r.fileName(), at);
            // PackDetInputs splits gt_bboxes by ignore_flag, keeping the order within each part
            List<Float> boxes = new ArrayList<>(), crowd = new ArrayList<>();
            List<Integer> labels = new ArrayList<>(), crowdLabels = new ArrayList<>();
            for (int j = 0; j < d.get("labels").size(); j++) {
                boolean ignored = d.get("ignore_flags").get(j).asInt() == 1;
                for (int k = 0; k < 4; k++) (ignored ? crowd : boxes).add((float) d.get("bboxes").get(4 * j + k).asDouble());
                (ignored ? crowdLabels : labels).add(d.get("labels").get(j).asInt());
            }
            assertArrayEquals(floats(boxes), r.boxes(), at + ": boxes");
            assertArrayEquals(labels.stream().mapToInt(Integer::intValue).toArray(), r.labels(), at + ": labels");
            assertArrayEquals(floats(crowd), r.crowdBoxes(), at + ": crowd boxes");
            assertArrayEquals(crowdLabels.stream().mapToInt(Integer::intValue).toArray(), r.crowdLabels(), at + ": crowd labels");
        }
    }

    private static void resize(JsonNode c) throws Exception {
        JsonNode exp = c.get("expected");
        Mat img;
        if (c.has("parity")) {
            Path dir = SharedData.paritySamples();
            img = imread(dir.resolve(c.get("parity").asText() + ".decoded.png").toString(), IMREAD_UNCHANGED);
        } else {
            img = mat(Base64.getDecoder().decode(c.get("image").asText()), c.get("h").asInt(), c.get("w").asInt());
        }
        float[] all = floats(c.get("boxes"));
        int half = all.length / 8 * 4; // the first boxes as boxes, the others as crowd boxes: both go through the same steps
        float[] boxes = java.util.Arrays.copyOfRange(all, 0, half), crowd = java.util.Arrays.copyOfRange(all, half, all.length);
        ImageRecord rec = new ImageRecord(1, "golden", img.cols(), img.rows(), boxes, new int[half / 4], crowd,
                new int[(all.length - half) / 4], true);
        JsonNode sc = c.get("scale");
        PipelineOptions opts = new PipelineOptions(sc.get(0).asInt(), sc.get(1).asInt(), 0.5, floats(c.get("mean")),
                floats(c.get("std")), c.get("pad_size_divisor").asInt());
        Pipeline pipe = new Pipeline(opts);
        try (img) {
            PreparedImage plain = pipe.prepare(img, rec, 0, false);
            PreparedImage flipped = pipe.prepare(img, rec, 0, true);
            ImageMeta m = plain.meta();
            assertEquals(exp.get("new_w").asInt(), m.imgW(), "new width");
            assertEquals(exp.get("new_h").asInt(), m.imgH(), "new height");
            assertEquals(exp.get("scale_factor").get(0).asDouble(), m.scaleW(), 0.0, "w_scale");
            assertEquals(exp.get("scale_factor").get(1).asDouble(), m.scaleH(), 0.0, "h_scale");
            assertEquals(exp.get("resized_sha256").asText(), sha256(plain.pixels()), "resized bytes (OpenCV 4.6's)");
            assertEquals(exp.get("flipped_sha256").asText(), sha256(flipped.pixels()), "flipped bytes");
            assertArrayEquals(floats(exp.get("boxes")), concat(plain.gt().boxes(), plain.gt().ignoredBoxes()), "resized boxes");
            assertArrayEquals(floats(exp.get("flipped_boxes")), concat(flipped.gt().boxes(), flipped.gt().ignoredBoxes()),
                    "flipped boxes");
            assertArrayEquals(floats(exp.get("detections_back")), m.toOriginal(floats(c.get("detections"))), "detections mapped back");

            List<PreparedImage> batch = new ArrayList<>(List.of(plain));
            if (c.has("partner")) { // an image as it is (already resized) next to it in the batch
                JsonNode p = c.get("partner");
                int h = p.get("h").asInt(), w = p.get("w").asInt();
                ImageMeta pm = new ImageMeta(2, "partner", 1, h, w, h, w, 1, 1, false, 0, 0);
                batch.add(new PreparedImage(pm, Base64.getDecoder().decode(p.get("image").asText()),
                        new GroundTruth(new float[0], new int[0], new float[0], new int[0])));
            }
            Batch b = pipe.collate(batch);
            int[] shape = new int[4];
            for (int k = 0; k < 4; k++) shape[k] = exp.get("batch_shape").get(k).asInt();
            assertArrayEquals(shape, b.shape(), "batch shape");
            for (JsonNode probe : exp.get("batch_probe"))
                assertEquals((float) probe.get(1).asDouble(), b.data()[probe.get(0).asInt()], "batch value " + probe.get(0).asInt());
            ByteBuffer bytes = ByteBuffer.allocate(4 * b.data().length).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(b.data());
            assertEquals(exp.get("batch_sha256").asText(), sha256(bytes.array()), "normalised, padded batch");
        }
    }

    private static void sampler(JsonNode c) {
        JsonNode sizes = c.get("sizes");
        int n = sizes.size();
        int[] w = new int[n], h = new int[n];
        for (int i = 0; i < n; i++) { w[i] = sizes.get(i).get(0).asInt(); h[i] = sizes.get(i).get(1).asInt(); }
        int batch = c.get("batch_size").asInt(), world = c.get("world_size").asInt();
        JsonNode ranks = c.get("expected").get("ranks");
        for (int r = 0; r < world; r++) {
            BatchSampler s = new BatchSampler(w, h, batch, false, 0, r, world, true, false);
            JsonNode e = ranks.get(r);
            assertArrayEquals(ints(e.get("indices")), s.indices(0), "rank " + r + " indices");
            List<int[]> got = s.batches(0);
            assertEquals(e.get("batches").size(), got.size(), "rank " + r + " batches");
            for (int k = 0; k < got.size(); k++) assertArrayEquals(ints(e.get("batches").get(k)), got.get(k), "rank " + r + " batch " + k);
        }
    }

    private static Mat mat(byte[] px, int h, int w) {
        try (BytePointer bp = new BytePointer(px); Mat m = new Mat(h, w, CV_8UC3, bp)) {
            return m.clone();
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] floats(List<Float> v) {
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

}
