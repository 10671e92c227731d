package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code model.backbone} of type ResNeSt (MMDetection 3.3.0's resnest.py): the shipped config, defaults, one-line errors. */
class ResNeStConfigTest {
    static final Path S50 = Path.of("configs/autoassign_s50_fpn_1x_coco.yaml");

    /** The R50 recipe with its backbone replaced by a ResNeSt with {@code backbone} (YAML lines). */
    private static Config r50With(String backbone, String... overrides) throws Exception {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: ResNeSt\n"
                + backbone.indent(4);
        return ConfigLoader.parse(y, "configs/x.yaml", List.of(overrides));
    }

    private static ResNeStConfig spec(Config c) { return assertInstanceOf(ResNeStConfig.class, c.model().backboneSpec()); }

    private static String fails(String backbone, String key) {
        ConfigException e = assertThrows(ConfigException.class, () -> r50With(backbone));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("configs/x.yaml: "), e.getMessage());
        assertTrue(e.getMessage().contains("model.backbone." + key), key + " named: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void shippedConfigMirrorsMmdetectionsS50Backbone() {
        Config c = ConfigLoader.load(S50);
        ResNeStConfig s = spec(c);
        assertEquals("ResNeSt", s.type());
        assertEquals(50, s.base().depth());
        assertEquals(64, s.base().stemChannels());
        assertEquals(2, s.radix());
        assertEquals(4, s.reductionFactor());
        assertTrue(s.avgDownStride());
        assertEquals(1, s.groups());
        assertTrue(s.base().deepStem() && s.base().avgDown(), "a ResNetV1d");
        assertEquals(1, s.base().frozenStages());
        assertTrue(s.normCfg().isSyncBatchNorm() && s.normCfg().requiresGrad());
        assertFalse(s.normEval());
        assertEquals("pytorch", s.base().style());
        assertEquals(List.of(256, 512, 1024, 2048), s.outChannels());
        assertEquals(List.of(4, 8, 16, 32), s.outStrides());
        assertEquals(List.of(64, 128, 256, 512), List.of(s.width(0), s.width(1), s.width(2), s.width(3)));
        assertEquals(List.of(32, 64, 128, 256), List.of(s.interChannels(0), s.interChannels(1), s.interChannels(2), s.interChannels(3)));
        assertEquals("open-mmlab://resnest50", s.pretrained());
        assertEquals("https://download.openmmlab.com/pretrain/third_party/resnest50_d2-7497a55b.pth",
                autoassign.train.PretrainedWeights.url(s.pretrained()));
        assertEquals("https://download.openmmlab.com/pretrain/third_party/resnest101_d2-f3b931b2.pth",
                autoassign.train.PretrainedWeights.url("open-mmlab://resnest101"));
        assertEquals("https://download.openmmlab.com/pretrain/third_party/resnest200_d2-ca88e41f.pth",
                autoassign.train.PretrainedWeights.url("open-mmlab://resnest200"));
        var pre = c.model().dataPreprocessor();
        assertTrue(pre.bgrToRgb());
        assertTrue(s.describe().contains("ResNeSt depth 50"), s.describe());
    }

    @Test
    void defaultsAreUpstreams() throws Exception {
        ResNeStConfig s = spec(r50With("depth: 101\nstem_channels: 128\nnorm_cfg: {type: BN, requires_grad: true}"));
        assertEquals(2, s.radix());
        assertEquals(4, s.reductionFactor());
        assertTrue(s.avgDownStride());
        assertEquals(1, s.groups());
        assertEquals(4, s.baseWidth());
        assertEquals(-1, s.base().frozenStages());
        assertTrue(s.normEval(), "ResNet's norm_eval default");
        assertEquals(List.of(0, 1, 2, 3), s.outIndices());
        assertEquals(128, s.base().stemChannels());
        assertEquals(200, spec(r50With("depth: 200\nstem_channels: 128")).base().depth());
        assertEquals(152, spec(r50With("depth: 152")).base().depth());
        // cardinality: width floor(planes * base_width / base_channels) * groups
        ResNeStConfig g = spec(r50With("depth: 50\ngroups: 2\nbase_width: 40", "model.neck.in_channels=[256,512,1024,2048]"));
        assertEquals(List.of(80, 160, 320, 640), List.of(g.width(0), g.width(1), g.width(2), g.width(3)));
    }

    @Test
    void refusesWhatUpstreamRejectsOrWhatIsNotBuiltHere() {
        assertTrue(fails("depth: 269", "depth").contains("arch_settings"));
        fails("depth: 34", "depth");
        fails("depth: 50\ndeep_stem: true", "deep_stem");
        fails("depth: 50\navg_down: false", "avg_down");
        fails("depth: 50\nradix: 0", "radix");
        fails("depth: 50\nreduction_factor: 0", "reduction_factor");
        fails("depth: 50\ngroups: 0", "groups");
        assertTrue(fails("depth: 50\nradix: 3", "radix").contains("do not divide"));
        assertTrue(fails("depth: 50\ngroups: 3", "groups").contains("inter channels"), "fc1 / fc2: 32 inter channels in 3 groups");
        fails("depth: 50\ndcn: {type: DCN, deform_groups: 1}\nstage_with_dcn: [false, true, true, true]", "dcn");
        fails("depth: 50\nnorm_cfg: {type: GN, num_groups: 32, requires_grad: true}", "norm_cfg");
        fails("depth: 50\nplugins: []", "plugins");
        fails("depth: 50\nstem_channels: 1", "stem_channels");
        fails("depth: 50\nwith_cp: true", "with_cp");
    }
}
