package autoassign.onnx;

import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Swin Transformer detector exported to ONNX ({@link SwinGraph}, fixed input size) runs in the interpreter and
 * matches the engine's forward: odd sizes (patch, window and merge padding), shifted windows with the −100 mask,
 * qkv_bias, patch_norm on and off, use_abs_pos_embed, and dropout rates (the identity in eval mode); window
 * reshuffles are Gather, attention MatMul + Softmax, Linear Gemm, GELU Erf, LayerNorm LayerNormalization, checkpoint
 * names kept. The symbolic-size export: {@link SwinSymbolicOnnxExportTest}.
 */
class SwinOnnxExportTest {
    static AutoAssignDetector swin(long seed, String... backbone) { return swin(seed, List.of(), backbone); }

    /** {@link #swin(long, String...)} with {@code --cfg-options} style overrides ({@code model.bbox_head.strides=[...]}). */
    static AutoAssignDetector swin(long seed, List<String> overrides, String... backbone) {
        StringBuilder y = new StringBuilder("_base_: autoassign_r50-caffe_fpn_1x_coco.yaml\nmodel:\n  backbone:\n    _delete_: true\n"
                + "    type: SwinTransformer\n    embed_dims: 16\n    depths: [2, 2, 2, 2]\n    num_heads: [1, 2, 2, 4]\n"
                + "    window_size: 4\n    mlp_ratio: 2\n    out_indices: [1, 2, 3]\n");
        for (String b : backbone) { // a key given again (window_size: 3) replaces the default line
            int at = y.indexOf("    " + b.substring(0, b.indexOf(':') + 1));
            if (at >= 0) y.delete(at, y.indexOf("\n", at) + 1);
            y.append("    ").append(b).append('\n');
        }
        y.append("  neck:\n    in_channels: [32, 64, 128]\n    start_level: 0\n    out_channels: 16\n"
                + "  bbox_head:\n    in_channels: 16\n    feat_channels: 16\n    stacked_convs: 1\n    num_classes: 3\n"
                + "    norm_cfg: {type: GN, num_groups: 4}\n");
        AutoAssignDetector m = new AutoAssignDetector(ConfigLoader.parse(y.toString(), "configs/swin_onnx.yaml", overrides).model(), seed);
        // LayerNorms, bias tables and the position embedding away from their init (1 / 0 / 0), as trained weights are
        Random r = new Random(seed);
        m.backbone.namedParameters().forEach((k, t) -> {
            boolean norm = k.contains("norm"), table = k.endsWith("relative_position_bias_table"), pos = k.equals("absolute_pos_embed");
            if (!norm && !table && !pos) return;
            float[] v = new float[t.numel()];
            for (int i = 0; i < v.length; i++)
                v[i] = norm ? (float) (k.endsWith("weight") ? 0.5 + r.nextDouble() : r.nextDouble() - 0.5) : (float) (0.5 * r.nextGaussian());
            t.copyFrom(Tensor.of(v, t.shape()));
        });
        return OnnxTestModels.perturbed(m, seed);
    }

    @Test
    void swinDetectorMatchesTheEngine() throws IOException {
        AutoAssignDetector model = swin(3);
        // 75×110: PatchEmbed pads to 76×112; 19×28 tokens pad to windows of 4; PatchMerging pads odd maps
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(75, 110), OnnxTestModels.randomImage(4, 1, 3, 75, 110));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(75, 110));
        Set<String> ops = new TreeSet<>();
        m.nodes().stream().filter(n -> n.name().startsWith("backbone.")).forEach(n -> ops.add(n.opType()));
        assertEquals(new TreeSet<>(List.of("Add", "Concat", "Conv", "Erf", "Gather", "Gemm", "LayerNormalization", "MatMul", "Mul",
                "Pad", "Reshape", "Softmax", "Transpose")), ops);
        assertEquals(2 * 8, m.nodes().stream().filter(n -> n.opType().equals("MatMul")).count(), "q·kᵀ and attn·v per block");
        assertEquals(8, m.nodes().stream().filter(n -> n.opType().equals("Erf")).count(), "one GELU per block");
        assertTrue(m.initializers().containsKey("backbone.stages.0.blocks.1.attn.w_msa.relative_position_bias_table"));
        assertTrue(m.initializers().containsKey("backbone.stages.2.downsample.reduction.weight"), "checkpoint names kept");
        assertTrue(m.initializers().containsKey("backbone.patch_embed.projection.weight"));
    }

    @Test
    void absolutePositionEmbeddingNoPatchNormAndDropoutMatchTheEngine() throws IOException {
        // pretrain_img_size 64×96 → 16×24 patches, the grid of a 64×96 input
        AutoAssignDetector model = swin(5, "use_abs_pos_embed: true", "pretrain_img_size: [64, 96]", "patch_norm: false",
                "qkv_bias: false", "drop_rate: 0.2", "attn_drop_rate: 0.1");
        OnnxGraphEquivalenceTest.assertSameOutputs(model, InputShape.fixed(64, 96), OnnxTestModels.randomImage(6, 1, 3, 64, 96));
        OnnxModelReader.Model m = OnnxGraphEquivalenceTest.exportAndParse(model, InputShape.fixed(64, 96));
        assertTrue(m.initializers().containsKey("backbone.absolute_pos_embed"));
        assertTrue(m.nodes().stream().noneMatch(n -> n.opType().equals("Pad")), "64×96 needs no patch padding");
    }
}
