package autoassign.onnx;

import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exported graph is the network: written, parsed back, interpreted with the engine's CPU ops
 * ({@link OnnxInterpreter}) and compared with {@code AutoAssignDetector.forward} on random inputs.
 */
class OnnxGraphEquivalenceTest {
    /** float32 rounding differences only: BatchNorm folding and InstanceNormalization's own sums. */
    static final double TOLERANCE = 1e-5;

    static OnnxModelReader.Model exportAndParse(AutoAssignDetector model, InputShape shape) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OnnxModelWriter.write(DetectorGraph.build(model, shape), "test", "", bytes);
        return OnnxModelReader.parse(bytes.toByteArray());
    }

    static void assertSameOutputs(AutoAssignDetector model, InputShape shape, Tensor image) throws IOException {
        assertSameOutputs(model, shape, image, TOLERANCE);
    }

    /** {@link #assertSameOutputs(AutoAssignDetector, InputShape, Tensor)} within relative error {@code tolerance}. */
    static void assertSameOutputs(AutoAssignDetector model, InputShape shape, Tensor image, double tolerance) throws IOException {
        Map<String, OnnxInterpreter.Val> got = new OnnxInterpreter(exportAndParse(model, shape)).run(Map.of(DetectorGraph.INPUT, image));
        Map<String, Tensor> want = OnnxTestModels.forward(model, image);
        assertEquals(java.util.List.copyOf(want.keySet()), java.util.List.copyOf(got.keySet()), "outputs, in order");
        for (String k : want.keySet()) {
            Tensor w = want.get(k), g = got.get(k).t();
            assertArrayEquals(w.shape(), g.shape(), k);
            double err = OnnxTestModels.relativeError(g.toFloatArray(), w.toFloatArray());
            assertTrue(err <= tolerance, k + ": relative error " + err + " " + Arrays.toString(w.shape()));
        }
    }

    @Test
    void tinyGroupNormModelWithABatchOfTwo() throws IOException {
        // 64×80: the top-down path upsamples 2×3 → 4×5 (not a factor of two)
        assertSameOutputs(OnnxTestModels.tiny(3), InputShape.DYNAMIC, OnnxTestModels.randomImage(1, 2, 3, 64, 80));
    }

    @Test
    void tinyModelAtAFixedSizeThatIsNotAMultipleOf32() throws IOException {
        assertSameOutputs(OnnxTestModels.tiny(4), InputShape.fixed(75, 110), OnnxTestModels.randomImage(2, 1, 3, 75, 110));
    }

    @Test
    void r50LayoutWithFoldedBatchNorm() throws IOException {
        assertSameOutputs(OnnxTestModels.r50Narrow(5), InputShape.DYNAMIC, OnnxTestModels.randomImage(3, 1, 3, 100, 140));
    }

    @Test
    void resNeXtLayoutWithGroupedConvs() throws IOException {
        AutoAssignDetector model = OnnxTestModels.x50Narrow(7);
        assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(5, 1, 3, 96, 128));
        // each bottleneck's 3x3 is one Conv with group 4 and the weight [width, width/4, 3, 3]; every other conv group 1
        OnnxModelReader.Model m = exportAndParse(model, InputShape.DYNAMIC);
        int grouped = 0;
        for (var n : m.nodes()) {
            if (!n.opType().equals("Conv")) continue;
            long group = (Long) n.attributes().get("group");
            boolean conv2 = n.name().startsWith("backbone.layer") && n.name().endsWith(".conv2/Conv");
            assertEquals(conv2 ? 4L : 1L, group, n.name());
            if (conv2) {
                grouped++;
                long[] dims = m.initializers().get(n.inputs().get(1)).dims();
                assertEquals(dims[0] / 4, dims[1], n.name() + " weight " + Arrays.toString(dims));
            }
        }
        assertEquals(3 + 4 + 6 + 3, grouped, "one grouped conv per bottleneck of a ResNeXt-50");
    }

    @Test
    void aWrongGraphIsCaught() throws IOException {
        // the comparison can fail: the same graph for a model whose one head scale differs
        AutoAssignDetector model = OnnxTestModels.tiny(6);
        OnnxModelReader.Model parsed = exportAndParse(model, InputShape.DYNAMIC);
        model.bboxHead.scales.get(2).scale.copyFrom(Tensor.of(new float[] {model.bboxHead.scales.get(2).scale.item() * 1.001f}));
        Tensor image = OnnxTestModels.randomImage(4, 1, 3, 64, 64);
        var got = new OnnxInterpreter(parsed).run(Map.of(DetectorGraph.INPUT, image));
        var want = OnnxTestModels.forward(model, image);
        assertTrue(OnnxTestModels.relativeError(got.get("bbox_pred_2").t().toFloatArray(), want.get("bbox_pred_2").toFloatArray()) > TOLERANCE);
        assertTrue(OnnxTestModels.relativeError(got.get("bbox_pred_1").t().toFloatArray(), want.get("bbox_pred_1").toFloatArray()) <= TOLERANCE);
    }
}
