package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ONNX export of a Swin detector is refused in one line (window attention, LayerNorm and GELU have no exporter yet). */
class SwinOnnxExportTest {
    @Test
    void exportIsRefusedInOneLine() {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: SwinTransformer\n"
                + "    embed_dims: 16\n    depths: [1, 1, 1, 1]\n    num_heads: [1, 1, 2, 2]\n    out_indices: [1, 2, 3]\n"
                + "  neck:\n    in_channels: [32, 64, 128]\n    start_level: 0\n    out_channels: 16\n"
                + "  bbox_head:\n    in_channels: 16\n    feat_channels: 16\n    stacked_convs: 1\n    norm_cfg: {type: GN, num_groups: 4}\n";
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.parse(y, "configs/swin_onnx.yaml", List.of()).model(), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxGraphEquivalenceTest.exportAndParse(m, InputShape.DYNAMIC));
        assertTrue(e.getMessage().startsWith("ONNX export: the SwinTransformer backbone is not supported"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }
}
