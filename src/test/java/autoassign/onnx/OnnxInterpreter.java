package autoassign.onnx;

import autoassign.backend.Backend;
import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference evaluator for the exported graphs: runs a parsed model node by node with the engine's CPU ops (one
 * case per op type the exporter emits; anything else fails). Resize follows the ONNX specification's formula
 * ({@code x_original = x_resized / (out/in)}, floor), not the engine's upsampling, so that comparing the result with
 * {@code AutoAssignDetector.forward} checks that the graph computes the network.
 */
final class OnnxInterpreter {
    /**
     * A value: float32 (an engine tensor for the network's values, a flat array for the post-processing's), float64,
     * int64 or bool, with its shape (empty for a 0-d value).
     */
    record Val(Tensor floats, float[] flat, double[] doubles, long[] longs, boolean[] bools, int[] shape) {
        static Val of(Tensor t) { return new Val(t, null, null, null, null, t.shape()); }

        static Val ofFloats(float[] v, int... shape) { return new Val(null, v, null, null, null, shape); }

        static Val ofDoubles(double[] v, int... shape) { return new Val(null, null, v, null, null, shape); }

        static Val ofLongs(long[] v, int... shape) { return new Val(null, null, null, v, null, shape); }

        static Val ofBools(boolean[] v, int... shape) { return new Val(null, null, null, null, v, shape); }

        boolean isFloat() { return floats != null || flat != null; }

        Tensor t() {
            if (floats != null) return floats;
            if (flat != null) return Tensor.of(flat, shape.length == 0 ? new int[] {1} : shape);
            throw new IllegalStateException("expected a float tensor");
        }

        /** The float32 values, row-major. */
        float[] f() {
            if (floats != null) return floats.toFloatArray();
            if (flat == null) throw new IllegalStateException("expected a float value");
            return flat;
        }

        /** The same values with another shape of as many elements. */
        Val withShape(int... s) {
            if (OnnxTensorOps.numel(s) != OnnxTensorOps.numel(shape))
                throw new IllegalArgumentException("cannot view " + Arrays.toString(shape) + " as " + Arrays.toString(s));
            return new Val(null, isFloat() ? f() : null, doubles, longs, bools, s);
        }

        /** Elements {@code from[0], from[1], ...} (flat indices) as a value of {@code shape}, the same type. */
        Val select(int[] from, int... s) {
            return gatherParts(List.of(this), new int[from.length], from, s);
        }

        /** Element {@code i} is element {@code from[i]} of {@code parts[part[i]]} (all of one type). */
        static Val gatherParts(List<Val> parts, int[] part, int[] from, int... s) {
            int n = from.length;
            Val first = parts.get(0);
            if (first.isFloat()) {
                float[][] src = parts.stream().map(Val::f).toArray(float[][]::new);
                float[] out = new float[n];
                for (int i = 0; i < n; i++) out[i] = src[part[i]][from[i]];
                return ofFloats(out, s);
            }
            if (first.longs != null) {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) out[i] = parts.get(part[i]).longs[from[i]];
                return ofLongs(out, s);
            }
            if (first.bools != null) {
                boolean[] out = new boolean[n];
                for (int i = 0; i < n; i++) out[i] = parts.get(part[i]).bools[from[i]];
                return ofBools(out, s);
            }
            double[] out = new double[n];
            for (int i = 0; i < n; i++) out[i] = parts.get(part[i]).doubles[from[i]];
            return ofDoubles(out, s);
        }
    }

    private final OnnxModelReader.Model model;
    private final Backend be;

    OnnxInterpreter(OnnxModelReader.Model model) {
        this.model = model;
        this.be = Tensor.zeros(1).backend();
    }

    /** Runs the graph on {@code inputs} (by name) and returns every graph output by name. */
    Map<String, Val> run(Map<String, Tensor> inputs) { return run(inputs, Map.of()); }

    /**
     * {@link #run(Map)}, where a node output named in {@code replaced} takes the given value instead of the computed
     * one (e.g. the head's outputs replaced by the engine's own, to check the post-processing on identical inputs).
     */
    Map<String, Val> run(Map<String, Tensor> inputs, Map<String, Tensor> replaced) { return run(inputs, replaced, List.of()); }

    /** {@link #run(Map, Map)}, returning after the graph outputs also the values named in {@code also} (any node output). */
    Map<String, Val> run(Map<String, Tensor> inputs, Map<String, Tensor> replaced, List<String> also) {
        Map<String, Val> env = new HashMap<>();
        for (OnnxGraph.Initializer init : model.initializers().values()) env.put(init.name(), constant(init));
        inputs.forEach((k, v) -> env.put(k, Val.of(v)));
        for (OnnxGraph.Node n : model.nodes()) {
            Val[] in = new Val[n.inputs().size()];
            for (int i = 0; i < in.length; i++) {
                String name = n.inputs().get(i);
                if (name.isEmpty()) continue; // an omitted optional input
                in[i] = env.get(name);
                if (in[i] == null) throw new IllegalStateException(n.name() + ": input " + name + " is not defined yet");
            }
            Val[] out = n.opType().equals("TopK")
                    ? OnnxTensorOps.topK(in[0], in[1].longs()[0], axis(n.attributes(), in[0].shape().length),
                            ((Long) n.attributes().getOrDefault("largest", 1L)) == 1)
                    : new Val[] {apply(n, in)};
            if (n.opType().equals("TopK") && (Long) n.attributes().getOrDefault("sorted", 1L) != 1)
                throw new IllegalArgumentException("TopK: only sorted outputs are evaluated");
            for (int i = 0; i < out.length; i++) {
                String name = n.outputs().get(i);
                env.put(name, replaced.containsKey(name) ? Val.of(replaced.get(name)) : out[i]);
            }
        }
        Map<String, Val> out = new LinkedHashMap<>();
        for (OnnxGraph.Value v : model.outputs()) out.put(v.name(), env.get(v.name()));
        for (String name : also) out.put(name, java.util.Objects.requireNonNull(env.get(name), name));
        return out;
    }

    private Val apply(OnnxGraph.Node n, Val[] in) {
        Map<String, Object> a = n.attributes();
        return switch (n.opType()) {
            case "Conv" -> Val.of(conv(in, a));
            case "DeformConv" -> OnnxDeformConv.apply(in, a);
            case "Relu" -> Val.of(be.clampMin(in[0].t(), 0f));
            case "LeakyRelu" -> Val.of(be.leakyRelu(in[0].t(), a.containsKey("alpha") ? (Float) a.get("alpha") : 0.01f));
            case "Clip" -> { // opset 11+: min and max as optional scalar inputs (ReLU6: 0 and 6)
                float lo = in.length > 1 && in[1] != null ? in[1].f()[0] : Float.NEGATIVE_INFINITY;
                float hi = in.length > 2 && in[2] != null ? in[2].f()[0] : Float.POSITIVE_INFINITY;
                yield Val.of(be.hardtanh(in[0].t(), lo, hi));
            }
            // the network's 4-D values with the engine's ops, the post-processing's small ones by the specification
            case "Add" -> in[0].longs() != null ? OnnxTensorOps.longBinary(in[0], in[1], Long::sum) : network(in) ? Val.of(binary(in[0].t(), in[1].t(), true)) : in[0].doubles() != null
                    ? OnnxTensorOps.doubleBinary(in[0], in[1], Double::sum) : OnnxTensorOps.floatBinary(in[0], in[1], Double::sum);
            case "Mul" -> in[0].longs() != null ? OnnxTensorOps.longBinary(in[0], in[1], (x, y) -> x * y) : network(in) ? Val.of(binary(in[0].t(), in[1].t(), false)) : OnnxTensorOps.floatBinary(in[0], in[1], (x, y) -> x * y);
            case "Sub" -> in[0].longs() != null ? OnnxTensorOps.longBinary(in[0], in[1], (x, y) -> x - y)
                    : OnnxTensorOps.floatBinary(in[0], in[1], (x, y) -> x - y);
            case "Div" -> in[0].doubles() != null ? OnnxTensorOps.doubleBinary(in[0], in[1], (x, y) -> x / y)
                    : OnnxTensorOps.longBinary(in[0], in[1], (x, y) -> x / y); // int64: truncation, as C
            case "Neg" -> OnnxTensorOps.doubleUnary(in[0], x -> -x);
            case "Exp" -> OnnxTensorOps.doubleUnary(in[0], Math::exp);
            case "Mod" -> {
                if ((Long) a.getOrDefault("fmod", 0L) != 0) throw new IllegalArgumentException("Mod: fmod is not evaluated");
                yield OnnxTensorOps.longBinary(in[0], in[1], Math::floorMod); // fmod 0: the divisor's sign
            }
            case "Min" -> OnnxTensorOps.minMax(in[0], in[1], true);
            case "Max" -> OnnxTensorOps.minMax(in[0], in[1], false);
            case "Greater" -> in[0].longs() != null ? OnnxIntOps.greater(in[0], in[1]) : OnnxTensorOps.greater(in[0], in[1]);
            case "Equal" -> OnnxIntOps.equal(in[0], in[1]); // int64 (SwinShapeGraph's shift mask)
            case "Range" -> OnnxIntOps.range(in[0], in[1], in[2]);
            case "And" -> OnnxTensorOps.and(in[0], in[1]);
            case "Where" -> OnnxTensorOps.where(in[0], in[1], in[2]);
            case "Sigmoid" -> OnnxTensorOps.sigmoid(in[0]);
            // Swin's transformer ops (SwinGraph): Linear as Gemm (transB 1), torch.bmm as MatMul, GELU's Erf, LayerNormalization
            case "Gemm" -> Val.of(OnnxTransformerOps.gemm(be, in, a));
            case "MatMul" -> Val.of(OnnxTransformerOps.matMul(be, in[0].t(), in[1].t()));
            case "Erf" -> OnnxTransformerOps.erf(in[0]);
            case "LayerNormalization" -> OnnxTransformerOps.layerNorm(in[0], in[1], in.length > 2 ? in[2] : null, a);
            case "HardSigmoid" -> { // max(0, min(1, alpha x + beta)), in double (torch.onnx writes nn.Hardsigmoid with alpha 1/6)
                double alpha = a.containsKey("alpha") ? (Float) a.get("alpha") : 0.2, beta = a.containsKey("beta") ? (Float) a.get("beta") : 0.5;
                float[] v = in[0].f(), out = new float[v.length];
                for (int i = 0; i < v.length; i++) out[i] = (float) Math.max(0, Math.min(1, alpha * v[i] + beta));
                yield Val.of(Tensor.of(out, in[0].shape()));
            }
            case "Softmax" -> softmax(in[0], axis(Map.of("axis", a.getOrDefault("axis", -1L)), in[0].shape().length));
            case "GlobalAveragePool" -> globalAveragePool(in[0]);
            case "Cast" -> OnnxTensorOps.cast(in[0], (int) (long) (Long) a.get("to"));
            case "Transpose" -> OnnxTensorOps.transpose(in[0], (long[]) a.get("perm"));
            case "Gather" -> OnnxTensorOps.gather(in[0], in[1], axis(a, in[0].shape().length));
            case "Concat" -> OnnxTensorOps.concat(Arrays.asList(in), axis(a, in[0].shape().length));
            case "Unsqueeze" -> OnnxTensorOps.unsqueeze(in[0], in[1].longs());
            case "Slice" -> in.length > 4 && in[4] != null // positive steps (Focus's x[..., ::2, ::2])
                    ? OnnxTensorOps.slice(in[0], in[1].longs(), in[2].longs(), in[3].longs(), in[4].longs())
                    : OnnxTensorOps.slice(in[0], in[1].longs(), in[2].longs(), in[3].longs());
            case "NonZero" -> OnnxTensorOps.nonZero(in[0]);
            case "ReduceSum" -> { // opset 13: axes as an input
                if ((Long) a.getOrDefault("noop_with_empty_axes", 0L) != 0) throw new IllegalArgumentException("ReduceSum: noop_with_empty_axes is not evaluated");
                yield OnnxTensorOps.reduce(in[0], in.length > 1 && in[1] != null ? in[1].longs() : null,
                        (Long) a.getOrDefault("keepdims", 1L) == 1, false);
            }
            case "ReduceMax" -> // opset 17: axes as an attribute
                    OnnxTensorOps.reduce(in[0], (long[]) a.get("axes"), (Long) a.getOrDefault("keepdims", 1L) == 1, true);
            case "GatherND" -> OnnxTensorOps.gatherNd(in[0], in[1], (int) (long) (Long) a.getOrDefault("batch_dims", 0L));
            case "ScatterND" -> {
                if (!"none".equals(a.getOrDefault("reduction", "none"))) throw new IllegalArgumentException("ScatterND: reductions are not evaluated");
                yield OnnxTensorOps.scatterNd(in[0], in[1], in[2]);
            }
            case "Expand" -> OnnxTensorOps.expand(in[0], in[1].longs());
            case "Pad" -> {
                if (!"constant".equals(a.getOrDefault("mode", "constant")) || (in.length > 3 && in[3] != null))
                    throw new IllegalArgumentException("Pad: only mode constant over every axis is evaluated");
                yield OnnxTensorOps.pad(in[0], in[1].longs(), in.length > 2 ? in[2] : null);
            }
            case "NonMaxSuppression" -> OnnxNonMaxSuppression.run(in, (Long) a.getOrDefault("center_point_box", 0L));
            case "MaxPool" -> {
                long[] k = (long[]) a.get("kernel_shape"), s = (long[]) a.get("strides"), p = (long[]) a.get("pads");
                if (k[0] != k[1] || s[0] != s[1] || p[0] != p[1] || p[0] != p[2] || p[0] != p[3])
                    throw new IllegalArgumentException("MaxPool: only square, symmetric windows are evaluated");
                yield Val.of(be.maxPool2d(in[0].t(), (int) k[0], (int) s[0], (int) p[0]));
            }
            case "AveragePool" -> {
                long[] k = (long[]) a.get("kernel_shape"), s = (long[]) a.get("strides"), p = (long[]) a.get("pads");
                if (k[0] != k[1] || s[0] != s[1] || p[0] != p[1] || p[0] != p[2] || p[0] != p[3])
                    throw new IllegalArgumentException("AveragePool: only square, symmetric windows are evaluated");
                boolean ceil = (Long) a.getOrDefault("ceil_mode", 0L) != 0, countPad = (Long) a.getOrDefault("count_include_pad", 0L) != 0;
                // ONNX and PyTorch agree on sizes and divisors except for ceil-mode windows reaching past the padding
                // with count_include_pad: not evaluated rather than guessed
                if (ceil && countPad && p[0] > 0)
                    throw new IllegalArgumentException("AveragePool: ceil_mode with count_include_pad and pads is not evaluated");
                yield Val.of(be.avgPool2d(in[0].t(), new autoassign.backend.AvgPool2dParams((int) k[0], (int) s[0], (int) p[0], ceil, countPad)));
            }
            case "Shape" -> Val.ofLongs(Arrays.stream(in[0].shape()).asLongStream().toArray(), in[0].shape().length);
            case "Reshape" -> in[0].floats() != null ? Val.of(in[0].t().view(reshaped(in[0].shape(), in[1].longs())))
                    : in[0].withShape(reshaped(in[0].shape(), in[1].longs()));
            case "InstanceNormalization" -> Val.of(instanceNorm(in[0].t(), in[1].t(), in[2].t(), (Float) a.get("epsilon")));
            case "Resize" -> "linear".equals(a.get("mode")) // PVT's position embedding (half_pixel, sizes), HRFPN's (scales)
                    ? OnnxLinearResize.run(in[0], in.length > 3 && in[3] != null ? in[3].longs() : scaled(in[0].shape(), in[2].f()),
                            in.length > 3 && in[3] != null ? null : in[2].f(), a)
                    : Val.of(resize(in[0].t(), in.length > 3 && in[3] != null ? in[3].longs() : scaled(in[0].shape(), in[2].f()), a));
            default -> throw new IllegalArgumentException("the reference evaluator has no case for " + n.opType());
        };
    }

    /** ONNX Softmax (opset 13+: along {@code axis} alone), in double from float32 inputs, max subtracted. */
    private static Val softmax(Val x, int axis) {
        int[] s = x.shape();
        int outer = 1, n = s[axis], inner = 1;
        for (int d = 0; d < axis; d++) outer *= s[d];
        for (int d = axis + 1; d < s.length; d++) inner *= s[d];
        float[] v = x.f(), out = new float[v.length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double m = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < n; j++) m = Math.max(m, v[base + j * inner]);
                for (int j = 0; j < n; j++) sum += Math.exp(v[base + j * inner] - m);
                for (int j = 0; j < n; j++) out[base + j * inner] = (float) (Math.exp(v[base + j * inner] - m) / sum);
            }
        return Val.ofFloats(out, s);
    }

    /** ONNX GlobalAveragePool of [N, C, H, W]: the mean over H·W in double → [N, C, 1, 1]. */
    private static Val globalAveragePool(Val x) {
        int[] s = x.shape();
        int planes = s[0] * s[1], hw = s[2] * s[3];
        float[] v = x.f(), out = new float[planes];
        for (int p = 0; p < planes; p++) {
            double sum = 0;
            for (int j = 0; j < hw; j++) sum += v[p * hw + j];
            out[p] = (float) (sum / hw);
        }
        return Val.of(Tensor.of(out, s[0], s[1], 1, 1));
    }

    /** Add / Mul of the network: 4-D engine tensors. */
    private static boolean network(Val[] in) { return in[0].floats() != null && in[0].shape().length == 4; }

    private static int axis(Map<String, Object> a, int rank) {
        long axis = (Long) a.getOrDefault("axis", 0L);
        return (int) (axis < 0 ? axis + rank : axis);
    }

    private Tensor conv(Val[] in, Map<String, Object> a) {
        long[] s = (long[]) a.get("strides"), p = (long[]) a.get("pads"), d = (long[]) a.get("dilations");
        long group = (Long) a.getOrDefault("group", 1L); // ONNX's default; W is [M, C/group, kH, kW]
        if (p[0] != p[2] || p[1] != p[3]) throw new IllegalArgumentException("Conv: asymmetric pads are not evaluated");
        ConvParams geometry = new ConvParams((int) s[0], (int) s[1], (int) p[0], (int) p[1], (int) d[0], (int) d[1], (int) group);
        return be.conv2d(in[0].t(), in[1].t(), in.length > 2 && in[2] != null ? in[2].t() : null, geometry);
    }

    /** Add / Mul of equal shapes, with a per-channel {@code [C,1,1]} tensor, or with a one-element tensor. */
    private Tensor binary(Tensor x, Tensor y, boolean add) {
        if (Arrays.equals(x.shape(), y.shape())) {
            if (add) return be.add(x, y);
            float[] xv = x.toFloatArray(), yv = y.toFloatArray(), out = new float[xv.length]; // Swish's x · sigmoid(x)
            for (int i = 0; i < out.length; i++) out[i] = xv[i] * yv[i];
            return Tensor.of(out, x.shape());
        }
        if (y.numel() == 1) {
            float v = y.toFloatArray()[0];
            if (add) return be.add(x, Tensor.full(v, x.shape()));
            return be.mulScalar(x, v);
        }
        int c = x.dim(1);
        if (!add && x.rank() == 4 && y.rank() == 4 && y.dim(0) == x.dim(0) && y.dim(1) == c && y.dim(2) == 1 && y.dim(3) == 1) {
            float[] xv = x.toFloatArray(), yv = y.toFloatArray(), out = new float[xv.length]; // [N, C, 1, 1] over H, W
            int hw = x.dim(2) * x.dim(3);
            for (int i = 0; i < out.length; i++) out[i] = xv[i] * yv[i / hw];
            return Tensor.of(out, x.shape());
        }
        if (x.rank() == 4 && y.rank() == 3 && y.dim(0) == c && y.dim(1) == 1 && y.dim(2) == 1) {
            Tensor perChannel = y.view(c);
            return add ? be.channelAffine(x, Tensor.full(1f, c), perChannel) : be.channelAffine(x, perChannel, null);
        }
        throw new IllegalArgumentException("broadcast of " + Arrays.toString(x.shape()) + " and " + Arrays.toString(y.shape()) + " is not evaluated");
    }

    /** [N, G, L] normalised over L per (n, g): the engine's GroupNorm with one channel per group. */
    private Tensor instanceNorm(Tensor x, Tensor scale, Tensor bias, float eps) {
        int n = x.dim(0), c = x.dim(1), l = x.numel() / (n * c);
        return be.groupNorm(x.view(n, c, l, 1), scale, bias, c, eps)[0].view(x.shape());
    }

    /** ONNX Resize, nearest / asymmetric / floor, with {@code sizes}: source = floor(dst / (out / in)). */
    private Tensor resize(Tensor x, long[] sizes, Map<String, Object> a) {
        if (!"nearest".equals(a.get("mode")) || !"asymmetric".equals(a.get("coordinate_transformation_mode"))
                || !"floor".equals(a.get("nearest_mode")))
            throw new IllegalArgumentException("Resize: only nearest / asymmetric / floor is evaluated");
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), oh = (int) sizes[2], ow = (int) sizes[3];
        if (sizes[0] != n || sizes[1] != c) throw new IllegalArgumentException("Resize: only spatial resizing is evaluated");
        int[] iy = source(h, oh), ix = source(w, ow);
        float[] in = x.toFloatArray(), out = new float[n * c * oh * ow];
        for (int p = 0; p < n * c; p++)
            for (int y = 0; y < oh; y++)
                for (int xx = 0; xx < ow; xx++) out[(p * oh + y) * ow + xx] = in[(p * h + iy[y]) * w + ix[xx]];
        return Tensor.of(out, n, c, oh, ow);
    }

    /** Resize's output size from {@code scales} (no {@code sizes}): floor(dim · scale), as ONNX defines it. */
    private static long[] scaled(int[] shape, float[] scales) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) out[i] = (long) Math.floor(shape[i] * (double) scales[i]);
        return out;
    }

    private static int[] source(int in, int out) {
        float scale = (float) out / in;
        int[] idx = new int[out];
        for (int i = 0; i < out; i++) idx[i] = Math.min((int) Math.floor(i / scale), in - 1);
        return idx;
    }

    /** ONNX Reshape (allowzero 0): 0 copies the input's dim, -1 takes the rest. */
    private static int[] reshaped(int[] inShape, long[] target) {
        int[] out = new int[target.length];
        int known = 1, free = -1;
        int total = Arrays.stream(inShape).reduce(1, (p, q) -> p * q);
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) { free = i; continue; }
            out[i] = target[i] == 0 ? inShape[i] : (int) target[i];
            known *= out[i];
        }
        if (free >= 0) out[free] = total / known;
        return out;
    }

    private static Val constant(OnnxGraph.Initializer init) {
        int[] shape = Arrays.stream(init.dims()).mapToInt(Math::toIntExact).toArray();
        ByteBuffer b = ByteBuffer.wrap(init.rawData()).order(ByteOrder.LITTLE_ENDIAN);
        if (init.dataType() == OnnxGraph.FLOAT && shape.length < 2) { // the post-processing's scalars and vectors
            float[] v = new float[init.rawData().length / 4];
            b.asFloatBuffer().get(v);
            return Val.ofFloats(v, shape);
        }
        if (init.dataType() == OnnxGraph.DOUBLE) {
            double[] v = new double[init.rawData().length / 8];
            b.asDoubleBuffer().get(v);
            return Val.ofDoubles(v, shape);
        }
        if (init.dataType() == OnnxGraph.INT64) {
            long[] v = new long[init.rawData().length / 8];
            b.asLongBuffer().get(v);
            return Val.ofLongs(v, shape);
        }
        float[] v = new float[init.rawData().length / 4];
        b.asFloatBuffer().get(v);
        return Val.of(Tensor.of(v, shape.length == 0 ? new int[] {1} : shape));
    }
}
