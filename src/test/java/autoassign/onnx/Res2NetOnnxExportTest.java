package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Res2Net detector exported to ONNX: each Bottle2neck as Slice (one per channel slice) → the slices' Conv (+ folded
 * BN) + Relu with the Add of the previous slice → Concat (the strided stage block's last slice through AveragePool
 * 3×3/2, pads 1, count_include_pad 1); the interpreted graph equals the engine's forward on odd sizes, also with DCNv2 slices.
 */
class Res2NetOnnxExportTest {
    static AutoAssignDetector r2Narrow(long seed, String... extra) {
        List<String> o = new java.util.ArrayList<>(List.of(
                "model.backbone._delete_=true", "model.backbone.type=Res2Net", "model.backbone.depth=50",
                "model.backbone.scales=3", "model.backbone.base_width=6", "model.backbone.base_channels=4",
                "model.backbone.stem_channels=8", "model.backbone.norm_cfg={type: BN, requires_grad: false}",
                "model.neck.in_channels=[16, 32, 64, 128]", "model.neck.out_channels=16",
                "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1",
                "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(extra));
        var cfg = ConfigLoader.load(java.nio.file.Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"), o);
        return OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), seed), seed);
    }

    @Test
    void bottle2necksMatchTheEngine() throws IOException {
        AutoAssignDetector model = r2Narrow(17);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(8, 1, 3, 96, 128));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(75, 110), OnnxTestModels.randomImage(9, 1, 3, 75, 110));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        long slices = m.nodes().stream().filter(n -> n.opType().equals("Slice") && n.name().startsWith("backbone.layer")).count();
        assertEquals(3 * 16, slices, "scales 3 slices in each of the 16 blocks");
        long concats = m.nodes().stream().filter(n -> n.opType().equals("Concat") && n.name().startsWith("backbone.layer")).count();
        assertEquals(16, concats);
        int stagePools = 0;
        for (var n : m.nodes()) {
            if (!n.opType().equals("AveragePool") || !n.name().matches("backbone\\.layer\\d\\.0\\.pool/.*")) continue;
            stagePools++;
            assertArrayEquals(new long[] {3, 3}, (long[]) n.attributes().get("kernel_shape"), n.name());
            assertArrayEquals(new long[] {2, 2}, (long[]) n.attributes().get("strides"), n.name());
            assertArrayEquals(new long[] {1, 1, 1, 1}, (long[]) n.attributes().get("pads"), n.name());
            assertEquals(1L, n.attributes().get("count_include_pad"), n.name());
            assertEquals(0L, n.attributes().get("ceil_mode"), n.name());
        }
        assertEquals(3, stagePools, "layer2..4's first blocks pool their last slice; layer1's has stride 1");
    }

    @Test
    void deformableSlicesMatchTheEngine() throws IOException {
        AutoAssignDetector model = DcnOnnxExportTest.randomOffsets(r2Narrow(3, "model.backbone.dcn={type: DCNv2, deform_groups: 1}",
                "model.backbone.stage_with_dcn=[false, true, true, true]"), 3);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(10, 1, 3, 70, 90),
                DcnOnnxExportTest.TOLERANCE);
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        long deform = m.nodes().stream().filter(n -> n.opType().equals("DeformConv")).count();
        assertEquals(2 * (4 + 6 + 3), deform, "the scales - 1 = 2 slice convs of every layer2..layer4 block");
    }
}
