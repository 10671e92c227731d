package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code model.backbone} of type Res2Net (MMDetection's res2net.py): the shipped config, defaults, one-line errors. */
class Res2NetConfigTest {
    static final Path R2_101 = Path.of("configs/autoassign_r2-101_fpn_1x_coco.yaml");

    /** The R50 recipe with its backbone replaced by a Res2Net with {@code backbone} (YAML lines). */
    private static Config r50With(String backbone, String... overrides) throws Exception {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: Res2Net\n"
                + backbone.indent(4);
        return ConfigLoader.parse(y, "configs/x.yaml", List.of(overrides));
    }

    private static String fails(String backbone, String key) {
        ConfigException e = assertThrows(ConfigException.class, () -> r50With(backbone));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("configs/x.yaml: "), e.getMessage());
        assertTrue(e.getMessage().contains("model.backbone." + key), key + " named: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void shippedConfigMirrorsMmdetectionsRes2Net101() {
        BackboneConfig b = ConfigLoader.load(R2_101).model().backbone();
        assertEquals("Res2Net", b.type());
        assertTrue(b.res2Net());
        assertEquals(101, b.depth());
        assertEquals(4, b.scales());
        assertEquals(26, b.baseWidth());
        assertTrue(b.deepStem() && b.avgDown());
        assertEquals("pytorch", b.style());
        assertEquals(1, b.frozenStages());
        assertTrue(b.normCfg().requiresGrad());
        assertTrue(b.normEval());
        assertEquals("open-mmlab://res2net101_v1d_26w_4s", b.pretrained());
        assertEquals(List.of(256, 512, 1024, 2048), b.outChannels());
        assertEquals(List.of(26 * 4, 52 * 4, 104 * 4, 208 * 4), List.of(b.bottleneckWidth(0), b.bottleneckWidth(1),
                b.bottleneckWidth(2), b.bottleneckWidth(3)));
        assertFalse(b.dcnFallbackOnFirstBlock());
        assertTrue(b.describe().contains("Res2Net"), b.describe());
        assertEquals("https://download.openmmlab.com/pretrain/third_party/res2net101_v1d_26w_4s_mmdetv2-f0a600f9.pth",
                autoassign.train.PretrainedWeights.url(b.pretrained()));
    }

    @Test
    void defaultsAreUpstreams() throws Exception {
        BackboneConfig b = r50With("depth: 50\nnorm_cfg: {type: BN, requires_grad: true}\nstyle: pytorch").model().backbone();
        assertEquals(4, b.scales());
        assertEquals(26, b.baseWidth());
        assertTrue(b.deepStem() && b.avgDown(), "Res2Net forces deep_stem and avg_down");
        assertEquals(List.of(26, 52, 104, 208), List.of(b.res2NetSliceWidth(0), b.res2NetSliceWidth(1), b.res2NetSliceWidth(2),
                b.res2NetSliceWidth(3)));
        // the values upstream forces may be written out
        r50With("depth: 50\nstyle: pytorch\ndeep_stem: true\navg_down: true\nscales: 8\nbase_width: 14");
        // floor(planes * base_width / base_channels): base 48, width 26 -> 26, 52, ...; base 64 width 7 at base 3: floor
        BackboneConfig odd = r50With("style: pytorch\nbase_channels: 3\nstem_channels: 4\nbase_width: 7\nscales: 5",
                "model.neck.in_channels=[12, 24, 48, 96]").model().backbone();
        assertEquals(List.of(7, 14, 28, 56), List.of(odd.res2NetSliceWidth(0), odd.res2NetSliceWidth(1), odd.res2NetSliceWidth(2),
                odd.res2NetSliceWidth(3)));
    }

    @Test
    void badKeysAreOneLineErrorsNamingTheKey() {
        String pt = "style: pytorch\n";
        assertTrue(fails(pt + "scales: 1", "scales").contains(">= 2"));
        fails(pt + "base_width: 0", "base_width");
        fails(pt + "depth: 18", "depth");
        fails(pt + "depth: 34", "depth");
        assertTrue(fails("style: caffe", "style").contains("pytorch"));
        fails(pt + "deep_stem: false", "deep_stem");
        fails(pt + "avg_down: false", "avg_down");
        fails(pt + "groups: 4", "groups");
        fails(pt + "plugins: []", "plugins");
        fails(pt + "with_cp: true", "with_cp");
        fails(pt + "num_stages: 5", "num_stages");
        fails(pt + "stem_channels: 1", "stem_channels");
        // base_width 1 at base 64: layer1's slices would have floor(64 * 1 / 64) = 1 channel: fine; base 128 width 0.5 impossible
        fails(pt + "base_channels: 64\nbase_width: 1\nnorm_cfg: {type: GN, num_groups: 2}", "norm_cfg");
        // GN must divide the slices (bns) too: 26 channels in 4 groups
        assertTrue(fails(pt + "norm_cfg: {type: GN, num_groups: 4}", "norm_cfg").contains("26"));
        // a deformable slice conv takes 26 channels: 4 deform groups do not divide them
        fails(pt + "dcn: {type: DCNv2, deform_groups: 4}\nstage_with_dcn: [true, false, false, false]", "dcn.deform_groups");
    }
}
