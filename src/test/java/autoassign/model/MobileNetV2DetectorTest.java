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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MobileNetV2 in the detector: the shipped config builds upstream's backbone (names, order, 2.22 M parameters) and
 * its FLOPs by module are MMEngine's counts on the transcription (scripts/goldens/mobilenet_v2.py, names.json: a
 * depth-wise conv counts Cout · Cin/groups · k² · H · W); a small MobileNetV2 detector runs forward to the head's
 * five levels, and the full-width backbone's CPU forward at a training-like size stays fast (the depth-wise convs).
 */
class MobileNetV2DetectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shippedDetectorHasUpstreamsBackboneAndFlops() throws IOException {
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.load(Path.of("configs/autoassign_mobilenetv2_fpn_1x_coco.yaml")).model(), 0);
        MobileNetV2 b = assertInstanceOf(MobileNetV2.class, m.backbone);
        JsonNode w1 = JSON.readTree(GoldenFiles.folder("mobilenet_v2").resolve("names.json").toFile()).get("networks").get(0);
        assertEquals("mobilenet_v2_w1.0", w1.get("name").asText());
        List<String> want = new ArrayList<>();
        for (JsonNode t : w1.get("state_dict")) want.add("backbone." + t.get("name").asText());
        assertEquals(want, m.stateDict().keySet().stream().filter(k -> k.startsWith("backbone.")).toList());
        assertEquals(w1.get("parameters").asLong(), b.parameterCount());
        assertEquals(2_223_872L, Complexity.parameterCounts(m).get("backbone"));

        int hh = w1.get("flops_input").get(0).asInt(), ww = w1.get("flops_input").get(1).asInt();
        Complexity.Flops f = Complexity.flops(m, hh, ww);
        Map<String, Long> by = f.flopsByModule();
        int n = 0;
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) w1.get("flops")::fields) {
            String k = e.getKey().isEmpty() ? "backbone" : "backbone." + e.getKey();
            assertEquals(e.getValue().asLong(), by.get(k), k + " flops at " + hh + "x" + ww);
            n++;
        }
        assertEquals(10, n, "conv1, layer1..7, conv2 and the total");
        // layer1.0's depth-wise 3x3 on 32 channels at 112x112: 32 · 1 · 9 · 112 · 112
        assertEquals(32L * 9 * 112 * 112, by.get("backbone.layer1.0.depthwise_conv.conv"));
        assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone")), "every backbone module runs: " + f.uncalled());
    }

    @Test
    void smallDetectorRunsToTheHeadsLevels() {
        AutoAssignDetector m = new AutoAssignDetector(MobileNetV2Detectors.small(), 3);
        assertEquals(List.of(8, 16, 32, 1280), m.backbone.spec().outChannels());
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

    /**
     * The full-width MobileNetV2 forward + backward at 2×320×320 on the CPU (the grouped-conv path for the 17
     * depth-wise convs, up to 960 groups): well under the time a test may take.
     */
    @Test
    void fullWidthTrainingStepOnTheCpuIsFast() {
        MobileNetV2 b = new MobileNetV2(new autoassign.config.MobileNetV2Config(1.0, List.of(1, 2, 4, 7), -1,
                new autoassign.config.NormConfig("BN", 0, true, 1e-5), "ReLU6", false, false, null));
        b.initWeights(new java.util.Random(1));
        b.train(true);
        Tensor x = DetectorShapeTest.randomImage(2, 320, 320, 4);
        long t0 = System.nanoTime();
        List<Tensor> outs = b.forward(x);
        Tensor[] seeds = new Tensor[outs.size()];
        for (int i = 0; i < seeds.length; i++) seeds[i] = Tensor.of(new float[outs.get(i).numel()], outs.get(i).shape());
        Graph.backward(outs.toArray(new Tensor[0]), seeds);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("MobileNetV2 1.0 forward+backward 2x3x320x320 on the CPU: %.2f s%n", s);
        assertTrue(s < 20, "took " + s + " s");
    }
}
