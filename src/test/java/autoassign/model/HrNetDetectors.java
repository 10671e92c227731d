package autoassign.model;

import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;

import java.util.List;

/** Small HRNet detectors for tests: the R50 recipe with a narrow HRNet (widths 4, 8, 16, 32), an FPN on P3..P5 + 2. */
public final class HrNetDetectors {
    private HrNetDetectors() {}

    /** The backbone's YAML lines (under {@code model.backbone}), widths 4, 8, 16, 32 and a branch of 2 blocks. */
    public static final String SMALL_BACKBONE = """
              backbone:
                _delete_: true
                type: HRNet
                extra:
                  stage1: {num_modules: 1, num_branches: 1, block: BOTTLENECK, num_blocks: [1], num_channels: [8]}
                  stage2: {num_modules: 1, num_branches: 2, block: BASIC, num_blocks: [1, 1], num_channels: [4, 8]}
                  stage3: {num_modules: 2, num_branches: 3, block: BASIC, num_blocks: [1, 1, 1], num_channels: [4, 8, 16]}
                  stage4: {num_modules: 1, num_branches: 4, block: BASIC, num_blocks: [1, 2, 1, 1], num_channels: [4, 8, 16, 32]}
            """;

    /** The R50 recipe narrowed (16-channel FPN and one-conv head) on {@link #SMALL_BACKBONE}. */
    public static ModelConfig small(String... overrides) {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n" + SMALL_BACKBONE
                + "  neck:\n    in_channels: [4, 8, 16, 32]\n";
        List<String> o = new java.util.ArrayList<>(List.of("model.neck.out_channels=16", "model.bbox_head.in_channels=16",
                "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3",
                "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(overrides));
        return ConfigLoader.parse(y, "configs/hrnet_small_test.yaml", o).model();
    }
}
