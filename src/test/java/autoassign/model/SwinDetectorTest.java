package autoassign.model;

import autoassign.GoldenFiles;
import autoassign.autograd.Graph;
import autoassign.config.ConfigLoader;
import autoassign.config.SwinConfig;
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
 * Swin-T in the detector: the shipped config builds upstream's backbone (state-dict names, order and shapes of
 * scripts/goldens/swin.py's transcription, 27,520,506 parameters), its FLOPs by module equal MMEngine's handlers on the
 * transcription at 224×224 and at an odd 230×300 (padding to the patch, the windows and the merging), the FPN takes
 * its 192 / 384 / 768 channels, and a small Swin detector runs forward to the head's five levels. Drop path: per
 * sample all or nothing, scaled by 1/keep, in train mode only.
 */
class SwinDetectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode names() throws IOException {
        return JSON.readTree(GoldenFiles.folder("swin").resolve("names.json").toFile());
    }

    @Test
    void shippedDetectorHasUpstreamsBackboneAndFlops() throws IOException {
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.load(Path.of("configs/autoassign_swin-t-p4-w7_fpn_1x_coco.yaml")).model(), 0);
        SwinTransformer b = assertInstanceOf(SwinTransformer.class, m.backbone);
        JsonNode t = names().get("swin_t");
        List<String> want = new ArrayList<>();
        Map<String, Tensor> sd = m.stateDict();
        for (JsonNode e : t.get("state_dict")) {
            String k = "backbone." + e.get("name").asText();
            want.add(k);
            assertArrayEquals(ints(e.get("shape")), sd.get(k).shape(), k);
        }
        assertEquals(want, sd.keySet().stream().filter(k -> k.startsWith("backbone.")).toList());
        assertEquals(t.get("parameters").asLong(), b.parameterCount());
        assertEquals(27_520_506L, Complexity.parameterCounts(m).get("backbone"));
        assertEquals(List.of(192, 384, 768), b.spec().outChannels());
        assertEquals(List.of(8, 16, 32), b.spec().outStrides());
        assertEquals(0.2, b.config().dropPathRate(11), 1e-7, "the last of 12 blocks gets drop_path_rate");
        assertEquals(0.2f / 11 * 3, (float) b.config().dropPathRate(3), 1e-7);
        assertTrue(b.config().convertWeights());
        for (String[] sizes : new String[][] {{"flops_input", "flops"}, {"flops_input_odd", "flops_odd"}}) {
            int hh = t.get(sizes[0]).get(0).asInt(), ww = t.get(sizes[0]).get(1).asInt();
            Complexity.Flops f = Complexity.flops(m, hh, ww);
            int n = 0;
            for (var e : (Iterable<Map.Entry<String, JsonNode>>) t.get(sizes[1])::fields) {
                String k = e.getKey().isEmpty() ? "backbone" : "backbone." + e.getKey();
                assertEquals(e.getValue().asLong(), f.flopsByModule().get(k), k + " flops at " + hh + "x" + ww);
                n++;
            }
            assertEquals(6, n, "patch_embed, stages, norm1..3 and the total");
            assertTrue(f.uncalled().stream().noneMatch(k -> k.startsWith("backbone")), "every backbone module runs: " + f.uncalled());
        }
        // stage 0, block 0 at 224: 56x56 tokens of 96, windows 7x7 (64 windows, 3 heads of 32)
        Map<String, Long> by = Complexity.flops(m, 224, 224).flopsByModule();
        assertEquals(56L * 56 * 96 * 288, by.get("backbone.stages.0.blocks.0.attn.w_msa.qkv"));
        assertEquals(2L * 64 * 3 * 49 * 49 * 32, by.get("backbone.stages.0.blocks.0.attn.w_msa") - by.get("backbone.stages.0.blocks.0.attn.w_msa.qkv")
                - by.get("backbone.stages.0.blocks.0.attn.w_msa.proj"));
    }

    /** A Swin with embed 16, strides 4 .. 32, returning stages 1..3 (32, 64, 128 channels) into the tiny FPN. */
    static SwinConfig small(double dropPath) {
        return new SwinConfig(16, 4, 4, 2, List.of(2, 2, 2, 2), List.of(1, 2, 2, 4), List.of(4, 2, 2, 2), List.of(1, 2, 3),
                true, null, true, dropPath, false, false, -1, null);
    }

    @Test
    void smallDetectorRunsToTheHeadsLevels() {
        SwinTransformer b = new SwinTransformer(small(0.1));
        b.initWeights(new Random(1));
        Tensor x = DetectorShapeTest.randomImage(2, 70, 90, 4);
        try (Graph.Scope g = Graph.noGrad()) {
            List<Tensor> feats = b.forward(x);
            assertEquals(3, feats.size());
            int h = 18, w = 23; // ceil(70/4), ceil(90/4): the patch embed pads
            for (int i = 0; i < 3; i++) {
                h = (h + 1) / 2;
                w = (w + 1) / 2;
                assertArrayEquals(new int[] {2, 32 << i, h, w}, feats.get(i).shape(), "output " + i);
            }
        }
        assertEquals(java.util.Set.of(), b.parametersAfterTheLastOutput(), "the last stage is returned");
        SwinTransformer early = new SwinTransformer(new SwinConfig(16, 4, 4, 2, List.of(2, 2, 2, 2), List.of(1, 2, 2, 4),
                List.of(4, 2, 2, 2), List.of(0, 1), true, null, true, 0, false, false, -1, null));
        assertTrue(early.parametersAfterTheLastOutput().contains("stages.1.downsample.reduction.weight"));
        assertTrue(early.parametersAfterTheLastOutput().contains("stages.3.blocks.1.ffn.layers.1.bias"));
        assertTrue(early.parametersAfterTheLastOutput().stream().noneMatch(k -> k.startsWith("stages.1.blocks")));
    }

    @Test
    void dropPathIsPerSampleAndOnlyInTraining() {
        SwinTransformer b = new SwinTransformer(small(0.3));
        int batch = 400, rows = 6;
        float[] v = new float[batch * rows];
        for (int i = 0; i < v.length; i++) v[i] = 1 + i % 7;
        Tensor x = Tensor.of(v, batch * rows / 2, 2);
        assertEquals(x, b.dropPath(x, 0.3, batch), "eval mode: identity");
        b.train(true);
        assertEquals(x, b.dropPath(x, 0.3, batch), "no generator: identity");
        b.setTrainingRandom(new Random(5));
        float[] y = b.dropPath(x, 0.3, batch).toFloatArray();
        int kept = 0;
        for (int s = 0; s < batch; s++) {
            boolean zero = y[s * rows] == 0;
            if (!zero) kept++;
            for (int j = 0; j < rows; j++)
                assertEquals(zero ? 0f : v[s * rows + j] * (1f / 0.7f), y[s * rows + j], 1e-6f, "sample " + s);
        }
        assertTrue(kept > 0.6 * batch && kept < 0.8 * batch, "kept " + kept + " of " + batch + " at rate 0.3");
        b.setTrainingRandom(new Random(5));
        assertArrayEquals(y, b.dropPath(x, 0.3, batch).toFloatArray(), "seeded: reproducible");
    }

    /**
     * Upstream's train() re-runs _freeze_stages, which puts the frozen stages in eval mode, so their DropPath layers
     * pass x through: with stage 0 frozen and only stage 0 returned, a train-mode forward (drop path drawing) equals the
     * eval one; unfrozen, the same forward drops paths.
     */
    @Test
    void frozenStagesDoNotDropPaths() {
        for (int frozen : new int[] {-1, 1}) {
            SwinTransformer b = new SwinTransformer(new SwinConfig(8, 4, 3, 2, List.of(2, 1), List.of(1, 2), List.of(4, 2),
                    List.of(0), true, null, true, 0.9, false, false, frozen, null));
            b.initWeights(new Random(3));
            Tensor x = DetectorShapeTest.randomImage(4, 24, 28, 7);
            float[] eval, train;
            try (Graph.Scope g = Graph.noGrad()) {
                eval = b.forward(x).get(0).toFloatArray();
                b.train(true);
                b.setTrainingRandom(new Random(11));
                train = b.forward(x).get(0).toFloatArray();
            }
            if (frozen == 1) assertArrayEquals(eval, train, "stage 0 frozen: no drop path in its blocks");
            else assertFalse(java.util.Arrays.equals(eval, train), "not frozen: block 1 (rate 0.45) drops paths");
        }
    }

    /** Upstream's _freeze_stages: frozen_stages 0 freezes patch_embed; 2 also stages 0, 1 (with their PatchMerging) and norm1. */
    @Test
    void frozenStagesFollowUpstream() {
        for (int frozen : new int[] {-1, 0, 2}) {
            SwinTransformer b = new SwinTransformer(new SwinConfig(16, 4, 4, 2, List.of(1, 1, 1, 1), List.of(1, 2, 2, 4),
                    List.of(4, 2, 2, 2), List.of(1, 2, 3), true, null, true, 0, false, false, frozen, null));
            b.namedParameters().forEach((k, t) -> {
                boolean want = frozen >= 0 && k.startsWith("patch_embed.")
                        || frozen == 2 && (k.startsWith("stages.0.") || k.startsWith("stages.1.") || k.startsWith("norm1."));
                assertEquals(!want, t.requiresGrad(), "frozen_stages " + frozen + ": " + k);
            });
        }
    }
}
