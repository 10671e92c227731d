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
 * {@code model.backbone.type: CSPDarknet} and {@code model.neck.type: YOLOXPAFPN}: the shipped YOLOX-s config, upstream's
 * defaults (BN momentum 0.03 / eps 1e-3 when norm_cfg is absent, torch's when it is given without them), the derived
 * channels / blocks / strides, and one-line errors naming the key for what is not supported or wrong.
 */
class CspDarknetConfigTest {
    static final Path CONFIG = Path.of("configs/autoassign_csp-darknet-s_yolox-pafpn_1x_coco.yaml");

    private static ConfigException fails(String... overrides) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(CONFIG, List.of(overrides)));
    }

    @Test
    void shippedConfigIsYoloxS() {
        Config c = ConfigLoader.load(CONFIG);
        CspDarknetConfig b = assertInstanceOf(CspDarknetConfig.class, c.model().backboneSpec());
        assertEquals("P5", b.arch());
        assertEquals(32, b.stemChannels());
        assertEquals(List.of(64, 128, 256, 512), List.of(b.stageOut(1), b.stageOut(2), b.stageOut(3), b.stageOut(4)));
        // max(round(n · 0.33), 1) with Python's round: 3 → 1, 9 → 3
        assertEquals(List.of(1, 3, 3, 1), List.of(b.stageBlocks(1), b.stageBlocks(2), b.stageBlocks(3), b.stageBlocks(4)));
        assertEquals(List.of(128, 256, 512), b.outChannels());
        assertEquals(List.of(8, 16, 32), b.outStrides());
        assertEquals(new NormConfig("BN", 0, true, 1e-3, 0.03), b.normCfg());
        assertTrue(b.act().isSwish());
        assertFalse(b.normEval());
        assertNull(b.pretrained());
        assertEquals(b, ConfigLoader.load(CONFIG).model().backboneSpec(), "value equality");
        NeckConfig n = c.model().neck();
        assertTrue(n.isYoloxPafpn());
        assertEquals(3, n.numOuts());
        assertEquals(new YoloxPafpnConfig(1, false, CspDarknetConfig.DEFAULT_NORM, ActivationConfig.SWISH_DEFAULT), n.yoloxPafpn());
        assertEquals(List.of(8, 16, 32), c.model().bboxHead().strides());
    }

    @Test
    void defaultsAndAlternatives() {
        var yaml = new com.fasterxml.jackson.databind.ObjectMapper();
        CspDarknetConfig given = CspDarknetConfig.parse("t", (com.fasterxml.jackson.databind.node.ObjectNode) yaml.valueToTree(
                java.util.Map.of("type", "CSPDarknet", "norm_cfg", java.util.Map.of("type", "BN"))));
        assertEquals(1e-5, given.normCfg().eps(), "a given norm_cfg takes torch's defaults");
        assertEquals(0.1, given.normCfg().momentum());
        Config c = ConfigLoader.load(CONFIG, List.of("model.backbone.act_cfg={type: SiLU}",
                "model.neck.act_cfg={type: LeakyReLU, negative_slope: 0.2}", "model.backbone.out_indices=[0,1,2,3,4]",
                "model.neck.in_channels=[32,64,128,256,512]", "model.bbox_head.strides=[2,4,8,16,32]"));
        CspDarknetConfig b = (CspDarknetConfig) c.model().backboneSpec();
        assertTrue(b.act().isSwish(), "SiLU is Swish");
        assertEquals(List.of(2, 4, 8, 16, 32), b.outStrides());
        assertEquals(new ActivationConfig("LeakyReLU", 0.2), c.model().neck().yoloxPafpn().act());
        CspDarknetConfig p6 = (CspDarknetConfig) ConfigLoader.load(CONFIG, List.of("model.backbone.arch=P6",
                "model.backbone.deepen_factor=1.0", "model.backbone.out_indices=[3,4,5]", "model.neck.in_channels=[256,384,512]",
                "model.bbox_head.strides=[16,32,64]")).model().backboneSpec();
        assertEquals(5, p6.numStages());
        assertEquals(List.of(3, 9, 9, 3, 3), List.of(p6.stageBlocks(1), p6.stageBlocks(2), p6.stageBlocks(3), p6.stageBlocks(4), p6.stageBlocks(5)));
        assertTrue(p6.stageUsesSpp(5) && !p6.stageUsesSpp(4));
        CspDarknetConfig over = (CspDarknetConfig) ConfigLoader.load(CONFIG, List.of(
                "model.backbone.arch_ovewrite=[[32,64,1,true,false],[64,128,2,false,true]]", "model.backbone.widen_factor=1.0",
                "model.backbone.out_indices=[1,2]", "model.neck.in_channels=[64,128]", "model.bbox_head.strides=[4,8]")).model().backboneSpec();
        assertEquals("custom", over.arch());
        assertEquals(List.of(64, 128), over.outChannels());
        // Python's round: half to even
        assertEquals(2, new CspDarknetConfig("P5", CspDarknetConfig.archSettings("P5"), 5.0 / 18, 1, List.of(4), -1, false,
                List.of(5), CspDarknetConfig.DEFAULT_NORM, ActivationConfig.SWISH_DEFAULT, false, null).stageBlocks(2), "round(2.5) = 2");
        assertEquals(2, new CspDarknetConfig("P5", CspDarknetConfig.archSettings("P5"), 0.5, 1, List.of(4), -1, false,
                List.of(5), CspDarknetConfig.DEFAULT_NORM, ActivationConfig.SWISH_DEFAULT, false, null).stageBlocks(1), "round(1.5) = 2");
    }

    @Test
    void oneLineErrorsNameTheKey() {
        assertTrue(fails("model.backbone.arch=P7").getMessage().contains("model.backbone.arch"));
        assertTrue(fails("model.backbone.out_indices=[2,3,5]").getMessage().contains("model.backbone.out_indices"));
        assertTrue(fails("model.backbone.out_indices=[3,2,4]").getMessage().contains("must increase"));
        assertTrue(fails("model.backbone.frozen_stages=5").getMessage().contains("model.backbone.frozen_stages"));
        assertTrue(fails("model.backbone.spp_kernal_sizes=[4]").getMessage().contains("model.backbone.spp_kernal_sizes"));
        String noNorm = fails("model.backbone.norm_cfg=None").getMessage();
        assertTrue(noNorm.contains("model.backbone.norm_cfg") && !noNorm.contains("must be a mapping"), noNorm);
        assertTrue(fails("model.backbone.act_cfg={type: GELU}").getMessage().contains("model.backbone.act_cfg.type"));
        assertTrue(fails("model.backbone.conv_cfg={type: DCNv2}").getMessage().contains("model.backbone.conv_cfg.type"));
        assertTrue(fails("model.backbone.init_cfg={type: Kaiming}").getMessage().contains("model.backbone.init_cfg.type"));
        assertTrue(fails("model.backbone.arch_ovewrite=[[32,64,1,true]]").getMessage().contains("model.backbone.arch_ovewrite[0]"));
        assertTrue(fails("model.backbone.arch_ovewrite=[[32,64,1,true,false],[32,64,1,true,false]]", "model.backbone.out_indices=[1,2]")
                .getMessage().contains("differ from stage1"));
        assertTrue(fails("model.backbone.bogus=1").getMessage().contains("model.backbone.bogus"));
        assertTrue(fails("model.neck.in_channels=[128,256,1024]").getMessage().contains("model.neck.in_channels"));
        assertTrue(fails("model.neck.upsample_cfg={scale_factor: 3}").getMessage().contains("model.neck.upsample_cfg.scale_factor"));
        assertTrue(fails("model.neck.upsample_cfg={mode: bilinear}").getMessage().contains("model.neck.upsample_cfg.mode"));
        assertTrue(fails("model.neck.norm_cfg={type: SyncBN}").getMessage().contains("model.neck.norm_cfg.type"));
        assertTrue(fails("model.neck.num_outs=5").getMessage().contains("model.neck.num_outs"));
        assertTrue(fails("model.neck.init_cfg={type: Xavier}").getMessage().contains("model.neck.init_cfg.type"));
        assertTrue(fails("model.bbox_head.strides=[8,16,32,64,128]").getMessage().contains("model.bbox_head.strides"));
    }

    /**
     * A given {@code init_cfg} is built as written (MMEngine's KaimingInit: a 0, mode fan_out, nonlinearity relu,
     * distribution normal, layer None = no layer), so a partial Kaiming dict is not upstream's Kaiming-uniform default;
     * and {@code init_cfg: null} leaves each ConvModule with MMCV's own kaiming_normal (fan_out) init. Neither is
     * supported: refused naming the key rather than silently given the a = √5 uniform init.
     */
    @Test
    void initCfgOtherThanUpstreamsDefaultIsRefused() {
        String full = "model.neck.init_cfg={type: Kaiming, layer: Conv2d, a: 2.23606797749979, distribution: uniform, mode: fan_in,"
                + " nonlinearity: leaky_relu}";
        assertTrue(ConfigLoader.load(CONFIG, List.of(full)).model().neck().isYoloxPafpn(), "upstream's default written out");
        assertTrue(fails("model.neck.init_cfg={type: Kaiming, layer: Conv2d}").getMessage().contains("model.neck.init_cfg.a"));
        assertTrue(fails("model.neck.init_cfg={type: Kaiming, layer: Conv2d, a: 2.23606797749979}").getMessage()
                .contains("model.neck.init_cfg.distribution"));
        assertTrue(fails("model.neck.init_cfg={type: Kaiming, layer: Conv2d, a: 2.23606797749979, distribution: uniform}")
                .getMessage().contains("model.neck.init_cfg.mode"));
        assertTrue(fails("model.neck.init_cfg={type: Kaiming, layer: Conv2d, a: 2.23606797749979, distribution: uniform,"
                + " mode: fan_in}").getMessage().contains("model.neck.init_cfg.nonlinearity"));
        assertTrue(fails("model.neck.init_cfg={type: Kaiming, a: 2.23606797749979, distribution: uniform, mode: fan_in,"
                + " nonlinearity: leaky_relu}").getMessage().contains("model.neck.init_cfg.layer"));
        assertTrue(fails("model.neck.init_cfg=None").getMessage().contains("model.neck.init_cfg: null (each ConvModule"));
        assertTrue(fails("model.backbone.init_cfg=None").getMessage().contains("model.backbone.init_cfg: null (each ConvModule"));
    }
}
