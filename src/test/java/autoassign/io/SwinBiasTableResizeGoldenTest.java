package autoassign.io;

import autoassign.GoldenFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static autoassign.GoldenFiles.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every case of {@code <goldens>/swin_bias_table_resize} (scripts/goldens/swin_bias_table_resize.py: torch 1.13's
 * {@code F.interpolate(mode='bicubic')} as SwinTransformer.init_weights applies it to a pretrained
 * relative_position_bias_table of another window size, and one non-square map): {@link SwinBiasTableResize} /
 * {@link BicubicResize} within a few float ulps (ATen's vectorised kernel may contract products into FMAs); the
 * {@code maps_exact} case (torch's portable kernel, ATEN_CPU_CAPABILITY=default) bit for bit.
 */
class SwinBiasTableResizeGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOL = 2e-6;

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("swin_bias_table_resize"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        if (c.get("kind").asText().equals("table")) {
            int s1 = c.get("s1").asInt(), s2 = c.get("s2").asInt(), nh = c.get("heads").asInt();
            float[] got = SwinBiasTableResize.resize("t", floats(c.get("table")), s1 * s1, nh, s2 * s2, nh);
            assertEquals(s2 * s2 * nh, got.length, name);
            GoldenFiles.assertCloseToTorch(name, floats(c.get("resized")), got, TOL);
        } else if (c.get("kind").asText().equals("maps_exact")) {
            for (JsonNode m : c.get("maps")) {
                String what = name + " " + m.get("channels").asInt() + "x" + m.get("h1").asInt() + "x" + m.get("w1").asInt() + " → "
                        + m.get("h2").asInt() + "x" + m.get("w2").asInt();
                float[] got = BicubicResize.resize(floats(m.get("x")), m.get("channels").asInt(), m.get("h1").asInt(), m.get("w1").asInt(),
                        m.get("h2").asInt(), m.get("w2").asInt());
                assertArrayEquals(floats(m.get("y")), got, 0f, what);
            }
        } else {
            int ch = c.get("channels").asInt();
            float[] got = BicubicResize.resize(floats(c.get("x")), ch, c.get("h1").asInt(), c.get("w1").asInt(),
                    c.get("h2").asInt(), c.get("w2").asInt());
            GoldenFiles.assertCloseToTorch(name, floats(c.get("y")), got, TOL);
        }
    }

    @Test
    void sameSizeIsTheTableItselfAndOtherHeadCountsAreRefused() {
        float[] t = new float[9 * 2];
        assertSame(t, SwinBiasTableResize.resize("k", t, 9, 2, 9, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SwinBiasTableResize.resize("backbone.stages.0.blocks.0.attn.w_msa.relative_position_bias_table", t, 9, 2, 9, 3));
        assertTrue(e.getMessage().startsWith("backbone.stages.0.blocks.0.attn.w_msa.relative_position_bias_table: "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SwinBiasTableResize.resize("k", new float[8 * 2], 8, 2, 9, 2));
    }

    @Test
    void keysWeightsSumToOneAndAConstantStaysConstant() {
        for (float tt : new float[] {0f, 0.25f, 0.5f, 0.9f}) {
            float[] w = BicubicResize.coefficients(tt);
            assertEquals(1.0, w[0] + w[1] + w[2] + w[3], 1e-6);
        }
        float[] ones = new float[3 * 4 * 5];
        java.util.Arrays.fill(ones, 2.5f);
        float[] y = BicubicResize.resize(ones, 3, 4, 5, 7, 2);
        // a few float ulps: torch's portable kernel itself gives 2.4999983 for some outputs of this map
        for (float v : y) assertEquals(2.5f, v, 4e-6f);
        assertArrayEquals(new float[] {1f, 0f, 0f, 0f}, new float[] {BicubicResize.coefficients(0f)[1], BicubicResize.coefficients(0f)[0],
                BicubicResize.coefficients(0f)[2], BicubicResize.coefficients(0f)[3]});
    }
}
