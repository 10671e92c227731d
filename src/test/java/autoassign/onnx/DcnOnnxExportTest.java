package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backbones with deformable convs exported to ONNX: each DCN / DCNv2 a {@code DeformConv} (opset 19) after its
 * {@code conv_offset} Conv (DCNv2: two Slices and a Sigmoid for the mask), BN folded. The offset convs get random
 * weights, so the taps move by a few pixels and some fall outside the feature map; the interpreted graph (its
 * DeformConv written from the ONNX specification) equals the engine's forward within {@link #TOLERANCE}.
 */
class DcnOnnxExportTest {
    /**
     * The reference samples and sums in double, the engine in float32; a sampling position that moves by a rounding
     * difference changes the value by the feature's slope there, and 13 deformable layers compound it (2.2e-5 seen).
     */
    static final double TOLERANCE = 1e-4;

    /** A narrow caffe R50 with {@code dcn} in stages 2–4, its offset convs randomised (taps move ±3 px). */
    static AutoAssignDetector narrow(long seed, String dcn, String... extra) {
        List<String> o = new ArrayList<>(List.of(
                "model.backbone.base_channels=8", "model.neck.in_channels=[32, 64, 128, 256]", "model.neck.out_channels=16",
                "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1",
                "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4",
                "model.backbone.dcn=" + dcn, "model.backbone.stage_with_dcn=[false, true, true, true]"));
        o.addAll(List.of(extra));
        var cfg = ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", o);
        return randomOffsets(OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), seed), seed), seed);
    }

    static AutoAssignDetector randomOffsets(AutoAssignDetector model, long seed) {
        Random rng = new Random(seed ^ 0x0ff5e7);
        model.stateDict().forEach((name, t) -> {
            if (!name.contains("conv_offset.")) return;
            float[] v = new float[t.numel()];
            double scale = name.endsWith("bias") ? 6 : 0.02;
            for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() - 0.5) * scale);
            t.copyFrom(Tensor.of(v, t.shape()));
        });
        return model;
    }

    private static long count(OnnxModelReader.Model m, String op) {
        return m.nodes().stream().filter(n -> n.opType().equals(op)).count();
    }

    @Test
    void dcnMatchesTheEngine() throws IOException {
        AutoAssignDetector model = narrow(11, "{type: DCN, deform_groups: 1}");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(4, 1, 3, 70, 90), TOLERANCE);
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        assertEquals(19L, m.opsets().get(""), "DeformConv needs opset 19");
        assertEquals(9L, m.irVersion());
        assertEquals(4 + 6 + 3, count(m, "DeformConv"), "every conv2 of layer2..layer4 (4 + 6 + 3 blocks)");
        assertEquals(0, count(m, "Sigmoid"), "DCN has no mask");
    }

    @Test
    void dcnV2WithTwoDeformGroupsMatchesTheEngine() throws IOException {
        AutoAssignDetector model = narrow(12, "{type: DCNv2, deform_groups: 2}");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(75, 110), OnnxTestModels.randomImage(5, 1, 3, 75, 110), TOLERANCE);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(6, 2, 3, 64, 80), TOLERANCE);
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        for (var n : m.nodes()) {
            if (!n.opType().equals("DeformConv")) continue;
            assertEquals(2L, n.attributes().get("offset_group"), n.name());
            assertEquals(5, n.inputs().size(), n.name() + ": X, W, offset, B and the mask");
        }
        assertEquals(13, count(m, "Sigmoid"), "one mask per DCNv2");
    }

    @Test
    void modelsWithoutDcnStayOpset17() throws IOException {
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(OnnxTestModels.r50Narrow(5), InputShape.DYNAMIC);
        assertEquals(17L, m.opsets().get(""));
        assertEquals(8L, m.irVersion());
        assertTrue(count(m, "DeformConv") == 0);
    }
}
