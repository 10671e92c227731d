package autoassign.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code model.backbone} of type HRNet (MMDetection's hrnet.py): the shipped config, the Python dict, errors. */
class HrNetConfigTest {
    static final Path HRNET = Path.of("configs/autoassign_hrnetv2p-w32_hrfpn_1x_coco.yaml");

    /** HRNetV2-W32's extra as MMDetection's configs/hrnet write it (YAML flow mappings). */
    static final String W32_EXTRA = """
            extra:
              stage1: {num_modules: 1, num_branches: 1, block: BOTTLENECK, num_blocks: [4], num_channels: [64]}
              stage2: {num_modules: 1, num_branches: 2, block: BASIC, num_blocks: [4, 4], num_channels: [32, 64]}
              stage3: {num_modules: 4, num_branches: 3, block: BASIC, num_blocks: [4, 4, 4], num_channels: [32, 64, 128]}
              stage4: {num_modules: 3, num_branches: 4, block: BASIC, num_blocks: [4, 4, 4, 4], num_channels: [32, 64, 128, 256]}
            """;

    @TempDir Path tmp;

    /** The R50 recipe with its backbone replaced by an HRNet ({@code backbone}: YAML lines) and the FPN on {@code in}. */
    private static Config r50With(String backbone, String in, String... overrides) {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: HRNet\n"
                + backbone.indent(4) + "  neck:\n    in_channels: " + in + "\n";
        return ConfigLoader.parse(y, "configs/x.yaml", List.of(overrides));
    }

    private static ConfigException fails(String backbone, String... overrides) {
        ConfigException e = assertThrows(ConfigException.class, () -> r50With(backbone, "[32, 64, 128, 256]", overrides));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("configs/x.yaml: "), e.getMessage());
        return e;
    }

    private static void assertW32(BackboneSpec spec) {
        HrNetConfig h = assertInstanceOf(HrNetConfig.class, spec);
        assertEquals("HRNet", h.type());
        assertEquals(List.of(32, 64, 128, 256), h.outChannels());
        assertEquals(List.of(4, 8, 16, 32), h.outStrides());
        assertEquals(4, h.stages().size());
        assertEquals(new HrNetConfig.Stage(1, 1, "BOTTLENECK", List.of(4), List.of(64)), h.stage(1));
        assertEquals(new HrNetConfig.Stage(3, 4, "BASIC", List.of(4, 4, 4, 4), List.of(32, 64, 128, 256)), h.stage(4));
        assertEquals(4, h.stage(3).numModules());
        assertTrue(h.normCfg().requiresGrad());
        assertEquals("BN", h.normCfg().type());
        assertTrue(h.normEval());
        assertTrue(h.multiscaleOutput());
    }

    @Test
    void shippedConfigInheritsTheR50Recipe() {
        Config c = ConfigLoader.load(HRNET);
        assertW32(c.model().backboneSpec());
        assertEquals("open-mmlab://msra/hrnetv2_w32", c.model().backboneSpec().pretrained());
        assertThrows(IllegalStateException.class, () -> c.model().backbone(), "not a ResNet-family backbone");
        assertEquals(List.of(103.53, 116.28, 123.675), c.model().dataPreprocessor().mean());
        assertEquals(List.of(57.375, 57.12, 58.395), c.model().dataPreprocessor().std());
        assertFalse(c.model().dataPreprocessor().bgrToRgb());
        assertEquals(List.of(32, 64, 128, 256), c.model().neck().inChannels());
        Config r50 = ConfigLoader.load(ConfigLoaderTest.R50);
        assertEquals(r50.model().bboxHead(), c.model().bboxHead(), "head from the base");
        assertEquals(r50.model().expectedStrides(), c.model().expectedStrides(), "the same P3..P7 strides");
        assertEquals(r50.optimWrapper(), c.optimWrapper(), "the AutoAssign R50 optimizer");
        assertW32(ConfigLoader.loadNamed("autoassign_hrnetv2p-w32_hrfpn_1x_coco", List.of()).model().backboneSpec());
    }

    @Test
    void theMmdetectionPythonBackboneDictAsWritten() throws Exception {
        // configs/hrnet/fcos_hrnetv2p-w32-gn-head_4xb4-1x_coco.py's backbone, with an FPN from P2 on the branches
        Path py = Files.writeString(tmp.resolve("autoassign_hrnet.py"), "_base_ = '"
                + BackboneConfigTest.MMDET_R50.toAbsolutePath() + "'\n" + """
                model = dict(
                    data_preprocessor=dict(
                        mean=[103.53, 116.28, 123.675],
                        std=[57.375, 57.12, 58.395],
                        bgr_to_rgb=False),
                    backbone=dict(
                        _delete_=True,
                        type='HRNet',
                        extra=dict(
                            stage1=dict(
                                num_modules=1,
                                num_branches=1,
                                block='BOTTLENECK',
                                num_blocks=(4, ),
                                num_channels=(64, )),
                            stage2=dict(
                                num_modules=1,
                                num_branches=2,
                                block='BASIC',
                                num_blocks=(4, 4),
                                num_channels=(32, 64)),
                            stage3=dict(
                                num_modules=4,
                                num_branches=3,
                                block='BASIC',
                                num_blocks=(4, 4, 4),
                                num_channels=(32, 64, 128)),
                            stage4=dict(
                                num_modules=3,
                                num_branches=4,
                                block='BASIC',
                                num_blocks=(4, 4, 4, 4),
                                num_channels=(32, 64, 128, 256))),
                        init_cfg=dict(
                            type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w32')),
                    neck=dict(
                        type='FPN',
                        in_channels=[32, 64, 128, 256],
                        start_level=1,
                        out_channels=256,
                        num_outs=5))
                """);
        Config c = ConfigLoader.load(py);
        assertW32(c.model().backboneSpec());
        assertEquals("open-mmlab://msra/hrnetv2_w32", c.model().backboneSpec().pretrained());
    }

    @Test
    void keysUpstreamAcceptsAsNoOps() {
        HrNetConfig h = (HrNetConfig) r50With(W32_EXTRA + "with_cp: true\nzero_init_residual: true\nin_channels: 3\n"
                + "conv_cfg: null\nnorm_eval: false\n", "[32, 64, 128, 256]").model().backboneSpec();
        assertTrue(h.withCp());
        assertTrue(h.zeroInitResidual());
        assertFalse(h.normEval());
        assertNull(h.pretrained());
        HrNetConfig one = (HrNetConfig) r50With(W32_EXTRA + "multiscale_output: false\n", "[32]", "model.neck.start_level=0",
                "model.bbox_head.strides=[4,8,16,32,64]").model().backboneSpec();
        assertEquals(List.of(32), one.outChannels());
        assertEquals(List.of(4), one.outStrides());
    }

    @Test
    void errorsNameTheKey() {
        assertTrue(fails(W32_EXTRA + "frozen_stages: 1\n").getMessage().contains("model.backbone.frozen_stages: is not an argument"));
        assertTrue(fails(W32_EXTRA + "in_channels: 1\n").getMessage().contains("model.backbone.in_channels: only 3"));
        assertTrue(fails(W32_EXTRA + "depth: 50\n").getMessage().contains("model.backbone.depth: unknown key"));
        assertTrue(fails(W32_EXTRA + "conv_cfg: {type: DCNv2}\n").getMessage().contains("model.backbone.conv_cfg.type: must be one of"));
        assertTrue(fails(W32_EXTRA.replace("block: BASIC, num_blocks: [4, 4], ", "block: BASIC, num_blocks: [4], "))
                .getMessage().contains("model.backbone.extra.stage2.num_blocks: needs num_branches 2 entries, got [4]"));
        assertTrue(fails(W32_EXTRA.replace("num_channels: [32, 64]}", "num_channels: [32]}"))
                .getMessage().contains("model.backbone.extra.stage2.num_channels: needs num_branches 2 entries"));
        assertTrue(fails(W32_EXTRA.replace("stage2: {num_modules: 1, num_branches: 2, block: BASIC", "stage2: {num_modules: 1, num_branches: 2, block: BASICX"))
                .getMessage().contains("model.backbone.extra.stage2.block: must be one of BASIC, BOTTLENECK"));
        assertTrue(fails(W32_EXTRA.replace("  stage4:", "  stage5:")).getMessage().contains("model.backbone.extra.stage4: required key is missing"));
        assertTrue(fails(W32_EXTRA.replace("stage3: {num_modules: 4", "stage3: {num_modules: 0"))
                .getMessage().contains("model.backbone.extra.stage3.num_modules: must be positive"));
        assertTrue(fails("norm_cfg: {type: BN}\n").getMessage().contains("model.backbone.extra: required key is missing"));
        // an existing branch other than the last that changes its channels: upstream feeds it the last branch's map
        assertTrue(fails(W32_EXTRA.replace("num_channels: [32, 64, 128]}", "num_channels: [16, 64, 128]}")
                .replace("num_channels: [32, 64, 128, 256]}", "num_channels: [16, 64, 128, 256]}"))
                .getMessage().contains("model.backbone.extra.stage3.num_channels: branch 0 has 16 channels after 32"));
        assertTrue(fails(W32_EXTRA + "norm_cfg: {type: GN, num_groups: 24}\n").getMessage().contains("model.backbone.norm_cfg.num_groups"));
        ConfigException neck = assertThrows(ConfigException.class, () -> r50With(W32_EXTRA, "[256, 512, 1024, 2048]"));
        assertTrue(neck.getMessage().contains("model.neck.in_channels: must equal the channels of the backbone outputs (HRNet"),
                neck.getMessage());
    }
}
