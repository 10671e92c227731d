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
 * Every case of {@code <goldens>/avg_pool} (scripts/goldens/avg_pool.py, torch 1.13 {@code nn.AvgPool2d} on the CPU):
 * output size, forward and input gradient of {@link Backend#avgPool2d} on the CPU twin and through {@link F#avgPool2d}
 * on the checked stand-in device. The CPU twin sums and divides in torch's order, so the tolerance is an ulp or two.
 */
class AvgPoolGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOL = 3e-7;

    static Stream<Arguments> cases() { return GoldenFiles.jsonCases("avg_pool"); }

    private static AvgPool2dParams params(JsonNode c) {
        return new AvgPool2dParams(c.get("kernel").asInt(), c.get("stride").asInt(), c.get("padding").asInt(),
                c.get("ceil_mode").asBoolean(), c.get("count_include_pad").asBoolean());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cpuTwinMatchesTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int[] shape = ints(c.get("shape")), outShape = ints(c.get("out_shape"));
        AvgPool2dParams p = params(c);
        assertEquals(outShape[2], p.outSize(shape[2]), name + ": output height");
        assertEquals(outShape[3], p.outSize(shape[3]), name + ": output width");
        Backend cpu = Backends.cpu();
        Tensor y = cpu.avgPool2d(Tensor.of(floats(c.get("x")), shape), p);
        assertArrayEquals(outShape, y.shape(), name);
        close(name + " y", floats(c.get("y")), y.toFloatArray());
        Tensor gx = cpu.avgPool2dBackward(Tensor.of(floats(c.get("gy")), outShape), shape[2], shape[3], p);
        assertArrayEquals(shape, gx.shape(), name);
        close(name + " gx", floats(c.get("gx")), gx.toFloatArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void autogradOnADeviceMatchesTorch(String name, Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int[] shape = ints(c.get("shape")), outShape = ints(c.get("out_shape"));
        AvgPool2dParams p = params(c);
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(96)) {
            Tensor x = Tensor.of(floats(c.get("x")), shape).to(dev.device()).setRequiresGrad(true);
            Tensor y = F.avgPool2d(x, p);
            Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(floats(c.get("gy")), outShape).to(dev.device())});
            close(name + " y", floats(c.get("y")), y.toFloatArray());
            close(name + " gx", floats(c.get("gx")), x.grad().toFloatArray());
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
        }
    }

    @Test
    void invalidGeometryAndTooSmallInputsAreOneLineErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> new AvgPool2dParams(3, 2, 2, false, true));
        assertEquals("avgPool2d: pad 2 must be at most half the kernel 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AvgPool2dParams(2, 0, 0, false, true));
        assertTrue(e.getMessage().startsWith("avgPool2d: invalid kernel=2 stride=0"), e.getMessage());
        AvgPool2dParams p = new AvgPool2dParams(3, 1, 0, false, true);
        e = assertThrows(IllegalArgumentException.class, () -> Backends.cpu().avgPool2d(Tensor.zeros(1, 1, 2, 5), p));
        assertEquals("avgPool2d: input [1, 1, 2, 5] is too small for kernel 3, stride 1, pad 0, ceil_mode false, "
                + "count_include_pad true", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Backends.cpu().avgPool2dBackward(Tensor.zeros(1, 1, 2, 2), 5, 5, p));
        assertTrue(e.getMessage().startsWith("avgPool2dBackward:"), e.getMessage());
    }

    @Test
    void avgDownIsResLayersPool() {
        AvgPool2dParams p = AvgPool2dParams.avgDown(2);
        assertEquals(new AvgPool2dParams(2, 2, 0, true, false), p);
        assertEquals(4, p.outSize(7)); // ceil: the last window holds one row
        assertEquals(2, p.divisor(3, 0, 7, 8)); // that window's divisor counts its single row only
    }

    private static void close(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++)
            if (!(Math.abs(got[i] - want[i]) <= TOL * Math.max(1, Math.abs(want[i]))))
                throw new AssertionError(what + "[" + i + "]: got " + got[i] + ", torch " + want[i]);
    }
}
