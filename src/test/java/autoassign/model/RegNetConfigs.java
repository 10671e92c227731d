package autoassign.model;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;

import java.util.List;
import java.util.StringJoiner;

/** RegNet detectors for tests: the R50 recipe with its backbone replaced by a RegNet, as the shipped config does. */
final class RegNetConfigs {
    private RegNetConfigs() {}

    /** An arch mapping in YAML flow style; doubles in Java's shortest repr (= Python's repr of the same float). */
    static String archYaml(int w0, double wa, double wm, int groupW, int depth, double botMul) {
        return "{w0: " + w0 + ", wa: " + wa + ", wm: " + wm + ", group_w: " + groupW + ", depth: " + depth + ", bot_mul: "
                + botMul + "}";
    }

    /**
     * The R50 recipe with {@code backbone: {_delete_: true, type: RegNet, arch: ARCH, <backbone lines>}}, the neck on
     * {@code inChannels}, then {@code overrides}.
     */
    static Config r50WithRegNet(String arch, List<Integer> inChannels, List<String> backboneLines, List<String> overrides) {
        StringBuilder y = new StringBuilder("_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n"
                + "    _delete_: true\n    type: RegNet\n    arch: " + arch + "\n");
        for (String l : backboneLines) y.append("    ").append(l).append('\n');
        StringJoiner in = new StringJoiner(", ", "[", "]");
        inChannels.forEach(c -> in.add(String.valueOf(c)));
        y.append("  neck:\n    in_channels: ").append(in).append('\n');
        return ConfigLoader.parse(y.toString(), "configs/regnet_test.yaml", overrides);
    }

    /**
     * dict_tiny_grouped of the widths golden (w0 16, wa 16, wm 1.7, group_w 8, depth 6): stages of 16, 24, 48, 80
     * channels, 1, 1, 1, 3 blocks, 2, 3, 6, 10 groups; FPN / head at 16 channels, as {@link ModelTestConfigs#r50Small}.
     */
    static Config tinyGrouped(List<String> backboneLines, String... more) {
        List<String> o = new java.util.ArrayList<>(List.of(
                "model.neck.out_channels=16",
                "model.bbox_head.in_channels=16",
                "model.bbox_head.feat_channels=16",
                "model.bbox_head.stacked_convs=2",
                "model.bbox_head.num_classes=5",
                "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(more));
        return r50WithRegNet(archYaml(16, 16.0, 1.7, 8, 6, 1.0), List.of(16, 24, 48, 80), backboneLines, o);
    }
}
