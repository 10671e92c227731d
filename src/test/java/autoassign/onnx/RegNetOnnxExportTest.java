package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A RegNet detector exported to ONNX is the network: no stem max-pool (RegNet's 3×3/2 stem goes straight into
 * layer1), grouped 3×3 convs with their stage's groups, BatchNorm folded; compared with the engine's forward.
 */
class RegNetOnnxExportTest {
    /** The R50 recipe narrowed (one-conv head, 16 channels) with dict_tiny_grouped's RegNet (groups 2, 3, 6, 10). */
    static AutoAssignDetector regNetNarrow(long seed) {
        String y = """
                _base_: autoassign_r50-caffe_fpn_1x_coco.yaml
                model:
                  backbone:
                    _delete_: true
                    type: RegNet
                    arch: {w0: 16, wa: 16.0, wm: 1.7, group_w: 8, depth: 6, bot_mul: 1.0}
                    frozen_stages: 1
                  neck:
                    in_channels: [16, 24, 48, 80]
                """;
        var cfg = ConfigLoader.parse(y, "configs/regnet_onnx_test.yaml", List.of(
                "model.neck.out_channels=16", "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16",
                "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4"));
        return OnnxTestModels.perturbed(new AutoAssignDetector(cfg.model(), seed), seed);
    }

    @Test
    void regNetLayoutMatchesTheEngineAndHasNoStemMaxPool() throws IOException {
        AutoAssignDetector model = regNetNarrow(11);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.DYNAMIC, OnnxTestModels.randomImage(6, 1, 3, 96, 128));
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(75, 110), OnnxTestModels.randomImage(7, 1, 3, 75, 110));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        assertFalse(m.nodes().stream().anyMatch(n -> n.opType().equals("MaxPool") && n.name().startsWith("backbone")),
                "RegNet's stem has no max-pool");
        int[] groups = {2, 3, 6, 10}, blocks = {1, 1, 1, 3};
        int grouped = 0;
        for (var n : m.nodes()) {
            if (!n.opType().equals("Conv") || !n.name().startsWith("backbone.layer") || !n.name().endsWith(".conv2/Conv")) continue;
            int stage = n.name().charAt("backbone.layer".length()) - '1';
            assertEquals((long) groups[stage], (Long) n.attributes().get("group"), n.name());
            long[] dims = m.initializers().get(n.inputs().get(1)).dims();
            assertEquals(8L, dims[1], n.name() + " weight " + Arrays.toString(dims) + ": groups of 8 channels");
            grouped++;
        }
        assertEquals(Arrays.stream(blocks).sum(), grouped, "one grouped conv per block");
    }
}
