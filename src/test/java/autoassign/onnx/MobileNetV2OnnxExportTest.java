package autoassign.onnx;

import autoassign.model.AutoAssignDetector;
import autoassign.model.MobileNetV2Detectors;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A MobileNetV2 detector exported to ONNX is the network: Conv with the BN folded ({@code group} = channels for the
 * depth-wise convs), {@code Clip(0, 6)} for ReLU6, the InvertedResiduals' {@code Add}; compared with the engine's
 * forward (dynamic and fixed input sizes), with BN statistics drawn so that ReLU6 clips at both ends.
 */
class MobileNetV2OnnxExportTest {
    static AutoAssignDetector smallMobileNet(long seed, String... overrides) {
        AutoAssignDetector m = OnnxTestModels.perturbed(new AutoAssignDetector(MobileNetV2Detectors.small(overrides), seed), seed);
        Random rng = new Random(seed);
        var sd = m.stateDict();
        sd.forEach((name, t) -> {
            if (!name.startsWith("backbone.") || t.rank() != 1) return;
            String bn = name.substring(0, name.lastIndexOf('.'));
            if (!sd.containsKey(bn + ".running_var")) return;
            float[] v = new float[t.numel()];
            for (int i = 0; i < v.length; i++) {
                double u = rng.nextDouble();
                // BN bias up to ±4 and weight up to 4.5: outputs beyond 6 and below 0, so the Clip's both ends matter
                v[i] = (float) (name.endsWith("running_var") ? 0.5 + u : name.endsWith("weight") ? 0.5 + 4 * u
                        : name.endsWith(".bias") ? 8 * u - 4 : u - 0.5);
            }
            t.copyFrom(Tensor.of(v, t.shape()));
        });
        return m;
    }

    @Test
    void mobileNetV2MatchesTheEngine() throws IOException {
        AutoAssignDetector model = smallMobileNet(21);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(6, 1, 3, 96, 128));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 96), OnnxTestModels.randomImage(7, 1, 3, 64, 96));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        long clips = m.nodes().stream().filter(n -> n.opType().equals("Clip")).count();
        // conv1, 17 depth-wise convs, 16 expand convs (layer1 has none), conv2
        assertEquals(1 + 17 + 16 + 1, clips);
        long grouped = m.nodes().stream().filter(n -> n.opType().equals("Conv") && (Long) n.attributes().getOrDefault("group", 1L) > 1).count();
        assertEquals(17, grouped, "the depth-wise convs carry group = channels");
        // residual Adds: blocks keeping stride and channels: layer2 1, layer3 2, layer4 3, layer5 2, layer6 2
        long adds = m.nodes().stream().filter(n -> n.opType().equals("Add") && n.name().startsWith("backbone.")).count();
        assertEquals(10, adds);
        assertTrue(m.initializers().containsKey("backbone.layer2.0.depthwise_conv.conv.weight"), "checkpoint names kept");
    }

    @Test
    void reluActivationExportsAsRelu() throws IOException {
        AutoAssignDetector model = smallMobileNet(5, "model.backbone.act_cfg.type=ReLU");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 64), OnnxTestModels.randomImage(8, 1, 3, 64, 64));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        assertEquals(0, m.nodes().stream().filter(n -> n.opType().equals("Clip")).count());
    }

    /** YOLOv3-MobileNetV2's LeakyReLU(0.1) as torch.onnx writes it ({@code LeakyRelu}, alpha), with SSDLite's BN eps 1e-3 folded. */
    @Test
    void leakyReluExportsAsLeakyReluWithItsSlope() throws IOException {
        AutoAssignDetector model = smallMobileNet(9, "model.backbone.act_cfg={type: LeakyReLU, negative_slope: 0.1}",
                "model.backbone.norm_cfg={type: BN, eps: 0.001, momentum: 0.03}");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 64), OnnxTestModels.randomImage(10, 1, 3, 64, 64));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        var leaky = m.nodes().stream().filter(n -> n.opType().equals("LeakyRelu")).toList();
        assertEquals(1 + 17 + 16 + 1, leaky.size(), "every ConvModule but the linear_convs");
        for (var n : leaky) assertEquals(0.1f, ((Number) n.attributes().get("alpha")).floatValue(), n.name());
        assertEquals(0, m.nodes().stream().filter(n -> n.opType().equals("Clip")).count());
    }
}
