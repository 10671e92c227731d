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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EfficientNet in the detector: the shipped effb3 config builds upstream's backbone (names in order, 10.10 M
 * parameters: layers 0..5 only) with its FLOPs by module equal to MMEngine's counts on the transcription
 * (scripts/goldens/efficientnet.py, names.json), and its FPN normalises with BN except the laterals; a small b0 detector
 * runs forward to the head's five levels on an input whose sizes are not multiples of 32.
 */
class EfficientNetDetectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The R50 recipe with an EfficientNet-b0 returning layers 3, 4, 5 (40, 112, 320 channels), narrowed neck and head. */
    static ModelConfig smallB0(String... overrides) {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n    type: EfficientNet\n"
                + "    arch: b0\n    out_indices: [3, 4, 5]\n  neck:\n    in_channels: [40, 112, 320]\n    start_level: 0\n";
        List<String> o = new ArrayList<>(List.of("model.neck.out_channels=16", "model.bbox_head.in_channels=16",
                "model.bbox_head.feat_channels=16", "model.bbox_head.stacked_convs=1", "model.bbox_head.num_classes=3",
                "model.bbox_head.norm_cfg.num_groups=4"));
        o.addAll(List.of(overrides));
        return ConfigLoader.parse(y, "configs/efficientnet_test.yaml", o).model();
    }

    @Test
    void shippedDetectorHasUpstreamsBackboneAndFlops() throws IOException {
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.load(Path.of("configs/autoassign_effb3_fpn_1x_coco.yaml")).model(), 0);
        EfficientNet b = assertInstanceOf(EfficientNet.class, m.backbone);
        JsonNode net = null;
        for (JsonNode n : JSON.readTree(GoldenFiles.folder("efficientnet").resolve("names.json").toFile()).get("networks"))
            if (n.get("name").asText().equals("efficientnet_b3_outs345")) net = n;
        List<String> want = new ArrayList<>();
        for (JsonNode t : net.get("state_dict")) want.add("backbone." + t.get("name").asText());
        assertEquals(want, m.stateDict().keySet().stream().filter(k -> k.startsWith("backbone.")).toList());
        assertEquals(10_103_336L, b.parameterCount());
        assertEquals(net.get("parameters").asLong(), Complexity.parameterCounts(m).get("backbone"));
        assertEquals(6, b.layers.size(), "layers 0..5: layer 6 (1536 channels) is not built for out_indices (3, 4, 5)");

        int hh = net.get("flops_input").get(0).asInt(), ww = net.get("flops_input").get(1).asInt();
        Complexity.Flops f = Complexity.flops(m, hh, ww);
        Map<String, Long> by = f.flopsByModule();
        int n = 0;
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) net.get("flops")::fields) {
            String k = e.getKey().isEmpty() ? "backbone" : "backbone." + e.getKey();
            assertEquals(e.getValue().asLong(), by.get(k), k + " flops at " + hh + "x" + ww);
            n++;
        }
        assertEquals(8, n, "layers, layers.0..5 and the total");
        // the stem: a 3x3/2 Conv2dAdaptivePadding on 3 channels to 40 at ceil(224 / 2) = 112
        assertEquals(40L * 3 * 9 * 112 * 112, by.get("backbone.layers.0.conv"));
        // the first SE layer's pool: 1 per element of the 40 x 112 x 112 map
        assertEquals(40L * 112 * 112, by.get("backbone.layers.1.0.se.global_avgpool"));
        assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone")), "every backbone module runs: " + f.uncalled());
        // the FPN: norm_cfg BN on its fpn_convs and extra convs, none on the laterals (no_norm_on_lateral)
        assertTrue(m.stateDict().keySet().stream().anyMatch(k -> k.startsWith("neck.fpn_convs.0.bn.")), "fpn_convs have BN");
        assertTrue(m.stateDict().keySet().stream().noneMatch(k -> k.startsWith("neck.lateral_convs.0.bn.")), "laterals have none");
    }

    @Test
    void smallDetectorRunsToTheHeadsLevels() {
        AutoAssignDetector m = new AutoAssignDetector(smallB0(), 3);
        assertEquals(List.of(40, 112, 320), m.backbone.spec().outChannels());
        assertEquals(List.of(8, 16, 32), m.backbone.spec().outStrides());
        Tensor x = DetectorShapeTest.randomImage(1, 70, 90, 4);
        m.train(false);
        try (Graph.Scope g = Graph.noGrad()) {
            List<Tensor> feats = m.backbone.forward(x);
            assertEquals(3, feats.size());
            for (int i = 0; i < 3; i++) {
                int s = 8 << i;
                assertEquals(m.backbone.spec().outChannels().get(i), feats.get(i).dim(1));
                assertEquals((70 + s - 1) / s, feats.get(i).dim(2), "TF 'same': ceil(h / stride)");
                assertEquals((90 + s - 1) / s, feats.get(i).dim(3));
            }
            HeadOutputs out = m.forward(x);
            assertEquals(5, out.numLevels());
            assertEquals(3, out.numClasses());
            assertEquals(9, out.clsLogits(0).dim(2), "P3 at stride 8");
        }
    }
}
