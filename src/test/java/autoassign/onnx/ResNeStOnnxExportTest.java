package autoassign.onnx;

import autoassign.model.ResNeStDetectors;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ResNeSt detector exported to ONNX is the network: the split attention as torch.onnx writes upstream's forward
 * ({@code Slice} / {@code Add} of the splits, {@code GlobalAveragePool}, fc1 with bn1 folded, fc2, RSoftmax's
 * {@code Reshape} → {@code Transpose} → {@code Softmax} → {@code Reshape}, or {@code Sigmoid} at radix 1, the
 * {@code Mul} / {@code Add} weighting) and the avd layers' {@code AveragePool}; compared with the engine's forward for
 * radix 2, radix 1 and cardinality 2, at dynamic and fixed input sizes, with every BN (also bn0 / bn1) perturbed.
 */
class ResNeStOnnxExportTest {
    /** The R50 recipe with a small ResNeSt-50 ({@code extra}: more backbone keys) into a narrow FPN and one-conv head. */
    static AutoAssignDetector small(long seed, String extra, String inChannels) {
        AutoAssignDetector m = new AutoAssignDetector(ResNeStDetectors.small(extra, inChannels), seed);
        m = OnnxTestModels.perturbed(m, seed);
        Random rng = new Random(seed); // the attention convs' biases away from 0, so that fc1 / fc2's biases matter
        m.stateDict().forEach((name, t) -> {
            if (!name.matches("backbone\\..*\\.fc[12]\\.bias")) return;
            float[] v = new float[t.numel()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * 0.5);
            t.copyFrom(Tensor.of(v, t.shape()));
        });
        return m;
    }

    @Test
    void radixTwoMatchesTheEngine() throws IOException {
        AutoAssignDetector model = small(21, "", "[8, 16, 32, 64]");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(6, 1, 3, 64, 96));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 64), OnnxTestModels.randomImage(7, 1, 3, 64, 64));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        // one split attention per bottleneck (3 + 4 + 6 + 3), one avd AveragePool per strided stage (layer2..4)
        assertEquals(16, m.nodes().stream().filter(n -> n.opType().equals("GlobalAveragePool")).count());
        assertEquals(16, m.nodes().stream().filter(n -> n.opType().equals("Softmax")).count());
        assertEquals(3, m.nodes().stream().filter(n -> n.opType().equals("AveragePool") && n.name().contains("avd_layer")).count());
        assertTrue(m.initializers().containsKey("backbone.layer2.0.conv2.fc2.weight"), "checkpoint names kept");
    }

    @Test
    void radixOneAndCardinalityTwoMatchTheEngine() throws IOException {
        AutoAssignDetector sigmoid = small(5, "radix: 1\nnum_stages: 3\nout_indices: [0, 1, 2]", "[8, 16, 32]");
        OnnxGraphEquivalenceTest.assertSameOutputs(sigmoid, InputShape.DYNAMIC, OnnxTestModels.randomImage(8, 1, 3, 64, 64));
        assertEquals(0, OnnxGraphEquivalenceTest.exportAndParse(sigmoid, InputShape.DYNAMIC).nodes().stream()
                .filter(n -> n.opType().equals("Softmax")).count());
        // groups 2, base_width 4 at base 2: widths 8, 16 (groups · radix = 4 divides them); RSoftmax's transpose matters
        AutoAssignDetector grouped = small(9, "groups: 2\nbase_width: 4\nnum_stages: 2\nout_indices: [0, 1]", "[8, 16]");
        OnnxGraphEquivalenceTest.assertSameOutputs(grouped, InputShape.fixed(64, 96), OnnxTestModels.randomImage(10, 1, 3, 64, 96));
    }
}
