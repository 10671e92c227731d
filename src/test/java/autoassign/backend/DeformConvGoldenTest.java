package autoassign.backend;

import autoassign.autograd.DeformConvOps;
import autoassign.autograd.Graph;
import autoassign.tensor.MemoryScope;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static autoassign.GoldenFiles.floats;
import static autoassign.GoldenFiles.ints;

/**
 * Every case of {@code <goldens>/deform_conv} (scripts/goldens/deform_conv.py): torchvision's {@code deform_conv2d}
 * (the function of MMCV's DCN / DCNv2 kernels) — output and the gradients of input, offset, mask, weight and bias for
 * one upstream gradient — replayed through the CPU backend's ops and through {@link DeformConvOps#deformConv2d} on the
 * tape. Cases: DCN and DCNv2, bias, stride 2, dilation 2, groups 2, deform_groups 2, offsets pushing samples off the
 * image, an anisotropic kernel / stride / dilation.
 */
class DeformConvGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** float32 against torch's float32: sums of up to a few hundred products, a few ulps of each array's scale. */
    private static final double RTOL = 2e-5;

    static Stream<Arguments> cases() {
        return autoassign.GoldenFiles.jsonCases("deform_conv");
    }

    private record Case(String name, int[] xs, int[] os, int[] ws, int[] ys, DeformConvParams p, float[] x, float[] off,
                        float[] mask, float[] w, float[] b, float[] g, JsonNode c) {
        int[] maskShape() { return new int[] {os[0], os[1] / 2, os[2], os[3]}; }
    }

    private static Case read(Path file) throws IOException {
        JsonNode c = JSON.readTree(file.toFile());
        int[] st = ints(c.get("stride")), pad = ints(c.get("padding")), dil = ints(c.get("dilation"));
        DeformConvParams p = new DeformConvParams(new ConvParams(st[0], st[1], pad[0], pad[1], dil[0], dil[1], c.get("groups").asInt()),
                c.get("deform_groups").asInt());
        return new Case(c.get("name").asText(), ints(c.get("x_shape")), ints(c.get("offset_shape")), ints(c.get("w_shape")),
                ints(c.get("y_shape")), p, floats(c.get("x")), floats(c.get("offset")), orNull(c.get("mask")), floats(c.get("w")),
                orNull(c.get("b")), floats(c.get("g")), c);
    }

    @Test
    void everyCaseOfTheFolderIsRead() {
        assertTrue(cases().count() >= 10, "deform_conv goldens: expected the generator's 10 cases");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backendOpsMatchTorchvision(String name, Path file) throws IOException {
        Case k = read(file);
        Backend be = Backends.cpu();
        Tensor x = Tensor.of(k.x, k.xs), off = Tensor.of(k.off, k.os), w = Tensor.of(k.w, k.ws);
        Tensor mask = k.mask == null ? null : Tensor.of(k.mask, k.maskShape()), b = k.b == null ? null : Tensor.of(k.b, k.ws[0]);
        Tensor y = be.deformConv2d(x, off, mask, w, b, k.p);
        assertArrayEquals(k.ys, y.shape(), k.name + ": output shape");
        close(k.c.get("y"), y.data(), k.name + " y");
        DeformConvGrads d = be.deformConv2dBackward(Tensor.of(k.g, k.ys), x, off, mask, w, b != null, k.p);
        close(k.c.get("dx"), d.input().data(), k.name + " dx");
        close(k.c.get("doffset"), d.offset().data(), k.name + " doffset");
        close(k.c.get("dw"), d.weight().data(), k.name + " dw");
        if (mask != null) close(k.c.get("dmask"), d.mask().data(), k.name + " dmask");
        else assertNull(d.mask(), k.name + ": DCN has no mask gradient");
        if (b != null) close(k.c.get("db"), d.bias().data(), k.name + " db");
        else assertNull(d.bias(), k.name + ": no bias, no bias gradient");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void autogradMatchesTorchvision(String name, Path file) throws IOException {
        Case k = read(file);
        try (MemoryScope ignored = MemoryScope.open()) {
            Tensor x = Tensor.of(k.x, k.xs).setRequiresGrad(true), off = Tensor.of(k.off, k.os).setRequiresGrad(true);
            Tensor w = Tensor.of(k.w, k.ws).setRequiresGrad(true);
            Tensor mask = k.mask == null ? null : Tensor.of(k.mask, k.maskShape()).setRequiresGrad(true);
            Tensor b = k.b == null ? null : Tensor.of(k.b, k.ws[0]).setRequiresGrad(true);
            Tensor y = DeformConvOps.deformConv2d(x, off, mask, w, b, k.p);
            close(k.c.get("y"), y.toFloatArray(), k.name + " y");
            Graph.backward(new Tensor[] {y}, new Tensor[] {Tensor.of(k.g, k.ys)});
            close(k.c.get("dx"), x.grad().toFloatArray(), k.name + " dx");
            close(k.c.get("doffset"), off.grad().toFloatArray(), k.name + " doffset");
            close(k.c.get("dw"), w.grad().toFloatArray(), k.name + " dw");
            if (mask != null) close(k.c.get("dmask"), mask.grad().toFloatArray(), k.name + " dmask");
            if (b != null) close(k.c.get("db"), b.grad().toFloatArray(), k.name + " db");
        }
    }

    @Test
    void badShapesFailNamingTheOpAndShapes() {
        Backend be = Backends.cpu();
        DeformConvParams p = new DeformConvParams(ConvParams.of(1, 1), 2);
        Tensor x = Tensor.zeros(1, 4, 5, 5), w = Tensor.zeros(3, 4, 3, 3);
        IllegalArgumentException off = assertThrows(IllegalArgumentException.class,
                () -> be.deformConv2d(x, Tensor.zeros(1, 18, 5, 5), null, w, null, p));
        assertTrue(off.getMessage().startsWith("deformConv2d: offset must be [1, 36, 5, 5]"), off.getMessage());
        IllegalArgumentException mask = assertThrows(IllegalArgumentException.class,
                () -> be.deformConv2d(x, Tensor.zeros(1, 36, 5, 5), Tensor.zeros(1, 9, 5, 5), w, null, p));
        assertTrue(mask.getMessage().contains("mask must be [1, 18, 5, 5]"), mask.getMessage());
        IllegalArgumentException dg = assertThrows(IllegalArgumentException.class,
                () -> be.deformConv2d(Tensor.zeros(1, 3, 5, 5), Tensor.zeros(1, 36, 5, 5), null, Tensor.zeros(3, 3, 3, 3), null, p));
        assertTrue(dg.getMessage().contains("not divisible by deform_groups 2"), dg.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DeformConvParams(ConvParams.of(1, 1), 0));
    }

    private static float[] orNull(JsonNode a) { return a == null || a.isNull() ? null : floats(a); }

    /** Equal within {@link #RTOL} of the array's largest magnitude (at least 1). */
    private static void close(JsonNode want, float[] got, String what) {
        assertEquals(want.size(), got.length, what + ": size");
        double scale = 1;
        for (JsonNode v : want) scale = Math.max(scale, Math.abs(v.asDouble()));
        for (int i = 0; i < got.length; i++) assertEquals(want.get(i).asDouble(), got[i], RTOL * scale, what + "[" + i + "]");
    }
}
