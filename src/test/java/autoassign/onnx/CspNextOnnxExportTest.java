package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A CSPNeXt + CSPNeXtPAFPN detector exported to ONNX is the network: the three stem convs, CSPNeXtBlocks' 5×5
 * depth-wise convs, ChannelAttention as {@code GlobalAveragePool} → {@code Conv} (with bias) → {@code HardSigmoid}
 * (alpha 1/6, beta 1/2: torch.onnx's nn.Hardsigmoid) → {@code Mul}, SiLU as {@code Sigmoid} + {@code Mul}, the neck's
 * 3×3 out convs; compared with the engine's forward (dynamic and fixed input sizes, sizes not divisible by 32 in the
 * backbone-only stages), also with depth-wise separable convs everywhere and P6.
 */
class CspNextOnnxExportTest {
    static AutoAssignDetector small(long seed, String... overrides) {
        List<String> o = new ArrayList<>(List.of("model.backbone.widen_factor=0.125",
                "model.neck.in_channels=[32,64,128]", "model.neck.out_channels=16", "model.bbox_head.in_channels=16",
                "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3",
                "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(overrides));
        var cfg = ConfigLoader.load(Path.of("configs/autoassign_cspnext-s_cspnext-pafpn_1x_coco.yaml"), o).model();
        return OnnxTestModels.perturbed(new AutoAssignDetector(cfg, seed), seed);
    }

    @Test
    void rtmdetSMatchesTheEngine() throws IOException {
        AutoAssignDetector model = small(41);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(6, 1, 3, 96, 64));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 96), OnnxTestModels.randomImage(7, 1, 3, 64, 96));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        long attention = m.nodes().stream().filter(n -> n.opType().equals("HardSigmoid")).count();
        assertEquals(4, attention, "one ChannelAttention per stage");
        m.nodes().stream().filter(n -> n.opType().equals("HardSigmoid")).forEach(n -> {
            assertEquals(1f / 6f, (Float) n.attributes().get("alpha"));
            assertEquals(0.5f, (Float) n.attributes().get("beta"));
        });
        assertEquals(4, m.nodes().stream().filter(n -> n.opType().equals("GlobalAveragePool")).count());
        assertEquals(3, m.nodes().stream().filter(n -> n.opType().equals("MaxPool")).count(), "SPP's 5, 9, 13");
        assertEquals(2, m.nodes().stream().filter(n -> n.opType().equals("Resize")).count());
        assertTrue(m.initializers().containsKey("backbone.stage1.1.attention.fc.weight"), "checkpoint names kept");
        assertTrue(m.initializers().containsKey("backbone.stage4.2.attention.fc.bias"), "checkpoint names kept");
    }

    @Test
    void depthwiseAndP6MatchTheEngine() throws IOException {
        AutoAssignDetector model = small(5, "model.backbone.use_depthwise=true", "model.neck.use_depthwise=true",
                "model.backbone.arch=P6", "model.backbone.out_indices=[3,4,5]", "model.neck.in_channels=[64,96,128]",
                "model.bbox_head.strides=[16,32,64]", "model.data_preprocessor.pad_size_divisor=64");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(128, 64), OnnxTestModels.randomImage(8, 1, 3, 128, 64));
    }
}
