package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every case of {@code <goldens>/random_shift} (scripts/goldens/crop_expand_shift.py): MMDetection 3.3's RandomShift
 * with its draws given (the uniform of {@code _random_prob}, the two {@code randint} shifts): the shifted image on a
 * zero canvas, the clipped boxes, the filter by {@code filter_thr_px}, the untouched results when no box is left. The
 * engine's shift draws must span NumPy's {@code randint(-max_shift_px, max_shift_px)} exactly.
 */
class RandomShiftGoldenTest {
    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("random_shift"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path)) {
            JsonNode cfg = g.cfg, d = g.draw;
            RandomShift t = new RandomShift(cfg.get("prob").asDouble(), cfg.get("max_shift_px").asInt(),
                    (int) cfg.get("filter_thr_px").asDouble()); // TransformConfig.shift truncates as MMDetection's int()
            boolean shifts = t.shifts(d.get("u_prob").asDouble());
            assertEquals(d.has("range"), shifts, g.name + ": _random_prob() < prob");
            try (TransformState s = g.state()) {
                if (shifts) t.shift(s, d.get("dx").asInt(), d.get("dy").asInt());
                g.assertResult(s);
            }
            if (shifts) { // the engine's draws span randint(-max, max): [-max, max - 1]
                RandomShift always = new RandomShift(1, t.maxShiftPx(), t.filterThrPx());
                int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
                for (int pos = 0; pos < 4000; pos++) {
                    int[] v = always.draw(SampleDraws.of(3, 0, pos));
                    lo = Math.min(lo, Math.min(v[0], v[1]));
                    hi = Math.max(hi, Math.max(v[0], v[1]));
                }
                assertEquals(d.get("range").get(0).asInt(), lo, g.name + ": shift range");
                assertEquals(d.get("range").get(1).asInt() - 1, hi, g.name + ": shift range");
            }
        }
    }
}
