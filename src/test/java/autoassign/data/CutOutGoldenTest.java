package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
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

/**
 * Every case of {@code <goldens>/cutout} (scripts/goldens/crop_expand_shift.py): MMDetection 3.3's CutOut with its
 * {@code randint} draws given (the count, then each hole's x1, y1 and candidate): the holes, the filled image (fill_in
 * cast to the image's type), boxes unchanged. The engine's draws of the count and corners must span NumPy's ranges.
 */
class CutOutGoldenTest {
    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("cutout"); }

    static CutOut transform(JsonNode cfg) {
        JsonNode n = cfg.get("n_holes");
        int lo = n.isArray() ? n.get(0).asInt() : n.asInt(), hi = n.isArray() ? n.get(1).asInt() : n.asInt();
        boolean ratio = !cfg.get("cutout_ratio").isNull();
        JsonNode v = ratio ? cfg.get("cutout_ratio") : cfg.get("cutout_shape");
        List<CutOut.Size> sizes = new ArrayList<>();
        for (JsonNode c : v.get(0).isArray() ? v : List.of(v)) sizes.add(new CutOut.Size(c.get(0).asDouble(), c.get(1).asDouble()));
        return new CutOut(lo, hi, sizes, ratio, TransformGoldenCase.doubleList(cfg.get("fill_in")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path)) {
            JsonNode d = g.draw;
            CutOut t = transform(g.cfg);
            int[][] holes = t.holes(g.h, g.w, GoldenFiles.ints(d.get("x1")), GoldenFiles.ints(d.get("y1")),
                    GoldenFiles.ints(d.get("index")));
            assertEquals(d.get("n").asInt(), holes.length, g.name);
            for (int j = 0; j < holes.length; j++)
                assertArrayEquals(GoldenFiles.ints(d.get("holes").get(j)), holes[j], g.name + ": hole " + j);
            try (TransformState s = g.state()) {
                t.cut(s, holes);
                g.assertResult(s);
            }
            // the engine's draws span NumPy's randint(n_holes[0], n_holes[1] + 1), randint(0, w), randint(0, h)
            JsonNode r = d.get("ranges");
            int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, hi = {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE};
            for (int pos = 0; pos < 4000; pos++) {
                int[][] hs = t.holes(g.h, g.w, SampleDraws.of(5, 0, pos));
                lo[0] = Math.min(lo[0], hs.length);
                hi[0] = Math.max(hi[0], hs.length);
                for (int[] x : hs) {
                    lo[1] = Math.min(lo[1], x[0]);
                    hi[1] = Math.max(hi[1], x[0]);
                    lo[2] = Math.min(lo[2], x[1]);
                    hi[2] = Math.max(hi[2], x[1]);
                }
            }
            String[] keys = {"n", "x1", "y1"};
            for (int q = 0; q < 3; q++) {
                if (q > 0 && hi[0] == 0) continue; // never a hole
                assertEquals(r.get(keys[q]).get(0).asInt(), lo[q], g.name + ": range of " + keys[q]);
                assertEquals(r.get(keys[q]).get(1).asInt() - 1, hi[q], g.name + ": range of " + keys[q]);
            }
        }
    }
}
