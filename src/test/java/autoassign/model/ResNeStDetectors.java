package autoassign.model;

import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/** ResNeSt detectors for tests: the R50 recipe with MMDetection's ResNeSt and the FPN on its outputs. */
public final class ResNeStDetectors {
    private ResNeStDetectors() {}

    /**
     * The R50 recipe with a ResNeSt-50 at base 2 (widths 2 .. 16; stem 8, BN with a trainable affine) plus the
     * backbone keys {@code extra} (YAML lines), its outputs into an FPN on {@code inChannels} (YAML list) narrowed to
     * 16 channels, a one-conv head of 3 classes.
     */
    public static ModelConfig small(String extra, String inChannels, String... overrides) {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: ResNeSt\n"
                + "    depth: 50\n    base_channels: 2\n    stem_channels: 8\n    norm_cfg: {type: BN, requires_grad: true}\n"
                + extra.indent(4) + "  neck:\n    in_channels: " + inChannels + "\n";
        List<String> o = new ArrayList<>(List.of("model.neck.out_channels=16", "model.bbox_head.in_channels=16",
                "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3",
                "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(overrides));
        return ConfigLoader.parse(y, "configs/resnest_test.yaml", o).model();
    }

    /** {@link #small} with all four stages returned (8, 16, 32, 64 channels at strides 4 .. 32). */
    public static ModelConfig small() { return small("", "[8, 16, 32, 64]"); }
}
