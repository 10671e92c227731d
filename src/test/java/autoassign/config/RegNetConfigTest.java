package autoassign.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code model.backbone} of type RegNet (MMDetection's regnet.py): the shipped config, the Python dict, errors. */
class RegNetConfigTest {
    static final Path REGNET = Path.of("configs/autoassign_regnetx-3.2GF_fpn_1x_coco.yaml");

    @TempDir Path tmp;

    /** The R50 recipe with its backbone replaced by {@code backbone} (YAML lines) and the neck on {@code in}. */
    private static Config r50With(String backbone, String in, String... overrides) throws Exception {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: RegNet\n"
                + backbone.indent(4) + "  neck:\n    in_channels: " + in + "\n";
        return ConfigLoader.parse(y, "configs/x.yaml", List.of(overrides));
    }

    private static ConfigException fails(String backbone, String in, String... overrides) {
        ConfigException e = assertThrows(ConfigException.class, () -> r50With(backbone, in, overrides));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("configs/x.yaml: "), e.getMessage());
        return e;
    }

    /** regnetx_3.2gf as MMDetection's configs use it. */
    private static void assertRegNetX32(BackboneConfig b) {
        assertEquals("RegNet", b.type());
        assertTrue(b.regNet());
        assertFalse(b.resNeXt());
        assertEquals("regnetx_3.2gf", b.arch().name());
        assertEquals(4, b.numStages());
        assertEquals(25, b.depth(), "upstream's self.depth = sum(stage_blocks)");
        assertArrayEquals(new int[] {2, 6, 15, 2}, b.stageBlocks());
        assertEquals(List.of(96, 192, 432, 1008), b.outChannels());
        assertEquals(List.of(4, 8, 16, 32), b.outStrides());
        for (int i = 0; i < 4; i++) {
            assertEquals(b.stageChannels(i), b.bottleneckWidth(i), "bot_mul 1: the bottleneck is the stage wide");
            assertEquals(b.stageChannels(i) / 48, b.stageGroups(i), "groups of 48 channels");
        }
        assertEquals(1, b.expansion());
        assertEquals(32, b.stemChannels());
        assertEquals(3, b.stemKernel());
        assertFalse(b.stemMaxPool());
        assertEquals(1, b.frozenStages());
        assertTrue(b.normCfg().requiresGrad());
        assertTrue(b.normEval());
        assertEquals("pytorch", b.style());
        assertEquals("open-mmlab://regnetx_3.2gf", b.pretrained());
    }

    @Test
    void shippedConfigInheritsTheR50Recipe() {
        Config c = ConfigLoader.load(REGNET);
        assertRegNetX32(c.model().backbone());
        // pycls' normalisation, BGR kept (MMDetection's regnet configs)
        assertEquals(List.of(103.53, 116.28, 123.675), c.model().dataPreprocessor().mean());
        assertEquals(List.of(57.375, 57.12, 58.395), c.model().dataPreprocessor().std());
        assertFalse(c.model().dataPreprocessor().bgrToRgb());
        assertEquals(List.of(96, 192, 432, 1008), c.model().neck().inChannels());
        Config r50 = ConfigLoader.load(ConfigLoaderTest.R50);
        assertEquals(r50.model().neck().startLevel(), c.model().neck().startLevel());
        assertEquals(r50.model().bboxHead(), c.model().bboxHead(), "head from the base");
        assertEquals(r50.model().expectedStrides(), c.model().expectedStrides(), "the same P3..P7 strides");
        assertEquals(r50.optimWrapper(), c.optimWrapper(), "the AutoAssign R50 optimizer");
        // the named config resolves too (what the CLI's --config NAME reads)
        assertRegNetX32(ConfigLoader.loadNamed("autoassign_regnetx-3.2GF_fpn_1x_coco", List.of()).model().backbone());
    }

    @Test
    void theMmdetectionPythonBackboneDictAsWritten() throws Exception {
        Path py = Files.writeString(tmp.resolve("autoassign_regnetx-3.2GF_fpn_1x_coco.py"), "_base_ = '"
                + BackboneConfigTest.MMDET_R50.toAbsolutePath() + "'\n" + """
                model = dict(
                    data_preprocessor=dict(
                        # The mean and std are used in PyCls when training RegNets
                        mean=[103.53, 116.28, 123.675],
                        std=[57.375, 57.12, 58.395],
                        bgr_to_rgb=False),
                    backbone=dict(
                        _delete_=True,
                        type='RegNet',
                        arch='regnetx_3.2gf',
                        out_indices=(0, 1, 2, 3),
                        frozen_stages=1,
                        norm_cfg=dict(type='BN', requires_grad=True),
                        norm_eval=True,
                        style='pytorch',
                        init_cfg=dict(
                            type='Pretrained', checkpoint='open-mmlab://regnetx_3.2gf')),
                    neck=dict(
                        type='FPN',
                        in_channels=[96, 192, 432, 1008],
                        out_channels=256,
                        num_outs=5))
                """);
        Config c = ConfigLoader.load(py);
        assertRegNetX32(c.model().backbone());
        assertEquals(List.of(103.53, 116.28, 123.675), c.model().dataPreprocessor().mean());
    }

    @Test
    void everyNamedArchHasTheFpnInChannelsOfMmdetectionsConfigs() throws Exception {
        // configs/regnet/*: faster-rcnn_regnetx-400MF / 800MF / 1.6GF_fpn_ms-3x, mask-rcnn_regnetx-3.2GF / 4GF / 6.4GF /
        // 8GF / 12GF_fpn_1x
        String[][] archs = {
                {"regnetx_400mf", "[32, 64, 160, 384]"}, {"regnetx_800mf", "[64, 128, 288, 672]"},
                {"regnetx_1.6gf", "[72, 168, 408, 912]"}, {"regnetx_3.2gf", "[96, 192, 432, 1008]"},
                {"regnetx_4.0gf", "[80, 240, 560, 1360]"}, {"regnetx_6.4gf", "[168, 392, 784, 1624]"},
                {"regnetx_8.0gf", "[80, 240, 720, 1920]"}, {"regnetx_12gf", "[224, 448, 896, 2240]"}};
        assertEquals(RegNetArch.ARCH_SETTINGS.keySet(), java.util.Arrays.stream(archs).map(a -> a[0])
                .collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new)));
        for (String[] a : archs) {
            BackboneConfig b = r50With("arch: " + a[0], a[1]).model().backbone();
            assertEquals(a[1], b.outChannels().toString(), a[0]);
            assertEquals(List.of(4, 8, 16, 32), b.outStrides(), a[0]);
        }
    }

    @Test
    void dictArchStridesAndDilations() throws Exception {
        // dict_tiny of the widths golden: 4 stages of 8, 16, 32, 64 channels
        String arch = "arch: {w0: 8, wa: 8.0, wm: 2.0, group_w: 8, depth: 6, bot_mul: 1.0}\n";
        BackboneConfig b = r50With(arch, "[8, 16, 32, 64]").model().backbone();
        assertNull(b.arch().name());
        assertEquals(List.of(8, 16, 32, 64), b.outChannels());
        assertArrayEquals(new int[] {1, 1, 3, 1}, b.stageBlocks());
        // RegNet's strides / dilations: the last stage at stride 1 with dilation 2 keeps C5 at stride 16
        BackboneConfig d = r50With(arch + "strides: [2, 2, 2, 1]\ndilations: [1, 1, 1, 2]\n", "[8, 16, 32, 64]",
                "model.neck.num_outs=4", "model.bbox_head.strides=[8, 16, 16, 32]").model().backbone();
        assertEquals(List.of(4, 8, 16, 16), d.outStrides());
        assertEquals(List.of(1, 1, 1, 2), d.dilations());
        // three stages: strides and dilations of length 3, out_indices inside them
        BackboneConfig three = r50With("arch: {w0: 16, wa: 16.0, wm: 2.0, group_w: 8, depth: 4, bot_mul: 1.0}\n"
                + "strides: [2, 2, 2]\ndilations: [1, 1, 1]\nout_indices: [0, 1, 2]\n", "[16, 32, 64]").model().backbone();
        assertEquals(3, three.numStages());
        assertEquals(List.of(4, 8, 16), three.outStrides());
    }

    @Test
    void badArchsAreOneLineErrors() throws Exception {
        ConfigException e = fails("arch: regnetx_3.2GF", "[96, 192, 432, 1008]");
        assertEquals("model.backbone.arch", e.key());
        assertTrue(e.getMessage().contains("'regnetx_3.2GF' is not one of the arch_settings: regnetx_400mf, "), e.getMessage());
        assertEquals("model.backbone.arch", fails("frozen_stages: 1", "[96]").key(), "no arch");
        e = fails("arch: [1, 2]", "[96]");
        assertTrue(e.getMessage().contains("must be an arch name or a mapping"), e.getMessage());
        // a dict arch: every key, each valid (generate_regnet's asserts), nothing else
        e = fails("arch: {w0: 8, wa: 8.0, wm: 2.0, group_w: 8, depth: 6}", "[8, 16, 32, 64]");
        assertEquals("model.backbone.arch.bot_mul", e.key());
        e = fails("arch: {w0: 12, wa: 8.0, wm: 2.0, group_w: 8, depth: 6, bot_mul: 1.0}", "[8, 16, 32, 64]");
        assertEquals("model.backbone.arch.w0", e.key());
        assertTrue(e.getMessage().contains("multiple of 8"), e.getMessage());
        assertEquals("model.backbone.arch.wm",
                fails("arch: {w0: 8, wa: 8.0, wm: 1.0, group_w: 8, depth: 6, bot_mul: 1.0}", "[8]").key());
        assertEquals("model.backbone.arch.wa",
                fails("arch: {w0: 8, wa: -1.0, wm: 2.0, group_w: 8, depth: 6, bot_mul: 1.0}", "[8]").key());
        assertEquals("model.backbone.arch.se_ratio",
                fails("arch: {w0: 8, wa: 8.0, wm: 2.0, group_w: 8, depth: 6, bot_mul: 1.0, se_ratio: 0.25}", "[8]").key());
        // five stages (dict_five_stages of the golden): RegNet builds at most 4
        e = fails("arch: {w0: 16, wa: 13.0, wm: 1.5, group_w: 8, depth: 6, bot_mul: 1.0}", "[16]");
        assertTrue(e.getMessage().contains("gives 5 stages"), e.getMessage());
        // three stages with the default four strides: upstream's assert len(strides) == num_stages
        e = fails("arch: {w0: 16, wa: 16.0, wm: 2.0, group_w: 8, depth: 4, bot_mul: 1.0}\nout_indices: [0, 1, 2]", "[16, 32, 64]");
        assertEquals("model.backbone.strides", e.key());
        assertTrue(e.getMessage().contains("has 3 stages"), e.getMessage());
    }

    @Test
    void resNetArgumentsAndWrongNeckChannelsAreOneLineErrors() throws Exception {
        // type switched to RegNet over the R50 backbone (no _delete_): ResNet's depth is no RegNet argument
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(ConfigLoaderTest.R50, List.of(
                "model.backbone.type=RegNet", "model.backbone.arch=regnetx_400mf")));
        assertEquals("model.backbone.depth", e.key());
        assertTrue(e.getMessage().contains("not a RegNet argument"), e.getMessage());
        assertEquals("model.backbone.groups", fails("arch: regnetx_400mf\ngroups: 4", "[32, 64, 160, 384]").key());
        assertEquals("model.backbone.num_stages", fails("arch: regnetx_400mf\nnum_stages: 4", "[32, 64, 160, 384]").key());
        assertEquals("model.backbone.out_indices", fails("arch: regnetx_400mf\nout_indices: [1, 4]", "[64, 160]").key());
        assertEquals("model.backbone.strides", fails("arch: regnetx_400mf\nstrides: [2, 2, 3, 2]", "[32, 64, 160, 384]").key());
        assertEquals("model.backbone.dilations", fails("arch: regnetx_400mf\ndilations: [1, 1, 1]", "[32, 64, 160, 384]").key());
        assertEquals("model.backbone.with_cp", fails("arch: regnetx_400mf\nwith_cp: true", "[32, 64, 160, 384]").key());
        // the neck still on ResNet-50's channels
        e = fails("arch: regnetx_400mf", "[256, 512, 1024, 2048]");
        assertEquals("model.neck.in_channels", e.key());
        assertTrue(e.getMessage().contains("arch regnetx_400mf): [32, 64, 160, 384], got [256, 512, 1024, 2048]"), e.getMessage());
        // GroupNorm must divide every width: 3 groups do not divide the stem's 32 channels
        e = fails("arch: regnetx_400mf\nnorm_cfg: {type: GN, num_groups: 3}", "[32, 64, 160, 384]");
        assertEquals("model.backbone.norm_cfg.num_groups", e.key());
    }
}
