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

/** {@code model.backbone} of type MobileNetV2 (MMDetection's mobilenet_v2.py): the shipped config, defaults, errors. */
class MobileNetV2ConfigTest {
    static final Path MOBILENET = Path.of("configs/autoassign_mobilenetv2_fpn_1x_coco.yaml");

    /** The R50 recipe with its backbone replaced by a MobileNetV2 ({@code backbone}: YAML lines) and the FPN on {@code in}. */
    private static Config r50With(String backbone, String in, String... overrides) {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: MobileNetV2\n"
                + backbone.indent(4) + "  neck:\n    in_channels: " + in + "\n";
        return ConfigLoader.parse(y, "configs/x.yaml", List.of(overrides));
    }

    private static ConfigException fails(String backbone, String... overrides) {
        ConfigException e = assertThrows(ConfigException.class, () -> r50With(backbone, "[24, 32, 96, 1280]", overrides));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("configs/x.yaml: "), e.getMessage());
        return e;
    }

    @Test
    void shippedConfigBuildsUpstreamsDefaults() {
        Config c = ConfigLoader.load(MOBILENET);
        MobileNetV2Config m = assertInstanceOf(MobileNetV2Config.class, c.model().backboneSpec());
        assertEquals("MobileNetV2", m.type());
        assertEquals(1.0, m.widenFactor());
        assertEquals(List.of(1, 2, 4, 7), m.outIndices());
        assertEquals(List.of(24, 32, 96, 1280), m.outChannels());
        assertEquals(List.of(4, 8, 16, 32), m.outStrides());
        assertEquals(MobileNetV2Config.RELU6, m.activation());
        assertTrue(m.normEval());
        assertEquals(-1, m.frozenStages());
        assertEquals("open-mmlab://mmdet/mobilenet_v2", m.pretrained());
    }

    @Test
    void defaultsAreUpstreams() {
        MobileNetV2Config m = (MobileNetV2Config) r50With("widen_factor: 1.0\n", "[24, 32, 96, 1280]").model().backboneSpec();
        assertEquals(List.of(1, 2, 4, 7), m.outIndices());
        assertFalse(m.normEval(), "MobileNetV2's norm_eval defaults to false");
        assertEquals(MobileNetV2Config.RELU6, m.activation());
        assertNull(m.pretrained());
        assertEquals("BN", m.normCfg().type());
        MobileNetV2Config half = (MobileNetV2Config) r50With("widen_factor: 0.5\n", "[16, 16, 48, 1280]").model().backboneSpec();
        assertEquals(List.of(16, 16, 48, 1280), half.outChannels());
        MobileNetV2Config every = new MobileNetV2Config(0.5, List.of(0, 3, 5, 6), -1, half.normCfg(), "ReLU6", false, false, null);
        assertEquals(List.of(8, 32, 80, 160), every.outChannels());
        assertEquals(List.of(2, 16, 32, 32), every.outStrides());
        assertEquals(1280, half.lastChannels(), "1280 unless widen > 1");
        MobileNetV2Config wide = (MobileNetV2Config) r50With("widen_factor: 1.4\nout_indices: [1, 2, 4, 7]\n", "[32, 48, 136, 1792]")
                .model().backboneSpec();
        assertEquals(List.of(32, 48, 136, 1792), wide.outChannels());
        MobileNetV2Config none = (MobileNetV2Config) r50With("act_cfg: null\n", "[24, 32, 96, 1280]").model().backboneSpec();
        assertNull(none.activation(), "act_cfg None: ConvModules without activation");
        MobileNetV2Config relu = (MobileNetV2Config) r50With("act_cfg: {type: ReLU, inplace: true}\nwith_cp: true\n", "[24, 32, 96, 1280]")
                .model().backboneSpec();
        assertEquals(MobileNetV2Config.RELU, relu.activation());
        assertTrue(relu.withCp());
    }

    @Test
    void badKeysFailOnOneLineNamingTheKey() {
        assertTrue(fails("out_indices: [1, 8]\n").getMessage().contains("model.backbone.out_indices"));
        assertTrue(fails("out_indices: [4, 2]\n").getMessage().contains("model.backbone.out_indices"));
        assertTrue(fails("frozen_stages: 8\n").getMessage().contains("model.backbone.frozen_stages"));
        assertTrue(fails("widen_factor: 0\n").getMessage().contains("model.backbone.widen_factor"));
        assertTrue(fails("act_cfg: {type: GELU}\n").getMessage().contains("model.backbone.act_cfg.type"));
        assertTrue(fails("act_cfg: {type: ReLU6, negative_slope: 0.1}\n").getMessage().contains("model.backbone.act_cfg.negative_slope"));
        assertTrue(fails("act_cfg: {type: LeakyReLU, negative_slope: abc}\n").getMessage().contains("model.backbone.act_cfg.negative_slope"));
        assertTrue(fails("norm_cfg: {type: BN, eps: 0}\n").getMessage().contains("model.backbone.norm_cfg.eps"));
        assertTrue(fails("conv_cfg: {type: DCNv2}\n").getMessage().contains("model.backbone.conv_cfg.type"));
        assertTrue(fails("depth: 50\n").getMessage().contains("model.backbone.depth"));
        assertTrue(fails("pretrained: a.pth\ninit_cfg: {type: Pretrained, checkpoint: b.pth}\n").getMessage()
                .contains("model.backbone.init_cfg"));
        assertTrue(fails("norm_cfg: {type: GN, num_groups: 32}\n").getMessage().contains("model.backbone.norm_cfg.num_groups"));
        // upstream's norm_cfg=None means no norm (and conv biases), not the BN default
        assertTrue(fails("norm_cfg: null\n").getMessage().contains("model.backbone.norm_cfg"));
        assertTrue(fails("widen_factor: 1.0\n", "model.backbone.norm_cfg=None").getMessage().contains("model.backbone.norm_cfg"));
    }

    /**
     * The backbone blocks of MMDetection's {@code configs/yolo/yolov3_mobilenetv2_8xb24-ms-416-300e_coco.py} (the
     * base of yolov3_mobilenetv2_8xb24-320-300e_coco.py; open-mmlab/mmdetection 5c895ded) and
     * {@code configs/ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py} (19bceba5), less SSDLite's TruncNormal
     * init_cfg, and the layers they build: LeakyReLU(0.1), and BN eps 1e-3 / momentum 0.03.
     */
    @Test
    void yolov3AndSsdliteBackbonesLoad() {
        MobileNetV2Config yolo = (MobileNetV2Config) r50With("out_indices: [2, 4, 6]\n"
                + "act_cfg: {type: LeakyReLU, negative_slope: 0.1}\n", "[32, 96, 320]", "model.neck.start_level=0").model().backboneSpec();
        assertEquals(MobileNetV2Config.LEAKY_RELU, yolo.activation());
        assertEquals(0.1, yolo.negativeSlope());
        assertEquals(List.of(32, 96, 320), yolo.outChannels());
        assertEquals(1e-5, yolo.normCfg().eps());
        autoassign.model.MobileNetV2 ym = new autoassign.model.MobileNetV2(yolo);
        assertEquals(0.1f, ym.conv1.negativeSlope);
        assertEquals(MobileNetV2Config.LEAKY_RELU, ym.layers.get(0).get(0).depthwiseConv.activation);
        assertNull(ym.layers.get(0).get(0).linearConv.activation, "linear_conv has no activation");
        MobileNetV2Config defaultSlope = (MobileNetV2Config) r50With("act_cfg: {type: LeakyReLU}\n", "[24, 32, 96, 1280]")
                .model().backboneSpec();
        assertEquals(0.01, defaultSlope.negativeSlope(), "torch.nn.LeakyReLU's default");

        MobileNetV2Config ssd = (MobileNetV2Config) r50With("out_indices: [4, 7]\n"
                + "norm_cfg: {type: BN, eps: 0.001, momentum: 0.03}\n", "[96, 1280]", "model.neck.start_level=0",
                "model.bbox_head.strides=[16, 32, 64, 128, 256]")
                .model().backboneSpec();
        assertEquals(0.001, ssd.normCfg().eps());
        assertEquals(0.03, ssd.normCfg().momentum());
        assertEquals(List.of(96, 1280), ssd.outChannels());
        autoassign.model.MobileNetV2 sm = new autoassign.model.MobileNetV2(ssd);
        autoassign.nn.BatchNorm2d bn = (autoassign.nn.BatchNorm2d) sm.layers.get(3).get(1).expandConv.norm;
        assertEquals(1e-3f, bn.eps());
        assertEquals(1e-3f, ((autoassign.nn.BatchNorm2d) sm.conv2.norm).eps());
    }

    @Test
    void neckChannelsMustMatchTheReturnedMaps() {
        ConfigException e = assertThrows(ConfigException.class, () -> r50With("out_indices: [2, 4, 6]\n", "[24, 32, 96, 1280]"));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void dwconvDecayMultIsReadAsMmengineDoes() {
        Config c = ConfigLoader.load(MOBILENET, List.of("optim_wrapper.paramwise_cfg.dwconv_decay_mult=0.0"));
        assertEquals(0.0, c.optimWrapper().dwconvDecayMult());
        assertTrue(Double.isNaN(ConfigLoader.load(MOBILENET).optimWrapper().dwconvDecayMult()), "absent: None");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(MOBILENET, List.of("optim_wrapper.paramwise_cfg.dwconv_decay_mult=-1")));
        assertTrue(e.getMessage().contains("dwconv_decay_mult"), e.getMessage());
    }
}
