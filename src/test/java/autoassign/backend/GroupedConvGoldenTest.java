package autoassign.backend;

import autoassign.autograd.F;
import autoassign.autograd.Graph;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;

/**
 * Every case of {@code <goldens>/grouped_conv} (scripts/goldens/grouped_conv.py): torch's {@code F.conv2d} with
 * groups &gt; 1 (ResNeXt's grouped 3×3, depthwise, grouped 1×1, anisotropic geometry) — output and the gradients of
 * input, weight and bias for one upstream gradient — replayed through the CPU backend's ops and through
 * {@link F#conv2d} on the tape. The folder defaults to {@code src/test/resources/goldens}; {@code -Dgoldens.dir=DIR}
 * points at another laid out like it.
 */
class GroupedConvGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** float32 against torch's float32: sums of up to a few hundred products, a few ulps of each array's scale. */
    private static final double RTOL = 2e-5;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("grouped_conv");
    }

    private record Case(String name, int[] xs, int[] ws, int[] ys, ConvParams p, float[] x, float[] w, float[] b,
                        float[] g, JsonNode c) {}

    private static Case read(Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int[] st = ints(c.get("stride")), pad = ints(c.get("padding")), dil = ints(c.get("dilation"));
        ConvParams p = new ConvParams(st[0], st[1], pad[0], pad[1], dil[0], dil[1], c.get("groups").asInt());
        return new Case(c.get("name").asText(), ints(c.get("x_shape")), ints(c.get("w_shape")), ints(c.get("y_shape")), p,
                floats(c.get("x")), floats(c.get("w")), c.get("b").isNull() ? null : floats(c.get("b")), floats(c.get("g")), c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backendOpsMatchTorch(String name, Path file) throws IOException {
        Case k = read(file);
        Backend be = Backends.cpu();
        Tensor x = Tensor.of(k.x, k.xs), w = Tensor.of(k.w, k.ws), b = k.b == null ? null : Tensor.of(k.b, k.ws[0]);
        Tensor g = Tensor.of(k.g, k.ys);
        Tensor y = be.conv2d(x, w, b, k.p);
        assertArrayEquals(k.ys, y.shape(), k.name + ": output shape");
        close(k.c.get("y"), y.data(), k.name + " y");
        close(k.c.get("dx"), be.conv2dBackwardInput(g, w, k.xs, k.p).data(), k.name + " dx");
        close(k.c.get("dw"), be.conv2dBackwardWeight(g, x, k.ws, k.p).data(), k.name + " dw");
        if (b != null) close(k.c.get("db"), be.channelSum(g).data(), k.name + " db");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void autogradMatchesTorch(String name, Path file) throws IOException {
        Case k = read(file);
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.of(k.x, k.xs).setRequiresGrad(true), w = Tensor.of(k.w, k.ws).setRequiresGrad(true);
            Tensor b = k.b == null ? null : Tensor.of(k.b, k.ws[0]).setRequiresGrad(true);
            Tensor y = F.conv2d(x, w, b, k.p);
            close(k.c.get("y"), y.toFloatArray(), k.name + " y");
            Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(k.g, k.ys)});
            close(k.c.get("dx"), x.grad().toFloatArray(), k.name + " dx");
            close(k.c.get("dw"), w.grad().toFloatArray(), k.name + " dw");
            if (b != null) close(k.c.get("db"), b.grad().toFloatArray(), k.name + " db");
            else assertTrue(k.c.get("db").isNull(), k.name + ": a case without bias has no db");
        }
    }

    /** Equal within {@link #RTOL} of the array's largest magnitude (at least 1). */
    private static void close(JsonNode want, float[] got, String what) {
        assertEquals(want.size(), got.length, what + ": size");
        double scale = 1;
        for (JsonNode v : want) scale = Math.max(scale, Math.abs(v.asDouble()));
        for (int i = 0; i < got.length; i++) assertEquals(want.get(i).asDouble(), got[i], RTOL * scale, what + "[" + i + "]");
    }
}
