package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/cached_mosaic} and {@code <goldens>/cached_mixup} (scripts/goldens/cached_mix_pad_flip.py):
 * MMDetection 3.3's CachedMosaic / CachedMixUp called on a sequence of images with their draws given. For each call the
 * engine must ask for exactly the draws MMDetection made (the pop, the prob unit, the cache indexes and their ranges, the
 * centre / jitter / flip units, the crop offsets), hold the same cached images afterwards (dataset indexes, oldest first),
 * mix or not as MMDetection did, and give the same image (size, type, pixels), boxes (float32), labels and ignored boxes.
 */
class CachedStepsGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> mosaicCases() { return GoldenFiles.jsonCases("cached_mosaic"); }

    static Stream<Arguments> mixUpCases() { return GoldenFiles.jsonCases("cached_mixup"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mosaicCases")
    void cachedMosaicMatchesMmdetection(String file, Path path) throws IOException {
        JsonNode c = JSON.readTree(path.toFile()), cfg = c.get("cfg");
        CachedMosaic t = new CachedMosaic(new Mosaic(cfg.get("img_scale").get(0).asInt(), cfg.get("img_scale").get(1).asInt(),
                cfg.get("center_ratio_range").get(0).asDouble(), cfg.get("center_ratio_range").get(1).asDouble(),
                cfg.get("bbox_clip_border").asBoolean(), cfg.get("pad_val").asDouble(), cfg.get("prob").asDouble()),
                cfg.get("max_cached_images").asInt(), cfg.get("random_pop").asBoolean());
        try (ResultsCache cache = new ResultsCache()) {
            for (JsonNode call : c.get("calls")) {
                String at = file + " call " + call.get("dataset_index").asInt();
                Given g = new Given(call.get("draws"), at);
                CachedMosaic.Draws d = new CachedMosaic.Draws() {
                    @Override public int pop(int n) { return g.integer("pop", n); }
                    @Override public double prob() { return g.unit("u_prob"); }
                    @Override public int index(int i, int n) { return g.integer("indexes", n); }
                    @Override public double centerX() { return g.unit("u_cx"); }
                    @Override public double centerY() { return g.unit("u_cy"); }
                };
                run(call, at, cache, (s, k) -> {
                    boolean mixed = t.apply(s, k, cache, d);
                    assertEquals(call.get("mixed").asBoolean(), mixed, at + ": mixed");
                });
                g.assertAllUsed();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mixUpCases")
    void cachedMixUpMatchesMmdetection(String file, Path path) throws IOException {
        JsonNode c = JSON.readTree(path.toFile()), cfg = c.get("cfg");
        JsonNode pad = cfg.get("pad_val");
        boolean padIsInt = pad.isArray() ? pad.get(0).isIntegralNumber() : pad.isIntegralNumber();
        double padVal = pad.isArray() ? pad.get(0).asDouble() : pad.asDouble();
        CachedMixUp t = new CachedMixUp(new MixUp(cfg.get("img_scale").get(0).asInt(), cfg.get("img_scale").get(1).asInt(),
                cfg.get("ratio_range").get(0).asDouble(), cfg.get("ratio_range").get(1).asDouble(), cfg.get("flip_ratio").asDouble(),
                padVal, padIsInt, cfg.get("max_iters").asInt(), cfg.get("bbox_clip_border").asBoolean()),
                cfg.get("max_cached_images").asInt(), cfg.get("random_pop").asBoolean(), cfg.get("prob").asDouble());
        try (ResultsCache cache = new ResultsCache()) {
            for (JsonNode call : c.get("calls")) {
                String at = file + " call " + call.get("dataset_index").asInt();
                Given g = new Given(call.get("draws"), at);
                CachedMixUp.Draws d = new CachedMixUp.Draws() {
                    @Override public int pop(int n) { return g.integer("pop", n); }
                    @Override public double prob() { return g.unit("u_prob"); }
                    @Override public int index(int i, int n) { return g.integer("indexes", n); }
                    @Override public double jit() { return g.unit("u_jit"); }
                    @Override public double flip() { return g.unit("u_flip"); }
                    @Override public int yOffset(int n) { return g.integer("y_offset", n); }
                    @Override public int xOffset(int n) { return g.integer("x_offset", n); }
                };
                run(call, at, cache, (s, k) -> assertEquals(call.get("mixed").asInt(), t.apply(s, k, cache, d), at + ": cache index mixed in"));
                g.assertAllUsed();
            }
        }
    }

    /** The engine's own draws span NumPy's {@code randint(0, n)} exactly, and the units lie in [0, 1). */
    @Test
    void engineDrawsSpanNumpysRanges() {
        for (int n : new int[] {1, 4, 19}) {
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (int pos = 0; pos < 4000; pos++) {
                SampleDraws sd = SampleDraws.of(5, 1, pos);
                CachedMosaic.Draws m = CachedMosaic.Draws.of(sd);
                CachedMixUp.Draws x = CachedMixUp.Draws.of(sd);
                for (int v : new int[] {m.pop(n), m.index(0, n), m.index(2, n), x.pop(n), x.index(0, n), x.index(14, n), x.yOffset(n),
                        x.xOffset(n)}) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                for (double u : new double[] {m.prob(), m.centerX(), m.centerY(), x.prob(), x.jit(), x.flip()})
                    assertTrue(u >= 0 && u < 1, "unit " + u);
            }
            assertEquals(0, lo, "randint(0, " + n + ")");
            assertEquals(n - 1, hi, "randint(0, " + n + ")");
        }
    }

    private interface Step {
        void apply(TransformState s, int datasetIndex);
    }

    /** One call: the input state, the step, then the cache content and the result against MMDetection's. */
    private static void run(JsonNode call, String at, ResultsCache cache, Step step) {
        JsonNode in = call.get("input");
        ImageRecord rec = record(in, call.get("dataset_index").asInt());
        try (Mat m = mat(in.get("image")); TransformState s = new TransformState(m, rec)) {
            step.apply(s, call.get("dataset_index").asInt());
            List<Integer> want = new ArrayList<>();
            for (JsonNode v : call.get("cache")) want.add(v.asInt());
            assertEquals(want, cache.datasetIndexes(), at + ": cached results");
            assertResult(s.result(rec, 0), call.get("output"), at);
        }
    }

    static ImageRecord record(JsonNode r, int id) {
        float[] all = GoldenFiles.floats(r.get("boxes"));
        List<Float> b = new ArrayList<>(), k = new ArrayList<>();
        List<Integer> l = new ArrayList<>(), kl = new ArrayList<>();
        for (int i = 0; i < r.get("labels").size(); i++) {
            boolean ign = r.get("ignore").get(i).asBoolean();
            for (int q = 0; q < 4; q++) (ign ? k : b).add(all[4 * i + q]);
            (ign ? kl : l).add(r.get("labels").get(i).asInt());
        }
        JsonNode img = r.get("image");
        return new ImageRecord(id, "call" + id, img.get("w").asInt(), img.get("h").asInt(), floats(b), ints(l), floats(k), ints(kl), true);
    }

    static Mat mat(JsonNode img) {
        int h = img.get("h").asInt(), w = img.get("w").asInt();
        float[] px = GoldenFiles.floats(img.get("data"));
        if (img.get("dtype").asText().equals("uint8")) {
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

    static void assertResult(PreparedImage p, JsonNode out, String at) {
        JsonNode img = out.get("image");
        assertEquals(img.get("h").asInt(), p.meta().imgH(), at + ": image height");
        assertEquals(img.get("w").asInt(), p.meta().imgW(), at + ": image width");
        assertEquals(img.get("dtype").asText().equals("uint8"), p.values() == null, at + ": the image type");
        float[] got = p.values();
        if (got == null) {
            got = new float[p.pixels().length];
            for (int i = 0; i < got.length; i++) got[i] = p.pixels()[i] & 0xFF;
        }
        assertArrayEquals(GoldenFiles.floats(img.get("data")), got, at + ": pixels");
        ImageRecord want = record(out, 0);
        assertArrayEquals(want.labels(), p.gt().labels(), at + ": kept boxes (labels)");
        assertArrayEquals(want.boxes(), p.gt().boxes(), at + ": box coordinates");
        assertArrayEquals(want.crowdLabels(), p.gt().ignoredLabels(), at + ": kept ignored boxes");
        assertArrayEquals(want.crowdBoxes(), p.gt().ignoredBoxes(), at + ": ignored box coordinates");
    }

    /** The draws a call made in MMDetection, handed out in order; a draw not made there fails the test. */
    private static final class Given {
        private final JsonNode draws;
        private final String at;
        private final Map<String, Integer> used = new HashMap<>();

        Given(JsonNode draws, String at) {
            this.draws = draws;
            this.at = at;
        }

        int integer(String key, int n) {
            JsonNode list = draws.get(key);
            int i = used.merge(key, 1, Integer::sum) - 1;
            assertNotNull(list, at + ": the engine draws '" + key + "', MMDetection does not");
            assertTrue(i < list.size(), at + ": the engine draws '" + key + "' more often than MMDetection (" + list.size() + ")");
            JsonNode v = list.get(i);
            assertEquals(v.get(1).asInt(), 0, at + ": " + key + " range");
            assertEquals(v.get(2).asInt(), n, at + ": " + key + " range: randint(0, " + v.get(2).asInt() + ")");
            return v.get(0).asInt();
        }

        double unit(String key) {
            assertNotNull(draws.get(key), at + ": the engine draws '" + key + "', MMDetection does not");
            assertEquals(null, used.put(key, 1), at + ": '" + key + "' drawn twice");
            return draws.get(key).asDouble();
        }

        void assertAllUsed() {
            draws.fieldNames().forEachRemaining(k -> {
                JsonNode v = draws.get(k);
                assertEquals(v.isArray() ? v.size() : 1, used.getOrDefault(k, 0), at + ": times '" + k + "' is drawn");
            });
        }
    }

    private static float[] floats(List<Float> v) {
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    private static int[] ints(List<Integer> v) { return v.stream().mapToInt(Integer::intValue).toArray(); }
}
