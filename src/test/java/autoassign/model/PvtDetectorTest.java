package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
import autoassign.config.PvtConfig;
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

import static autoassign.GoldenFiles.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PVT-Tiny and PVTv2-B0 in the detector: the shipped PVTv2-B0 config and a PVT-T config (retinanet_pvt-t_fpn_1x_coco's
 * backbone) build upstream's backbones (state-dict names, order and shapes of scripts/goldens/pvt.py's transcription,
 * its parameter counts), their FLOPs by module prefix equal MMEngine's handlers on the transcription at 224×224 and at
 * an odd 230×300, the FPN takes the four maps from level 1, and a small PVT detector runs forward to the head's five
 * levels. Drop path: per sample all or nothing, in train mode only, seeded through setTrainingRandom.
 */
class PvtDetectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String PVT_T = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n"
            + "    type: PyramidVisionTransformer\n    num_layers: [2, 2, 2, 2]\n"
            + "    init_cfg: {checkpoint: 'https://github.com/whai362/PVT/releases/download/v2/pvt_tiny.pth'}\n"
            + "  neck:\n    in_channels: [64, 128, 320, 512]\n";

    static AutoAssignDetector detector(String key) throws IOException {
        return key.equals("pvt_t")
                ? new AutoAssignDetector(ConfigLoader.parse(PVT_T, "configs/pvt_t.yaml", List.of()).model(), 0)
                : new AutoAssignDetector(ConfigLoader.load(Path.of("configs/autoassign_pvtv2-b0_fpn_1x_coco.yaml")).model(), 0);
    }

    @Test
    void detectorsHaveUpstreamsBackbonesAndFlops() throws IOException {
        JsonNode names = JSON.readTree(GoldenFiles.folder("pvt").resolve("names.json").toFile());
        for (String key : new String[] {"pvt_t", "pvtv2_b0"}) {
            AutoAssignDetector m = detector(key);
            PyramidVisionTransformer b = assertInstanceOf(PyramidVisionTransformer.class, m.backbone);
            JsonNode t = names.get(key);
            List<String> want = new ArrayList<>();
            Map<String, Tensor> sd = m.stateDict();
            for (JsonNode e : t.get("state_dict")) {
                String k = "backbone." + e.get("name").asText();
                want.add(k);
                assertArrayEquals(ints(e.get("shape")), sd.get(k).shape(), k);
            }
            assertEquals(want, sd.keySet().stream().filter(k -> k.startsWith("backbone.")).toList(), key);
            assertEquals(t.get("parameters").asLong(), b.parameterCount(), key);
            assertEquals(key.equals("pvt_t") ? List.of(64, 128, 320, 512) : List.of(32, 64, 160, 256), b.spec().outChannels());
            assertEquals(List.of(4, 8, 16, 32), b.spec().outStrides());
            assertTrue(b.config().convertWeights());
            assertEquals(key.equals("pvt_t") ? "https://github.com/whai362/PVT/releases/download/v2/pvt_tiny.pth"
                    : "https://github.com/whai362/PVT/releases/download/v2/pvt_v2_b0.pth", b.config().pretrained());
            assertEquals(0.1, b.config().dropPathRate(7), 1e-7, "the last of 8 layers gets drop_path_rate");
            for (String[] sizes : new String[][] {{"flops_input", "flops"}, {"flops_input_odd", "flops_odd"}}) {
                int hh = t.get(sizes[0]).get(0).asInt(), ww = t.get(sizes[0]).get(1).asInt();
                Complexity.Flops f = Complexity.flops(m, hh, ww);
                int n = 0;
                for (var e : (Iterable<Map.Entry<String, JsonNode>>) t.get(sizes[1])::fields) {
                    String k = e.getKey().isEmpty() ? "backbone" : "backbone." + e.getKey();
                    assertEquals(e.getValue().asLong(), f.flopsByModule().get(k), key + " " + k + " flops at " + hh + "x" + ww);
                    n++;
                }
                assertTrue(n > 30, key + ": " + n + " prefixes compared");
            }
        }
    }

    static PvtConfig small(boolean v2, double dropPath, List<Integer> out) {
        return new PvtConfig(v2, 64, 64, 4, List.of(1, 1, 2, 1), List.of(1, 2, 2, 4), v2 ? List.of(7, 3, 3, 3) : List.of(4, 2, 2, 2),
                List.of(4, 2, 2, 2), v2 ? List.of(3, 1, 1, 1) : List.of(0, 0, 0, 0), List.of(8, 4, 2, 1), out, List.of(2, 2, 2, 2),
                true, 0, 0, dropPath, !v2, v2, v2, 1e-6f, true, null);
    }

    @Test
    void smallBackbonesRunToTheirOutputs() {
        for (boolean v2 : new boolean[] {false, true}) {
            PyramidVisionTransformer b = new PyramidVisionTransformer(small(v2, 0.1, List.of(1, 2, 3)));
            b.initWeights(new Random(1));
            Tensor x = DetectorShapeTest.randomImage(2, 70, 90, 4);
            try (Graph.Scope g = Graph.noGrad()) {
                List<Tensor> feats = b.forward(x);
                assertEquals(3, feats.size());
                // v1: floor(70/4) = 17, floor(90/4) = 22, then floor halvings; v2: (70+6-7)/4+1 = 18, 23, then (n-1)/2+1
                int h = v2 ? 18 : 17, w = v2 ? 23 : 22;
                for (int i = 0; i < 3; i++) {
                    h = v2 ? (h - 1) / 2 + 1 : h / 2;
                    w = v2 ? (w - 1) / 2 + 1 : w / 2;
                    assertArrayEquals(new int[] {2, i == 0 ? 8 : i == 1 ? 8 : 16, h, w}, feats.get(i).shape(), "output " + i);
                    for (float f : feats.get(i).toFloatArray()) assertTrue(Float.isFinite(f));
                }
            }
            assertEquals(java.util.Set.of(), b.parametersAfterTheLastOutput());
            PyramidVisionTransformer early = new PyramidVisionTransformer(small(v2, 0, List.of(0, 1)));
            assertTrue(early.parametersAfterTheLastOutput().contains("layers.3.0.projection.weight"));
            assertTrue(early.parametersAfterTheLastOutput().stream().noneMatch(k -> k.startsWith("layers.1.")));
        }
    }

    /** Upstream's init_weights: LN 1 / 0, conv N(0, √(2/fan_out)) with bias 0, out_proj N(0, 0.02), pos_embed N(0, 0.02). */
    @Test
    void initWeightsFollowUpstream() {
        PyramidVisionTransformer b = new PyramidVisionTransformer(small(false, 0, List.of(0, 1, 2, 3)));
        b.initWeights(new Random(2));
        Map<String, Tensor> p = b.namedParameters();
        for (float v : p.get("layers.0.1.1.norm1.weight").toFloatArray()) assertEquals(1f, v);
        for (float v : p.get("layers.0.1.1.attn.attn.out_proj.bias").toFloatArray()) assertEquals(0f, v);
        for (float v : p.get("layers.0.0.projection.bias").toFloatArray()) assertEquals(0f, v);
        assertEquals(0.02, std(p.get("layers.3.1.1.attn.attn.out_proj.weight").toFloatArray()), 0.006);
        assertEquals(0.02, std(p.get("layers.0.1.0.pos_embed").toFloatArray()), 0.004);
        assertEquals(Math.sqrt(2.0 / (4 * 4 * 4)), std(p.get("layers.0.0.projection.weight").toFloatArray()), 0.05);
        float bound = (float) Math.sqrt(6.0 / (4 * 4));
        for (float v : p.get("layers.0.1.1.attn.attn.in_proj_weight").toFloatArray()) assertTrue(Math.abs(v) <= bound);
    }

    private static double std(float[] v) {
        double s = 0;
        for (float x : v) s += x * x;
        return Math.sqrt(s / v.length);
    }

    @Test
    void detectorRunsToTheHeadsFiveLevels() {
        String y = "_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n"
                + "    type: PyramidVisionTransformerV2\n    embed_dims: 4\n    num_layers: [1, 1, 1, 1]\n"
                + "  neck:\n    in_channels: [4, 8, 20, 32]\n    out_channels: 16\n"
                + "  bbox_head:\n    in_channels: 16\n    feat_channels: 16\n    stacked_convs: 1\n    norm_cfg: {type: GN, num_groups: 4}\n";
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.parse(y, "configs/pvt_small.yaml", List.of()).model(), 0);
        try (Graph.Scope g = Graph.noGrad()) {
            var out = m.forward(DetectorShapeTest.randomImage(1, 96, 128, 3));
            assertEquals(5, out.numLevels());
            assertArrayEquals(new int[] {1, 80, 12, 16}, out.clsLogits(0).shape());
        }
    }

    /** drop_rate / attn_drop_rate act only in training with a generator, reproducibly; eval mode is the plain forward. */
    @Test
    void dropoutActsOnlyInTraining() {
        PvtConfig c = small(false, 0, List.of(1));
        PvtConfig d = new PvtConfig(c.v2(), c.pretrainH(), c.pretrainW(), c.embedDims(), c.numLayers(), c.numHeads(), c.patchSizes(),
                c.strides(), c.paddings(), c.srRatios(), c.outIndices(), c.mlpRatios(), c.qkvBias(), 0.3, 0.3, 0, c.useAbsPosEmbed(),
                c.normAfterStage(), c.useConvFfn(), c.lnEps(), c.convertWeights(), null);
        PyramidVisionTransformer plain = new PyramidVisionTransformer(c), drop = new PyramidVisionTransformer(d);
        plain.initWeights(new Random(3));
        drop.loadStateDict(plain.stateDict(), true);
        Tensor x = DetectorShapeTest.randomImage(2, 40, 44, 7);
        float[] want, eval, train, again;
        try (Graph.Scope g = Graph.noGrad()) {
            want = plain.forward(x).get(0).toFloatArray();
            eval = drop.forward(x).get(0).toFloatArray();
            drop.train(true);
            drop.setTrainingRandom(new Random(11));
            train = drop.forward(x).get(0).toFloatArray();
            drop.setTrainingRandom(new Random(11));
            again = drop.forward(x).get(0).toFloatArray();
        }
        assertArrayEquals(want, eval, "eval mode: no dropout");
        assertFalse(java.util.Arrays.equals(want, train), "training: dropout");
        assertArrayEquals(train, again, "seeded: reproducible");
    }

    @Test
    void dropPathIsPerSampleAndOnlyInTraining() {
        PyramidVisionTransformer b = new PyramidVisionTransformer(small(true, 0.9, List.of(2))); // layers 2, 3: rates 0.45, 0.675
        b.initWeights(new Random(3));
        Tensor x = DetectorShapeTest.randomImage(4, 40, 44, 7);
        float[] eval, noRng, train, again;
        try (Graph.Scope g = Graph.noGrad()) {
            eval = b.forward(x).get(0).toFloatArray();
            b.train(true);
            noRng = b.forward(x).get(0).toFloatArray();
            b.setTrainingRandom(new Random(11));
            train = b.forward(x).get(0).toFloatArray();
            b.setTrainingRandom(new Random(11));
            again = b.forward(x).get(0).toFloatArray();
        }
        assertArrayEquals(eval, noRng, "no generator: identity");
        assertFalse(java.util.Arrays.equals(eval, train), "rate up to 0.9: paths dropped");
        assertArrayEquals(train, again, "seeded: reproducible");
    }
}
