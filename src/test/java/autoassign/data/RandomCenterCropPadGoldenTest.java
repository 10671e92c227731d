package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/random_center_crop_pad} (scripts/goldens/random_center_crop_pad.py): MMDetection 3.3's
 * RandomCenterCropPad with NumPy's recorded draws given round by round (the ratio's index, then center_x and center_y
 * of each trial, whose [low, high) must be the engine's {@code _get_border} ranges): the output size and pixels (mean
 * canvas, pasted patch), the kept boxes, labels and ignored boxes, test mode's {@code border}; and for the image where
 * MMDetection's loop never ends, the engine's error.
 */
class RandomCenterCropPadGoldenTest {
    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("random_center_crop_pad"); }

    static RandomCenterCropPad transform(JsonNode cfg) {
        List<Double> mean = TransformGoldenCase.doubleList(cfg.get("mean"));
        boolean toRgb = cfg.get("to_rgb").asBoolean();
        if (cfg.get("test_mode").asBoolean()) {
            JsonNode m = cfg.get("test_pad_mode");
            return RandomCenterCropPad.testing(RandomCenterCropPad.PadMode.of(m.get(0).asText()), m.get(1).asInt(),
                    cfg.get("test_pad_add_pix").asInt(), mean, toRgb);
        }
        return RandomCenterCropPad.training(cfg.get("crop_size").get(0).asDouble(), cfg.get("crop_size").get(1).asDouble(),
                TransformGoldenCase.doubleList(cfg.get("ratios")), cfg.get("border").asInt(), mean, toRgb,
                cfg.get("bbox_clip_border").asBoolean());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path); TransformState s = g.state()) {
            JsonNode cfg = g.cfg, d = g.draw;
            RandomCenterCropPad t = transform(cfg);
            if (t.testMode()) {
                float[] border = t.testPad(s);
                assertArrayEquals(GoldenFiles.floats(g.c.get("border")), border, g.name + ": border");
                g.assertResult(s);
                return;
            }
            boolean loops = g.c.get("loops").asBoolean();
            int recorded = d.get("ratio").size();
            RandomCenterCropPad.Draws draws = new RandomCenterCropPad.Draws() {
                @Override public int ratio(int round, int n) {
                    assertEquals(cfg.get("ratios").size(), n, g.name + ": choice over the ratios");
                    assertTrue(loops || round < recorded, g.name + ": the engine draws more ratios than MMDetection");
                    return d.get("ratio").get(round % recorded).asInt();
                }

                @Override public int centre(int round, int trial, int which, int lo, int hi) {
                    JsonNode range = d.get("ranges").get(which);
                    assertEquals(range.get(0).asInt(), lo, g.name + ": low of randint " + which + " (_get_border)");
                    assertEquals(range.get(1).asInt(), hi, g.name + ": high of randint " + which);
                    JsonNode r = d.get("centres").get(round % recorded);
                    assertTrue(trial < r.size(), g.name + ": the engine tries more centres than MMDetection in round " + round);
                    return r.get(trial).get(which).asInt();
                }
            };
            if (loops) { // MMDetection never returns: the recorded rounds repeat until the engine's bound
                DataException e = assertThrows(DataException.class,
                        () -> t.choose(g.h, g.w, s.boxes(), s.crowdBoxes(), draws), g.name);
                assertTrue(e.getMessage().contains("loop forever"), e.getMessage());
                return;
            }
            RandomCenterCropPad.Crop c = t.choose(g.h, g.w, s.boxes(), s.crowdBoxes(), draws);
            JsonNode last = d.get("centres").get(recorded - 1);
            JsonNode centre = last.get(last.size() - 1);
            assertEquals(centre.get(0).asInt(), c.centreX(), g.name + ": the accepted center_x");
            assertEquals(centre.get(1).asInt(), c.centreY(), g.name + ": the accepted center_y");
            t.crop(s, c);
            g.assertResult(s);
        }
    }
}
