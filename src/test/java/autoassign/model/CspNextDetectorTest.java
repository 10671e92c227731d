package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
import autoassign.config.CspNextConfig;
import autoassign.config.ModelConfig;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CSPNeXt + CSPNeXtPAFPN in the AutoAssign detector: the shipped RTMDet-s config builds upstream's modules (names,
 * shapes, order and parameter counts of the torch transcription, scripts/goldens/cspnext.py names.json), FLOPs as
 * MMEngine counts them on that transcription at 640×640 (RTMDet tiny / s / m / l / x backbones, the s neck, a P6
 * backbone), upstream's init (ChannelAttention biases 0), a small detector's forward with three head levels at any
 * size divisible by 32, the one-line error for sizes the neck cannot take, and SyncBN reaching the neck's BatchNorms.
 */
class CspNextDetectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Path CONFIG = Path.of("configs/autoassign_cspnext-s_cspnext-pafpn_1x_coco.yaml");

    static JsonNode network(String key) throws IOException {
        return JSON.readTree(GoldenFiles.folder("cspnext").resolve("names.json").toFile()).get("networks").get(key);
    }

    private static void assertNamesAndCount(AutoAssignDetector m, String prefix, JsonNode net) {
        List<String> want = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        for (JsonNode e : net.get("names")) {
            want.add(prefix + e.get(0).asText());
            shapes.add(GoldenFiles.ints(e.get(1)));
        }
        Map<String, Tensor> sd = m.stateDict();
        List<String> got = sd.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
        assertEquals(want, got, prefix + " names and order");
        for (int i = 0; i < want.size(); i++) assertArrayEquals(shapes.get(i), sd.get(want.get(i)).shape(), want.get(i));
        assertEquals(net.get("param_count").asLong(), Complexity.parameterCounts(m).get(prefix.substring(0, prefix.length() - 1)));
    }

    private static long flopsOf(JsonNode net) {
        long sum = 0;
        for (JsonNode v : net.get("flops_640")) sum += v.asLong();
        return sum;
    }

    @Test
    void shippedRtmdetSConfigHasUpstreamsModulesAndFlops() throws IOException {
        ModelConfig cfg = ConfigLoader.load(CONFIG).model();
        assertEquals(List.of(128, 256, 512), cfg.backboneSpec().outChannels());
        assertEquals(List.of(8, 16, 32), cfg.expectedStrides());
        AutoAssignDetector m = new AutoAssignDetector(cfg, 0);
        CspNext b = assertInstanceOf(CspNext.class, m.backbone);
        assertInstanceOf(YoloxPafpn.class, m.neck);
        assertEquals(3, m.bboxHead.scales.size());
        assertNamesAndCount(m, "backbone.", network("rtmdet_s_backbone"));
        assertNamesAndCount(m, "neck.", network("rtmdet_s_neck"));
        assertEquals(4_378_320L, b.parameterCount());
        // SyncBN without momentum / eps: torch's defaults; batch statistics in training (norm_eval false)
        Norms.forEachBatchNorm(m.backbone, bn -> assertTrue(bn.eps() == 1e-5f && bn.trainsAffine()));
        // upstream's Kaiming init: every conv U(±1/√fan_in), and KaimingInit's bias=0 on the ChannelAttention fc
        m.backbone.namedParameters().forEach((k, t) -> {
            if (k.endsWith("attention.fc.bias")) for (float v : t.toFloatArray()) assertEquals(0f, v, k);
            if (t.rank() == 4) {
                double bound = 1 / Math.sqrt(autoassign.nn.Init.fanIn(t));
                for (float v : t.toFloatArray()) assertTrue(Math.abs(v) <= bound, k);
            }
        });

        Complexity.Flops f = Complexity.flops(m, 640, 640);
        assertEquals(flopsOf(network("rtmdet_s_backbone")), f.flopsByModule().get("backbone"));
        assertEquals(flopsOf(network("rtmdet_s_neck")), f.flopsByModule().get("neck"));
        assertEquals(network("rtmdet_s_backbone").get("flops_640").get("adaptive_avg_pool2d").asLong(),
                f.flopsByOp().get(Complexity.ADAPTIVE_AVG_POOL));
        // the last stage's ChannelAttention: 512 channels of 20×20 pooled, a 512×512 1×1 conv on 1×1
        assertEquals(512L * 20 * 20 + 512L * 512, f.flopsByModule().get("backbone.stage4.2.attention"), "pool + fc");
        assertEquals(512L * 512, f.flopsByModule().get("backbone.stage4.2.attention.fc"));
        assertEquals(16L * 3 * 9 * 320 * 320, f.flopsByModule().get("backbone.stem.0.conv"));
        assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone") || k.startsWith("neck")), "uncalled: " + f.uncalled());
    }

    /**
     * ChannelAttention's pooling is upstream's {@code global_avgpool} module (nn.AdaptiveAvgPool2d(1)), registered before
     * {@code fc}: MMEngine's FLOP tables list its aten::adaptive_avg_pool2d under
     * {@code attention.global_avgpool}, not under the attention itself (as EfficientNet's SE layers do).
     */
    @Test
    void channelAttentionPoolIsItsOwnModuleInFlopTables() throws IOException {
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.load(CONFIG).model(), 0);
        List<String> names = Complexity.moduleNames(m);
        int fc = names.indexOf("backbone.stage4.2.attention.fc");
        assertTrue(fc > 0 && names.get(fc - 1).equals("backbone.stage4.2.attention.global_avgpool"), "named_modules order");
        Complexity.Flops f = Complexity.flops(m, 640, 640);
        assertEquals(512L * 20 * 20, f.flopsByModule().get("backbone.stage4.2.attention.global_avgpool"));
        assertEquals(512L * 20 * 20 + 512L * 512, f.flopsByModule().get("backbone.stage4.2.attention"));
        assertFalse(f.uncalled().contains("backbone.stage4.2.attention.global_avgpool"));
    }

    @Test
    void everyRtmdetSizeAndP6() throws IOException {
        String[][] sizes = {{"tiny", "0.167", "0.375"}, {"m", "0.67", "0.75"}, {"l", "1.0", "1.0"}, {"x", "1.33", "1.25"}};
        for (String[] s : sizes) {
            var keys = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("type", "CSPNeXt")
                    .put("deepen_factor", Double.parseDouble(s[1])).put("widen_factor", Double.parseDouble(s[2]));
            CspNext b = new CspNext(CspNextConfig.parse(s[0], keys));
            JsonNode net = network("rtmdet_" + s[0] + "_backbone");
            assertEquals(net.get("param_count").asLong(), b.parameterCount(), s[0]);
            List<String> want = new ArrayList<>();
            net.get("names").forEach(e -> want.add(e.get(0).asText()));
            assertEquals(want, List.copyOf(b.stateDict().keySet()), s[0]);
        }
        AutoAssignDetector p6 = new AutoAssignDetector(ConfigLoader.load(CONFIG, List.of("model.backbone.arch=P6",
                "model.backbone.out_indices=[2,3,4,5]", "model.neck.in_channels=[128,256,384,512]",
                "model.bbox_head.strides=[8,16,32,64]")).model(), 0);
        assertNamesAndCount(p6, "backbone.", network("p6_s_backbone"));
        assertEquals(flopsOf(network("p6_s_backbone")), Complexity.flops(p6, 640, 640).flopsByModule().get("backbone"));
        assertEquals(4, p6.bboxHead.scales.size());
    }

    /** A narrow RTMDet detector (widen 0.125, 16-channel neck and head). */
    static ModelConfig small(String... overrides) throws IOException {
        List<String> o = new ArrayList<>(List.of("model.backbone.widen_factor=0.125", "model.neck.in_channels=[32,64,128]",
                "model.neck.out_channels=16", "model.bbox_head.in_channels=16", "model.bbox_head.feat_channels=16",
                "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3", "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(overrides));
        return ConfigLoader.load(CONFIG, o).model();
    }

    @Test
    void smallDetectorRunsToThreeLevelsAndRefusesSizesTheNeckCannotTake() throws IOException {
        AutoAssignDetector m = new AutoAssignDetector(small(), 3);
        try (Graph.Scope g = Graph.noGrad()) {
            HeadOutputs out = m.forward(DetectorShapeTest.randomImage(1, 64, 96, 4));
            assertEquals(3, out.numLevels());
            assertEquals(3, out.numClasses());
            for (int l = 0; l < 3; l++) {
                assertEquals(64 / (8 << l), out.clsLogits(l).dim(2), "level " + l);
                assertEquals(96 / (8 << l), out.clsLogits(l).dim(3), "level " + l);
            }
            // CSPNeXt has no Focus: odd sizes pass the backbone (upstream too); 63 -> 32 -> 16 -> 8 -> 4 still meets the neck
            assertEquals(8, m.forward(DetectorShapeTest.randomImage(1, 63, 96, 4)).clsLogits(0).dim(2));
            IllegalArgumentException neck = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(DetectorShapeTest.randomImage(1, 64, 80, 4)));
            assertTrue(neck.getMessage().contains("CSPNeXtPAFPN") && neck.getMessage().contains("multiple of 32"), neck.getMessage());
        }
    }

    /** RTMDet's SyncBN in backbone and neck: data-parallel training syncs both; BN (or norm_eval in the backbone) syncs neither / the neck. */
    @Test
    void syncBnReachesTheNecksBatchNorms() throws IOException {
        java.util.function.UnaryOperator<double[]> sum = v -> v;
        AutoAssignDetector m = new AutoAssignDetector(small(), 1);
        assertTrue(m.syncBatchStatistics(sum));
        Norms.forEachBatchNorm(m.backbone, bn -> assertTrue(bn.syncsAcrossWorkers()));
        Norms.forEachBatchNorm(m.neck, bn -> assertTrue(bn.syncsAcrossWorkers()));

        AutoAssignDetector bn = new AutoAssignDetector(small("model.neck.norm_cfg={type: BN}", "model.backbone.norm_eval=true"), 1);
        assertFalse(bn.syncBatchStatistics(sum));
        Norms.forEachBatchNorm(bn, b -> assertFalse(b.syncsAcrossWorkers()));

        AutoAssignDetector neckOnly = new AutoAssignDetector(small("model.backbone.norm_cfg={type: BN}"), 1);
        assertTrue(neckOnly.syncBatchStatistics(sum));
        Norms.forEachBatchNorm(neckOnly.backbone, b -> assertFalse(b.syncsAcrossWorkers()));
        Norms.forEachBatchNorm(neckOnly.neck, b -> assertTrue(b.syncsAcrossWorkers()));
    }

    /** The CSPNeXt backbone's one-line refusal of a non-image input. */
    @Test
    void refusesNonImageInput() throws IOException {
        CspNext b = new CspNext((CspNextConfig) small().backboneSpec());
        Tensor x = Tensor.of(new float[2 * 4 * 8 * 8], 2, 4, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.forward(x));
        assertTrue(e.getMessage().contains("CSPNeXt"), e.getMessage());
    }
}
