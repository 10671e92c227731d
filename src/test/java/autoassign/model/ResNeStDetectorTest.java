package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
import autoassign.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ResNeSt in the detector: the shipped s50 config builds upstream's ResNeSt-50 (names and order of the torch
 * transcription, 25,434,240 parameters, frozen stem + layer1, batch statistics in layer2..4, the avd layers), its
 * FLOPs are MMEngine's rules (the split attention's adaptive_avg_pool2d counted, the avd pool not), the random init
 * leaves bn3 at one as upstream, and a small ResNeSt detector runs forward to the head's five levels.
 */
class ResNeStDetectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static AutoAssignDetector shipped;

    /** The shipped s50 detector, built once for the tests that only read it (25 M parameters). */
    private static synchronized AutoAssignDetector shipped() {
        if (shipped == null)
            shipped = new AutoAssignDetector(ConfigLoader.load(Path.of("configs/autoassign_s50_fpn_1x_coco.yaml")).model(), 0);
        return shipped;
    }

    @Test
    void shippedDetectorHasUpstreamsResNeSt50() throws IOException {
        AutoAssignDetector m = shipped();
        ResNet r = assertInstanceOf(ResNet.class, m.backbone);
        assertNotNull(r.resNeSt());
        JsonNode arch = JSON.readTree(GoldenFiles.folder("resnest").resolve("arch_s50.json").toFile());
        List<String> want = new ArrayList<>();
        for (JsonNode t : arch.get("state_dict")) want.add("backbone." + t.get("name").asText());
        assertEquals(want, m.stateDict().keySet().stream().filter(k -> k.startsWith("backbone.")).toList());
        assertEquals(25_434_240L, r.parameterCount());
        assertEquals(arch.get("params").asLong(), r.parameterCount());
        Map<String, Tensor> sd = r.stateDict();
        for (int i = 0; i < 4; i++) {
            ResNeStBottleneck first = assertInstanceOf(ResNeStBottleneck.class, r.layers.get(i).get(0));
            int width = 64 << i;
            assertArrayEquals(new int[] {2 * width, width / 2, 3, 3}, first.conv2.conv.weight.shape(), "groups = radix = 2");
            assertEquals(1, first.conv2.conv.geometry.strideH(), "the avd layer takes the stride");
            assertArrayEquals(new int[] {Math.max(width / 2, 32), width, 1, 1}, first.conv2.fc1.weight.shape());
            assertArrayEquals(new int[] {2 * width, Math.max(width / 2, 32), 1, 1}, first.conv2.fc2.weight.shape());
            if (i == 0) assertNull(first.avdLayer);
            else assertEquals(new autoassign.backend.AvgPool2dParams(3, 2, 1, false, true), first.avdLayer.params);
            assertNull(((ResNeStBottleneck) r.layers.get(i).get(1)).avdLayer);
            assertEquals(i == 0 ? 1 : 2, first.downsamplePool().params.stride(), "ResNetV1d's avg_down");
        }
        assertFalse(sd.get("stem.3.weight").requiresGrad());
        assertFalse(sd.get("layer1.2.conv2.fc2.bias").requiresGrad());
        assertTrue(sd.get("layer2.0.conv2.fc1.bias").requiresGrad());
        m.train(true);
        var layer2Bn = (autoassign.nn.BatchNorm2d) ((ResNeStBottleneck) r.layers.get(1).get(0)).conv2.bn1;
        var layer1Bn = (autoassign.nn.BatchNorm2d) ((ResNeStBottleneck) r.layers.get(0).get(0)).conv2.bn1;
        assertTrue(layer2Bn.normalisesWithBatchStatistics(), "norm_eval false: layer2's BN on batch statistics");
        assertFalse(layer1Bn.normalisesWithBatchStatistics(), "frozen layer1 stays in eval mode");
        assertTrue(m.normParameterNames().contains("backbone.layer3.1.conv2.bn0.weight"), "bn0 / bn1 are norms (norm_decay_mult)");
        m.train(false);
    }

    @Test
    void flopsFollowMmenginesRules() {
        Complexity.Flops f = Complexity.flops(shipped(), 800, 1216);
        Map<String, Long> by = f.flopsByModule();
        // layer2.0: conv1 256 -> 128 at 200x304; the split-attention conv 128 -> 256 in 2 groups at stride 1 (200x304);
        // the pooled sum of the splits: 128 x 200 x 304; fc1 128 -> 64, fc2 64 -> 256 on 1x1; avd 3x3/2 -> 100x152
        long hw1 = 200L * 304, hw2 = 100L * 152;
        assertEquals(hw1 * 128 * 256, by.get("backbone.layer2.0.conv1"));
        assertEquals(hw1 * 256 * 64 * 9, by.get("backbone.layer2.0.conv2.conv"));
        assertEquals(2 * hw1 * 256, by.get("backbone.layer2.0.conv2.bn0"));
        assertEquals(128L * 64, by.get("backbone.layer2.0.conv2.fc1"));
        assertEquals(2L * 64, by.get("backbone.layer2.0.conv2.bn1"));
        assertEquals(256L * 64, by.get("backbone.layer2.0.conv2.fc2"));
        long conv2 = hw1 * 256 * 64 * 9 + 2 * hw1 * 256 + hw1 * 128 + 128L * 64 + 2L * 64 + 256L * 64;
        assertEquals(conv2, by.get("backbone.layer2.0.conv2"), "the adaptive_avg_pool2d belongs to conv2 itself");
        assertEquals(0L, by.get("backbone.layer2.0.avd_layer"), "avg_pool2d has no handle");
        assertEquals(hw2 * 512 * 128, by.get("backbone.layer2.0.conv3"));
        assertEquals(hw2 * 512 * 256, by.get("backbone.layer2.0.downsample.1"));
        long block = hw1 * 128 * 256 + 2 * hw1 * 128 + conv2 + hw2 * 512 * 128 + 2 * hw2 * 512 + hw2 * 512 * 256 + 2 * hw2 * 512;
        assertEquals(block, by.get("backbone.layer2.0"));
        long pools = 0; // every block's pooled splits: width x its conv2's output size
        for (int i = 0; i < 4; i++) {
            int[] blocks = {3, 4, 6, 3};
            long hw = (800L >> (2 + i)) * (1216L >> (2 + i)), hwIn = i == 0 ? hw : (800L >> (1 + i)) * (1216L >> (1 + i));
            pools += (64L << i) * (hwIn + (blocks[i] - 1) * hw);
        }
        assertEquals(pools, f.flopsByOp().get(Complexity.ADAPTIVE_AVG_POOL));
        assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone")), "every backbone module runs: " + f.uncalled());
    }

    /** Upstream's ResNet zero-inits bn3 only when the block `is Bottleneck`: ResNeSt's subclass keeps 1. */
    @Test
    void randomInitKeepsTheLastNormAtOneAndTheAttentionBiasesAtZero() {
        ResNet r = (ResNet) small().backbone;
        r.initWeights(new Random(1));
        for (var e : r.stateDict().entrySet()) {
            if (e.getKey().matches(".*\\.bn[0-3]\\.weight"))
                for (float v : e.getValue().toFloatArray()) assertEquals(1f, v, e.getKey());
            if (e.getKey().matches(".*\\.fc[12]\\.bias"))
                for (float v : e.getValue().toFloatArray()) assertEquals(0f, v, e.getKey());
            if (e.getKey().matches(".*\\.fc[12]\\.weight")) assertTrue(maxAbs(e.getValue()) > 0, e.getKey());
        }
    }

    @Test
    void smallDetectorRunsToTheHeadsLevels() {
        AutoAssignDetector m = small();
        assertEquals(List.of(8, 16, 32, 64), m.backbone.spec().outChannels());
        Tensor x = DetectorShapeTest.randomImage(1, 64, 96, 4);
        try (Graph.Scope g = Graph.noGrad()) {
            List<Tensor> feats = m.backbone.forward(x);
            assertEquals(4, feats.size());
            for (int i = 0; i < 4; i++) {
                assertEquals(m.backbone.spec().outChannels().get(i), feats.get(i).dim(1));
                assertEquals(64 / (4 << i), feats.get(i).dim(2));
                assertEquals(96 / (4 << i), feats.get(i).dim(3));
            }
            HeadOutputs out = m.forward(x);
            assertEquals(5, out.numLevels());
            assertEquals(3, out.numClasses());
            assertEquals(64 / 8, out.clsLogits(0).dim(2), "P3 at stride 8");
        }
    }

    static AutoAssignDetector small() { return new AutoAssignDetector(ResNeStDetectors.small(), 3); }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.toFloatArray()) m = Math.max(m, Math.abs(v));
        return m;
    }
}
