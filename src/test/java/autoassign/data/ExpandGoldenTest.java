package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Every case of {@code <goldens>/expand} (scripts/goldens/crop_expand_shift.py): MMDetection 3.3's Expand with the
 * uniforms behind its four {@code random.uniform} draws given: the canvas size and offset, then the canvas (mean per
 * channel, {@code to_rgb}, the image's type), the pasted image and the shifted boxes.
 */
class ExpandGoldenTest {
    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("expand"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path)) {
            JsonNode cfg = g.cfg, d = g.draw;
            Expand t = new Expand(TransformGoldenCase.doubleList(cfg.get("mean")), cfg.get("to_rgb").asBoolean(),
                    cfg.get("ratio_range").get(0).asDouble(), cfg.get("ratio_range").get(1).asDouble(), cfg.get("prob").asDouble());
            int[] geometry = t.draw(g.h, g.w, d.get("u_prob").asDouble(), d.get("u_ratio").asDouble(), d.get("u_left").asDouble(),
                    d.get("u_top").asDouble());
            if (d.has("geometry")) assertArrayEquals(GoldenFiles.ints(d.get("geometry")), geometry, g.name + ": canvas h, w, left, top");
            else assertNull(geometry, g.name + ": not expanded");
            try (TransformState s = g.state()) {
                if (geometry != null) t.expand(s, geometry);
                g.assertResult(s);
            }
            assertEquals(false, g.c.get("rejected").asBoolean());
        }
    }
}
