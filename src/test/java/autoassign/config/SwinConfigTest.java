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
 * {@code model.backbone.type: SwinTransformer}: the shipped Swin-T config reads as MMDetection's
 * retinanet_swin-t-p4-w7 backbone (AdamW with the Swin custom_keys), upstream's defaults apply, dropout rates and the
 * absolute position embedding (with {@code pretrain_img_size} as an int or a pair) are read, and what the engine does
 * not do (a rate of 1 or more, other activations / norms, an overlapping patch embed) is refused with a one-line error
 * naming the key.
 */
class SwinConfigTest {
    private static final String BASE = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n"
            + "    type: SwinTransformer\n    out_indices: [1, 2, 3]\n  neck:\n    in_channels: [192, 384, 768]\n    start_level: 0\n";

    private static Config parse(String... overrides) {
        return ConfigLoader.parse(BASE, "configs/swin_test.yaml", List.of(overrides));
    }

    @Test
    void shippedConfigIsSwinT() throws Exception {
        Config c = ConfigLoader.load(Path.of("configs/autoassign_swin-t-p4-w7_fpn_1x_coco.yaml"));
        SwinConfig s = assertInstanceOf(SwinConfig.class, c.model().backboneSpec());
        assertEquals(96, s.embedDims());
        assertEquals(List.of(2, 2, 6, 2), s.depths());
        assertEquals(List.of(3, 6, 12, 24), s.numHeads());
        assertEquals(7, s.windowSize());
        assertEquals(0.2, s.dropPathRate());
        assertTrue(s.convertWeights());
        assertNull(s.qkScale());
        assertEquals("https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_tiny_patch4_window7_224.pth", s.pretrained());
        assertEquals(OptimConfig.Type.AdamW, c.optimWrapper().type());
        assertEquals(1e-4, c.optimWrapper().lr(), 1e-12);
        assertEquals(0.05, c.optimWrapper().weightDecay(), 1e-12);
        assertEquals(List.of("relative_position_bias_table", "absolute_pos_embed", "norm"),
                c.optimWrapper().customKeys().stream().map(OptimConfig.CustomKey::key).toList(), "MMEngine's order: longest first");
        assertTrue(c.model().dataPreprocessor().bgrToRgb());
    }

    @Test
    void upstreamDefaults() {
        SwinConfig s = (SwinConfig) parse().model().backboneSpec();
        assertEquals(96, s.embedDims());
        assertEquals(4, s.patchSize());
        assertEquals(List.of(4, 2, 2, 2), s.strides());
        assertEquals(0.1, s.dropPathRate(), 1e-12, "upstream's default drop_path_rate");
        assertTrue(s.qkvBias() && s.patchNorm());
        assertFalse(s.convertWeights());
        assertEquals(-1, s.frozenStages());
        assertEquals(List.of(192, 384, 768), s.outChannels());
        assertEquals(List.of(8, 16, 32), s.outStrides());
        assertEquals(0.3, ((SwinConfig) parse("model.backbone.qk_scale=0.3").model().backboneSpec()).qkScale());
        assertEquals(0, s.dropRate());
        assertEquals(0, s.attnDropRate());
        assertFalse(s.useAbsPosEmbed());
        assertEquals(224, s.pretrainImgH());
        assertEquals(224, s.pretrainImgW());
    }

    @Test
    void dropoutAndAbsolutePositionEmbedding() {
        SwinConfig s = (SwinConfig) parse("model.backbone.drop_rate=0.1", "model.backbone.attn_drop_rate=0.2",
                "model.backbone.use_abs_pos_embed=true").model().backboneSpec();
        assertEquals(0.1, s.dropRate());
        assertEquals(0.2, s.attnDropRate());
        assertTrue(s.useAbsPosEmbed());
        assertEquals(56 * 56, s.absPosEmbedTokens(), "(224 // 4)²");
        SwinConfig r = (SwinConfig) parse("model.backbone.use_abs_pos_embed=true", "model.backbone.pretrain_img_size=[64, 32]")
                .model().backboneSpec();
        assertEquals(64, r.pretrainImgH());
        assertEquals(32, r.pretrainImgW());
        assertEquals(16 * 8, r.absPosEmbedTokens());
        SwinConfig one = (SwinConfig) parse("model.backbone.pretrain_img_size=[96]").model().backboneSpec();
        assertEquals(96, one.pretrainImgH());
        assertEquals(96, one.pretrainImgW());
        assertEquals(40, ((SwinConfig) parse("model.backbone.pretrain_img_size=40").model().backboneSpec()).pretrainImgW());
    }

    @Test
    void unsupportedSettingsAreRefusedNamingTheKey() {
        String[][] cases = {
                {"model.backbone.drop_rate=1.0", "model.backbone.drop_rate"},
                {"model.backbone.attn_drop_rate=1.5", "model.backbone.attn_drop_rate"},
                {"model.backbone.drop_rate=-0.1", "model.backbone.drop_rate"},
                {"model.backbone.pretrain_img_size=[1, 2, 3]", "model.backbone.pretrain_img_size"},
                {"model.backbone.act_cfg={type: ReLU}", "model.backbone.act_cfg.type"},
                {"model.backbone.norm_cfg={type: BN}", "model.backbone.norm_cfg.type"},
                {"model.backbone.strides=[2,2,2,2]", "model.backbone.strides"},
                {"model.backbone.num_heads=[5,6,12,24]", "model.backbone.num_heads"},
                {"model.backbone.out_indices=[1,4]", "model.backbone.out_indices"},
                {"model.backbone.in_channels=4", "model.backbone.in_channels"},
                {"model.backbone.frozen_stages=5", "model.backbone.frozen_stages"},
                // build_norm_layer's requires_grad=False would freeze every LayerNorm: not supported, so refused
                {"model.backbone.norm_cfg={type: LN, requires_grad: false}", "model.backbone.norm_cfg.requires_grad"},
                {"model.backbone.window_sizes=7", "window_sizes"},
        };
        for (String[] c : cases) {
            ConfigException e = assertThrows(ConfigException.class, () -> parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
    }
}
