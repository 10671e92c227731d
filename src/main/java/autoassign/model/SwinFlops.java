package autoassign.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The FLOPs MMEngine's {@code FlopAnalyzer} counts in MMDetection's SwinTransformer, from the shapes
 * ({@code mmengine/analysis/jit_handles.py}): {@code aten::_convolution} (the patch conv: Cout·Cin·k²·Ho·Wo),
 * {@code aten::linear} (numel(input) · out_features, on the padded windows for qkv and proj),
 * {@code aten::layer_norm} (5 · numel: affine), {@code aten::matmul} for q @ kᵀ and attn @ v (prod(shape of A) · last
 * dim of B: 2 · B_·nH·N²·d, attributed to {@code w_msa} itself). Softmax, GELU, roll, pad, Unfold and the additions have
 * no handle. Upstream runs every stage whatever the out_indices, so every stage is counted.
 */
final class SwinFlops {
    private SwinFlops() {}


    static final String LINEAR = "linear", LAYER_NORM = "layer_norm", MATMUL = "matmul", CONV = "conv";

    /** Counts a [1, 3, h, w] forward; returns the returned maps as {C, H, W}. */
    static List<int[]> count(SwinTransformer m, String name, int h, int w, FlopSink sink) {
        var cfg = m.config();
        int p = cfg.patchSize();
        int hp = SwinIndices.cornerPadded(h, p, p), wp = SwinIndices.cornerPadded(w, p, p);
        int oh = hp / p, ow = wp / p, c = cfg.embedDims();
        sink.add(name + ".patch_embed.projection", CONV, (long) c * 3 * p * p * oh * ow);
        if (m.patchEmbed.norm != null) sink.add(name + ".patch_embed.norm", LAYER_NORM, 5L * oh * ow * c);
        List<int[]> outs = new ArrayList<>();
        for (int i = 0; i < cfg.numStages(); i++) {
            c = cfg.stageChannels(i);
            String sn = name + ".stages." + i;
            SwinTransformer.SwinBlockSequence stage = m.stages.get(i);
            for (int j = 0; j < stage.blocks.size(); j++) {
                String bn = sn + ".blocks." + j;
                SwinTransformer.SwinBlock b = stage.blocks.get(j);
                long tokens = (long) oh * ow;
                int ws = cfg.windowSize(), heads = cfg.numHeads().get(i), d = c / heads, n = ws * ws;
                long padded = (long) SwinIndices.padTo(oh, ws) * SwinIndices.padTo(ow, ws);
                long windows = padded / n;
                int hidden = b.ffn.fc1.outFeatures;
                sink.add(bn + ".norm1", LAYER_NORM, 5 * tokens * c);
                sink.add(bn + ".attn.w_msa.qkv", LINEAR, padded * c * 3 * c);
                sink.add(bn + ".attn.w_msa", MATMUL, 2 * windows * heads * n * n * d);
                sink.add(bn + ".attn.w_msa.proj", LINEAR, padded * c * c);
                sink.add(bn + ".norm2", LAYER_NORM, 5 * tokens * c);
                sink.add(bn + ".ffn.layers.0.0", LINEAR, tokens * c * hidden);
                sink.add(bn + ".ffn.layers.1", LINEAR, tokens * hidden * c);
            }
            int[] out = {c, oh, ow};
            if (cfg.outIndices().contains(i)) {
                sink.add(name + ".norm" + i, LAYER_NORM, 5L * oh * ow * c);
                outs.add(out);
            }
            if (stage.downsample != null) {
                int[] o = SwinIndices.mergedSize(oh, ow, cfg.strides().get(i + 1));
                long tokens = (long) o[0] * o[1];
                if (stage.downsample.norm != null) sink.add(sn + ".downsample.norm", LAYER_NORM, 5 * tokens * 4 * c);
                sink.add(sn + ".downsample.reduction", LINEAR, tokens * 4 * c * stage.downsample.reduction.outFeatures);
                oh = o[0];
                ow = o[1];
            }
        }
        return outs;
    }
}
