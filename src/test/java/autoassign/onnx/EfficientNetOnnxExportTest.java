package autoassign.onnx;

import autoassign.model.AutoAssignDetector;
import autoassign.model.EfficientNetDetectorsForTests;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An EfficientNet-b0 detector exported to ONNX is the network: Conv2dAdaptivePadding as a constant {@code Pad} (only
 * where TensorFlow's "same" pads; asymmetric at even sizes of strided convs) before a Conv with the BN folded, Swish as
 * {@code Sigmoid} + {@code Mul}, the SE layers' {@code GlobalAveragePool} → Conv → Swish → Conv → Sigmoid → {@code Mul},
 * the residual {@code Add}s; compared with the engine's forward at fixed sizes (one not a multiple of 32). With conv_cfg
 * None a symbolic size has no Pad; with Conv2dAdaptivePadding see {@link SymbolicSizePvtEfficientNetOnnxTest}.
 */
class EfficientNetOnnxExportTest {
    static AutoAssignDetector small(long seed, String... overrides) {
        return OnnxTestModels.perturbed(new AutoAssignDetector(EfficientNetDetectorsForTests.smallB0(overrides), seed), seed);
    }

    @Test
    void efficientNetMatchesTheEngine() throws IOException {
        AutoAssignDetector model = small(21);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 96), OnnxTestModels.randomImage(7, 1, 3, 64, 96));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(70, 90), OnnxTestModels.randomImage(8, 1, 3, 70, 90));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(64, 96));
        // b0 layers 0..5: the stem, 16 blocks; SE in every block; strided convs pad (0, 1) at even sizes
        assertEquals(16, m.nodes().stream().filter(n -> n.opType().equals("GlobalAveragePool")).count());
        long pads = m.nodes().stream().filter(n -> n.opType().equals("Pad")).count();
        assertEquals(1 + 16, pads, "the stem and every k x k depth-wise conv (1x1 convs never pad)");
        long grouped = m.nodes().stream().filter(n -> n.opType().equals("Conv") && (Long) n.attributes().getOrDefault("group", 1L) > 1).count();
        assertEquals(16, grouped, "the depth-wise convs carry group = channels");
        long adds = m.nodes().stream().filter(n -> n.opType().equals("Add") && n.name().startsWith("backbone.")).count();
        assertEquals(0 + 1 + 1 + 4 + 3, adds, "residual blocks of layers 1..5");
        assertTrue(m.initializers().containsKey("backbone.layers.1.0.se.conv1.conv.weight"), "checkpoint names kept");
    }

    @Test
    void withoutAdaptivePaddingASymbolicSizeHasNoPad() throws IOException {
        AutoAssignDetector plain = small(4, "model.backbone.conv_cfg=None");
        OnnxGraphEquivalenceTest.assertSameOutputs(plain, InputShape.DYNAMIC, OnnxTestModels.randomImage(9, 1, 3, 64, 64));
        assertEquals(0, OnnxGraphEquivalenceTest.exportAndParse(plain, InputShape.DYNAMIC).nodes().stream()
                .filter(n -> n.opType().equals("Pad")).count());
    }
}
