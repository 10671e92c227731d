package autoassign.model;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.config.ModelConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Configurations for model tests: the real R50 file, optionally scaled down with overrides. */
final class ModelTestConfigs {
    private ModelTestConfigs() {}

    static final Path R50 = Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml");

    static ModelConfig r50() { return ConfigLoader.load(R50).model(); }

    static Config r50(List<String> overrides) { return ConfigLoader.load(R50, overrides); }

    /** The R50 caffe layout at 1/8 width (base 8 → C2..C5 = 32..256 channels), FPN/head 16 channels. */
    static ModelConfig r50Small(String... more) {
        List<String> o = new ArrayList<>(List.of(
                "model.backbone.base_channels=8",
                "model.neck.in_channels=[32, 64, 128, 256]",
                "model.neck.out_channels=16",
                "model.bbox_head.in_channels=16",
                "model.bbox_head.feat_channels=16",
                "model.bbox_head.stacked_convs=2",
                "model.bbox_head.num_classes=5",
                "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(more));
        return r50(o).model();
    }
}
