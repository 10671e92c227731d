package autoassign.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code model.backbone} of type ResNet / ResNeXt (MMDetection's resnet.py / resnext.py): depths, widths, errors. */
class BackboneConfigTest {
    static final Path X101 = Path.of("configs/autoassign_x101-64x4d_fpn_1x_coco.yaml");
    static final Path MMDET_R50 = Path.of("src/test/resources/mmdet_configs/autoassign/autoassign_r50-caffe_fpn_1x_coco.py");

    @TempDir Path tmp;

    private static BackboneConfig r50With(String... overrides) throws Exception {
        return ConfigLoader.parse(ConfigLoaderTest.r50Text(), "configs/x.yaml", List.of(overrides)).model().backbone();
    }

    /** x101-64x4d at base_channels 64: floor(planes · 4/64) · 64 = 256, 512, 1024, 2048 (= planes · 4). */
    private static void assertX101_64x4d(BackboneConfig b) {
        assertEquals("ResNeXt", b.type());
        assertTrue(b.resNeXt());
        assertEquals(101, b.depth());
        assertEquals(64, b.groups());
        assertEquals(4, b.baseWidth());
        assertArrayEquals(new int[] {3, 4, 23, 3}, b.stageBlocks());
        for (int i = 0; i < 4; i++) assertEquals(256 << i, b.bottleneckWidth(i), "layer" + (i + 1));
        assertEquals(List.of(256, 512, 1024, 2048), b.outChannels());
        assertEquals("pytorch", b.style());
        assertEquals(1, b.frozenStages());
        assertTrue(b.normCfg().requiresGrad());
        assertTrue(b.normEval());
        assertEquals("open-mmlab://resnext101_64x4d", b.pretrained());
    }

    @Test
    void shippedX101ConfigInheritsTheR50Recipe() {
        Config c = ConfigLoader.load(X101);
        assertX101_64x4d(c.model().backbone());
        // the pytorch-style ImageNet weights want RGB and torchvision's mean / std, as MMDetection's x101 configs
        assertEquals(List.of(123.675, 116.28, 103.53), c.model().dataPreprocessor().mean());
        assertEquals(List.of(58.395, 57.12, 57.375), c.model().dataPreprocessor().std());
        assertTrue(c.model().dataPreprocessor().bgrToRgb());
        assertTrue(autoassign.api.Detector.testPipeline(c).bgrToRgb(), "evaluation and detect feed RGB");
        assertTrue(autoassign.train.DataSources.trainPipeline(c).bgrToRgb(), "training feeds RGB");
        assertFalse(autoassign.api.Detector.testPipeline(ConfigLoader.load(ConfigLoaderTest.R50)).bgrToRgb(), "the caffe recipe: BGR");
        Config r50 = ConfigLoader.load(ConfigLoaderTest.R50);
        assertEquals(r50.model().neck(), c.model().neck(), "neck from the base");
        assertEquals(r50.model().bboxHead(), c.model().bboxHead(), "head from the base");
    }

    @Test
    void theMmdetectionPythonBackboneDictAsWritten() throws Exception {
        Path py = Files.writeString(tmp.resolve("autoassign_x101-64x4d_fpn_1x_coco.py"), "_base_ = '"
                + MMDET_R50.toAbsolutePath() + "'\n" + """
                model = dict(
                    backbone=dict(type='ResNeXt', depth=101, groups=64, base_width=4, num_stages=4, out_indices=(0,1,2,3), frozen_stages=1, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True, style='pytorch', init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')))
                """);
        assertX101_64x4d(ConfigLoader.load(py).model().backbone());
    }

    @Test
    void resNet152AndResNeXt152HaveMmdetectionsBlockCounts() throws Exception {
        BackboneConfig r152 = r50With("model.backbone.depth=152");
        assertEquals("ResNet", r152.type());
        assertFalse(r152.resNeXt());
        assertArrayEquals(new int[] {3, 8, 36, 3}, r152.stageBlocks());
        for (int i = 0; i < 4; i++) assertEquals(64 << i, r152.bottleneckWidth(i), "a ResNet bottleneck is planes wide");
        BackboneConfig x152 = r50With("model.backbone.type=ResNeXt", "model.backbone.depth=152", "model.backbone.groups=32",
                "model.backbone.base_width=4");
        assertArrayEquals(new int[] {3, 8, 36, 3}, x152.stageBlocks());
        assertEquals(List.of(128, 256, 512, 1024), List.of(x152.bottleneckWidth(0), x152.bottleneckWidth(1),
                x152.bottleneckWidth(2), x152.bottleneckWidth(3)), "32x4d: floor(planes·4/64)·32");
    }

    @Test
    void widthRuleUsesTheBackbonesBaseChannels() throws Exception {
        // MMDetection 3.x: width = floor(planes · base_width / base_channels) · groups, planes = base_channels · 2^i
        BackboneConfig small = r50With("model.backbone.type=ResNeXt", "model.backbone.groups=4", "model.backbone.base_width=4",
                "model.backbone.base_channels=16", "model.neck.in_channels=[64, 128, 256, 512]");
        assertEquals(List.of(16, 32, 64, 128), List.of(small.bottleneckWidth(0), small.bottleneckWidth(1),
                small.bottleneckWidth(2), small.bottleneckWidth(3)));
        // the floor: planes 64 · 3/64 = 3 per group; 128 · 3/64 = 6
        BackboneConfig odd = r50With("model.backbone.type=ResNeXt", "model.backbone.groups=3", "model.backbone.base_width=3");
        assertEquals(9, odd.bottleneckWidth(0));
        assertEquals(18, odd.bottleneckWidth(1));
        // base_channels 24, base_width 5: floor(24·5/24) = 5, floor(48·5/24) = 10
        BackboneConfig floor = r50With("model.backbone.type=ResNeXt", "model.backbone.groups=2", "model.backbone.base_width=5",
                "model.backbone.base_channels=24", "model.neck.in_channels=[96, 192, 384, 768]");
        assertEquals(10, floor.bottleneckWidth(0));
        assertEquals(20, floor.bottleneckWidth(1));
        // groups 1 (MMDetection's default): a ResNeXt of one group is planes wide, whatever base_width says
        BackboneConfig one = r50With("model.backbone.type=ResNeXt", "model.backbone.base_width=8");
        assertEquals(1, one.groups());
        assertEquals(64, one.bottleneckWidth(0));
    }

    @Test
    void badValuesAreOneLineErrors() throws Exception {
        ConfigException e = ConfigLoaderTest.fails("model.backbone.type=ResNeXt", "model.backbone.depth=18");
        assertEquals("configs/x.yaml: model.backbone.depth: must be one of 50, 101, 152, got 18", e.getMessage());
        assertEquals("model.backbone.depth", ConfigLoaderTest.fails("model.backbone.type=ResNeXt", "model.backbone.depth=34").key());
        e = ConfigLoaderTest.fails("model.backbone.groups=32");
        assertEquals("model.backbone.groups", e.key());
        assertTrue(e.getMessage().contains("type: ResNeXt"), e.getMessage());
        assertEquals("model.backbone.base_width", ConfigLoaderTest.fails("model.backbone.base_width=4").key());
        assertEquals("model.backbone.groups", ConfigLoaderTest.fails("model.backbone.type=ResNeXt", "model.backbone.groups=0").key());
        assertEquals("model.backbone.base_width",
                ConfigLoaderTest.fails("model.backbone.type=ResNeXt", "model.backbone.groups=4", "model.backbone.base_width=0").key());
        // Python's floor(49 · (1/49)) is floor(0.9999999999999999) = 0: no channel per group (upstream a zero-width conv)
        e = ConfigLoaderTest.fails("model.backbone.type=ResNeXt", "model.backbone.groups=4", "model.backbone.base_width=1",
                "model.backbone.base_channels=49", "model.neck.in_channels=[196, 392, 784, 1568]");
        assertEquals("model.backbone.base_width", e.key());
        assertTrue(e.getMessage().contains("no channel per group"), e.getMessage());
        assertEquals("model.backbone.type", ConfigLoaderTest.fails("model.backbone.type=HourglassNet").key());
        for (ConfigException x : List.of(e, ConfigLoaderTest.fails("model.backbone.groups=32")))
            assertFalse(x.getMessage().contains("\n"), "one line: " + x.getMessage());
        // GroupNorm must divide the bottleneck's inner width: 4 groups of base_width 3 → 12 channels, not by 8
        e = ConfigLoaderTest.fails("model.backbone.type=ResNeXt", "model.backbone.groups=4", "model.backbone.base_width=3",
                "model.backbone.norm_cfg={type: GN, num_groups: 8}");
        assertEquals("model.backbone.norm_cfg.num_groups", e.key());
        assertTrue(e.getMessage().contains("12 channels of layer1"), e.getMessage());
    }
}
