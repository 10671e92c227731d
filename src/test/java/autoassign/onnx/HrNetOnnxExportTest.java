package autoassign.onnx;

import autoassign.model.AutoAssignDetector;
import autoassign.model.HrNetDetectors;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An HRNet detector exported to ONNX is the network: the stem's two Conv + Relu, the transitions, the HRModules'
 * branches and fuse layers (1×1 Conv + folded BN + nearest Resize for a coarser branch, 3×3/2 Conv chains for a finer
 * one, Add, Relu); compared with the engine's forward (dynamic and fixed input sizes).
 */
class HrNetOnnxExportTest {
    /** The small HRNet detector with every BatchNorm's statistics and affine drawn at random (not the identity). */
    static AutoAssignDetector smallHrNet(long seed) {
        AutoAssignDetector m = OnnxTestModels.perturbed(new AutoAssignDetector(HrNetDetectors.small(), seed), seed);
        Random rng = new Random(seed);
        var sd = m.stateDict();
        sd.forEach((name, t) -> {
            if (!name.startsWith("backbone.") || t.rank() != 1) return;
            String bn = name.substring(0, name.lastIndexOf('.'));
            if (!sd.containsKey(bn + ".running_var")) return;
            float[] v = new float[t.numel()];
            for (int i = 0; i < v.length; i++) {
                double u = rng.nextDouble();
                v[i] = (float) (name.endsWith("running_var") || name.endsWith("weight") ? 0.5 + u : u - 0.5);
            }
            t.copyFrom(Tensor.of(v, t.shape()));
        });
        return m;
    }

    @Test
    void hrNetMatchesTheEngine() throws IOException {
        AutoAssignDetector model = smallHrNet(21);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(6, 1, 3, 96, 128));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 96), OnnxTestModels.randomImage(7, 1, 3, 64, 96));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        long resizes = m.nodes().stream().filter(n -> n.opType().equals("Resize") && n.name().startsWith("backbone.stage")).count();
        // fuse layers j > i: stage2 1, stage3 3 per module (2 modules), stage4 6
        assertEquals(1 + 2 * 3 + 6, resizes);
        assertTrue(m.initializers().containsKey("backbone.stage4.0.fuse_layers.3.0.2.0.weight"), "checkpoint names kept");
        assertTrue(m.initializers().containsKey("backbone.transition1.0.0.weight"));
        assertTrue(m.nodes().stream().noneMatch(n -> n.opType().equals("MaxPool") && n.name().startsWith("backbone")), "no max-pool");
    }
}
