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
 * PAFPN and HRFPN detectors exported to ONNX. PAFPN is Conv / Add / nearest Resize / MaxPool only: the interpreted
 * graph equals the engine's forward (with a GroupNorm + ReLU neck as well). HRFPN's graph is checked node by node:
 * {@code Resize} (linear, pytorch_half_pixel, scales [1, 1, 2^i, 2^i]: torch.onnx's export of
 * {@code F.interpolate(scale_factor=2**i, mode='bilinear')}), {@code Concat} on axis 1, and the pooling nodes.
 */
class NeckOnnxExportTest {
    private static final List<String> NARROW = List.of(
            "model.backbone.base_channels=8", "model.neck.in_channels=[32, 64, 128, 256]", "model.neck.out_channels=16",
            "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1",
            "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4");

    private static AutoAssignDetector narrow(long seed, String... more) {
        List<String> o = new java.util.ArrayList<>(NARROW);
        o.addAll(List.of(more));
        var cfg = ConfigLoader.loadNamed("autoassign_r50-caffe_pafpn_1x_coco", o);
        return OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), seed), seed);
    }

    @Test
    void pafpnMatchesTheEngine() throws IOException {
        AutoAssignDetector model = narrow(21);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(4, 1, 3, 100, 140));
        var m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        assertEquals(2, m.nodes().stream().filter(n -> n.name().startsWith("neck.bottom_up.")).count());
        assertTrue(m.nodes().stream().anyMatch(n -> n.opType().equals("Conv") && n.name().startsWith("neck.pafpn_convs.1")));
    }

    @Test
    void pafpnWithGroupNormAndReluMatchesTheEngine() throws IOException {
        AutoAssignDetector model = narrow(22, "model.neck.norm_cfg={type: GN, num_groups: 4}", "model.neck.act_cfg={type: ReLU}");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(75, 110), OnnxTestModels.randomImage(5, 1, 3, 75, 110));
    }

    @Test
    void hrfpnGraph() throws IOException {
        List<String> o = new java.util.ArrayList<>(NARROW);
        o.addAll(List.of("model.neck._delete_=True", "model.neck.type=HRFPN", "model.neck.in_channels=[32, 64, 128, 256]",
                "model.neck.out_channels=16", "model.neck.stride=2", "model.neck.pooling_type=MAX"));
        var cfg = ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", o);
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 3);
        var m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(128, 160));
        int resizes = 0;
        for (var n : m.nodes()) {
            if (!n.opType().equals("Resize") || !n.name().startsWith("neck.upsample.")) continue;
            resizes++;
            assertEquals("linear", n.attributes().get("mode"), n.name());
            assertEquals("pytorch_half_pixel", n.attributes().get("coordinate_transformation_mode"), n.name());
        }
        assertEquals(3, resizes, "inputs 1..3");
        var cat = m.nodes().stream().filter(n -> n.opType().equals("Concat") && n.name().startsWith("neck.cat")).toList();
        assertEquals(1, cat.size());
        assertEquals(4, cat.get(0).inputs().size());
        assertEquals(1L, cat.get(0).attributes().get("axis"));
        var pools = m.nodes().stream().filter(n -> n.opType().equals("MaxPool") && n.name().startsWith("neck.pool.")).toList();
        assertEquals(4, pools.size());
        assertArrayEquals(new long[] {16, 16}, (long[]) pools.get(3).attributes().get("kernel_shape"));
        assertTrue(m.nodes().stream().anyMatch(n -> n.opType().equals("Conv") && n.name().startsWith("neck.reduction_conv")));
    }
}
