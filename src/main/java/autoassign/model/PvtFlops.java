package autoassign.model;

import autoassign.config.PvtConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The FLOPs MMEngine's {@code FlopAnalyzer} counts in MMDetection's PyramidVisionTransformer (v1 / v2), from the shapes
 * ({@code mmengine/analysis/jit_handles.py}): {@code aten::_convolution} (patch embed, sr, MixFFN's 1×1 and depth-wise
 * convs: batch · prod(weight shape) · Ho·Wo), {@code aten::layer_norm} (5 · numel: affine), and inside torch's
 * {@code nn.MultiheadAttention} (its functional calls, all owned by the {@code attn.attn} module): the in-projection
 * {@code aten::linear} of q (N·C·C) and of the packed kv (M·C·2C), the two {@code aten::bmm} (B·nH·N·d·M each) and
 * {@code out_proj} (N·C·C); v1's position embedding {@code aten::upsample_bilinear2d} (4 per output element, called at
 * every size, the pretrain grid included). GELU, softmax, q / √d, transposes and additions have no handle. Upstream
 * runs every stage whatever the out_indices, so every stage is counted.
 */
final class PvtFlops {
    private PvtFlops() {}

    static final String CONV = "conv", LAYER_NORM = "layer_norm", LINEAR = "linear", BMM = "bmm",
            UPSAMPLE_BILINEAR = "upsample_bilinear2d";

    /** Counts a [1, 3, h, w] forward; returns the returned maps as {C, H, W}. */
    static List<int[]> count(PyramidVisionTransformer m, String name, int h, int w, FlopSink sink) {
        PvtConfig cfg = m.config();
        List<int[]> outs = new ArrayList<>();
        int in = 3;
        for (int i = 0; i < cfg.numStages(); i++) {
            String sn = name + ".layers." + i;
            int c = cfg.stageChannels(i), k = cfg.patchSizes().get(i);
            h = cfg.patchOut(i, h);
            w = cfg.patchOut(i, w);
            long n = (long) h * w;
            sink.add(sn + ".0.projection", CONV, (long) c * in * k * k * n);
            sink.add(sn + ".0.norm", LAYER_NORM, 5 * n * c);
            int j0 = 0;
            if (cfg.useAbsPosEmbed()) {
                sink.add(sn + ".1.0", UPSAMPLE_BILINEAR, 4 * n * c);
                j0 = 1;
            }
            int heads = cfg.numHeads().get(i), sr = cfg.srRatios().get(i), d = c / heads;
            long hidden = (long) cfg.mlpRatios().get(i) * c;
            for (int j = 0; j < cfg.numLayers().get(i); j++) {
                String ln = sn + ".1." + (j + j0);
                sink.add(ln + ".norm1", LAYER_NORM, 5 * n * c);
                long kv = n;
                if (sr > 1) {
                    long rh = (h - sr) / sr + 1, rw = (w - sr) / sr + 1;
                    kv = rh * rw;
                    sink.add(ln + ".attn.sr", CONV, (long) c * c * sr * sr * kv);
                    sink.add(ln + ".attn.norm", LAYER_NORM, 5 * kv * c);
                }
                sink.add(ln + ".attn.attn", LINEAR, n * c * c + kv * c * 2 * c);
                sink.add(ln + ".attn.attn", BMM, 2 * heads * n * d * kv);
                sink.add(ln + ".attn.attn", LINEAR, n * c * c);
                sink.add(ln + ".norm2", LAYER_NORM, 5 * n * c);
                sink.add(ln + ".ffn.layers.0", CONV, hidden * c * n);
                if (cfg.useConvFfn()) sink.add(ln + ".ffn.layers.1", CONV, hidden * 9 * n);
                sink.add(ln + ".ffn.layers." + (cfg.useConvFfn() ? 4 : 3), CONV, hidden * c * n);
            }
            if (cfg.normAfterStage()) sink.add(sn + ".2", LAYER_NORM, 5 * n * c);
            if (cfg.outIndices().contains(i)) outs.add(new int[] {c, h, w});
            in = c;
        }
        return outs;
    }
}
