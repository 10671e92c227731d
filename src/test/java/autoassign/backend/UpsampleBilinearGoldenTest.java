package autoassign.backend;

import autoassign.GoldenFiles;
import autoassign.autograd.F;
import autoassign.autograd.Graph;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;

/**
 * Every case of {@code <goldens>/upsample_bilinear} (scripts/goldens/upsample_bilinear.py, torch 1.13
 * {@code F.interpolate(scale_factor=..., mode='bilinear', align_corners=False)} on the CPU): output size (⌊in·scale⌋),
 * forward and input gradient of the CPU twin, and {@link F#upsampleBilinear} through autograd on the checked stand-in
 * device (the Backend default: the CPU twin on host copies). ATen computes the source index in double and the
 * weights in float, the twin too; its fused CPU kernels may round a product differently: an ulp or two.
 */
class UpsampleBilinearGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOL = 5e-7;
    /** Gradients sum up to (2·scale)² terms of size ~1 whose order in ATen's kernel differs: an ulp per term. */
    private static final double GRAD_TOL = 2e-6;

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("upsample_bilinear"); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cpuTwinMatchesTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int[] shape = ints(c.get("shape")), outShape = ints(c.get("out_shape"));
        double sh = c.get("scale").get(0).asDouble(), sw = c.get("scale").get(1).asDouble();
        assertEquals(outShape[2], BilinearResize.outSize(shape[2], sh), name + ": output height");
        assertEquals(outShape[3], BilinearResize.outSize(shape[3], sw), name + ": output width");
        float rh = BilinearResize.ratio(shape[2], outShape[2], sh), rw = BilinearResize.ratio(shape[3], outShape[3], sw);
        Backend cpu = Backends.cpu();
        Tensor y = cpu.upsampleBilinear(Tensor.of(floats(c.get("x")), shape), outShape[2], outShape[3], rh, rw);
        assertArrayEquals(outShape, y.shape(), name);
        close(name + " y", floats(c.get("y")), y.toFloatArray());
        Tensor gx = cpu.upsampleBilinearBackward(Tensor.of(floats(c.get("gy")), outShape), shape[2], shape[3], rh, rw);
        assertArrayEquals(shape, gx.shape(), name);
        close(name + " gx", floats(c.get("gx")), gx.toFloatArray(), GRAD_TOL);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void autogradOnADeviceMatchesTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int[] shape = ints(c.get("shape")), outShape = ints(c.get("out_shape"));
        double sh = c.get("scale").get(0).asDouble(), sw = c.get("scale").get(1).asDouble();
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(96)) {
            Tensor x = Tensor.of(floats(c.get("x")), shape).to(dev.device()).setRequiresGrad(true);
            Tensor y = F.upsampleBilinear(x, sh, sw);
            assertArrayEquals(outShape, y.shape(), name);
            Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(floats(c.get("gy")), outShape).to(dev.device())});
            close(name + " y", floats(c.get("y")), y.toFloatArray());
            close(name + " gx", floats(c.get("gx")), x.grad().toFloatArray(), GRAD_TOL);
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }

    /** 13 × 1.7 = 22.1 → 22 outputs; ATen's ratio is 1/1.7, not 13/22 (which would sample other positions). */
    @Test
    void scaleFactorRatioIsOneOverScaleNotInOverOut() {
        assertEquals(22, BilinearResize.outSize(13, 1.7));
        assertEquals((float) (1 / 1.7), BilinearResize.ratio(13, 22, 1.7));
        assertEquals(13f / 22, BilinearResize.ratio(13, 22, -1));
        var t = BilinearResize.tap(21, 13, 22, BilinearResize.ratio(13, 22, 1.7));
        assertEquals(12, t.i0()); // 21.5/1.7 − 0.5 = 12.147: the last input, its own neighbour
        assertEquals(12, t.i1());
        var copy = BilinearResize.tap(2, 3, 3, 1 / 1.2f); // out == in: copied whatever the scale
        assertEquals(new BilinearResize.Tap(2, 2, 1f, 0f), copy);
    }

    @Test
    void badScalesAndEmptyOutputsAreOneLineErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> BilinearResize.outSize(4, 0));
        assertEquals("bilinear upsample: scale factor must be positive and finite, got 0.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> F.upsampleBilinear(Tensor.zeros(1, 1, 2, 2), 0.4, 1));
        assertEquals("upsampleBilinear: input [1, 1, 2, 2] with scale factors 0.4, 1.0 gives an empty output 0x2", e.getMessage());
    }

    private static void close(String what, float[] want, float[] got) { close(what, want, got, TOL); }

    private static void close(String what, float[] want, float[] got, double tol) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++)
            if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i]))))
                throw new AssertionError(what + "[" + i + "]: got " + got[i] + ", torch " + want[i]);
    }
}
