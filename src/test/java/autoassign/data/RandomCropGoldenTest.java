package autoassign.data;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Every case of {@code <goldens>/random_crop} (scripts/goldens/crop_expand_shift.py): MMDetection 3.3's RandomCrop with
 * given draws. The crop runs through the engine's own path ({@link TransformState#crop}), whose draws come from
 * {@link SampleDraws}: the test looks for the first position whose drawn crop size and offsets are the case's (the
 * integer draws make that quick on these small images), and on the way checks that the engine's integer draws span
 * NumPy's {@code randint} ranges of the case exactly. The {@code relative_range} size is also computed from the case's
 * own {@code rand(2)} values.
 */
class RandomCropGoldenTest {
    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("random_crop"); }

    private static final long SEED = 7;
    private static final int MIN_SAMPLES = 3000, MAX_POSITIONS = 20_000_000;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMmdetection(String file, Path path) throws IOException {
        try (TransformGoldenCase g = TransformGoldenCase.read(path)) {
            JsonNode cfg = g.cfg, draw = g.draw;
            RandomCrop c = new RandomCrop(RandomCrop.Type.of(cfg.get("crop_type").asText()), cfg.get("crop_size").get(0).asDouble(),
                    cfg.get("crop_size").get(1).asDouble(), cfg.get("allow_negative_crop").asBoolean(), cfg.get("bbox_clip_border").asBoolean());
            int[] size = GoldenFiles.ints(draw.get("size"));
            int[] offset = {draw.get("offset_h").asInt(), draw.get("offset_w").asInt()};
            if (c.cropType() == RandomCrop.Type.RELATIVE_RANGE)
                assertArrayEquals(size, c.relativeRangeSize(g.h, g.w, draw.get("rand").get(0).asDouble(), draw.get("rand").get(1).asDouble()),
                        g.name + ": relative_range size from rand(2)");

            // the engine's draws: the first position giving the case's size and offsets; the ranges seen on the way
            int[] sizeLo = {Integer.MAX_VALUE, Integer.MAX_VALUE}, sizeHi = {Integer.MIN_VALUE, Integer.MIN_VALUE};
            int[] offLo = {Integer.MAX_VALUE, Integer.MAX_VALUE}, offHi = {Integer.MIN_VALUE, Integer.MIN_VALUE};
            SampleDraws found = null;
            int sameSize = 0;
            for (int pos = 0; pos < MAX_POSITIONS && (found == null || sameSize < MIN_SAMPLES); pos++) {
                SampleDraws d = SampleDraws.of(SEED, 0, pos);
                int[] sz = c.cropSize(g.h, g.w, d);
                for (int q = 0; q < 2; q++) {
                    sizeLo[q] = Math.min(sizeLo[q], sz[q]);
                    sizeHi[q] = Math.max(sizeHi[q], sz[q]);
                }
                if (!Arrays.equals(sz, size)) continue;
                sameSize++;
                int[] off = c.offset(g.h, g.w, sz[0], sz[1], d);
                for (int q = 0; q < 2; q++) {
                    offLo[q] = Math.min(offLo[q], off[q]);
                    offHi[q] = Math.max(offHi[q], off[q]);
                }
                if (found == null && Arrays.equals(off, offset)) found = d;
            }
            assertNotNull(found, g.name + ": no position draws size " + Arrays.toString(size) + " and offsets " + Arrays.toString(offset));
            JsonNode offRanges = draw.get("offset_ranges");
            for (int q = 0; q < 2; q++) { // NumPy's randint(0, margin + 1)
                assertEquals(offRanges.get(q).get(0).asInt(), offLo[q], g.name + ": offset range");
                assertEquals(offRanges.get(q).get(1).asInt() - 1, offHi[q], g.name + ": offset range");
            }
            if (draw.has("ranges")) // absolute_range: randint(min(side, lo), min(side, hi) + 1)
                for (int q = 0; q < 2; q++) {
                    assertEquals(draw.get("ranges").get(q).get(0).asInt(), sizeLo[q], g.name + ": absolute_range size range");
                    assertEquals(draw.get("ranges").get(q).get(1).asInt() - 1, sizeHi[q], g.name + ": absolute_range size range");
                }
            else if (c.cropType() != RandomCrop.Type.RELATIVE_RANGE) { // a fixed size
                assertArrayEquals(size, sizeLo, g.name + ": crop size");
                assertArrayEquals(size, sizeHi, g.name + ": crop size");
            }

            try (TransformState s = g.state()) {
                boolean kept = s.crop(c, found);
                assertEquals(!g.c.get("rejected").asBoolean(), kept, g.name + ": MMDetection returns None (the image is re-sampled)");
                if (kept) g.assertResult(s);
            }
        }
    }
}
