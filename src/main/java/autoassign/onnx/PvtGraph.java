package autoassign.onnx;

import autoassign.autograd.F;
import autoassign.autograd.Graph;
import autoassign.model.PyramidVisionTransformer;
import autoassign.nn.Conv2d;
import autoassign.nn.InterpolationMatrices;
import autoassign.nn.LayerNorm;
import autoassign.nn.Linear;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The PVT / PVTv2 backbone as ONNX (opset 17), op for op as {@link PyramidVisionTransformer#forward} computes it in
 * eval mode (dropout and drop path are the identity there), for a fixed input size (v1's resized position embedding
 * is a constant of it) and one image:
 * <ul>
 *   <li>PatchEmbed: {@code Conv} (v2: overlapping, with padding), NCHW → tokens as {@code Reshape [N, C, h·w]} →
 *       {@code Transpose [0, 2, 1]} → {@code Reshape [N·h·w, C]}, {@code LayerNormalization} (axis −1, the LN's eps);
 *       tokens stay [T, C] matrices as in the engine;</li>
 *   <li>v1's position embedding: an {@code Add} of the [h·w, C] table; when the patch grid differs from the pretrain
 *       grid the table is resized here by the engine's own {@link InterpolationMatrices#resizeTokens} (torch's
 *       bilinear, align_corners=False) and stored as a constant initializer {@code <name>.pos_embed.resized_hxw};</li>
 *   <li>spatial-reduction attention: the packed {@code in_proj_weight} / {@code in_proj_bias} cut by {@code Slice}
 *       (rows [0, C) for q, [C, 3C) for k | v, torch's {@code _in_projection_packed} when key is value), q = {@code Gemm}
 *       of the normed tokens, [k | v] = {@code Gemm} of the tokens or, with sr_ratio &gt; 1, of the {@code sr}
 *       {@code Conv} (kernel = stride = sr) of their NCHW map then its LayerNormalization; the head split as
 *       {@code Reshape [L, (2,) nH, d]} + {@code Transpose} (+ {@code Slice} of k or v), {@code Mul} by 1/√d,
 *       {@code MatMul} with kᵀ, {@code Softmax} (axis −1), {@code MatMul} with v, the merge as {@code Transpose [1, 0, 2]}
 *       + {@code Reshape [L, C]}, {@code out_proj} as {@code Gemm} (transB 1);</li>
 *   <li>MixFFN: the 1×1 convs as {@code Gemm} of their weight {@code Reshape}d to [out, in], v2's 3×3 depth-wise
 *       {@code Conv} (group = hidden) on the NCHW map, GELU as torch's erf form {@code x·0.5·(1 + Erf(x·√½))};</li>
 *   <li>the stage norm (v2's {@code norm_after_stage}), then tokens → NCHW (the next stage's input and, when
 *       returned, an output).</li>
 * </ul>
 * Initializers keep the checkpoint's names.
 */
final class PvtGraph {
    /** A returned map: value name, channels, height, width. */
    record Out(String name, int channels, int h, int w) {}

    private final OnnxGraph g;
    private final Function<Module, String> nameOf;

    PvtGraph(OnnxGraph g, Function<Module, String> nameOf) {
        this.g = g;
        this.nameOf = nameOf;
    }

    /** The backbone on {@code image} [1, 3, h, w]: the returned stages' NCHW maps. */
    List<Out> build(PyramidVisionTransformer pvt, String image, int h, int w) {
        var cfg = pvt.config();
        List<Out> outs = new ArrayList<>();
        String x = image;
        for (int i = 0; i <= cfg.lastStage(); i++) {
            PyramidVisionTransformer.Stage s = pvt.layers.get(i);
            Conv2d proj = s.patchEmbed.projection;
            int c = cfg.stageChannels(i);
            String map = conv(x, proj);
            h = proj.geometry.outH(h, proj.weight.dim(2));
            w = proj.geometry.outW(w, proj.weight.dim(3));
            String pfx = nameOf.apply(s.patchEmbed);
            String t = layerNorm(nchwToTokens(map, c, h, w, pfx), s.patchEmbed.norm);
            if (s.posEmbed != null) t = positionEmbedding(t, s.posEmbed, cfg.posShape(i), h, w, c);
            int heads = cfg.numHeads().get(i);
            for (PyramidVisionTransformer.EncoderLayer layer : s.encoders) t = encoderLayer(t, layer, heads, h, w, c);
            if (s.norm != null) t = layerNorm(t, s.norm);
            x = tokensToNchw(t, h, w, c, nameOf.apply(s));
            if (cfg.outIndices().contains(i)) outs.add(new Out(x, c, h, w));
        }
        return outs;
    }

    private String positionEmbedding(String x, PyramidVisionTransformer.AbsolutePositionEmbedding pe, int[] grid, int h, int w, int c) {
        String p = nameOf.apply(pe);
        String table;
        if (grid[0] == h && grid[1] == w) {
            table = reshape(init(p + ".pos_embed", pe.posEmbed), p, (long) h * w, c);
        } else {
            float[] resized;
            try (Graph.Scope ignored = Graph.noGrad()) {
                resized = InterpolationMatrices.resizeTokens(F.reshape(pe.posEmbed, grid[0] * grid[1], c), grid[0], grid[1], h, w).toFloatArray();
            }
            table = g.floats(p + ".pos_embed.resized_" + h + "x" + w, resized, (long) h * w, c);
        }
        return g.node("Add", p, List.of(x, table));
    }

    private String encoderLayer(String x, PyramidVisionTransformer.EncoderLayer layer, int heads, int h, int w, int c) {
        String p = nameOf.apply(layer);
        String a = attention(layerNorm(x, layer.norm1), layer.attn, heads, h, w, c);
        String x1 = g.node("Add", p, List.of(x, a));
        String f = mixFfn(layerNorm(x1, layer.norm2), layer.ffn, h, w, c);
        return g.node("Add", p, List.of(x1, f));
    }

    private String attention(String x, PyramidVisionTransformer.Attention at, int heads, int h, int w, int c) {
        String p = nameOf.apply(at), mha = p + ".attn";
        int n = h * w, d = c / heads, m = n;
        String kvIn = x;
        if (at.sr != null) {
            Conv2d sr = at.sr;
            String r = conv(tokensToNchw(x, h, w, c, p + ".sr"), sr);
            int rh = sr.geometry.outH(h, sr.weight.dim(2)), rw = sr.geometry.outW(w, sr.weight.dim(3));
            m = rh * rw;
            kvIn = layerNorm(nchwToTokens(r, c, rh, rw, p + ".sr"), at.norm);
        }
        String weight = init(mha + ".in_proj_weight", at.inProjWeight);
        String bias = at.inProjBias == null ? null : init(mha + ".in_proj_bias", at.inProjBias);
        String q = gemm(x, slice(weight, 0, c, 0, mha), bias == null ? null : slice(bias, 0, c, 0, mha), mha);
        String kv = gemm(kvIn, slice(weight, c, 3 * c, 0, mha), bias == null ? null : slice(bias, c, 3 * c, 0, mha), mha);
        // q [N, C] → [nH, N, d]; kv [M, 2C] → [2, nH, M, d] → k, v [nH, M, d] (torch's chunk(2, dim=-1))
        String qh = g.node("Transpose", mha, List.of(reshape(q, mha, n, heads, d)), Map.of("perm", new long[] {1, 0, 2}));
        String kvh = g.node("Transpose", mha, List.of(reshape(kv, mha, m, 2, heads, d)), Map.of("perm", new long[] {1, 2, 0, 3}));
        String k = reshape(slice(kvh, 0, 1, 0, mha), mha, heads, m, d);
        String v = reshape(slice(kvh, 1, 2, 0, mha), mha, heads, m, d);
        String qs = g.node("Mul", mha, List.of(qh, g.scalar("pvt.scale." + d, (float) (1 / Math.sqrt(d)))));
        String kt = g.node("Transpose", mha, List.of(k), Map.of("perm", new long[] {0, 2, 1}));
        String logits = g.node("MatMul", mha, List.of(qs, kt));
        String soft = g.node("Softmax", mha + ".softmax", List.of(logits), Map.of("axis", -1L));
        String o = g.node("MatMul", mha, List.of(soft, v));
        String merged = reshape(g.node("Transpose", mha, List.of(o), Map.of("perm", new long[] {1, 0, 2})), mha, n, c);
        return linear(merged, at.outProj);
    }

    private String mixFfn(String x, PyramidVisionTransformer.MixFfn ffn, int h, int w, int c) {
        String p = nameOf.apply(ffn);
        int hidden = ffn.fc1.weight.dim(0);
        String y = pointwise(x, ffn.fc1, hidden, c);
        if (ffn.dwConv != null) y = nchwToTokens(conv(tokensToNchw(y, h, w, hidden, p), ffn.dwConv), hidden, h, w, p);
        return pointwise(gelu(y, p), ffn.fc2, c, hidden);
    }

    // ------------------------------------------------------------------------------------------------ pieces

    /** A 1×1 conv on tokens: Gemm with the [out, in, 1, 1] weight reshaped to [out, in]. */
    private String pointwise(String x, Conv2d conv, int out, int in) {
        String p = nameOf.apply(conv);
        String wt = reshape(init(p + ".weight", conv.weight), p, out, in);
        return gemm(x, wt, conv.bias == null ? null : init(p + ".bias", conv.bias), p);
    }

    private String gemm(String x, String weight, String bias, String prefix) {
        List<String> in = bias == null ? List.of(x, weight) : List.of(x, weight, bias);
        return g.node("Gemm", prefix, in, Map.of("transB", 1L));
    }

    private String linear(String x, Linear l) {
        String p = nameOf.apply(l);
        return gemm(x, init(p + ".weight", l.weight), l.bias == null ? null : init(p + ".bias", l.bias), p);
    }

    /** Rows [from, to) along {@code axis}. */
    private String slice(String x, long from, long to, long axis, String prefix) {
        return g.node("Slice", prefix, List.of(x, g.longs("pvt.long." + from, new long[] {from}, 1),
                g.longs("pvt.long." + to, new long[] {to}, 1), g.longs("pvt.long." + axis, new long[] {axis}, 1)));
    }

    private String conv(String x, Conv2d conv) {
        String p = nameOf.apply(conv);
        var geo = conv.geometry;
        List<String> in = conv.bias == null ? List.of(x, init(p + ".weight", conv.weight))
                : List.of(x, init(p + ".weight", conv.weight), init(p + ".bias", conv.bias));
        return g.node("Conv", p, in, Map.of(
                "kernel_shape", new long[] {conv.weight.dim(2), conv.weight.dim(3)},
                "strides", new long[] {geo.strideH(), geo.strideW()},
                "pads", new long[] {geo.padH(), geo.padW(), geo.padH(), geo.padW()},
                "dilations", new long[] {geo.dilationH(), geo.dilationW()},
                "group", (long) geo.groups()));
    }

    private String init(String name, Tensor t) {
        long[] dims = new long[t.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = t.dim(i);
        return g.floats(name, t.toFloatArray(), dims);
    }

    private String reshape(String x, String prefix, long... shape) {
        StringBuilder b = new StringBuilder("pvt.shape.");
        for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : "x").append(shape[i]);
        return g.node("Reshape", prefix, List.of(x, g.longs(b.toString(), shape, shape.length)));
    }

    /** x [h·w, c] → [1, c, h, w]. */
    private String tokensToNchw(String x, int h, int w, int c, String prefix) {
        String t = g.node("Transpose", prefix, List.of(reshape(x, prefix, 1, (long) h * w, c)), Map.of("perm", new long[] {0, 2, 1}));
        return reshape(t, prefix, 1, c, h, w);
    }

    /** x [1, c, h, w] → [h·w, c]. */
    private String nchwToTokens(String x, int c, int h, int w, String prefix) {
        String t = g.node("Transpose", prefix, List.of(reshape(x, prefix, 1, c, (long) h * w)), Map.of("perm", new long[] {0, 2, 1}));
        return reshape(t, prefix, (long) h * w, c);
    }

    private String layerNorm(String x, LayerNorm ln) {
        String p = nameOf.apply(ln);
        return g.node("LayerNormalization", p, List.of(x, init(p + ".weight", ln.weight), init(p + ".bias", ln.bias)),
                Map.of("axis", -1L, "epsilon", ln.eps));
    }

    /** GeluMath's order: (x·0.5)·(1 + erf(x·√½)). */
    private String gelu(String x, String prefix) {
        String p = prefix + ".gelu";
        String e = g.node("Erf", p, List.of(g.node("Mul", p, List.of(x, g.scalar("pvt.sqrt1_2", autoassign.backend.GeluMath.SQRT1_2)))));
        String onePlus = g.node("Add", p, List.of(e, g.scalar("pvt.one", 1f)));
        String half = g.node("Mul", p, List.of(x, g.scalar("pvt.half", 0.5f)));
        return g.node("Mul", p, List.of(half, onePlus));
    }
}
