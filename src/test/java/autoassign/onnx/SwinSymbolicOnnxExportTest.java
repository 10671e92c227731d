package autoassign.onnx;

import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Swin Transformer detector exported with a symbolic input size ({@code [N, 3, H, W]}, {@link SwinShapeGraph}): one
 * graph, run by the interpreter at several sizes and batches, equals the engine's forward at each (the same tolerance
 * as the fixed-size test) and the fixed-size graph of that size bit for bit; the sizes cover PatchEmbed's padding,
 * window padding in every stage (also stages smaller than one window), PatchMerging's odd maps and the shift mask of
 * each padded size.
 */
class SwinSymbolicOnnxExportTest {
    @Test
    void oneGraphMatchesTheEngineAtSeveralSizes() throws IOException {
        AutoAssignDetector model = SwinOnnxExportTest.swin(3);
        OnnxModelReader.Model graph = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        // 75×110: patch padding to 76×112, 19×28 tokens padded to windows of 4, odd maps merged (10×14, 5×7, 3×4);
        // 2×64×96: no patch padding, 16×24 → 8×12 → 4×6 (padded) → 2×3 (one window, padded); 33×47: 9×12 → 5×6 → 3×3 → 2×2
        int[][] sizes = {{1, 75, 110}, {2, 64, 96}, {1, 33, 47}};
        for (int[] s : sizes) {
            Tensor image = OnnxTestModels.randomImage(s[1] * 1000L + s[2], s[0], 3, s[1], s[2]);
            Map<String, OnnxInterpreter.Val> got = new OnnxInterpreter(graph).run(Map.of(DetectorGraph.INPUT, image));
            assertClose(OnnxTestModels.forward(model, image), got, s);
            if (s[0] == 1) { // the fixed-size graph of this size gives the same floats
                var fixed = new OnnxInterpreter(OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(s[1], s[2])))
                        .run(Map.of(DetectorGraph.INPUT, image));
                for (String k : fixed.keySet()) assertArrayEquals(fixed.get(k).t().toFloatArray(), got.get(k).t().toFloatArray(), k);
            }
        }
    }

    @Test
    void positionEmbeddingNoPatchNormAndNoQkvBias() throws IOException {
        // the position embedding is added as it is: the input's patch grid must be the pretrain one (16×24 patches)
        AutoAssignDetector model = SwinOnnxExportTest.swin(5, "use_abs_pos_embed: true", "pretrain_img_size: [64, 96]",
                "patch_norm: false", "qkv_bias: false", "window_size: 3", "drop_rate: 0.2");
        OnnxModelReader.Model graph = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        for (int[] s : new int[][] {{1, 64, 96}, {2, 61, 93}}) { // 61×93 is padded to the same 16×24 patches
            Tensor image = OnnxTestModels.randomImage(s[1] * 1000L + s[2], s[0], 3, s[1], s[2]);
            assertClose(OnnxTestModels.forward(model, image), new OnnxInterpreter(graph).run(Map.of(DetectorGraph.INPUT, image)), s);
        }
    }

    @Test
    void patchSizeThreeOddWindowAndMergingStrides() throws IOException {
        // patch 3 (padding by H mod 3), window 3 with shift 1, PatchMerging strides 2, 1 (the 2×2 unfold at stride 1
        // pads one row and column) and 3 (pads up to (⌈H/3⌉ − 1)·3 + 2, or nothing)
        AutoAssignDetector model = SwinOnnxExportTest.swin(9, List.of("model.bbox_head.strides=[6, 6, 18, 36, 72]"), "patch_size: 3", "strides: [3, 2, 1, 3]", "window_size: 3");
        OnnxModelReader.Model graph = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        for (int[] s : new int[][] {{1, 50, 71}, {1, 61, 37}}) {
            Tensor image = OnnxTestModels.randomImage(s[1] * 1000L + s[2], s[0], 3, s[1], s[2]);
            assertClose(OnnxTestModels.forward(model, image), new OnnxInterpreter(graph).run(Map.of(DetectorGraph.INPUT, image)), s);
        }
    }

    @Test
    void withThePostProcessingOnABatchOfTwo() throws IOException {
        // --postprocess on the symbolic Swin graph: each image's detections as the engine's (PostProcessGraph's checks)
        AutoAssignDetector model = OnnxTestModels.shiftClassBias(SwinOnnxExportTest.swin(3), -2.94f);
        var dets = OnnxPostProcessTest.assertSameDetections(model, InputShape.DYNAMIC,
                new autoassign.postprocess.PostProcessConfig(100, 0.05f, 0.6f, 50, 0f), OnnxTestModels.randomImage(11, 2, 3, 75, 110));
        assertTrue(dets.get(0).size() > 0 && dets.get(1).size() > 0, dets.get(0).size() + ", " + dets.get(1).size());
    }

    @Test
    void theGraphIsSymbolicAndHoldsNoSizeDependentConstant() throws IOException {
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(SwinOnnxExportTest.swin(3), InputShape.DYNAMIC);
        assertEquals(List.of("N", 3L, "H", "W"), m.inputs().get(0).dims());
        assertEquals(List.of("N", 3L, "h0", "w0"), m.outputs().get(0).dims());
        Set<String> ops = new TreeSet<>();
        m.nodes().stream().filter(n -> n.name().startsWith("backbone.")).forEach(n -> ops.add(n.opType()));
        assertEquals(new TreeSet<>(List.of("Add", "Cast", "Concat", "Conv", "Div", "Equal", "Erf", "Gather", "Gemm", "Greater",
                "LayerNormalization", "MatMul", "Max", "Mod", "Mul", "Pad", "Range", "Reshape", "Shape", "Slice", "Softmax", "Sub",
                "Transpose", "Where")), ops);
        // the only index constants left are the relative-position bias lookups [nH·N·N] of 1, 2 and 4 heads at window 4
        Set<Long> lookups = new TreeSet<>();
        for (var init : m.initializers().values())
            if (init.name().startsWith("swin.index.")) lookups.add(init.dims().length == 1 ? init.dims()[0] : -1);
        assertEquals(Set.of(256L, 512L, 1024L), lookups);
        assertTrue(m.initializers().keySet().stream().noneMatch(k -> k.startsWith("swin.attn_mask")), "the mask is computed in the graph");
        assertEquals(4, m.nodes().stream().filter(n -> n.opType().equals("Equal")).count(), "one shift mask per stage");
        assertEquals(2 * 8, m.nodes().stream().filter(n -> n.opType().equals("MatMul")).count(), "q·kᵀ and attn·v per block");
    }

    @Test
    void aWrongGraphIsCaught() throws IOException {
        // the comparison can fail: the graph of a model whose one shifted block's bias table differs
        AutoAssignDetector model = SwinOnnxExportTest.swin(3);
        OnnxModelReader.Model graph = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.DYNAMIC);
        var table = model.backbone.namedParameters().get("stages.1.blocks.1.attn.w_msa.relative_position_bias_table");
        float[] v = table.toFloatArray();
        v[24 * 2] += 0.5f; // relative position (0, 0) of head 0 (table [(2·4 − 1)², 2 heads]): every window's diagonal
        table.copyFrom(Tensor.of(v, table.shape()));
        Tensor image = OnnxTestModels.randomImage(7, 1, 3, 33, 47);
        var got = new OnnxInterpreter(graph).run(Map.of(DetectorGraph.INPUT, image));
        var want = OnnxTestModels.forward(model, image);
        assertTrue(OnnxTestModels.relativeError(got.get("cls_score_0").t().toFloatArray(), want.get("cls_score_0").toFloatArray())
                > OnnxGraphEquivalenceTest.TOLERANCE);
    }

    private static void assertClose(Map<String, Tensor> want, Map<String, OnnxInterpreter.Val> got, int[] size) {
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), "outputs, in order");
        for (String k : want.keySet()) {
            Tensor w = want.get(k), g = got.get(k).t();
            assertArrayEquals(w.shape(), g.shape(), k);
            double err = OnnxTestModels.relativeError(g.toFloatArray(), w.toFloatArray());
            assertTrue(err <= OnnxGraphEquivalenceTest.TOLERANCE, k + " at " + java.util.Arrays.toString(size) + ": relative error " + err);
        }
    }
}
