package autoassign.model;

import autoassign.autograd.F;
import autoassign.autograd.Graph;
import autoassign.config.BackboneConfig;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.DcnConfig;
import autoassign.config.OptimConfig;
import autoassign.io.StateDicts;
import autoassign.nn.DeformConv2dPack;
import autoassign.nn.Module;
import autoassign.onnx.DetectorGraph;
import autoassign.onnx.InputShape;
import autoassign.tensor.Tensor;
import autoassign.train.Optimizer;
import autoassign.train.OptimizerGroups;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backbone's {@code dcn} / {@code stage_with_dcn} (MMDetection's ResNet / ResNeXt Bottleneck with
 * {@code build_conv_layer(dcn, ...)} as conv2): config parsing and errors, the modules and their state-dict names, the
 * pretrained-weight mapping, upstream's {@code fallback_on_stride}, forward equivalences, FLOPs, optimizer groups and
 * the ONNX graph's DeformConv nodes (their values: {@code DcnOnnxExportTest}).
 */
class DcnBackboneTest {
    static final Path DCNV2 = Path.of("configs/autoassign_r50-caffe-dcnv2_fpn_1x_coco.yaml");
    /** The shipped DCNv2 recipe at a width that builds in milliseconds. */
    static final List<String> SMALL = List.of("model.backbone.base_channels=8", "model.backbone.stem_channels=8",
            "model.neck.in_channels=[32,64,128,256]", "model.neck.out_channels=16", "model.bbox_head.in_channels=16",
            "model.bbox_head.feat_channels=16", "model.bbox_head.norm_cfg.num_groups=8");

    static Config small(String... more) {
        List<String> o = new java.util.ArrayList<>(SMALL);
        o.addAll(List.of(more));
        return ConfigLoader.load(DCNV2, o);
    }

    static ResBlock.Bottleneck block(ResNet r, int layer, int b) { return (ResBlock.Bottleneck) r.layers.get(layer - 1).get(b); }

    @Test
    void shippedConfigPutsDcnv2InStagesTwoToFour() {
        BackboneConfig b = ConfigLoader.load(DCNV2).model().backbone();
        assertEquals(new DcnConfig("DCNv2", 1, false), b.dcn());
        assertEquals(List.of(false, true, true, true), b.stageWithDcn());
        assertEquals("caffe", b.style());
        assertEquals("open-mmlab://detectron2/resnet50_caffe", b.pretrained());
        assertNull(ConfigLoader.load(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml")).model().backbone().dcn());
    }

    @Test
    void modulesAndStateDictNamesAreUpstreams() {
        ResNet r = new ResNet(small().model().backbone());
        for (ResBlock b : r.layers.get(0)) assertNotNull(((ResBlock.Bottleneck) b).conv2, "layer1 keeps plain 3x3s");
        for (int l = 2; l <= 4; l++)
            for (int b = 0; b < r.layers.get(l - 1).size(); b++) {
                ResBlock.Bottleneck bt = block(r, l, b);
                assertNull(bt.conv2);
                assertTrue(bt.deformConv2.modulated);
                assertEquals(1, bt.conv2Stride(), "caffe style: the 1x1 strides");
            }
        Map<String, Tensor> sd = r.stateDict();
        assertArrayEquals(new int[] {16, 16, 3, 3}, sd.get("layer2.0.conv2.weight").shape());
        assertArrayEquals(new int[] {27, 16, 3, 3}, sd.get("layer2.0.conv2.conv_offset.weight").shape(), "deform_groups·3·3·3");
        assertArrayEquals(new int[] {27}, sd.get("layer2.0.conv2.conv_offset.bias").shape());
        assertFalse(sd.containsKey("layer2.0.conv2.bias"), "built with bias=False");
        assertFalse(sd.containsKey("layer1.0.conv2.conv_offset.weight"));
        // the frozen first stage stays frozen, the deformable stages train their offsets
        assertTrue(sd.get("layer2.0.conv2.conv_offset.weight").requiresGrad());
        // zero-initialised offsets (MMCV's init_offset)
        for (float v : sd.get("layer3.1.conv2.conv_offset.weight").toFloatArray()) assertEquals(0f, v);
    }

    @Test
    void dcnV1DeformGroupsAndPytorchStyle() {
        ResNet r = new ResNet(small("model.backbone.dcn.type=DCN", "model.backbone.dcn.deform_groups=4",
                "model.backbone.style=pytorch").model().backbone());
        ResBlock.Bottleneck b = block(r, 3, 0);
        assertFalse(b.deformConv2.modulated);
        assertEquals(4, b.deformConv2.deformGroups());
        assertEquals(2, b.conv2Stride(), "pytorch style: the deformable 3x3 strides");
        assertArrayEquals(new int[] {4 * 2 * 9, 32, 3, 3}, b.deformConv2.convOffset.weight.shape());
        assertEquals(2, b.deformConv2.convOffset.geometry.strideH(), "conv_offset has the layer's stride");
    }

    @Test
    void resNeXtPassesItsGroups() {
        ResNet r = new ResNet(small("model.backbone.type=ResNeXt", "model.backbone.groups=4", "model.backbone.base_width=4")
                .model().backbone());
        ResBlock.Bottleneck b = block(r, 2, 1);
        assertEquals(4, b.deformConv2.groups());
        assertArrayEquals(new int[] {32, 8, 3, 3}, b.deformConv2.weight.shape(), "width floor(16 · 4/8) · 4 = 32 in 4 groups");
    }

    /**
     * Upstream's Bottleneck pops fallback_on_stride from the one dcn dict all its blocks share: only the first
     * deformable block of a ResNet falls back to a plain 3×3; ResNeXt's Bottleneck pops it twice, so none does.
     */
    @Test
    void fallbackOnStrideActsAsUpstreamsPop() {
        ResNet r = new ResNet(small("model.backbone.dcn.fallback_on_stride=true").model().backbone());
        assertNotNull(block(r, 2, 0).conv2, "layer2.0: the first block built with the dcn falls back");
        assertNull(block(r, 2, 1).conv2);
        assertNull(block(r, 3, 0).conv2, "layer3.0 (also a strided block) is deformable: the key was popped");
        ResNet x = new ResNet(small("model.backbone.dcn.fallback_on_stride=true", "model.backbone.type=ResNeXt",
                "model.backbone.groups=4").model().backbone());
        assertNull(block(x, 2, 0).conv2, "ResNeXt: deformable everywhere");
    }

    /** MMDetection's RegNet takes dcn too (its bottleneck is ResNeXt's: fallback_on_stride never acts). */
    @Test
    void regNetTakesTheDcn() {
        BackboneConfig b = ConfigLoader.load(DCNV2, List.of("model.backbone={_delete_: true, type: RegNet, arch: {w0: 16, wa: 16.0,"
                + " wm: 1.7, group_w: 8, depth: 6, bot_mul: 1.0}, out_indices: [0, 1, 2, 3], norm_cfg: {type: GN, num_groups: 8},"
                + " dcn: {type: DCN, fallback_on_stride: true}, stage_with_dcn: [false, false, true, true]}",
                "model.neck.in_channels=[16,24,48,80]")).model().backbone();
        ResNet r = new ResNet(b);
        assertNotNull(block(r, 2, 0).conv2);
        assertNull(block(r, 3, 0).conv2, "layer3.0: deformable despite fallback_on_stride (ResNeXt's Bottleneck)");
        assertEquals(b.stageGroups(2), block(r, 3, 0).deformConv2.groups());
        assertEquals(b.bottleneckWidth(2), block(r, 3, 0).deformConv2.weight.dim(0));
    }

    @Test
    void badDcnSettingsFailNamingTheKey() {
        ConfigException t = assertThrows(ConfigException.class, () -> small("model.backbone.dcn.type=DCNv3"));
        assertTrue(t.getMessage().contains("dcn.type") && t.getMessage().contains("DCNv2"), t.getMessage());
        ConfigException len = assertThrows(ConfigException.class, () -> small("model.backbone.stage_with_dcn=[false,true,true]"));
        assertTrue(len.getMessage().contains("stage_with_dcn") && len.getMessage().contains("4 stages"), len.getMessage());
        ConfigException basic = assertThrows(ConfigException.class, () -> small("model.backbone.depth=18"));
        assertTrue(basic.getMessage().contains("dcn") && basic.getMessage().contains("basic blocks"), basic.getMessage());
        ConfigException dg = assertThrows(ConfigException.class, () -> small("model.backbone.dcn.deform_groups=0"));
        assertTrue(dg.getMessage().contains("deform_groups"), dg.getMessage());
        ConfigException divides = assertThrows(ConfigException.class, () -> small("model.backbone.dcn.deform_groups=3"));
        assertTrue(divides.getMessage().contains("dcn.deform_groups: 3 deform groups do not divide the 16 channels of layer2"),
                divides.getMessage());
        ConfigException extra = assertThrows(ConfigException.class, () -> small("model.backbone.dcn.im2col_step=32"));
        assertTrue(extra.getMessage().contains("im2col_step"), extra.getMessage());
        ConfigException notBool = assertThrows(ConfigException.class, () -> small("model.backbone.stage_with_dcn=[0,1,1,1]"));
        assertTrue(notBool.getMessage().contains("stage_with_dcn"), notBool.getMessage());
        for (ConfigException e : List.of(t, len, basic, dg, divides, extra, notBool))
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        // without dcn, stage_with_dcn is read and unused (upstream asserts its length only with a dcn)
        assertNull(small("model.backbone.dcn=None", "model.backbone.stage_with_dcn=[true]").model().backbone().dcn());
    }

    /** A pretrained plain ResNet fills conv2.weight of the deformable blocks; their offset convs are the missing keys. */
    @Test
    void pretrainedPlainWeightsLoadIntoTheDeformableConv() {
        BackboneConfig dcn = small().model().backbone();
        BackboneConfig plain = dcn.withDcn(null, null);
        ResNet src = new ResNet(plain), dst = new ResNet(dcn);
        src.initWeights(new Random(1));
        Map<String, autoassign.io.RawTensor> raw = autoassign.io.ModelWeights.fromModule(src);
        StateDicts.Mapped m = StateDicts.resnetToBackbone(raw);
        assertTrue(m.ignored().isEmpty(), "ignored " + m.ignored());
        Map<String, Tensor> t = autoassign.io.ModelWeights.toTensors(m.tensors());
        Map<String, Tensor> backbone = new java.util.LinkedHashMap<>();
        t.forEach((k, v) -> backbone.put(k.substring("backbone.".length()), v));
        Module.LoadReport rep = dst.loadStateDict(backbone, false);
        assertTrue(rep.unexpected().isEmpty() && rep.mismatched().isEmpty(), rep.toString());
        assertEquals(2 * (4 + 6 + 3), rep.missing().size(), "weight and bias of the 13 offset convs of layer2..4: " + rep);
        for (String k : rep.missing()) assertTrue(k.contains(".conv2.conv_offset."), k);
        assertArrayEquals(src.stateDict().get("layer3.2.conv2.weight").toFloatArray(), dst.stateDict().get("layer3.2.conv2.weight").toFloatArray());
        // an MMDetection DCN checkpoint's offset convs map too
        assertEquals("backbone.layer2.0.conv2.conv_offset.weight", mapped("backbone.layer2.0.conv2.conv_offset.weight"));
        assertEquals("backbone.layer4.2.conv2.conv_offset.bias", mapped("layer4.2.conv2.conv_offset.bias"));
    }

    private static String mapped(String key) {
        var r = StateDicts.resnetToBackbone(Map.of(key, new autoassign.io.RawTensor(autoassign.io.DType.FLOAT32, new long[] {1},
                new byte[4])));
        return r.tensors().keySet().stream().findFirst().orElse(null);
    }

    /** DCN with zero offsets samples the integer taps: the plain network, up to summation order. */
    @Test
    void dcnWithZeroOffsetsIsThePlainNetwork() {
        BackboneConfig dcn = small("model.backbone.dcn.type=DCN", "model.backbone.style=pytorch").model().backbone();
        ResNet plain = new ResNet(dcn.withDcn(null, null)), deform = new ResNet(dcn);
        plain.initWeights(new Random(3));
        deform.loadStateDict(plain.stateDict(), false);
        Tensor x = Tensor.of(autoassign.autograd.GradCheck.uniform(new Random(4), 2 * 3 * 40 * 48), 2, 3, 40, 48);
        List<Tensor> a, b;
        try (Graph.Scope ignored = Graph.noGrad()) {
            a = plain.forward(x);
            b = deform.forward(x);
        }
        for (int i = 0; i < a.size(); i++) {
            float[] p = a.get(i).toFloatArray(), d = b.get(i).toFloatArray();
            double scale = 1;
            for (float v : p) scale = Math.max(scale, Math.abs(v));
            for (int k = 0; k < p.length; k++) assertEquals(p[k], d[k], 1e-4 * scale, "output " + i + " [" + k + "]");
        }
    }

    /** DCNv2 with zero offsets: mask = sigmoid(0) = 1/2 on the plain conv. */
    @Test
    void dcnv2WithZeroOffsetsIsHalfThePlainConv() {
        DeformConv2dPack d = new DeformConv2dPack(4, 6, 3, 2, 1, 1, 2, 2, true, true);
        Random rnd = new Random(5);
        d.resetParameters(rnd);
        autoassign.nn.Init.uniform(d.bias, -1, 1, rnd);
        Tensor x = Tensor.of(autoassign.autograd.GradCheck.uniform(rnd, 2 * 4 * 7 * 9), 2, 4, 7, 9);
        float[] y = d.forward(x).toFloatArray();
        float[] half = F.conv2d(x, F.mulScalar(d.weight, 0.5f), d.bias, d.geometry()).toFloatArray();
        for (int i = 0; i < y.length; i++) assertEquals(half[i], y[i], 1e-5, "[" + i + "]");
    }

    @Test
    void flopsCountTheOffsetConvOnly() {
        Config dcn = small();
        AutoAssignDetector withDcn = new AutoAssignDetector(dcn.model(), 0);
        Complexity.Flops f = Complexity.flops(withDcn, 64, 96);
        long offset = f.flopsByModule().get("backbone.layer2.0.conv2.conv_offset");
        assertEquals(27L * 16 * 9 * 8 * 12, offset, "layer2.0 at stride 8: 8x12 outputs");
        assertEquals(offset, f.flopsByModule().get("backbone.layer2.0.conv2"), "the deformable conv itself: no handle upstream");
        assertFalse(f.uncalled().contains("backbone.layer2.0.conv2"));
    }

    /** MMEngine's is_dcn_module: conv_offset learns at dcn_offset_lr_mult; its bias takes no bias / flat rule. */
    @Test
    void optimizerGroupsTreatOffsetConvsAsMmengine() {
        Config c = small("optim_wrapper.paramwise_cfg.bias_lr_mult=2.0", "optim_wrapper.paramwise_cfg.bias_decay_mult=0.0");
        AutoAssignDetector m = new AutoAssignDetector(c.model(), 0);
        OptimConfig o = c.optimWrapper();
        assertEquals(2.0, o.biasLrMult());
        Map<String, Optimizer.Group> byName = new java.util.HashMap<>();
        OptimConfig withDcnMult = small("optim_wrapper.paramwise_cfg.bias_lr_mult=2.0", "optim_wrapper.paramwise_cfg.bias_decay_mult=0.0",
                "optim_wrapper.paramwise_cfg.dcn_offset_lr_mult=0.1").optimWrapper();
        assertEquals(0.1, withDcnMult.dcnOffsetLrMult());
        assertTrue(Double.isNaN(o.dcnOffsetLrMult()), "absent: MMEngine's None");
        for (Optimizer.Group g : OptimizerGroups.of(m, withDcnMult)) byName.put(g.name(), g);
        float wd = (float) o.weightDecay();
        Optimizer.Group ow = byName.get("backbone.layer2.0.conv2.conv_offset.weight"), ob = byName.get("backbone.layer2.0.conv2.conv_offset.bias");
        assertEquals(0.1, ow.lrMult());
        assertEquals(0.1, ob.lrMult(), "dcn_offset_lr_mult, not bias_lr_mult");
        assertEquals(wd, ob.weightDecay(), "not bias_decay_mult");
        assertEquals(1.0, byName.get("backbone.layer2.0.conv2.weight").lrMult(), "the layer's own weight is not is_dcn_module");
        assertEquals(2.0, byName.get("neck.fpn_convs.0.conv.bias").lrMult(), "other biases: bias_lr_mult");
        // without dcn_offset_lr_mult (None) the offset bias still escapes the bias rules
        Map<String, Optimizer.Group> none = new java.util.HashMap<>();
        for (Optimizer.Group g : OptimizerGroups.of(m, o)) none.put(g.name(), g);
        assertEquals(1.0, none.get("backbone.layer2.0.conv2.conv_offset.bias").lrMult());
        assertEquals(wd, none.get("backbone.layer2.0.conv2.conv_offset.bias").weightDecay());
    }

    @Test
    void onnxExportWritesDeformConvAtOpset19() {
        AutoAssignDetector m = new AutoAssignDetector(small().model(), 0);
        var g = DetectorGraph.build(m, InputShape.fixed(64, 64));
        assertEquals(19L, g.opset());
        assertEquals(13, g.nodes().stream().filter(n -> n.opType().equals("DeformConv")).count(), "conv2 of layer2..layer4");
    }
}
