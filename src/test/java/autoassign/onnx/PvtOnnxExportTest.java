package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A PVT / PVTv2 detector exported to ONNX ({@link PvtGraph}, fixed input size) runs in the interpreter and matches the
 * engine's forward (relative 1e-5): v1 with its position embedding resized to the patch grid (a constant initializer)
 * and at the pretrain grid (the parameter itself), v2's overlapping patch embedding and MixFFN depth-wise conv, spatial
 * reduction (sr conv + LN) and sr 1, one and several heads, qkv_bias on and off, dropout rates (the identity in eval
 * mode); checkpoint names kept. The symbolic input size: {@link SymbolicSizePvtEfficientNetOnnxTest}.
 */
class PvtOnnxExportTest {
    static AutoAssignDetector pvt(String type, long seed, String... backbone) {
        StringBuilder y = new StringBuilder("_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n"
                + "    type: " + type + "\n    embed_dims: 4\n    num_layers: [1, 2, 1, 1]\n    num_heads: [1, 2, 2, 4]\n"
                + "    mlp_ratios: [2, 2, 2, 2]\n    out_indices: [1, 2, 3]\n");
        for (String b : backbone) y.append("    ").append(b).append('\n');
        y.append("  neck:\n    in_channels: [8, 8, 16]\n    start_level: 0\n    out_channels: 16\n"
                + "  bbox_head:\n    in_channels: 16\n    feat_channels: 16\n    stacked_convs: 1\n    num_classes: 3\n"
                + "    norm_cfg: {type: GN, num_groups: 4}\n");
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.parse(y.toString(), "configs/pvt_onnx.yaml", List.of()).model(), seed);
        // LayerNorms, in-projection biases and the position embeddings away from their init (1 / 0), as trained weights are
        Random r = new Random(seed);
        m.backbone.namedParameters().forEach((k, t) -> {
            boolean norm = k.contains("norm"), bias = k.endsWith("in_proj_bias"), pos = k.endsWith("pos_embed");
            if (!norm && !bias && !pos) return;
            float[] v = new float[t.numel()];
            for (int i = 0; i < v.length; i++)
                v[i] = norm && k.endsWith("weight") ? (float) (0.5 + r.nextDouble()) : (float) (0.5 * r.nextGaussian());
            t.copyFrom(Tensor.of(v, t.shape()));
        });
        return OnnxTestModels.perturbed(m, seed);
    }

    private static Set<String> backboneOps(OnnxModelReader.Model m) {
        Set<String> ops = new TreeSet<>();
        m.nodes().stream().filter(n -> n.name().startsWith("backbone.")).forEach(n -> ops.add(n.opType()));
        return ops;
    }

    @Test
    void pvtV1WithTheResizedPositionEmbeddingMatchesTheEngine() throws IOException {
        // 70×90: patch grid 17×22 (pretrain 224: 56×56, resized), then 8×11, 4×5, 2×2; sr 8 / 4 / 2 / 1
        AutoAssignDetector model = pvt("PyramidVisionTransformer", 3, "drop_rate: 0.2", "attn_drop_rate: 0.1");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(70, 90), OnnxTestModels.randomImage(4, 1, 3, 70, 90));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(70, 90));
        assertEquals(new TreeSet<>(List.of("Add", "Conv", "Erf", "Gemm", "LayerNormalization", "MatMul", "Mul", "Reshape", "Slice",
                "Softmax", "Transpose")), backboneOps(m));
        assertEquals(2 * 5, m.nodes().stream().filter(n -> n.opType().equals("MatMul")).count(), "q·kᵀ and attn·v per layer");
        assertEquals(5, m.nodes().stream().filter(n -> n.opType().equals("Erf")).count(), "one GELU per layer");
        assertTrue(m.initializers().containsKey("backbone.layers.0.1.0.pos_embed.resized_17x22"), "the resized embedding, a constant");
        assertFalse(m.initializers().containsKey("backbone.layers.0.1.0.pos_embed"));
        assertTrue(m.initializers().containsKey("backbone.layers.1.1.2.attn.attn.in_proj_weight"), "checkpoint names kept");
        assertTrue(m.initializers().containsKey("backbone.layers.0.1.1.attn.sr.weight"));
        assertTrue(m.initializers().containsKey("backbone.layers.2.1.1.ffn.layers.3.weight"));
    }

    @Test
    void pvtV1AtThePretrainGridWithoutQkvBiasMatchesTheEngine() throws IOException {
        // pretrain_img_size 64×96: the grids of a 64×96 input, no resize
        AutoAssignDetector model = pvt("PyramidVisionTransformer", 5, "pretrain_img_size: [64, 96]", "qkv_bias: false");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 96), OnnxTestModels.randomImage(6, 1, 3, 64, 96));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(64, 96));
        assertTrue(m.initializers().containsKey("backbone.layers.0.1.0.pos_embed"));
        assertTrue(m.initializers().keySet().stream().noneMatch(k -> k.contains("resized")));
    }

    @Test
    void pvtV2MatchesTheEngine() throws IOException {
        // 75×110: overlapping 7×7/4 pad 3 → 19×28, then 3×3/2 pad 1 → 10×14, 5×7, 3×4
        AutoAssignDetector model = pvt("PyramidVisionTransformerV2", 7);
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(75, 110), OnnxTestModels.randomImage(8, 1, 3, 75, 110));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(75, 110));
        assertEquals(5, m.nodes().stream().filter(n -> n.opType().equals("Conv") && n.name().contains(".ffn.layers.1")).count(),
                "one depth-wise conv per layer");
        assertTrue(m.initializers().containsKey("backbone.layers.3.2.weight"), "the stage norm");
        assertTrue(m.initializers().containsKey("backbone.layers.1.1.1.ffn.layers.4.weight"));
        assertTrue(m.initializers().keySet().stream().noneMatch(k -> k.contains("pos_embed")));
    }
}
