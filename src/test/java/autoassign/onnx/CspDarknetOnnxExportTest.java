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
 * A CSPDarknet + YOLOXPAFPN detector exported to ONNX is the network: Focus as four strided {@code Slice}s and a
 * {@code Concat}, Swish as {@code Sigmoid} + {@code Mul}, SPP's stride-1 {@code MaxPool}s, the neck's nearest
 * {@code Resize} by scales [1, 1, 2, 2]; compared with the engine's forward (dynamic and fixed input sizes), also with
 * depth-wise separable convs and LeakyReLU.
 */
class CspDarknetOnnxExportTest {
    static AutoAssignDetector small(long seed, String... overrides) {
        List<String> o = new ArrayList<>(List.of("model.backbone.widen_factor=0.125", "model.neck.in_channels=[32,64,128]",
                "model.neck.out_channels=16", "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16",
                "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(overrides));
        var cfg = ConfigLoader.load(Path.of("configs/autoassign_csp-darknet-s_yolox-pafpn_1x_coco.yaml"), o).model();
        return OnnxTestModels.perturbed(new AutoAssignDetector(cfg, seed), seed);
    }

    @Test
    void yoloxSMatchesTheEngine() throws IOException {
        AutoAssignDetector model = small(31);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(6, 1, 3, 96, 64));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 96), OnnxTestModels.randomImage(7, 1, 3, 64, 96));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        assertEquals(4, m.nodes().stream().filter(n -> n.opType().equals("Slice") && n.name().startsWith("backbone.stem")).count());
        long sigmoids = m.nodes().stream().filter(n -> n.opType().equals("Sigmoid") && n.name().startsWith("backbone.")).count();
        long convs = m.nodes().stream().filter(n -> n.opType().equals("Conv") && n.name().startsWith("backbone.")).count();
        assertEquals(convs, sigmoids, "every backbone ConvModule ends in Swish");
        assertEquals(3, m.nodes().stream().filter(n -> n.opType().equals("MaxPool")).count(), "SPP's 5, 9, 13");
        assertEquals(2, m.nodes().stream().filter(n -> n.opType().equals("Resize")).count());
        assertTrue(m.initializers().containsKey("backbone.stage1.1.blocks.0.conv2.conv.weight"), "checkpoint names kept");
    }

    @Test
    void depthwiseAndLeakyReluMatchTheEngine() throws IOException {
        AutoAssignDetector model = small(5, "model.backbone.use_depthwise=true", "model.neck.use_depthwise=true",
                "model.backbone.act_cfg={type: LeakyReLU, negative_slope: 0.1}");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 64), OnnxTestModels.randomImage(8, 1, 3, 64, 64));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        assertTrue(m.nodes().stream().anyMatch(n -> n.opType().equals("LeakyRelu")));
        assertTrue(m.nodes().stream().anyMatch(n -> n.opType().equals("Conv") && (Long) n.attributes().getOrDefault("group", 1L) > 1));
    }
}
