package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ResNetV1d detector exported to ONNX: the deep stem as three Conv (+ folded BN) + Relu named {@code backbone.stem.0/3/6},
 * each avg_down downsample an {@code AveragePool} (kernel = stride, ceil_mode 1, count_include_pad 0) before its
 * stride-1 1×1 Conv; on odd input sizes (partial last windows) the interpreted graph equals the engine's forward.
 */
class ResNetV1dOnnxExportTest {
    static AutoAssignDetector v1dNarrow(long seed) {
        var cfg = ConfigLoader.load(java.nio.file.Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"), List.of(
                "model.backbone.type=ResNetV1d", "model.backbone.style=pytorch", "model.backbone.depth=18",
                "model.backbone.base_channels=8", "model.backbone.init_cfg={}", "model.neck.in_channels=[8, 16, 32, 64]",
                "model.neck.out_channels=16", "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16",
                "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4"));
        return OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), seed), seed);
    }

    @Test
    void deepStemAndAvgDownMatchTheEngine() throws IOException {
        AutoAssignDetector model = v1dNarrow(13);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(8, 1, 3, 96, 128));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(75, 110), OnnxTestModels.randomImage(9, 1, 3, 75, 110));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        assertFalse(m.nodes().stream().anyMatch(n -> n.name().startsWith("backbone.conv1")), "no 7x7 stem");
        for (String stem : List.of("backbone.stem.0", "backbone.stem.3", "backbone.stem.6"))
            assertTrue(m.nodes().stream().anyMatch(n -> n.opType().equals("Conv") && n.name().startsWith(stem + "/")), stem);
        int pools = 0;
        for (var n : m.nodes()) {
            if (!n.opType().equals("AveragePool")) continue;
            pools++;
            assertTrue(n.name().matches("backbone\\.layer[234]\\.0\\.downsample\\.0/AveragePool.*"), n.name());
            assertArrayEquals(new long[] {2, 2}, (long[]) n.attributes().get("kernel_shape"), n.name());
            assertArrayEquals(new long[] {2, 2}, (long[]) n.attributes().get("strides"), n.name());
            assertEquals(1L, n.attributes().get("ceil_mode"), n.name());
            assertEquals(0L, n.attributes().get("count_include_pad"), n.name());
        }
        // depth 18: layer1 keeps its 8 channels at stride 1, so it has no downsample at all
        assertEquals(3, pools, "one pool per strided downsample (layer2..4)");
    }
}
