package autoassign.config;

import autoassign.GoldenFiles;
import autoassign.model.PyramidVisionTransformer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code model.backbone.type: PyramidVisionTransformer / PyramidVisionTransformerV2}: the shipped PVTv2-B0 config reads
 * as MMDetection's retinanet_pvtv2-b0 backbone and optimizer; upstream's defaults apply (v1: position embeddings,
 * LN eps 1e-6, convert_weights true; V2 fixes its five keys; dropout rates are read); all ten architectures of configs/pvt build with the
 * transcription's parameter counts; what the engine does not do is refused with a one-line error naming the key.
 */
class PvtConfigTest {
    private static final String BASE = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n"
            + "    type: %s\n  neck:\n    in_channels: [64, 128, 320, 512]\n";

    private static Config parse(String type, String... overrides) {
        return ConfigLoader.parse(String.format(BASE, type), "configs/pvt_test.yaml", List.of(overrides));
    }

    @Test
    void shippedConfigIsPvtV2B0() throws Exception {
        Config c = ConfigLoader.load(Path.of("configs/autoassign_pvtv2-b0_fpn_1x_coco.yaml"));
        PvtConfig s = assertInstanceOf(PvtConfig.class, c.model().backboneSpec());
        assertTrue(s.v2());
        assertEquals(32, s.embedDims());
        assertEquals(List.of(2, 2, 2, 2), s.numLayers());
        assertEquals(List.of(7, 3, 3, 3), s.patchSizes());
        assertEquals(List.of(3, 1, 1, 1), s.paddings());
        assertEquals(List.of(8, 4, 2, 1), s.srRatios());
        assertEquals(List.of(8, 8, 4, 4), s.mlpRatios());
        assertTrue(s.normAfterStage() && s.useConvFfn() && !s.useAbsPosEmbed() && s.convertWeights());
        assertEquals(1e-6f, s.lnEps());
        assertEquals(0.1, s.dropPathRate(), 1e-12);
        assertEquals("https://github.com/whai362/PVT/releases/download/v2/pvt_v2_b0.pth", s.pretrained());
        assertEquals(List.of(32, 64, 160, 256), s.outChannels());
        assertEquals(OptimConfig.Type.AdamW, c.optimWrapper().type());
        assertEquals(1e-4, c.optimWrapper().lr(), 1e-12);
        assertEquals(1e-4, c.optimWrapper().weightDecay(), 1e-12);
        assertTrue(c.model().dataPreprocessor().bgrToRgb());
    }

    @Test
    void upstreamDefaults() {
        PvtConfig s = (PvtConfig) parse("PyramidVisionTransformer").model().backboneSpec();
        assertFalse(s.v2());
        assertEquals(64, s.embedDims());
        assertEquals(List.of(3, 4, 6, 3), s.numLayers());
        assertEquals(List.of(1, 2, 5, 8), s.numHeads());
        assertEquals(List.of(4, 2, 2, 2), s.patchSizes());
        assertEquals(List.of(0, 0, 0, 0), s.paddings());
        assertTrue(s.useAbsPosEmbed() && !s.normAfterStage() && !s.useConvFfn() && s.qkvBias() && s.convertWeights());
        assertEquals(224, s.pretrainH());
        assertEquals(1e-6f, s.lnEps());
        assertEquals(List.of(56, 56), List.of(s.posShape(0)[0], s.posShape(0)[1]));
        assertEquals(List.of(7, 7), List.of(s.posShape(3)[0], s.posShape(3)[1]));
        assertNull(s.pretrained());
        PvtConfig t = (PvtConfig) parse("PyramidVisionTransformer", "model.backbone.pretrain_img_size=[96, 160]",
                "model.backbone.norm_cfg={type: LN}", "model.backbone.init_cfg={checkpoint: pvt.pth}").model().backboneSpec();
        assertEquals(List.of(24, 40), List.of(t.posShape(0)[0], t.posShape(0)[1]));
        assertEquals(1e-5f, t.lnEps(), "an explicit dict(type='LN') is nn.LayerNorm's default eps");
        assertEquals("pvt.pth", t.pretrained());
        PvtConfig d = (PvtConfig) parse("PyramidVisionTransformerV2", "model.backbone.drop_rate=0.1", "model.backbone.attn_drop_rate=0.2")
                .model().backboneSpec();
        assertEquals(0.1, d.dropRate(), 1e-12);
        assertEquals(0.2, d.attnDropRate(), 1e-12);
    }

    @Test
    void everyUpstreamArchitectureBuilds() throws Exception {
        JsonNode archs = new ObjectMapper().readTree(GoldenFiles.folder("pvt").resolve("names.json").toFile()).get("archs");
        assertEquals(10, archs.size());
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) archs::fields) {
            PvtConfig cfg = (PvtConfig) BackboneConfigs.specFromJson(e.getValue().get("backbone"));
            assertEquals(e.getValue().get("parameters").asLong(), new PyramidVisionTransformer(cfg).parameterCount(), e.getKey());
        }
    }

    @Test
    void unsupportedKeysAreRefusedInOneLine() {
        String[][] bad = {
                {"PyramidVisionTransformer", "model.backbone.drop_rate=1.0", "drop_rate"},
                {"PyramidVisionTransformer", "model.backbone.attn_drop_rate=1.5", "attn_drop_rate"},
                {"PyramidVisionTransformer", "model.backbone.act_cfg={type: ReLU}", "act_cfg.type"},
                {"PyramidVisionTransformer", "model.backbone.norm_cfg={type: BN}", "norm_cfg.type"},
                {"PyramidVisionTransformer", "model.backbone.in_channels=4", "in_channels"},
                {"PyramidVisionTransformer", "model.backbone.num_layers=[2, 2, 2]", "num_layers"},
                {"PyramidVisionTransformer", "model.backbone.pretrain_img_size=[1, 2, 3]", "pretrain_img_size"},
                {"PyramidVisionTransformer", "model.backbone.out_indices=[0, 4]", "out_indices"},
                {"PyramidVisionTransformer", "model.backbone.frozen_stages=1", "frozen_stages"},
                {"PyramidVisionTransformerV2", "model.backbone.patch_sizes=[7, 3, 3, 3]", "patch_sizes"},
                {"PyramidVisionTransformerV2", "model.backbone.use_abs_pos_embed=true", "use_abs_pos_embed"},
                {"PyramidVisionTransformerV2", "model.backbone.num_stages=3", "num_layers"},
        };
        for (String[] b : bad) {
            ConfigException e = assertThrows(ConfigException.class, () -> parse(b[0], b[1]), b[1]);
            assertTrue(e.getMessage().contains("model.backbone." + b[2]), b[1] + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class, () -> parse("PyramidVisionTransformer",
                "model.backbone.pretrained=a.pth", "model.backbone.init_cfg={type: Pretrained, checkpoint: b.pth}"));
        assertTrue(e.getMessage().contains("init_cfg"), e.getMessage());
    }
}
