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
 * eval mode (dropout and drop path are the identity there), for a fixed input size ({@code [1, 3, h, w]}) or a symbolic
 * one ({@code [N, 3, H, W]}: every size the graph needs comes from {@code Shape}):
 * <ul>
 *   <li>PatchEmbed: {@code Conv} (v2: overlapping, with padding), NCHW → tokens as {@code Reshape [0, C, −1]} →
 *       {@code Transpose [0, 2, 1]} → {@code Reshape [−1, C]}, {@code LayerNormalization} (axis −1, the LN's eps);
 *       tokens stay [N·h·w, C] matrices as in the engine; tokens → NCHW as {@code Reshape [N, −1, C]} →
 *       {@code Transpose} → {@code Reshape [0, C, h, w]}, where N is 1 or {@code Gather(Shape(image), [0])} and (h, w)
 *       the constants or {@code Gather(Shape(patch map), [2, 3])};</li>
 *   <li>v1's position embedding: at a fixed size an {@code Add} of the [h·w, C] table; when the patch grid differs from
 *       the pretrain grid the table is resized here by the engine's own {@link InterpolationMatrices#resizeTokens}
 *       (torch's bilinear, align_corners=False) and stored as a constant initializer
 *       {@code <name>.pos_embed.resized_hxw}. At a symbolic size the parameter {@code pos_embed} [1, h0·w0, C] is
 *       {@code Reshape}d to [1, h0, w0, C], {@code Transpose}d to [1, C, h0, w0] and {@code Resize}d (mode
 *       {@code linear}, {@code half_pixel}: torch's {@code F.interpolate(size=hw_shape, mode='bilinear')} with
 *       align_corners=False, upstream's call) to {@code sizes} = [1, C, h, w] from the patch map's shape, then
 *       flattened back to [1, h·w, C] and added to the tokens viewed [N, h·w, C] (broadcast over the batch);</li>
 *   <li>spatial-reduction attention: the packed {@code in_proj_weight} / {@code in_proj_bias} cut by {@code Slice}
 *       (rows [0, C) for q, [C, 3C) for k | v, torch's {@code _in_projection_packed} when key is value), q = {@code Gemm}
 *       of the normed tokens, [k | v] = {@code Gemm} of the tokens or, with sr_ratio &gt; 1, of the {@code sr}
 *       {@code Conv} (kernel = stride = sr) of their NCHW map then its LayerNormalization; the head split as
 *       {@code Reshape [N, −1, (2,) nH, d]} + {@code Transpose} (+ {@code Slice} of k or v), {@code Mul} by 1/√d,
 *       {@code MatMul} with kᵀ, {@code Softmax} (axis −1), {@code MatMul} with v (batched over [N, nH]), the merge as
 *       {@code Transpose [0, 2, 1, 3]} + {@code Reshape [−1, C]}, {@code out_proj} as {@code Gemm} (transB 1);</li>
 *   <li>MixFFN: the 1×1 convs as {@code Gemm} of their weight {@code Reshape}d to [out, in], v2's 3×3 depth-wise
 *       {@code Conv} (group = hidden) on the NCHW map, GELU as torch's erf form {@code x·0.5·(1 + Erf(x·√½))};</li>
 *   <li>the stage norm (v2's {@code norm_after_stage}), then tokens → NCHW (the next stage's input and, when
 *       returned, an output).</li>
 * </ul>
 * Initializers keep the checkpoint's names.
 */
final class PvtGraph {
    /** A returned map: value name, channels, height, width (−1 when the input size is symbolic). */
    record Out(String name, int channels, int h, int w) {}

    /**
     * A patch grid: h and w (−1 when symbolic) and, at a symbolic size, {@code hw}: the int64 [2] value (h, w) taken from
     * the patch map's {@code Shape}.
     */
    private record Grid(int h, int w, String hw) {
        boolean symbolic() { return hw != null; }
    }

    private final OnnxGraph g;
    private final Function<Module, String> nameOf;
    /** The batch as a Reshape target entry: 1L (fixed input) or the int64 [1] value N from {@code Shape(image)}. */
    private Object batch = 1L;

    PvtGraph(OnnxGraph g, Function<Module, String> nameOf) {
        this.g = g;
        this.nameOf = nameOf;
    }

    /** The backbone on {@code image} [1, 3, h, w], or [N, 3, H, W] when h and w are −1: the returned stages' NCHW maps. */
    List<Out> build(PyramidVisionTransformer pvt, String image, int h, int w) {
        var cfg = pvt.config();
        boolean symbolic = h < 0;
        if (symbolic) batch = g.node("Gather", "backbone.batch", List.of(g.node("Shape", "backbone.batch", List.of(image)),
                g.longs("pvt.axes.0", new long[] {0}, 1)), Map.of("axis", 0L));
        List<Out> outs = new ArrayList<>();
        String x = image;
        for (int i = 0; i <= cfg.lastStage(); i++) {
            PyramidVisionTransformer.Stage s = pvt.layers.get(i);
            Conv2d proj = s.patchEmbed.projection;
            int c = cfg.stageChannels(i);
            String map = conv(x, proj);
            String pfx = nameOf.apply(s.patchEmbed);
            Grid grid = symbolic ? new Grid(-1, -1, g.node("Gather", pfx, List.of(g.node("Shape", pfx, List.of(map)),
                    g.longs("pvt.axes.2x3", new long[] {2, 3}, 2)), Map.of("axis", 0L)))
                    : new Grid(proj.geometry.outH(h, proj.weight.dim(2)), proj.geometry.outW(w, proj.weight.dim(3)), null);
            h = grid.h();
            w = grid.w();
            String t = layerNorm(nchwToTokens(map, c, pfx), s.patchEmbed.norm);
            if (s.posEmbed != null) t = positionEmbedding(t, s.posEmbed, cfg.posShape(i), grid, c);
            int heads = cfg.numHeads().get(i);
            for (PyramidVisionTransformer.EncoderLayer layer : s.encoders) t = encoderLayer(t, layer, heads, grid, c);
            if (s.norm != null) t = layerNorm(t, s.norm);
            x = tokensToNchw(t, grid, c, nameOf.apply(s));
            if (cfg.outIndices().contains(i)) outs.add(new Out(x, c, h, w));
        }
        return outs;
    }

    private String positionEmbedding(String x, PyramidVisionTransformer.AbsolutePositionEmbedding pe, int[] pos, Grid grid, int c) {
        String p = nameOf.apply(pe);
        if (grid.symbolic()) return resizedPositionEmbedding(x, pe, pos, grid, c, p);
        String table;
        int h = grid.h(), w = grid.w();
        if (pos[0] == h && pos[1] == w) {
            table = reshape(init(p + ".pos_embed", pe.posEmbed), p, (long) h * w, c);
        } else {
            float[] resized;
            try (Graph.Scope ignored = Graph.noGrad()) {
                resized = InterpolationMatrices.resizeTokens(F.reshape(pe.posEmbed, pos[0] * pos[1], c), pos[0], pos[1], h, w).toFloatArray();
            }
            table = g.floats(p + ".pos_embed.resized_" + h + "x" + w, resized, (long) h * w, c);
        }
        return g.node("Add", p, List.of(x, table));
    }

    /**
     * Upstream's {@code resize_pos_embed} at a symbolic size: [1, h0·w0, C] → [1, h0, w0, C] → [1, C, h0, w0] →
     * {@code Resize} (linear, half_pixel) to [1, C, h, w] → [1, C, h·w] → [1, h·w, C], added to x viewed [N, h·w, C].
     * At the pretrain grid the Resize is the identity (scale 1: every source coordinate is the destination's).
     */
    private String resizedPositionEmbedding(String x, PyramidVisionTransformer.AbsolutePositionEmbedding pe, int[] pos, Grid grid,
                                            int c, String p) {
        String grid0 = g.node("Transpose", p, List.of(reshape(init(p + ".pos_embed", pe.posEmbed), p, 1, pos[0], pos[1], c)),
                Map.of("perm", new long[] {0, 3, 1, 2}));
        String sizes = shape(p, 1L, (long) c, grid.hw());
        String resized = g.node("Resize", p + ".resize", List.of(grid0, "", "", sizes), Map.of(
                "mode", "linear", "coordinate_transformation_mode", "half_pixel"));
        String table = g.node("Transpose", p, List.of(reshape(resized, p, 1, c, -1)), Map.of("perm", new long[] {0, 2, 1}));
        String sum = g.node("Add", p, List.of(g.node("Reshape", p, List.of(x, shape(p, batch, -1L, (long) c))), table));
        return reshape(sum, p, -1, c);
    }

    private String encoderLayer(String x, PyramidVisionTransformer.EncoderLayer layer, int heads, Grid grid, int c) {
        String p = nameOf.apply(layer);
        String a = attention(layerNorm(x, layer.norm1), layer.attn, heads, grid, c);
        String x1 = g.node("Add", p, List.of(x, a));
        String f = mixFfn(layerNorm(x1, layer.norm2), layer.ffn, grid, c);
        return g.node("Add", p, List.of(x1, f));
    }

    private String attention(String x, PyramidVisionTransformer.Attention at, int heads, Grid grid, int c) {
        String p = nameOf.apply(at), mha = p + ".attn";
        int d = c / heads;
        String kvIn = x;
        if (at.sr != null)
            kvIn = layerNorm(nchwToTokens(conv(tokensToNchw(x, grid, c, p + ".sr"), at.sr), c, p + ".sr"), at.norm);
        String weight = init(mha + ".in_proj_weight", at.inProjWeight);
        String bias = at.inProjBias == null ? null : init(mha + ".in_proj_bias", at.inProjBias);
        String q = gemm(x, slice(weight, 0, c, 0, mha), bias == null ? null : slice(bias, 0, c, 0, mha), mha);
        String kv = gemm(kvIn, slice(weight, c, 3 * c, 0, mha), bias == null ? null : slice(bias, c, 3 * c, 0, mha), mha);
        // q [N·n, C] → [N, nH, n, d]; kv [N·m, 2C] → [2, N, nH, m, d] → k, v [N, nH, m, d] (torch's chunk(2, dim=-1))
        String qh = g.node("Transpose", mha, List.of(g.node("Reshape", mha, List.of(q, shape(mha, batch, -1L, (long) heads, (long) d)))),
                Map.of("perm", new long[] {0, 2, 1, 3}));
        String kvh = g.node("Transpose", mha, List.of(g.node("Reshape", mha, List.of(kv, shape(mha, batch, -1L, 2L, (long) heads, (long) d)))),
                Map.of("perm", new long[] {2, 0, 3, 1, 4}));
        String headsShape = shape(mha, batch, (long) heads, -1L, (long) d);
        String k = g.node("Reshape", mha, List.of(slice(kvh, 0, 1, 0, mha), headsShape));
        String v = g.node("Reshape", mha, List.of(slice(kvh, 1, 2, 0, mha), headsShape));
        String qs = g.node("Mul", mha, List.of(qh, g.scalar("pvt.scale." + d, (float) (1 / Math.sqrt(d)))));
        String kt = g.node("Transpose", mha, List.of(k), Map.of("perm", new long[] {0, 1, 3, 2}));
        String logits = g.node("MatMul", mha, List.of(qs, kt));
        String soft = g.node("Softmax", mha + ".softmax", List.of(logits), Map.of("axis", -1L));
        String o = g.node("MatMul", mha, List.of(soft, v));
        String merged = reshape(g.node("Transpose", mha, List.of(o), Map.of("perm", new long[] {0, 2, 1, 3})), mha, -1, c);
        return linear(merged, at.outProj);
    }

    private String mixFfn(String x, PyramidVisionTransformer.MixFfn ffn, Grid grid, int c) {
        String p = nameOf.apply(ffn);
        int hidden = ffn.fc1.weight.dim(0);
        String y = pointwise(x, ffn.fc1, hidden, c);
        if (ffn.dwConv != null) y = nchwToTokens(conv(tokensToNchw(y, grid, hidden, p), ffn.dwConv), hidden, p);
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
        return g.node("Reshape", prefix, List.of(x, constantShape(shape)));
    }

    private String constantShape(long... shape) {
        StringBuilder b = new StringBuilder("pvt.shape.");
        for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : "x").append(shape[i]);
        return g.longs(b.toString(), shape, shape.length);
    }

    /**
     * A Reshape / Resize target from {@code parts}: each a {@code Long} entry or the name of an int64 1-D value; all
     * constants give one initializer, otherwise a {@code Concat} (axis 0) of the runs of constants and the values.
     */
    private String shape(String prefix, Object... parts) {
        List<String> pieces = new ArrayList<>();
        List<Long> run = new ArrayList<>();
        for (Object part : parts) {
            if (part instanceof Long l) {
                run.add(l);
                continue;
            }
            if (!run.isEmpty()) pieces.add(constantShape(run.stream().mapToLong(Long::longValue).toArray()));
            run.clear();
            pieces.add((String) part);
        }
        if (!run.isEmpty()) pieces.add(constantShape(run.stream().mapToLong(Long::longValue).toArray()));
        return pieces.size() == 1 && parts.length == run.size() ? pieces.get(0)
                : g.node("Concat", prefix + ".shape", pieces, Map.of("axis", 0L));
    }

    /** x [N·h·w, c] → [N, c, h, w]. */
    private String tokensToNchw(String x, Grid grid, int c, String prefix) {
        String t = g.node("Transpose", prefix, List.of(g.node("Reshape", prefix, List.of(x, shape(prefix, batch, -1L, (long) c)))),
                Map.of("perm", new long[] {0, 2, 1}));
        String target = grid.symbolic() ? shape(prefix, 0L, (long) c, grid.hw()) : constantShape(0, c, grid.h(), grid.w());
        return g.node("Reshape", prefix, List.of(t, target));
    }

    /** x [N, c, h, w] → [N·h·w, c]. */
    private String nchwToTokens(String x, int c, String prefix) {
        String t = g.node("Transpose", prefix, List.of(reshape(x, prefix, 0, c, -1)), Map.of("perm", new long[] {0, 2, 1}));
        return reshape(t, prefix, -1, c);
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
