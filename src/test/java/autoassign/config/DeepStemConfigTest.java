package autoassign.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code model.backbone} with MMDetection's {@code deep_stem} / {@code avg_down} (ResNet, ResNeXt) and
 * {@code type: ResNetV1d} (= ResNet(deep_stem=True, avg_down=True); MMDetection 3.3 registers no ResNetV1c, whose
 * layout is {@code type: ResNet, deep_stem: true}): defaults, the keys each type takes, and one-line errors.
 */
class DeepStemConfigTest {
    private static BackboneConfig r50With(String... overrides) throws Exception {
        return ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(overrides)).model().backbone();
    }

    @Test
    void defaultsAreOffAndResNetV1dSetsBoth() throws Exception {
        BackboneConfig plain = r50With();
        assertFalse(plain.deepStem());
        assertFalse(plain.avgDown());
        BackboneConfig v1d = r50With("model.backbone.type=ResNetV1d", "model.backbone.style=pytorch");
        assertEquals(BackboneConfig.RESNET_V1D, v1d.type());
        assertTrue(v1d.deepStem());
        assertTrue(v1d.avgDown());
        assertFalse(v1d.resNeXt());
        assertEquals(List.of(256, 512, 1024, 2048), v1d.outChannels(), "the same stages as ResNet");
        assertEquals(List.of(4, 8, 16, 32), v1d.outStrides(), "the deep stem keeps stride 2 + the max-pool");
        assertEquals(32, v1d.deepStemMidChannels());
        assertEquals("ResNetV1d depth 50, base_channels 64", v1d.describe());
        BackboneConfig v1c = r50With("model.backbone.deep_stem=true", "model.backbone.init_cfg.checkpoint=open-mmlab://resnet50_v1c");
        assertTrue(v1c.deepStem());
        assertFalse(v1c.avgDown());
        assertEquals("ResNet", v1c.type());
        assertEquals("open-mmlab://resnet50_v1c", v1c.pretrained());
        assertEquals("depth 50, base_channels 64, deep_stem", v1c.describe());
        BackboneConfig x = r50With("model.backbone.type=ResNeXt", "model.backbone.groups=32", "model.backbone.avg_down=true");
        assertTrue(x.avgDown());
        assertFalse(x.deepStem());
        assertTrue(r50With("model.backbone.depth=101", "model.backbone.type=ResNetV1d").deepStem());
    }

    @Test
    void badValuesAreOneLineErrors() throws Exception {
        ConfigException e = ConfigLoaderTest.fails("model.backbone.type=ResNetV1d", "model.backbone.deep_stem=false");
        assertEquals("model.backbone.deep_stem", e.key());
        assertTrue(e.getMessage().startsWith("configs/x.yaml: model.backbone.deep_stem: is set by type ResNetV1d"), e.getMessage());
        assertEquals("model.backbone.avg_down", ConfigLoaderTest.fails("model.backbone.type=ResNetV1d", "model.backbone.avg_down=true").key());
        e = ConfigLoaderTest.fails("model.backbone.deep_stem=yes please");
        assertEquals("model.backbone.deep_stem", e.key());
        assertEquals("model.backbone.avg_down", ConfigLoaderTest.fails("model.backbone.avg_down=3").key());
        e = ConfigLoaderTest.fails("model.backbone.type=ResNetV1c");
        assertEquals("model.backbone.type", e.key());
        assertTrue(e.getMessage().contains("ResNetV1d"), e.getMessage());
        e = ConfigLoaderTest.fails("model.backbone.deep_stem=true", "model.backbone.stem_channels=1");
        assertEquals("model.backbone.stem_channels", e.key());
        assertTrue(e.getMessage().contains("stem_channels // 2 = 0"), e.getMessage());
        // GroupNorm must divide the deep stem's stem_channels // 2 = 12 convs too (24 itself is divisible by 8)
        e = ConfigLoaderTest.fails("model.backbone.deep_stem=true", "model.backbone.stem_channels=24",
                "model.backbone.norm_cfg={type: GN, num_groups: 8}");
        assertEquals("model.backbone.norm_cfg.num_groups", e.key());
        assertTrue(e.getMessage().contains("deep stem"), e.getMessage());
        for (ConfigException x : List.of(e, ConfigLoaderTest.fails("model.backbone.type=ResNetV1d", "model.backbone.deep_stem=true")))
            assertFalse(x.getMessage().contains("\n"), "one line: " + x.getMessage());
    }

    @Test
    void regNetTakesNeither() {
        for (String k : List.of("deep_stem", "avg_down")) {
            String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: RegNet\n"
                    + "    arch: regnetx_400mf\n    " + k + ": true\n  neck:\n    in_channels: [32, 64, 160, 384]\n";
            ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                    () -> ConfigLoader.parse(y, "configs/x.yaml", List.of()));
            assertEquals("model.backbone." + k, e.key(), e.getMessage());
            assertTrue(e.getMessage().contains("not a RegNet argument"), e.getMessage());
        }
    }
}
