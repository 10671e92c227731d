package autoassign.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;

/**
 * YOLOX's {@code BatchSyncRandomResize}: the bilinear resize against every case of {@code <goldens>/bilinear_resize}
 * ({@code F.interpolate(mode='bilinear', align_corners=False)}, scripts/goldens/bilinear_resize.py), and the size
 * schedule, box scaling and draws worked by hand.
 */
class BatchSyncRandomResizeTest {
    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("bilinear_resize");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void bilinearEqualsTorchsInterpolate(String name, Path file) throws IOException {
        JsonNode c = new ObjectMapper().readTree(file.toFile());
        JsonNode s = c.get("shape"), size = c.get("size");
        float[] x = floats(c.get("x"));
        float[] got = BatchSyncRandomResize.bilinear(x, s.get(0).asInt() * s.get(1).asInt(), s.get(2).asInt(),
                s.get(3).asInt(), size.get(0).asInt(), size.get(1).asInt());
        float[] want = floats(c.get("y"));
        assertEquals(want.length, got.length);
        // torch's kernel rounds otherwise (vectorised, fused multiply-adds): a few ulps of the inputs' scale (measured ≤ 1 ulp)
        float scale = 0;
        for (float v : x) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < got.length; i++) assertEquals(want[i], got[i], 2e-7f * scale, name + "[" + i + "]");
    }

    private static Batch batch(int h, int w) {
        float[] data = new float[2 * 3 * h * w];
        for (int i = 0; i < data.length; i++) data[i] = i % 7;
        List<ImageMeta> metas = List.of(new ImageMeta(1, "a", 0, h, w, h, w, 1, 1, false, h, w),
                new ImageMeta(2, "b", 1, h, w, h - 8, w, 1, 1, false, h, w));
        List<GroundTruth> gts = List.of(new GroundTruth(new float[] {4, 8, 20, 30}, new int[] {1}, new float[0], new int[0]),
                new GroundTruth(new float[0], new int[0], new float[] {0, 0, 10, 10}, new int[] {0}));
        return new Batch(data, new int[] {2, 3, h, w}, metas, gts);
    }

    @Test
    void theSizeChangesAfterEveryIntervalAndBoxesFollow() {
        BatchSyncRandomResize r = new BatchSyncRandomResize(320, 640, 2, 32, 7);
        Batch b = batch(64, 96);
        assertSame(b, r.apply(b, 0), "the first size is the first batch's own: nothing to resize");
        assertSame(b, r.apply(b, 1));
        int[] size = r.inputSize(); // drawn after iteration 1: (1 + 1) % 2 == 0
        assertTrue(size[0] % 32 == 0 && size[0] >= 320 && size[0] <= 640, java.util.Arrays.toString(size));
        assertEquals(32 * (int) (96 / 64.0 * (size[0] / 32)), size[1], "the width from the batch's aspect");
        Batch out = r.apply(b, 2);
        assertArrayEquals(new int[] {2, 3, size[0], size[1]}, out.shape());
        double sx = size[1] / 96.0, sy = size[0] / 64.0;
        assertArrayEquals(new float[] {4 * (float) sx, 8 * (float) sy, 20 * (float) sx, 30 * (float) sy}, out.targets().get(0).boxes());
        assertArrayEquals(new float[] {0, 0, 10 * (float) sx, 10 * (float) sy}, out.targets().get(1).ignoredBoxes(), "crowd boxes too");
        assertEquals((int) ((64 - 8) * sy), out.metas().get(1).imgH());
        assertArrayEquals(size, r.inputSize(), "no draw after iteration 2");
        // every worker draws the same sizes (MMDetection broadcasts rank 0's): a hash of (seed, iteration)
        BatchSyncRandomResize other = new BatchSyncRandomResize(320, 640, 2, 32, 7);
        other.apply(b, 0);
        other.apply(b, 1);
        assertArrayEquals(size, other.inputSize());
        int distinct = 0;
        int[] last = size;
        for (int it = 3; it < 40; it++) {
            r.apply(b, it);
            if (!java.util.Arrays.equals(last, r.inputSize())) distinct++;
            last = r.inputSize();
        }
        assertTrue(distinct > 5, "sizes vary: " + distinct);
        assertNotEquals(0, distinct);
    }
}
