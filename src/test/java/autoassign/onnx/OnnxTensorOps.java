package autoassign.onnx;

import autoassign.onnx.OnnxInterpreter.Val;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * The ONNX operators of the post-processing graph for {@link OnnxInterpreter}, written from the operator
 * specification on flat arrays (row-major, numpy broadcasting), independently of {@code autoassign.postprocess}:
 * elementwise float32 / int64 / bool ops, shape ops, Gather, GatherND, ScatterND, Expand, Pad, Concat, NonZero, TopK,
 * reductions.
 */
final class OnnxTensorOps {
    private OnnxTensorOps() {}

    static final int FLOAT = 1, INT64 = 7, BOOL = 9, DOUBLE = 11;

    // ------------------------------------------------------------------------------------------------ elementwise

    /** A float32 binary op: computed in double and rounded once, which is float32 arithmetic for + − × and min/max. */
    static Val floatBinary(Val a, Val b, DoubleBinaryOperator op) {
        int[] shape = broadcast(a.shape(), b.shape());
        float[] x = a.f(), y = b.f(), out = new float[numel(shape)];
        int[][] src = sources(shape, a.shape(), b.shape());
        for (int i = 0; i < out.length; i++) out[i] = (float) op.applyAsDouble(x[src[0][i]], y[src[1][i]]);
        return Val.ofFloats(out, shape);
    }

    /** A float64 binary op of two float64 values (Java's double arithmetic: IEEE, correctly rounded). */
    static Val doubleBinary(Val a, Val b, DoubleBinaryOperator op) {
        int[] shape = broadcast(a.shape(), b.shape());
        double[] x = a.doubles(), y = b.doubles(), out = new double[numel(shape)];
        if (x == null || y == null) throw new IllegalArgumentException("expected two float64 values");
        int[][] src = sources(shape, a.shape(), b.shape());
        for (int i = 0; i < out.length; i++) out[i] = op.applyAsDouble(x[src[0][i]], y[src[1][i]]);
        return Val.ofDoubles(out, shape);
    }

    /** A float64 unary op (Neg; Exp as Java's {@code Math.exp}, the engine's). */
    static Val doubleUnary(Val a, java.util.function.DoubleUnaryOperator op) {
        double[] x = a.doubles(), out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = op.applyAsDouble(x[i]);
        return Val.ofDoubles(out, a.shape());
    }

    static Val longBinary(Val a, Val b, LongBinaryOperator op) {
        int[] shape = broadcast(a.shape(), b.shape());
        long[] x = a.longs(), y = b.longs(), out = new long[numel(shape)];
        int[][] src = sources(shape, a.shape(), b.shape());
        for (int i = 0; i < out.length; i++) out[i] = op.applyAsLong(x[src[0][i]], y[src[1][i]]);
        return Val.ofLongs(out, shape);
    }

    /** Min / Max of two float or two int64 values. */
    static Val minMax(Val a, Val b, boolean min) {
        if (a.longs() != null) return longBinary(a, b, min ? Math::min : Math::max);
        return floatBinary(a, b, min ? Math::min : Math::max);
    }

    static Val greater(Val a, Val b) {
        int[] shape = broadcast(a.shape(), b.shape());
        float[] x = a.f(), y = b.f();
        boolean[] out = new boolean[numel(shape)];
        int[][] src = sources(shape, a.shape(), b.shape());
        for (int i = 0; i < out.length; i++) out[i] = x[src[0][i]] > y[src[1][i]];
        return Val.ofBools(out, shape);
    }

    static Val and(Val a, Val b) {
        int[] shape = broadcast(a.shape(), b.shape());
        boolean[] out = new boolean[numel(shape)];
        int[][] src = sources(shape, a.shape(), b.shape());
        for (int i = 0; i < out.length; i++) out[i] = a.bools()[src[0][i]] && b.bools()[src[1][i]];
        return Val.ofBools(out, shape);
    }

    /** Where(cond, x, y) of two float32, two int64 or two bool values, numpy broadcasting of all three. */
    static Val where(Val cond, Val x, Val y) {
        if (x.isFloat() != y.isFloat() || (x.longs() == null) != (y.longs() == null))
            throw new IllegalArgumentException("Where: x and y of different types");
        int[] shape = broadcast(broadcast(cond.shape(), x.shape()), y.shape());
        int n = numel(shape);
        int[][] src = sources(shape, cond.shape(), x.shape());
        int[][] srcY = sources(shape, y.shape(), y.shape());
        int[] part = new int[n], from = new int[n];
        for (int i = 0; i < n; i++) {
            boolean c = cond.bools()[src[0][i]];
            part[i] = c ? 0 : 1;
            from[i] = c ? src[1][i] : srcY[0][i];
        }
        return Val.gatherParts(List.of(x, y), part, from, shape);
    }

    /** Sigmoid 1 / (1 + e^−x), in the input's precision (float64 exactly as Java's double arithmetic). */
    static Val sigmoid(Val x) {
        if (x.doubles() != null) {
            double[] v = x.doubles(), out = new double[v.length];
            for (int i = 0; i < v.length; i++) out[i] = 1.0 / (1.0 + Math.exp(-v[i]));
            return Val.ofDoubles(out, x.shape());
        }
        float[] v = x.f(), out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (1.0 / (1.0 + Math.exp(-(double) v[i])));
        return Val.ofFloats(out, x.shape());
    }

    static Val cast(Val x, int to) {
        int n = numel(x.shape());
        return switch (to) {
            case FLOAT -> {
                float[] out = new float[n];
                if (x.doubles() != null) for (int i = 0; i < n; i++) out[i] = (float) x.doubles()[i];
                else if (x.longs() != null) for (int i = 0; i < n; i++) out[i] = (float) x.longs()[i];
                else if (x.bools() != null) for (int i = 0; i < n; i++) out[i] = x.bools()[i] ? 1f : 0f;
                else out = x.f().clone();
                yield Val.ofFloats(out, x.shape());
            }
            case DOUBLE -> {
                double[] out = new double[n];
                float[] f = x.f();
                for (int i = 0; i < n; i++) out[i] = f[i];
                yield Val.ofDoubles(out, x.shape());
            }
            case INT64 -> {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) out[i] = x.bools()[i] ? 1 : 0;
                yield Val.ofLongs(out, x.shape());
            }
            default -> throw new IllegalArgumentException("Cast to type " + to + " is not evaluated");
        };
    }

    // ------------------------------------------------------------------------------------------------ reductions

    /**
     * ReduceSum ({@code max} false, int64 values) or ReduceMax (float32 or int64) over {@code axes} (every axis when
     * null or empty: opset 13's ReduceSum without its axes input, opset 17's ReduceMax without the attribute); a
     * reduction over no elements gives 0 / −∞ / {@code Long.MIN_VALUE}.
     */
    static Val reduce(Val x, long[] axes, boolean keepDims, boolean max) {
        int[] shape = x.shape();
        boolean[] reduced = new boolean[shape.length];
        if (axes == null || axes.length == 0) Arrays.fill(reduced, true);
        else for (long a : axes) reduced[(int) (a < 0 ? a + shape.length : a)] = true;
        List<Integer> kept = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) if (!reduced[d] || keepDims) kept.add(reduced[d] ? 1 : shape[d]);
        int[] outShape = kept.stream().mapToInt(Integer::intValue).toArray();
        // the output element of every input element: its coordinates with the reduced ones set to 0
        int[] reducedShape = shape.clone();
        for (int d = 0; d < shape.length; d++) if (reduced[d]) reducedShape[d] = 1;
        int[] outStrides = strides(reducedShape);
        int n = numel(shape), outN = numel(reducedShape);
        int[] to = new int[n];
        for (int i = 0; i < n; i++) {
            int rest = i, o = 0;
            for (int d = shape.length - 1; d >= 0; d--) {
                int c = rest % shape[d];
                rest /= shape[d];
                if (!reduced[d]) o += c * outStrides[d];
            }
            to[i] = o;
        }
        if (x.longs() != null) {
            long[] out = new long[outN];
            if (max) Arrays.fill(out, Long.MIN_VALUE);
            for (int i = 0; i < n; i++) out[to[i]] = max ? Math.max(out[to[i]], x.longs()[i]) : out[to[i]] + x.longs()[i];
            return Val.ofLongs(out, outShape);
        }
        if (!max) throw new IllegalArgumentException("ReduceSum of float values is not evaluated");
        float[] v = x.f(), out = new float[outN];
        Arrays.fill(out, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i++) out[to[i]] = Math.max(out[to[i]], v[i]);
        return Val.ofFloats(out, outShape);
    }

    // ------------------------------------------------------------------------------------------------ shapes and indexing

    static Val reshape(Val x, int[] shape) { return x.withShape(shape); }

    static Val transpose(Val x, long[] perm) {
        int[] in = x.shape(), shape = new int[in.length];
        for (int i = 0; i < in.length; i++) shape[i] = in[(int) perm[i]];
        int[] inStrides = strides(in), idx = new int[shape.length];
        int n = numel(shape);
        int[] from = new int[n];
        for (int o = 0; o < n; o++) {
            int rest = o, s = 0;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = rest % shape[d];
                rest /= shape[d];
            }
            for (int d = 0; d < shape.length; d++) s += idx[d] * inStrides[(int) perm[d]];
            from[o] = s;
        }
        return x.select(from, shape);
    }

    /** Gather along {@code axis}: output shape = x[:axis] + indices + x[axis+1:]; negative indices count from the end. */
    static Val gather(Val x, Val indices, int axis) {
        int[] xs = x.shape();
        long[] idx = indices.longs();
        int outer = 1, inner = 1, len = xs[axis];
        for (int d = 0; d < axis; d++) outer *= xs[d];
        for (int d = axis + 1; d < xs.length; d++) inner *= xs[d];
        int[] from = new int[outer * idx.length * inner];
        int o = 0;
        for (int a = 0; a < outer; a++)
            for (long i : idx) {
                if (i < -len || i >= len) throw new IllegalArgumentException("Gather: index " + i + " out of [0, " + len + ")");
                int j = (int) (i < 0 ? i + len : i);
                for (int b = 0; b < inner; b++) from[o++] = (a * len + j) * inner + b;
            }
        int[] shape = new int[xs.length - 1 + indices.shape().length];
        System.arraycopy(xs, 0, shape, 0, axis);
        System.arraycopy(indices.shape(), 0, shape, axis, indices.shape().length);
        System.arraycopy(xs, axis + 1, shape, axis + indices.shape().length, xs.length - axis - 1);
        return x.select(from, shape);
    }

    static Val concat(List<Val> parts, int axis) {
        int[] shape = parts.get(0).shape().clone();
        shape[axis] = 0;
        for (Val p : parts) shape[axis] += p.shape()[axis];
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
        int[] from = new int[numel(shape)];
        int[] part = new int[from.length];
        int o = 0;
        for (int a = 0; a < outer; a++)
            for (int p = 0; p < parts.size(); p++) {
                int len = parts.get(p).shape()[axis] * inner;
                for (int k = 0; k < len; k++) {
                    part[o] = p;
                    from[o++] = a * len + k;
                }
            }
        return Val.gatherParts(parts, part, from, shape);
    }

    static Val unsqueeze(Val x, long[] axes) {
        int rank = x.shape().length + axes.length;
        boolean[] isNew = new boolean[rank];
        for (long a : axes) isNew[(int) (a < 0 ? a + rank : a)] = true;
        int[] shape = new int[rank];
        for (int d = 0, s = 0; d < rank; d++) shape[d] = isNew[d] ? 1 : x.shape()[s++];
        return x.withShape(shape);
    }

    /** Slice with steps 1 (starts / ends clamped to the dim, negative ones counted from the end). */
    static Val slice(Val x, long[] starts, long[] ends, long[] axes) {
        long[] steps = new long[axes.length];
        java.util.Arrays.fill(steps, 1);
        return slice(x, starts, ends, axes, steps);
    }

    /** ONNX Slice with positive {@code steps}: element lo + k·step for lo + k·step &lt; hi. */
    static Val slice(Val x, long[] starts, long[] ends, long[] axes, long[] steps) {
        int[] xs = x.shape(), lo = new int[xs.length], hi = xs.clone(), step = new int[xs.length];
        java.util.Arrays.fill(step, 1);
        for (int i = 0; i < axes.length; i++) {
            int d = (int) (axes[i] < 0 ? axes[i] + xs.length : axes[i]);
            if (steps[i] < 1) throw new IllegalArgumentException("Slice: only positive steps are evaluated");
            step[d] = (int) steps[i];
            lo[d] = (int) clampIndex(starts[i], xs[d]);
            hi[d] = (int) Math.max(lo[d], clampIndex(ends[i], xs[d]));
        }
        int[] shape = new int[xs.length];
        for (int d = 0; d < xs.length; d++) shape[d] = (hi[d] - lo[d] + step[d] - 1) / step[d];
        int[] st = strides(xs), from = new int[numel(shape)];
        for (int o = 0; o < from.length; o++) {
            int rest = o, s = 0;
            for (int d = shape.length - 1; d >= 0; d--) {
                s += (lo[d] + (rest % shape[d]) * step[d]) * st[d];
                rest /= shape[d];
            }
            from[o] = s;
        }
        return x.select(from, shape);
    }

    private static long clampIndex(long i, int dim) {
        long v = i < 0 ? i + dim : i;
        return Math.max(0, Math.min(dim, v));
    }

    /**
     * GatherND: for {@code indices} {@code [b..., m..., k]}, the slices {@code data[b..., i_1, ..., i_k, :]} of the
     * first {@code batchDims} dims in common; output {@code [b..., m..., data dims after b + k]}. Negative indices
     * count from the end; one out of range fails.
     */
    static Val gatherNd(Val data, Val indices, int batchDims) {
        int[] ds = data.shape(), is = indices.shape();
        int k = is[is.length - 1];
        if (batchDims + k > ds.length) throw new IllegalArgumentException("GatherND: " + k + " index dims for " + Arrays.toString(ds));
        int batches = 1;
        for (int d = 0; d < batchDims; d++) {
            if (is[d] != ds[d]) throw new IllegalArgumentException("GatherND: batch dims " + Arrays.toString(is) + " vs " + Arrays.toString(ds));
            batches *= ds[d];
        }
        int tuples = 1, inner = 1, perBatch = 1;
        for (int d = batchDims; d < is.length - 1; d++) tuples *= is[d];
        for (int d = batchDims + k; d < ds.length; d++) inner *= ds[d];
        for (int d = batchDims; d < ds.length; d++) perBatch *= ds[d];
        int[] st = strides(ds);
        long[] idx = indices.longs();
        int[] from = new int[batches * tuples * inner];
        int o = 0;
        for (int b = 0; b < batches; b++)
            for (int t = 0; t < tuples; t++) {
                int offset = b * perBatch;
                for (int j = 0; j < k; j++) {
                    long i = idx[(b * tuples + t) * k + j];
                    int len = ds[batchDims + j];
                    if (i < -len || i >= len) throw new IllegalArgumentException("GatherND: index " + i + " out of [0, " + len + ")");
                    offset += (int) (i < 0 ? i + len : i) * st[batchDims + j];
                }
                for (int e = 0; e < inner; e++) from[o++] = offset + e;
            }
        int[] shape = new int[is.length - 1 + ds.length - batchDims - k];
        System.arraycopy(is, 0, shape, 0, is.length - 1);
        System.arraycopy(ds, batchDims + k, shape, is.length - 1, ds.length - batchDims - k);
        return data.select(from, shape);
    }

    /**
     * ScatterND (reduction none): {@code data} with the slices at {@code indices} {@code [m..., k]} replaced by
     * {@code updates}; an index given twice fails (the specification leaves that result open).
     */
    static Val scatterNd(Val data, Val indices, Val updates) {
        int[] ds = data.shape(), is = indices.shape();
        int k = is[is.length - 1], n = numel(ds), tuples = numel(is) / Math.max(k, 1);
        int inner = 1;
        for (int d = k; d < ds.length; d++) inner *= ds[d];
        if (numel(updates.shape()) != tuples * inner) throw new IllegalArgumentException("ScatterND: updates " + Arrays.toString(updates.shape()));
        int[] st = strides(ds), part = new int[n], from = new int[n];
        for (int i = 0; i < n; i++) from[i] = i;
        long[] idx = indices.longs();
        for (int t = 0; t < tuples; t++) {
            int offset = 0;
            for (int j = 0; j < k; j++) {
                long i = idx[t * k + j];
                if (i < -ds[j] || i >= ds[j]) throw new IllegalArgumentException("ScatterND: index " + i + " out of [0, " + ds[j] + ")");
                offset += (int) (i < 0 ? i + ds[j] : i) * st[j];
            }
            for (int e = 0; e < inner; e++) {
                if (part[offset + e] == 1) throw new IllegalArgumentException("ScatterND: an element written twice");
                part[offset + e] = 1;
                from[offset + e] = t * inner + e;
            }
        }
        return Val.gatherParts(List.of(data, updates), part, from, ds);
    }

    /** Expand: {@code x} broadcast with {@code shape} (numpy rules; the result may have more dims than either). */
    static Val expand(Val x, long[] shape) {
        int[] target = broadcast(x.shape(), Arrays.stream(shape).mapToInt(Math::toIntExact).toArray());
        return x.select(sources(target, x.shape(), x.shape())[0], target);
    }

    /** Pad, mode constant, non-negative pads {@code [begin_0, ..., end_0, ...]}; {@code value} null: 0 of x's type. */
    static Val pad(Val x, long[] pads, Val value) {
        int[] xs = x.shape();
        int r = xs.length;
        if (pads.length != 2 * r) throw new IllegalArgumentException("Pad: " + pads.length + " pads for rank " + r);
        int[] shape = new int[r];
        for (int d = 0; d < r; d++) {
            if (pads[d] < 0 || pads[d + r] < 0) throw new IllegalArgumentException("Pad: negative pads are not evaluated");
            shape[d] = xs[d] + (int) pads[d] + (int) pads[d + r];
        }
        Val fill = value != null ? value
                : x.isFloat() ? Val.ofFloats(new float[1]) : x.longs() != null ? Val.ofLongs(new long[1]) : Val.ofBools(new boolean[1]);
        int n = numel(shape);
        int[] st = strides(xs), part = new int[n], from = new int[n];
        for (int o = 0; o < n; o++) {
            int rest = o, s = 0;
            boolean inside = true;
            for (int d = r - 1; d >= 0; d--) {
                int c = rest % shape[d] - (int) pads[d];
                rest /= shape[d];
                if (c < 0 || c >= xs[d]) inside = false;
                else s += c * st[d];
            }
            part[o] = inside ? 0 : 1;
            from[o] = inside ? s : 0;
        }
        return Val.gatherParts(List.of(x, fill), part, from, shape);
    }

    /** NonZero: {@code [rank, count]} int64, the true elements' coordinates in row-major order. */
    static Val nonZero(Val x) {
        boolean[] b = x.bools();
        int[] shape = x.shape(), st = strides(shape);
        List<Integer> hits = new ArrayList<>();
        for (int i = 0; i < b.length; i++) if (b[i]) hits.add(i);
        long[] out = new long[shape.length * hits.size()];
        for (int k = 0; k < hits.size(); k++)
            for (int d = 0; d < shape.length; d++) out[d * hits.size() + k] = hits.get(k) / st[d] % shape[d];
        return Val.ofLongs(out, shape.length, hits.size());
    }

    /**
     * TopK of a float value along {@code axis}: per slice the k largest (or smallest), sorted, equal values by lower
     * index first (the specification's tie rule); returns {values, int64 indices}, {@code axis} of length k.
     */
    static Val[] topK(Val x, long k, int axis, boolean largest) {
        int[] shape = x.shape();
        float[] v = x.f();
        int n = shape[axis], outer = 1, in = 1;
        if (k < 0 || k > n) throw new IllegalArgumentException("TopK: k " + k + " of " + n);
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.length; d++) in *= shape[d];
        final int inner = in;
        int[] outShape = shape.clone();
        outShape[axis] = (int) k;
        float[] values = new float[numel(outShape)];
        long[] indices = new long[values.length];
        for (int a = 0; a < outer; a++)
            for (int b = 0; b < inner; b++) {
                int base = a * n * inner + b, outBase = a * (int) k * inner + b;
                Integer[] order = new Integer[n];
                for (int i = 0; i < n; i++) order[i] = i;
                // a stable sort on the value only: ties stay in index order
                Arrays.sort(order, (p, q) -> largest ? Float.compare(v[base + q * inner], v[base + p * inner])
                        : Float.compare(v[base + p * inner], v[base + q * inner]));
                for (int i = 0; i < k; i++) {
                    indices[outBase + i * inner] = order[i];
                    values[outBase + i * inner] = v[base + order[i] * inner];
                }
            }
        return new Val[] {Val.ofFloats(values, outShape), Val.ofLongs(indices, outShape)};
    }

    // ------------------------------------------------------------------------------------------------ broadcasting

    static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        for (int d = shape.length - 1, acc = 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) {
            int x = dimFromEnd(a, rank - 1 - d), y = dimFromEnd(b, rank - 1 - d);
            if (x != y && x != 1 && y != 1)
                throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(a) + " and " + Arrays.toString(b));
            out[d] = x == 1 ? y : x;
        }
        return out;
    }

    private static int dimFromEnd(int[] s, int fromEnd) { return fromEnd < s.length ? s[s.length - 1 - fromEnd] : 1; }

    /** For every element of {@code out}: its flat source index in {@code a} and in {@code b}. */
    private static int[][] sources(int[] out, int[] a, int[] b) {
        int n = numel(out);
        int[][] src = new int[2][n];
        int[][] shapes = {a, b};
        for (int s = 0; s < 2; s++) {
            int[] sh = shapes[s], st = strides(sh);
            for (int o = 0; o < n; o++) {
                int rest = o, idx = 0;
                for (int d = out.length - 1; d >= 0; d--) {
                    int coord = rest % out[d];
                    rest /= out[d];
                    int sd = d - (out.length - sh.length);
                    if (sd >= 0 && sh[sd] != 1) idx += coord * st[sd];
                }
                src[s][o] = idx;
            }
        }
        return src;
    }
}
