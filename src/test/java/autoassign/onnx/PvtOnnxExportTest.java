package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ONNX export of a PVT / PVTv2 detector is refused in one line (no exporter for its attention and position-embedding resize yet). */
class PvtOnnxExportTest {
    @Test
    void exportIsRefusedInOneLine() {
        for (String type : new String[] {"PyramidVisionTransformer", "PyramidVisionTransformerV2"}) {
            String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: " + type + "\n"
                    + "    embed_dims: 4\n    num_layers: [1, 1, 1, 1]\n"
                    + "  neck:\n    in_channels: [4, 8, 20, 32]\n    out_channels: 16\n"
                    + "  bbox_head:\n    in_channels: 16\n    feat_channels: 16\n    stacked_convs: 1\n    norm_cfg: {type: GN, num_groups: 4}\n";
            AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.parse(y, "configs/pvt_onnx.yaml", List.of()).model(), 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OnnxGraphEquivalenceTest.exportAndParse(m, InputShape.DYNAMIC));
            assertTrue(e.getMessage().startsWith("ONNX export: the " + type + " backbone is not supported"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }
}
