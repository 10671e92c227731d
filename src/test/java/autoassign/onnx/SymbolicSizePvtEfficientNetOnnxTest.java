package autoassign.onnx;

import autoassign.model.AdaptiveConvModule;
import autoassign.model.AutoAssignDetector;
import autoassign.nn.InterpolationMatrices;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EfficientNet, PVT and PVTv2 exported with a symbolic input size ({@code [N, 3, H, W]}): one graph, run by the
 * interpreter at several sizes (multiples of 32, even sizes that are not, odd sizes, batches of two), equals the
 * engine's forward at each within {@link OnnxGraphEquivalenceTest#TOLERANCE}. EfficientNet's "same" pads come from
 * {@code Shape} ({@link SamePadGraph}) where they depend on the size; PVT's reshapes take N, h and w from {@code Shape} and
 * v1's position embedding is a linear / half_pixel {@code Resize} of the parameter itself (also to a 1-wide grid, where
 * torch.onnx's pytorch_half_pixel would differ from torch).
 */
class SymbolicSizePvtEfficientNetOnnxTest {
    /**
     * The smallest scale the differences are divided by: an output whose every value is near 0 — PVT's one-element
     * objectness_4 of −3.7e-4 at 33×47, on a tower whose values are O(1) — differs by float rounding alone (3.7e-9).
     */
    static final double SCALE_FLOOR = 1e-2;

    static double maxDifference(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs((double) a[i] - b[i]));
        return d;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /**
     * The parsed graph run at each input: every output equals the engine's forward within
     * {@link OnnxGraphEquivalenceTest#TOLERANCE} of max(max |engine|, {@link #SCALE_FLOOR}).
     */
    static void assertSameOutputsAt(OnnxModelReader.Model graph, AutoAssignDetector model, Tensor... images) {
        OnnxInterpreter interpreter = new OnnxInterpreter(graph);
        for (Tensor image : images) {
            Map<String, OnnxInterpreter.Val> got = interpreter.run(Map.of(DetectorGraph.INPUT, image));
            Map<String, Tensor> want = OnnxTestModels.forward(model, image);
            assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), "outputs, in order");
            for (String k : want.keySet()) {
                Tensor w = want.get(k), g = got.get(k).t();
                String at = k + " at " + Arrays.toString(image.shape());
                assertArrayEquals(w.shape(), g.shape(), at);
                double err = maxDifference(g.toFloatArray(), w.toFloatArray()) / Math.max(maxAbs(w.toFloatArray()), SCALE_FLOOR);
                assertTrue(err <= OnnxGraphEquivalenceTest.TOLERANCE, at + ": relative error " + err);
            }
        }
    }

    private static long count(OnnxModelReader.Model m, String op) {
        return m.nodes().stream().filter(n -> n.opType().equals(op)).count();
    }

    private static long backbone(OnnxModelReader.Model m, String op) {
        return m.nodes().stream().filter(n -> n.opType().equals(op) && n.name().startsWith("backbone.")).count();
    }

    // ------------------------------------------------------------------------------------------------ EfficientNet

    @Test
    void efficientNetComputesItsSamePadsFromTheInputShape() throws IOException {
        AutoAssignDetector model = EfficientNetOnnxExportTest.small(21);
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        // even and odd sizes meet both parities of every strided conv: pads (0, 1) at even, (1, 1) at odd sizes (3×3/2)
        assertSameOutputsAt(m, model, OnnxTestModels.randomImage(7, 1, 3, 64, 96), OnnxTestModels.randomImage(9, 1, 3, 75, 111),
                OnnxTestModels.randomImage(10, 2, 3, 33, 47));
        // a Pad before every k×k conv; its pads from Shape where the conv is strided, constant (k − 1 split evenly) otherwise
        AtomicInteger strided = new AtomicInteger(), stride1 = new AtomicInteger();
        visit(model.backbone, c -> (c.stride > 1 ? strided : stride1).addAndGet(c.kernel() > 1 ? 1 : 0));
        assertEquals(5, strided.get(), "b0: the stem and the first depth-wise conv of four stages");
        assertEquals(strided.get() + stride1.get(), count(m, "Pad"));
        assertEquals(strided.get(), backbone(m, "Shape"));
        long constantPads = m.nodes().stream().filter(n -> n.opType().equals("Pad") && m.initializers().containsKey(n.inputs().get(1))).count();
        assertEquals(stride1.get(), constantPads);
        assertTrue(m.initializers().containsKey("backbone.layers.1.0.depthwise_conv.conv.pads"), "stride-1 3×3: constant (1, 1)");
        assertEquals(List.of("N", 3L, "H", "W"), m.inputs().get(0).dims());
    }

    @Test
    void aFixedSizeGraphsConstantPadsDoNotServeAnotherSize() throws IOException {
        // the comparison can fail: the graph exported for 32×48 pads (0, 1) where 33×49 needs (1, 1)
        AutoAssignDetector model = EfficientNetOnnxExportTest.small(22);
        OnnxModelReader.Model fixed = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(32, 48));
        Tensor odd = OnnxTestModels.randomImage(3, 1, 3, 33, 49);
        assertThrows(AssertionError.class, () -> assertSameOutputsAt(fixed, model, odd));
        assertSameOutputsAt(OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC), model, odd);
    }

    private static void visit(Module m, java.util.function.Consumer<AdaptiveConvModule> f) {
        if (m instanceof AdaptiveConvModule c && c.adaptivePadding) f.accept(c);
        m.children().values().forEach(c -> visit(c, f));
    }

    // ------------------------------------------------------------------------------------------------ PVT

    @Test
    void pvtV1ResizesItsPositionEmbeddingInTheGraph() throws IOException {
        AutoAssignDetector model = PvtOnnxExportTest.pvt("PyramidVisionTransformer", 3, "drop_rate: 0.2", "attn_drop_rate: 0.1");
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        // 70×90: grids 17×22, 8×11, 4×5, 2×2 (pretrain 56×56 ...); 33×47: 8×11, 4×5, 2×2, 1×1 (a 1-wide grid); a batch of 2
        assertSameOutputsAt(m, model, OnnxTestModels.randomImage(4, 1, 3, 70, 90), OnnxTestModels.randomImage(5, 1, 3, 33, 47),
                OnnxTestModels.randomImage(6, 2, 3, 64, 96));
        assertEquals(4, backbone(m, "Resize"), "one Resize per stage's embedding");
        m.nodes().stream().filter(n -> n.opType().equals("Resize") && n.name().startsWith("backbone.")).forEach(n -> {
            assertEquals("linear", n.attributes().get("mode"));
            assertEquals("half_pixel", n.attributes().get("coordinate_transformation_mode"));
        });
        for (int i = 0; i < 4; i++)
            assertArrayEquals(new long[] {1, pvtTokens(model, i)},
                    Arrays.copyOf(m.initializers().get("backbone.layers." + i + ".1.0.pos_embed").dims(), 2), "the parameter itself");
        assertTrue(m.initializers().keySet().stream().noneMatch(k -> k.contains("resized")));
        assertEquals(2 * 5, count(m, "MatMul"));
        // torch.onnx's pytorch_half_pixel instead: the same wherever the grid is wider than 1, the corner at a 1×1 grid
        OnnxModelReader.Model pytorch = new OnnxModelReader.Model(m.irVersion(), m.opsets(), m.producer(), m.docString(), m.graph(),
                m.nodes().stream().map(n -> !n.opType().equals("Resize") || !n.name().startsWith("backbone.") ? n
                        : new OnnxGraph.Node(n.opType(), n.name(), n.inputs(), n.outputs(),
                                Map.of("mode", "linear", "coordinate_transformation_mode", "pytorch_half_pixel"))).toList(),
                m.initializers(), m.inputs(), m.outputs());
        assertSameOutputsAt(pytorch, model, OnnxTestModels.randomImage(4, 1, 3, 70, 90));
        assertThrows(AssertionError.class, () -> assertSameOutputsAt(pytorch, model, OnnxTestModels.randomImage(5, 1, 3, 33, 47)));
    }

    private static long pvtTokens(AutoAssignDetector model, int stage) {
        int[] p = ((autoassign.model.PyramidVisionTransformer) model.backbone).config().posShape(stage);
        return (long) p[0] * p[1];
    }

    @Test
    void pvtV1AtAndAwayFromThePretrainGridWithoutQkvBias() throws IOException {
        // pretrain_img_size 64×96: at 64×96 every Resize is the identity; 75×110 resizes
        AutoAssignDetector model = PvtOnnxExportTest.pvt("PyramidVisionTransformer", 5, "pretrain_img_size: [64, 96]", "qkv_bias: false");
        assertSameOutputsAt(OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC), model,
                OnnxTestModels.randomImage(6, 1, 3, 64, 96), OnnxTestModels.randomImage(7, 1, 3, 75, 110));
    }

    @Test
    void pvtV2TakesItsReshapesFromTheInputShape() throws IOException {
        AutoAssignDetector model = PvtOnnxExportTest.pvt("PyramidVisionTransformerV2", 7);
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        // 75×110: 19×28, 10×14, 5×7, 3×4; 64×64; 97×61 (odd); a batch of 2 at 96×128
        assertSameOutputsAt(m, model, OnnxTestModels.randomImage(8, 1, 3, 75, 110), OnnxTestModels.randomImage(9, 1, 3, 64, 64),
                OnnxTestModels.randomImage(10, 1, 3, 97, 61), OnnxTestModels.randomImage(11, 2, 3, 96, 128));
        assertEquals(0, backbone(m, "Resize"), "v2 has no position embedding");
        assertEquals(1 + 4, backbone(m, "Shape"), "N once, (h, w) once per stage");
        // every Reshape target is a constant or built from those Shapes: no size of the export's own
        for (var n : m.nodes())
            if (n.opType().equals("Reshape") && n.name().startsWith("backbone.") && m.initializers().containsKey(n.inputs().get(1))) {
                long[] target = longs(m.initializers().get(n.inputs().get(1)));
                assertTrue(Arrays.stream(target).filter(v -> v == -1).count() <= 1, n.name() + " " + Arrays.toString(target));
                assertFalse(Arrays.stream(target).anyMatch(v -> v == 19 * 28 || v == 19 || v == 28), n.name() + " " + Arrays.toString(target));
            }
    }

    private static long[] longs(OnnxGraph.Initializer init) {
        long[] v = new long[init.rawData().length / 8];
        java.nio.ByteBuffer.wrap(init.rawData()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
        return v;
    }

    /** The interpreter's linear / half_pixel Resize is torch's bilinear (the engine's weights), also to and from size 1. */
    @Test
    void linearHalfPixelResizeIsTorchsBilinear() {
        int[][] cases = {{56, 17}, {56, 1}, {7, 9}, {1, 4}, {5, 5}, {3, 8}};
        for (int[] hw : cases)
            for (int[] ow : cases) {
                int h = hw[0], w = ow[0], oh = hw[1], owid = ow[1];
                float[] v = new float[h * w];
                for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(1.7 * i + 0.3);
                float[] got = OnnxLinearResize.run(OnnxInterpreter.Val.ofFloats(v, 1, 1, h, w), new long[] {1, 1, oh, owid}, null,
                        Map.of("mode", "linear", "coordinate_transformation_mode", "half_pixel")).f();
                float[] ry = InterpolationMatrices.bilinear(h, oh), rx = InterpolationMatrices.bilinear(w, owid);
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < owid; j++) {
                        double want = 0;
                        for (int a = 0; a < h; a++) for (int b = 0; b < w; b++) want += ry[i * h + a] * rx[j * w + b] * v[a * w + b];
                        assertEquals(want, got[i * owid + j], 1e-5, h + "x" + w + " -> " + oh + "x" + owid + " at " + i + "," + j);
                    }
            }
        // pytorch_half_pixel differs where the output is 1 wide: the source is 0, not the centre
        float[] row = {0, 1, 2, 3, 4};
        assertEquals(2f, OnnxLinearResize.run(OnnxInterpreter.Val.ofFloats(row, 1, 1, 1, 5), new long[] {1, 1, 1, 1}, null,
                Map.of("coordinate_transformation_mode", "half_pixel")).f()[0]);
        assertEquals(0f, OnnxLinearResize.run(OnnxInterpreter.Val.ofFloats(row, 1, 1, 1, 5), new long[] {1, 1, 1, 1}, null,
                Map.of("coordinate_transformation_mode", "pytorch_half_pixel")).f()[0]);
    }
}
