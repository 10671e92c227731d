package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code model.backbone} of type EfficientNet (MMDetection 3.3.0's efficientnet.py): the shipped effb3 config (the
 * backbone and FPN of configs/efficientnet/retinanet_effb3_fpn_8xb4-crop896-1x_coco.py), upstream's defaults, the
 * block plan of model_scaling, and one-line errors.
 */
class EfficientNetConfigTest {
    static final Path EFFB3 = Path.of("configs/autoassign_effb3_fpn_1x_coco.yaml");

    private static Config r50With(String backbone, String in, String... overrides) {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: EfficientNet\n"
                + backbone.indent(4) + "  neck:\n    in_channels: " + in + "\n    start_level: 0\n";
        return ConfigLoader.parse(y, "configs/x.yaml", List.of(overrides));
    }

    private static String fails(String backbone) {
        ConfigException e = assertThrows(ConfigException.class, () -> r50With(backbone, "[40, 112, 320]"));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("configs/x.yaml: "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void shippedConfigIsUpstreamsEffb3() {
        Config c = ConfigLoader.load(EFFB3);
        EfficientNetConfig e = assertInstanceOf(EfficientNetConfig.class, c.model().backboneSpec());
        assertEquals("b3", e.arch());
        assertEquals(0.2, e.dropPathRate());
        assertEquals(List.of(3, 4, 5), e.outIndices());
        assertEquals(List.of(48, 136, 384), e.outChannels());
        assertEquals(List.of(8, 16, 32), e.outStrides());
        assertEquals(0, e.frozenStages());
        assertEquals(new NormConfig("SyncBN", 0, true, 1e-3, 0.01), e.normCfg());
        assertFalse(e.normEval());
        assertTrue(e.adaptivePadding(), "conv_cfg defaults to Conv2dAdaptivePadding");
        assertTrue(e.act().isSwish());
        assertEquals("backbone", e.pretrainedPrefix());
        assertEquals("https://download.openmmlab.com/mmclassification/v0/efficientnet/efficientnet-b3_3rdparty_8xb32-aa_in1k_20220119-5b4887a0.pth",
                e.pretrained());
        NeckConfig n = c.model().neck();
        assertEquals(List.of(48, 136, 384), n.inChannels());
        assertEquals(0, n.startLevel());
        assertEquals(5, n.numOuts());
        assertEquals("on_input", n.addExtraConvs());
        assertTrue(n.reluBeforeExtraConvs());
        assertTrue(n.noNormOnLateral());
        assertEquals("BN", n.norm().type());
        assertEquals(List.of(123.675, 116.28, 103.53), c.model().dataPreprocessor().mean());
    }

    @Test
    void defaultsAreUpstreams() {
        EfficientNetConfig e = (EfficientNetConfig) r50With("arch: b0\nout_indices: [3, 4, 5]\n", "[40, 112, 320]").model().backboneSpec();
        assertEquals(EfficientNetConfig.DEFAULT_NORM, e.normCfg());
        assertEquals(1e-3, e.normCfg().eps());
        assertEquals(0.0, e.dropPathRate());
        assertEquals(0, e.frozenStages());
        assertTrue(e.adaptivePadding());
        assertTrue(e.act().isSwish());
        assertFalse(e.normEval());
        assertNull(e.pretrained());
        EfficientNetConfig d = EfficientNetConfig.parse("t", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("type", "EfficientNet"));
        assertEquals("b0", d.arch());
        assertEquals(List.of(6), d.outIndices());
        assertEquals(List.of(1280), d.outChannels());
        // a norm_cfg given is built as written: torch's eps 1e-5 where it is left out
        EfficientNetConfig bn = (EfficientNetConfig) r50With("out_indices: [3, 4, 5]\nnorm_cfg: {type: BN}\nconv_cfg: null\n",
                "[40, 112, 320]").model().backboneSpec();
        assertEquals(1e-5, bn.normCfg().eps());
        assertFalse(bn.adaptivePadding(), "conv_cfg None: nn.Conv2d with padding k // 2");
    }

    /** model_scaling for b3 (width 1.2, depth 1.4): layer sizes, channels, SE squeeze and drop path rates. */
    @Test
    void blockPlanFollowsModelScaling() {
        EfficientNetConfig b3 = new EfficientNetConfig("b3", 0.2, List.of(3, 4, 5), 0, true, EfficientNetConfig.DEFAULT_NORM,
                ActivationConfig.SWISH_DEFAULT, false, false, null, null);
        var blocks = b3.blocks();
        assertEquals(List.of(2, 3, 3, 10, 8), blocks.stream().map(List::size).toList(), "ceil(1.4 n) per part, stride-1 parts merged");
        assertEquals(40, b3.stemChannels());
        assertEquals(1536, b3.lastChannels());
        var first = blocks.get(0).get(0);
        assertEquals(40, first.in());
        assertEquals(24, first.out());
        assertEquals(40, first.mid());
        assertFalse(first.expandConv(), "expand ratio 1");
        assertEquals(10, first.seChannels(), "int(40 / (1 * 4))");
        assertEquals(0.0, first.dropPathRate());
        var last = blocks.get(4).get(7);
        assertEquals(384, last.out());
        assertEquals(384, last.in(), "layer5: 6 blocks of 232, then 2 of 384");
        assertEquals(384 * 6, last.mid());
        assertEquals(96, last.seChannels(), "int(2304 / 24)");
        assertEquals(58, blocks.get(4).get(1).seChannels(), "int(1392 / 24)");
        assertEquals((double) 0.2f, last.dropPathRate(), 1e-9, "linspace(0, 0.2, 26)[25]");
        assertEquals((double) (0.2f / 25 * 3), blocks.get(1).get(1).dropPathRate(), 1e-7);
        // EdgeTPU-M: layer1's repeated block has expand 4 and no residual (upstream's i > 0 and expand_ratio == 3)
        EfficientNetConfig em = new EfficientNetConfig("em", 0, List.of(1), 0, true, EfficientNetConfig.DEFAULT_NORM,
                ActivationConfig.SWISH_DEFAULT, false, false, null, null);
        var l1 = em.blocks().get(0);
        assertEquals(2, l1.size());
        assertTrue(l1.get(0).edge() && l1.get(1).edge());
        assertEquals(96, l1.get(0).mid());
        assertEquals(96, l1.get(1).mid(), "24 in · 4");
        assertFalse(l1.get(1).residual());
    }

    @Test
    void pretrainedPrefixWithOrWithoutTheDot() {
        // MMEngine's _load_checkpoint_with_prefix appends the '.' itself: 'backbone' and 'backbone.' are the same prefix
        for (String prefix : List.of("backbone", "backbone."))
            assertEquals("x.pth", ((EfficientNetConfig) r50With("out_indices: [3, 4, 5]\ninit_cfg: {type: Pretrained, checkpoint: x.pth, prefix: '"
                    + prefix + "'}\n", "[40, 112, 320]").model().backboneSpec()).pretrained(), prefix);
    }

    @Test
    void refusesWhatUpstreamRejectsOrTheEngineLacks() {
        assertTrue(fails("arch: b9\n").contains("model.backbone.arch"));
        assertTrue(fails("out_indices: [3, 7]\n").contains("range(0, 7)"));
        assertTrue(fails("out_indices: [5, 3]\n").contains("must increase"));
        assertTrue(fails("out_indices: [3, 4, 5]\nfrozen_stages: 8\n").contains("frozen_stages"));
        assertTrue(fails("out_indices: [3, 4, 5]\nfrozen_stages: 7\n").contains("IndexError"));
        assertTrue(fails("out_indices: [3, 4, 5]\nnorm_cfg: {type: SyncBN}\nnorm_eval: true\n").contains("norm_eval"));
        assertTrue(fails("out_indices: [3, 4, 5]\nnorm_cfg: {type: GN, num_groups: 8}\n").contains("GN"));
        assertTrue(fails("out_indices: [3, 4, 5]\nnorm_cfg: null\n").contains("norm_cfg"));
        assertTrue(fails("out_indices: [3, 4, 5]\nact_cfg: null\n").contains("act_cfg"));
        assertTrue(fails("out_indices: [3, 4, 5]\nconv_cfg: {type: DCN}\n").contains("conv_cfg.type"));
        assertTrue(fails("out_indices: [3, 4, 5]\ndrop_path_rate: 1.0\n").contains("drop_path_rate"));
        assertTrue(fails("out_indices: [3, 4, 5]\ninit_cfg: {type: Pretrained, checkpoint: x.pth, prefix: model}\n").contains("prefix"));
        assertTrue(fails("out_indices: [3, 4, 5]\ninit_cfg: {type: Kaiming, layer: Conv2d}\n").contains("init_cfg"));
        assertTrue(fails("out_indices: [3, 4, 5]\nscale: 3\n").contains("scale"), "the 2.x signature's keys are unknown");
        // with_cp is accepted (no effect on the values)
        assertTrue(((EfficientNetConfig) r50With("out_indices: [3, 4, 5]\nwith_cp: true\n", "[40, 112, 320]").model().backboneSpec()).withCp());
    }
}
