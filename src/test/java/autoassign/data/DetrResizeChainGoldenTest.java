package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every case of {@code <goldens>/detr_resize_chain} (scripts/goldens/detr_resize_chain.py): the second candidate of
 * DETR's train_pipeline, {@code RandomChoiceResize → RandomCrop(absolute_range, allow_negative_crop) →
 * RandomChoiceResize}, transcribed from MMCV 2.x / MMDetection 3.3 with given draws. The engine's steps run on the
 * case's image: each resize an {@link OwnScaleResize} whose draw (the first position of the engine's draws giving the
 * case's scale index, searched per step) picks the scale, the crop at the case's size and offsets
 * ({@link TransformState#cropAt}); pixels, sizes after each step, boxes, labels, crowd boxes and the last resize's
 * scale factor must be MMDetection's exactly.
 */
class DetrResizeChainGoldenTest {
    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("detr_resize_chain"); }

    private static ScaleSampler sampler(JsonNode scales) {
        List<int[]> s = new ArrayList<>();
        for (JsonNode wh : scales) s.add(new int[] {wh.get(0).asInt(), wh.get(1).asInt()});
        return new ScaleSampler(s, false);
    }

    /** The scale the engine's own draw gives at the first position drawing index {@code idx} of the step's list. */
    private static int[] drawn(OwnScaleResize r, int idx, String name) {
        int[] want = r.sampler().scales().get(idx);
        for (int pos = 0; pos < 10_000; pos++) {
            int[] sc = r.scale(SampleDraws.of(5, 0, pos));
            if (Arrays.equals(sc, want)) return sc;
        }
        throw new AssertionError(name + ": no draw gives scale index " + idx);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path)) {
            JsonNode cfg = g.cfg, draw = g.draw;
            assertFalse(g.c.get("rejected").asBoolean(), g.name + ": allow_negative_crop keeps every image");
            boolean keep = cfg.get("keep_ratio").asBoolean(), clip = cfg.get("clip_object_border").asBoolean();
            ResizeStep how = keep ? ResizeStep.keepRatio(clip) : ResizeStep.stretch(clip);
            ScaleSampler a = sampler(cfg.get("scales_a")), b = sampler(cfg.get("scales_b"));
            OwnScaleResize first = new OwnScaleResize(how, a.scales().get(0)[0], a.scales().get(0)[1], a, 0);
            OwnScaleResize last = new OwnScaleResize(how, b.scales().get(0)[0], b.scales().get(0)[1], b, 2);
            RandomCrop crop = new RandomCrop(RandomCrop.Type.ABSOLUTE_RANGE, cfg.get("crop_size").get(0).asDouble(),
                    cfg.get("crop_size").get(1).asDouble(), true, true);
            JsonNode sizes = draw.get("sizes");
            try (TransformState s = g.state()) {
                int[] sa = drawn(first, draw.get("idx_a").asInt(), g.name);
                s.resize(first.step(), sa[0], sa[1]);
                assertArrayEquals(GoldenFiles.ints(sizes.get(0)), new int[] {s.height(), s.width()}, g.name + ": after the first resize");
                int[] size = GoldenFiles.ints(draw.get("size"));
                s.cropAt(crop, size, new int[] {draw.get("offset_h").asInt(), draw.get("offset_w").asInt()});
                assertArrayEquals(GoldenFiles.ints(sizes.get(1)), new int[] {s.height(), s.width()}, g.name + ": after the crop");
                int[] sb = drawn(last, draw.get("idx_b").asInt(), g.name);
                s.resize(last.step(), sb[0], sb[1]);
                assertArrayEquals(GoldenFiles.ints(sizes.get(2)), new int[] {s.height(), s.width()}, g.name + ": after the second resize");
                PreparedImage p = s.result(g.rec, 0);
                assertEquals(draw.get("scale_factor").get(0).asDouble(), p.meta().scaleW(), 0, g.name + ": scale_factor w (the last resize's)");
                assertEquals(draw.get("scale_factor").get(1).asDouble(), p.meta().scaleH(), 0, g.name + ": scale_factor h");
                g.assertResult(s);
            }
        }
    }
}
