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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every case of {@code <goldens>/pad}, {@code <goldens>/filter_annotations} and {@code <goldens>/random_flip}
 * (scripts/goldens/cached_mix_pad_flip.py): MMCV 2.x's Pad (the target size of size / size_divisor / pad_to_square, the
 * value OpenCV receives for each pad_val form, saturated and rounded in an 8-bit image), MMDetection 3.3's
 * FilterAnnotations (strict float32 comparisons, ignored boxes in step, keep_empty's None) and RandomFlip (MMCV's
 * {@code _choose_direction} as NumPy's {@code choice} computes it for a given unit, the image and HorizontalBoxes.flip_ in
 * every direction on odd sizes). Their configs are read by {@code autoassign.config.TransformGoldenConfigTest}.
 */
class PadFilterFlipGoldenTest {
    static Stream<Arguments> padCases() { return GoldenFiles.jsonCases("pad"); }

    static Stream<Arguments> filterCases() { return GoldenFiles.jsonCases("filter_annotations"); }

    static Stream<Arguments> flipCases() { return GoldenFiles.jsonCases("random_flip"); }

    /** The Pad of a case: its size keys and the per-channel value cv2.copyMakeBorder received in MMCV. */
    static Pad pad(JsonNode cfg, JsonNode draw) {
        JsonNode size = cfg.get("size");
        List<Double> fill = new ArrayList<>();
        for (int i = 0; i < 3; i++) fill.add(draw.get("cv2_value").get(i).asDouble());
        return new Pad(size == null ? 0 : size.get(0).asInt(), size == null ? 0 : size.get(1).asInt(),
                cfg.has("size_divisor") ? cfg.get("size_divisor").asInt() : 0,
                cfg.has("pad_to_square") && cfg.get("pad_to_square").asBoolean(), fill);
    }

    /** The RandomFlip of a case, as MMCV's __init__ reads prob (a number over the directions, or one per direction). */
    static RandomFlip flip(JsonNode cfg) {
        List<FlipDirection> dirs = new ArrayList<>();
        JsonNode d = cfg.get("direction");
        if (d.isArray()) d.forEach(x -> dirs.add(FlipDirection.of(x.asText())));
        else dirs.add(FlipDirection.of(d.asText()));
        JsonNode p = cfg.get("prob");
        if (!p.isArray()) return RandomFlip.of(p.asDouble(), dirs);
        List<Double> probs = new ArrayList<>();
        p.forEach(x -> probs.add(x.asDouble()));
        return new RandomFlip(dirs, probs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("padCases")
    void padMatchesMmcv(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path); TransformState s = g.state()) {
            Pad p = pad(g.cfg, g.draw);
            int[] t = p.target(g.h, g.w);
            assertEquals(Math.max(g.draw.get("target").get(0).asInt(), g.h), t[0], g.name + ": padded height");
            assertEquals(Math.max(g.draw.get("target").get(1).asInt(), g.w), t[1], g.name + ": padded width");
            p.apply(s, null);
            g.assertResult(s);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("filterCases")
    void filterAnnotationsMatchesMmdetection(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path); TransformState s = g.state()) {
            JsonNode wh = g.cfg.get("min_gt_bbox_wh");
            FilterAnnotations f = new FilterAnnotations(wh.get(0).asDouble(), wh.get(1).asDouble(), g.cfg.get("keep_empty").asBoolean());
            boolean kept = f.apply(s, true);
            assertEquals(!g.c.get("rejected").asBoolean(), kept, g.name + ": the image is kept (MMDetection returns None else)");
            if (kept) g.assertResult(s);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flipCases")
    void randomFlipMatchesMmcv(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path); TransformState s = g.state()) {
            RandomFlip f = flip(g.cfg);
            JsonNode pl = g.draw.get("prob_list");
            assertEquals(pl.get(pl.size() - 1).asDouble(), f.noFlip(), g.name + ": the no-flip probability, bit for bit");
            for (int i = 0; i < f.probs().size(); i++) assertEquals(pl.get(i).asDouble(), f.probs().get(i), g.name + ": prob_list");
            FlipDirection d = f.choose(g.draw.get("u").asDouble());
            JsonNode want = g.draw.get("direction");
            assertEquals(want.isNull() ? null : FlipDirection.of(want.asText()), d, g.name + ": direction chosen");
            if (d != null) s.flip(d);
            g.assertResult(s);
        }
    }
}
