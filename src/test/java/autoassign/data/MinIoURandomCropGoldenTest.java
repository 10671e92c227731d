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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/min_iou_random_crop} (scripts/goldens/crop_expand_shift.py): MMDetection 3.3's
 * MinIoURandomCrop with its draws given round by round (the mode's index, then the uniforms behind new_w, new_h, left and
 * top of each of the 50 trials): the accepted patch or mode 1, the cropped image, the boxes whose centre is strictly
 * inside (float32 IoU with the float32 patch, ignored boxes included), shifted and clipped ({@code bbox_clip_border}).
 */
class MinIoURandomCropGoldenTest {
    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("min_iou_random_crop"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path)) {
            JsonNode cfg = g.cfg, d = g.draw;
            MinIoURandomCrop t = new MinIoURandomCrop(TransformGoldenCase.doubleList(cfg.get("min_ious")),
                    cfg.get("min_crop_size").asDouble(), cfg.get("bbox_clip_border").asBoolean());
            int[] p = t.patch(g.h, g.w, g.rec.boxes(), g.rec.crowdBoxes(), new MinIoURandomCrop.Draws() {
                @Override public int mode(int round, int modes) {
                    assertEquals(cfg.get("min_ious").size() + 2, modes, g.name + ": sample_mode = (1, *min_ious, 0)");
                    assertTrue(round < d.get("modes").size(), g.name + ": the engine draws more rounds than MMDetection");
                    return d.get("modes").get(round).asInt();
                }

                @Override public double unit(int round, int trial, int which) {
                    return d.get("trials").get(round).get(trial).get(which).asDouble();
                }
            });
            if (d.get("outcome").get(0).asText().equals("mode 1")) assertNull(p, g.name + ": mode 1 keeps the image");
            else assertArrayEquals(GoldenFiles.ints(d.get("patch")), p, g.name + ": patch");
            try (TransformState s = g.state()) {
                if (p != null) t.crop(s, p);
                g.assertResult(s);
            }
        }
    }
}
