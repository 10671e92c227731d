package autoassign.onnx;

import autoassign.onnx.OnnxInterpreter.Val;

/**
 * The int64 shape arithmetic of graphs with a symbolic input size ({@code SwinShapeGraph}) for {@link OnnxInterpreter},
 * written from the ONNX operator specification (opset 17): {@code Range}, {@code Equal} and {@code Greater} of int64
 * values (numpy broadcasting); int64 {@code Add} / {@code Sub} / {@code Mul} / {@code Div} / {@code Mod} are
 * {@link OnnxTensorOps#longBinary}.
 */
final class OnnxIntOps {
    private OnnxIntOps() {}

    /**
     * Range(start, limit, delta) of 0-d int64 values: {@code max(ceil((limit − start) / delta), 0)} elements
     * {@code start + i·delta} (int64 only; a delta of 0 is not evaluated).
     */
    static Val range(Val start, Val limit, Val delta) {
        for (Val v : new Val[] {start, limit, delta})
            if (v.longs() == null || v.longs().length != 1 || v.shape().length != 0)
                throw new IllegalArgumentException("Range: only 0-d int64 inputs are evaluated");
        long s = start.longs()[0], l = limit.longs()[0], d = delta.longs()[0];
        if (d == 0) throw new IllegalArgumentException("Range: delta 0 is not evaluated");
        long n = Math.max(Math.floorDiv(l - s + (d > 0 ? d - 1 : d + 1), d), 0); // ceil((l − s) / d)
        long[] out = new long[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) out[i] = s + i * d;
        return Val.ofLongs(out, out.length);
    }

    /** Equal of two int64 values → bool. */
    static Val equal(Val a, Val b) {
        if (a.longs() == null || b.longs() == null) throw new IllegalArgumentException("Equal: only int64 values are evaluated");
        return compare(a, b, true);
    }

    /** Greater of two int64 values → bool. */
    static Val greater(Val a, Val b) {
        if (a.longs() == null || b.longs() == null) throw new IllegalArgumentException("Greater: expected two int64 values");
        return compare(a, b, false);
    }

    private static Val compare(Val a, Val b, boolean equal) {
        int[] shape = OnnxTensorOps.broadcast(a.shape(), b.shape());
        int n = OnnxTensorOps.numel(shape);
        // broadcast both to the output's shape through a select of their flat indices (Expand's rule)
        long[] x = OnnxTensorOps.expand(a, toLongs(shape)).longs(), y = OnnxTensorOps.expand(b, toLongs(shape)).longs();
        boolean[] out = new boolean[n];
        for (int i = 0; i < n; i++) out[i] = equal ? x[i] == y[i] : x[i] > y[i];
        return Val.ofBools(out, shape);
    }

    private static long[] toLongs(int[] s) {
        long[] out = new long[s.length];
        for (int i = 0; i < s.length; i++) out[i] = s[i];
        return out;
    }
}
