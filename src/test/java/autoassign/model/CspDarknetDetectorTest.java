package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
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
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CSPDarknet + YOLOXPAFPN in the AutoAssign detector: the shipped YOLOX-s config builds upstream's modules (names,
 * shapes, order and parameter counts of the torch transcription, scripts/goldens/csp_darknet.py names.json), FLOPs as
 * MMEngine counts them on that transcription at 640×640 (YOLOX-s, YOLOX-l's backbone, a P6 backbone with a four-level
 * neck), a small detector's forward with three head levels at strides 8 / 16 / 32, and the one-line errors for sizes
 * the neck cannot take.
 */
class CspDarknetDetectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CONFIG = Path.of("configs/autoassign_csp-darknet-s_yolox-pafpn_1x_coco.yaml");

    static JsonNode network(String key) throws IOException {
        return JSON.readTree(GoldenFiles.folder("csp_darknet").resolve("names.json").toFile()).get("networks").get(key);
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

    /** MMEngine's counts of the transcription (conv, batch_norm, upsample_nearest2d) for one of backbone / neck. */
    private static long flopsOf(JsonNode net) {
        long sum = 0;
        for (JsonNode v : net.get("flops_640")) sum += v.asLong();
        return sum;
    }

    @Test
    void shippedYoloxSConfigHasUpstreamsModulesAndFlops() throws IOException {
        ModelConfig cfg = ConfigLoader.load(CONFIG).model();
        assertEquals(List.of(128, 256, 512), cfg.backboneSpec().outChannels());
        assertEquals(List.of(8, 16, 32), cfg.expectedStrides());
        AutoAssignDetector m = new AutoAssignDetector(cfg, 0);
        CspDarknet b = assertInstanceOf(CspDarknet.class, m.backbone);
        assertInstanceOf(YoloxPafpn.class, m.neck);
        assertEquals(3, m.bboxHead.scales.size());
        assertNamesAndCount(m, "backbone.", network("yolox_s_backbone"));
        assertNamesAndCount(m, "neck.", network("yolox_s_neck"));
        assertEquals(4_212_672L, b.parameterCount());
        // BN momentum 0.03, eps 1e-3 everywhere; batch statistics in training (norm_eval false)
        Norms.forEachBatchNorm(m.backbone, bn -> assertTrue(bn.eps() == 1e-3f && bn.trainsAffine()));

        Complexity.Flops f = Complexity.flops(m, 640, 640);
        assertEquals(flopsOf(network("yolox_s_backbone")), f.flopsByModule().get("backbone"));
        assertEquals(flopsOf(network("yolox_s_neck")), f.flopsByModule().get("neck"));
        assertEquals(network("yolox_s_neck").get("flops_640").get("upsample_nearest2d").asLong(), f.flopsByModule().get("neck.upsample"));
        // the stem's conv on the 12-channel 320×320 slicing: 32 · 12 · 9 · 320 · 320
        assertEquals(32L * 12 * 9 * 320 * 320, f.flopsByModule().get("backbone.stem.conv.conv"));
        assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone") || k.startsWith("neck")), "uncalled: " + f.uncalled());
    }

    @Test
    void yoloxLBackboneAndP6WithAFourLevelNeck() throws IOException {
        AutoAssignDetector l = new AutoAssignDetector(ConfigLoader.load(CONFIG, List.of("model.backbone.deepen_factor=1.0",
                "model.backbone.widen_factor=1.0", "model.neck.in_channels=[256,512,1024]")).model(), 0);
        assertNamesAndCount(l, "backbone.", network("yolox_l_backbone"));
        assertEquals(flopsOf(network("yolox_l_backbone")), Complexity.flops(l, 640, 640).flopsByModule().get("backbone"));

        AutoAssignDetector p6 = new AutoAssignDetector(ConfigLoader.load(CONFIG, List.of("model.backbone.arch=P6",
                "model.backbone.out_indices=[2,3,4,5]", "model.neck.in_channels=[128,256,384,512]",
                "model.bbox_head.strides=[8,16,32,64]")).model(), 0);
        assertNamesAndCount(p6, "backbone.", network("p6_backbone"));
        assertEquals(flopsOf(network("p6_backbone")), Complexity.flops(p6, 640, 640).flopsByModule().get("backbone"));
        assertEquals(4, p6.bboxHead.scales.size());
    }

    /** A narrow YOLOX detector (widen 0.125, 16-channel neck and head). */
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
        Tensor x = DetectorShapeTest.randomImage(1, 64, 96, 4);
        try (Graph.Scope g = Graph.noGrad()) {
            HeadOutputs out = m.forward(x);
            assertEquals(3, out.numLevels());
            assertEquals(3, out.numClasses());
            for (int l = 0; l < 3; l++) {
                assertEquals(64 / (8 << l), out.clsLogits(l).dim(2), "level " + l);
                assertEquals(96 / (8 << l), out.clsLogits(l).dim(3), "level " + l);
            }
            IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(DetectorShapeTest.randomImage(1, 63, 96, 4)));
            assertTrue(odd.getMessage().contains("even height and width"), odd.getMessage());
            IllegalArgumentException neck = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(DetectorShapeTest.randomImage(1, 64, 80, 4)));
            assertTrue(neck.getMessage().contains("YOLOXPAFPN") && neck.getMessage().contains("multiple of 32"), neck.getMessage());
        }
    }
}
