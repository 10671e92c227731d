package autoassign.model;

import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/** MobileNetV2 detectors for tests: the R50 recipe with MMDetection's MobileNetV2 and the FPN on its outputs. */
public final class MobileNetV2Detectors {
    private MobileNetV2Detectors() {}

    /**
     * The R50 recipe with a MobileNetV2 of {@code widen} returning {@code out_indices} (YAML list) into an FPN on
     * {@code inChannels} (YAML list), narrowed (16-channel FPN, one-conv head) unless {@code full}.
     */
    public static ModelConfig build(double widen, String outIndices, String inChannels, boolean full, String... overrides) {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: MobileNetV2\n"
                + "    widen_factor: " + widen + "\n    out_indices: " + outIndices + "\n  neck:\n    in_channels: " + inChannels + "\n";
        List<String> o = new ArrayList<>();
        if (!full)
            o.addAll(List.of("model.neck.out_channels=16", "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16",
                    "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(overrides));
        return ConfigLoader.parse(y, "configs/mobilenet_v2_test.yaml", o).model();
    }

    /** Widen 0.35, upstream's default out_indices (8, 16, 32, 1280 channels at strides 4 .. 32), FPN from stride 8: P3..P5 + 2. */
    public static ModelConfig small(String... overrides) {
        return build(0.35, "[1, 2, 4, 7]", "[8, 16, 32, 1280]", false, overrides);
    }
}
