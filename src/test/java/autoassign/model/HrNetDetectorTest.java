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
 * HRNet in the detector: the shipped HRNetV2-W32 config builds upstream's backbone (names, order, 29.3 M parameters)
 * and its FLOPs by module are MMEngine's counts on the transcription (scripts/goldens/hrnet.py, names.json); a small
 * HRNet detector runs forward to the head's five levels.
 */
class HrNetDetectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shippedW32DetectorHasUpstreamsBackboneAndFlops() throws IOException {
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.load(Path.of("configs/autoassign_hrnetv2p-w32_hrfpn_1x_coco.yaml")).model(), 0);
        HrNet h = assertInstanceOf(HrNet.class, m.backbone);
        JsonNode w32 = JSON.readTree(GoldenFiles.folder("hrnet").resolve("names.json").toFile()).get("networks").get(1);
        assertEquals("hrnetv2_w32", w32.get("name").asText());
        List<String> want = new ArrayList<>();
        for (JsonNode t : w32.get("state_dict")) want.add("backbone." + t.get("name").asText());
        assertEquals(want, m.stateDict().keySet().stream().filter(k -> k.startsWith("backbone.")).toList());
        assertEquals(w32.get("parameters").asLong(), h.parameterCount());
        assertEquals(29_305_536L, Complexity.parameterCounts(m).get("backbone"));

        int hh = w32.get("flops_input").get(0).asInt(), ww = w32.get("flops_input").get(1).asInt();
        Complexity.Flops f = Complexity.flops(m, hh, ww);
        Map<String, Long> by = f.flopsByModule();
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) w32.get("flops")::fields) {
            String k = e.getKey().isEmpty() ? "backbone" : "backbone." + e.getKey();
            assertEquals(e.getValue().asLong(), by.get(k), k + " flops at " + hh + "x" + ww);
        }
        assertTrue(by.get("backbone.stage2.0.fuse_layers.0.1.2") > 0, "the nearest upsampling counts 1 per output element");
        assertEquals(0L, by.get("backbone.stage2.0.relu"));
        assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone")), "every backbone module runs: " + f.uncalled());
    }

    @Test
    void smallHrNetDetectorRunsToTheHeadsLevels() {
        AutoAssignDetector m = new AutoAssignDetector(HrNetDetectors.small(), 3);
        assertEquals(List.of(4, 8, 16, 32), m.backbone.spec().outChannels());
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
}
