package autoassign.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code model.backbone.type: CSPNeXt} and {@code model.neck.type: CSPNeXtPAFPN}: the shipped RTMDet-s config (SyncBN,
 * SiLU, the Pretrained init with prefix 'backbone.'), upstream's defaults (BN momentum 0.03 / eps 1e-3 and SiLU when
 * absent, channel attention on, expand_ratio 0.5), the derived channels / blocks / strides (the stem's
 * {@code int(64 · w // 2)}), and one-line errors naming the key.
 */
class CspNextConfigTest {
    static final Path CONFIG = Path.of("configs/autoassign_cspnext-s_cspnext-pafpn_1x_coco.yaml");

    private static ConfigException fails(String... overrides) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(CONFIG, List.of(overrides)));
    }

    private static CspNextConfig parse(java.util.Map<String, Object> keys) {
        var yaml = new com.fasterxml.jackson.databind.ObjectMapper();
        return CspNextConfig.parse("t", (com.fasterxml.jackson.databind.node.ObjectNode) yaml.valueToTree(keys));
    }

    @Test
    void shippedConfigIsRtmdetS() {
        Config c = ConfigLoader.load(CONFIG);
        CspNextConfig b = assertInstanceOf(CspNextConfig.class, c.model().backboneSpec());
        assertEquals("P5", b.arch());
        assertEquals(16, b.stemHalfChannels());
        assertEquals(32, b.stemChannels());
        assertEquals(List.of(64, 128, 256, 512), List.of(b.stageOut(1), b.stageOut(2), b.stageOut(3), b.stageOut(4)));
        // max(round(n · 0.33), 1) with Python's round: 3 → 1, 6 → 2
        assertEquals(List.of(1, 2, 2, 1), List.of(b.stageBlocks(1), b.stageBlocks(2), b.stageBlocks(3), b.stageBlocks(4)));
        assertEquals(List.of(128, 256, 512), b.outChannels());
        assertEquals(List.of(8, 16, 32), b.outStrides());
        assertTrue(b.channelAttention());
        assertEquals(0.5, b.expandRatio());
        assertTrue(b.normCfg().isSyncBatchNorm());
        assertEquals(1e-5, b.normCfg().eps(), "SyncBN as given: torch's eps");
        assertTrue(b.act().isSwish(), "SiLU is Swish");
        assertFalse(b.normEval());
        assertEquals("https://download.openmmlab.com/mmdetection/v3.0/rtmdet/cspnext_rsb_pretrain/cspnext-s_imagenet_600e.pth",
                b.pretrained());
        assertEquals(b, ConfigLoader.load(CONFIG).model().backboneSpec(), "value equality");
        NeckConfig n = c.model().neck();
        assertTrue(n.isCspNextPafpn());
        assertFalse(n.isYoloxPafpn());
        assertEquals(3, n.numOuts());
        assertTrue(n.yoloxPafpn().cspNext());
        assertEquals(1, n.yoloxPafpn().numCspBlocks());
        assertTrue(n.yoloxPafpn().norm().isSyncBatchNorm());
        assertEquals(List.of(8, 16, 32), c.model().bboxHead().strides());
    }

    @Test
    void upstreamsDefaultsAndTheStemsFloorDivision() {
        CspNextConfig d = parse(java.util.Map.of("type", "CSPNeXt"));
        assertEquals(CspDarknetConfig.DEFAULT_NORM, d.normCfg(), "BN(momentum 0.03, eps 1e-3)");
        assertTrue(d.act().isSwish() && d.channelAttention() && d.expandRatio() == 0.5 && d.pretrained() == null);
        assertEquals(List.of(2, 3, 4), d.outIndices());
        assertEquals(List.of(3, 6, 6, 3), List.of(d.stageBlocks(1), d.stageBlocks(2), d.stageBlocks(3), d.stageBlocks(4)));
        // RTMDet-tiny: int(64 · 0.375 // 2) = 12, deepen 0.167: round(0.501) = 1, round(1.002) = 1
        CspNextConfig tiny = parse(java.util.Map.of("type", "CSPNeXt", "widen_factor", 0.375, "deepen_factor", 0.167));
        assertEquals(12, tiny.stemHalfChannels());
        assertEquals(24, tiny.stemChannels());
        assertEquals(List.of(96, 192, 384), tiny.outChannels());
        // RTMDet-x: int(64 · 1.25 // 2) = 40; round(3 · 1.33) = 4, round(6 · 1.33) = 8
        CspNextConfig x = parse(java.util.Map.of("type", "CSPNeXt", "widen_factor", 1.25, "deepen_factor", 1.33));
        assertEquals(40, x.stemHalfChannels());
        assertEquals(List.of(4, 8, 8, 4), List.of(x.stageBlocks(1), x.stageBlocks(2), x.stageBlocks(3), x.stageBlocks(4)));
        CspNextConfig p6 = parse(java.util.Map.of("type", "CSPNeXt", "arch", "P6", "out_indices", List.of(2, 3, 4, 5)));
        assertEquals(List.of(8, 16, 32, 64), p6.outStrides());
        assertEquals(List.of(256, 512, 768, 1024), p6.outChannels());
    }

    @Test
    void archOverwriteAndTheOtherKeys() {
        Config c = ConfigLoader.load(CONFIG, List.of("model.backbone.arch_ovewrite=[[16, 24, 1, true, false], [24, 32, 2, false, true]]",
                "model.backbone.widen_factor=1.0", "model.backbone.out_indices=[1,2]", "model.backbone.spp_kernal_sizes=[3,7]",
                "model.backbone.channel_attention=false", "model.backbone.frozen_stages=1", "model.backbone.norm_eval=true",
                "model.backbone.use_depthwise=true", "model.backbone.expand_ratio=0.25", "model.neck.in_channels=[24,32]",
                "model.neck.expand_ratio=0.75", "model.neck.use_depthwise=true", "model.bbox_head.strides=[4,8]"));
        CspNextConfig b = (CspNextConfig) c.model().backboneSpec();
        assertEquals("custom", b.arch());
        assertEquals(List.of(24, 32), b.outChannels());
        assertEquals(List.of(3, 7), b.sppKernelSizes());
        assertFalse(b.channelAttention());
        assertEquals(1, b.frozenStages());
        assertTrue(b.normEval() && b.useDepthwise());
        assertEquals(6, b.stageMid(1));
        assertEquals(0.75, c.model().neck().yoloxPafpn().expandRatio());
    }

    @Test
    void oneLineErrorsNameTheKey() {
        assertTrue(fails("model.backbone.arch=P7").getMessage().contains("model.backbone.arch"));
        assertTrue(fails("model.backbone.out_indices=[2,5]").getMessage().contains("model.backbone.out_indices"));
        assertTrue(fails("model.backbone.frozen_stages=5").getMessage().contains("model.backbone.frozen_stages"));
        assertTrue(fails("model.backbone.spp_kernal_sizes=[4]").getMessage().contains("spp_kernal_sizes"));
        assertTrue(fails("model.backbone.expand_ratio=0").getMessage().contains("model.backbone.expand_ratio"));
        assertTrue(fails("model.backbone.norm_cfg=None").getMessage().contains("model.backbone.norm_cfg"));
        assertTrue(fails("model.backbone.init_cfg=None").getMessage().contains("model.backbone.init_cfg"));
        assertTrue(fails("model.backbone.init_cfg.prefix=model.").getMessage().contains("model.backbone.init_cfg.prefix"));
        assertTrue(fails("model.backbone.init_cfg.type=Kaiming").getMessage().contains("model.backbone.init_cfg.type"));
        assertTrue(fails("model.backbone.conv_cfg={type: DCNv2}").getMessage().contains("model.backbone.conv_cfg.type"));
        assertTrue(fails("model.backbone.unknown_key=1").getMessage().contains("unknown_key"));
        assertTrue(fails("model.neck.expand_ratio=0.001").getMessage().contains("model.neck.expand_ratio"));
        assertTrue(fails("model.neck.upsample_cfg={scale_factor: 4}").getMessage().contains("model.neck.upsample_cfg.scale_factor"));
        assertTrue(fails("model.neck.init_cfg=None").getMessage().contains("model.neck.init_cfg"));
        assertTrue(fails("model.neck.in_channels=[128]").getMessage().contains("model.neck.in_channels"));
        // YOLOXPAFPN keeps refusing SyncBN and has no expand_ratio
        ConfigException y = assertThrows(ConfigException.class, () -> ConfigLoader.load(CspDarknetConfigTest.CONFIG,
                List.of("model.neck.norm_cfg={type: SyncBN}")));
        assertTrue(y.getMessage().contains("model.neck.norm_cfg.type"), y.getMessage());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(CspDarknetConfigTest.CONFIG,
                List.of("model.neck.expand_ratio=0.5")));
        assertTrue(e.getMessage().contains("expand_ratio"), e.getMessage());
    }
}
