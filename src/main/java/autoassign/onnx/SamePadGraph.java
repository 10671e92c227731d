package autoassign.onnx;

import autoassign.model.AdaptivePadding;

import java.util.List;
import java.util.Map;

/**
 * MMCV's {@code Conv2dAdaptivePadding} (TensorFlow's "same": out = ceil(in / s), total = max((out − 1)·s + k − in, 0),
 * total // 2 before and the rest after, {@link AdaptivePadding}) as the {@code pads} input of an ONNX {@code Pad} when
 * the input size is symbolic, computed from the input's shape as torch.onnx traces {@code x.size()[-2:]} in a dynamic
 * export: {@code Shape} → {@code Gather [2, 3]} (h, w) → int64 {@code Add}, {@code Div} (truncating: the operands are
 * positive, so it is the floor of Python's {@code math.ceil} arithmetic), {@code Mul}, {@code Sub}, {@code Max} →
 * {@code Concat} into {@code [0, 0, top, left, 0, 0, bottom, right]}.
 *
 * <p>Writing in = q·s + r, total is max(k − s, 0) when r = 0 and max(k − r, 0) otherwise: it depends on the input size
 * only through in mod s. Where it is the same for every residue (stride 1: k − 1 on both sides' sum; a 1×1 conv of
 * stride 2: 0) the pads are a constant initializer, as at a fixed size, or no Pad at all when they are 0.
 */
final class SamePadGraph {
    private SamePadGraph() {}

    /**
     * The pads value for a k×k conv of stride {@code stride} (dilation 1) on {@code x} [N, C, H, W]: a constant
     * {@code <prefix>.pads} when they do not depend on H and W, null when that constant is 0, else computed nodes.
     */
    static String pads(OnnxGraph g, String x, int kernel, int stride, String prefix) {
        int[] first = AdaptivePadding.pads(stride, kernel, stride, 1); // in mod stride = 0
        boolean constant = true;
        for (int r = 1; r < stride; r++) constant &= java.util.Arrays.equals(first, AdaptivePadding.pads(stride + r, kernel, stride, 1));
        if (constant) {
            if (first[0] + first[1] == 0) return null;
            return g.longs(prefix + ".pads", new long[] {0, 0, first[0], first[0], 0, 0, first[1], first[1]}, 8);
        }
        String p = prefix + ".pads";
        String hw = g.node("Gather", p, List.of(g.node("Shape", p, List.of(x)), g.longs("same_pad.axes.2x3", new long[] {2, 3}, 2)),
                Map.of("axis", 0L));
        String out = g.node("Div", p, List.of(g.node("Add", p, List.of(hw, integer(g, stride - 1))), integer(g, stride)));
        String span = g.node("Add", p, List.of(g.node("Mul", p, List.of(g.node("Sub", p, List.of(out, integer(g, 1))), integer(g, stride))),
                integer(g, kernel)));
        String total = g.node("Max", p, List.of(g.node("Sub", p, List.of(span, hw)), integer(g, 0)));
        String before = g.node("Div", p, List.of(total, integer(g, 2)));
        String after = g.node("Sub", p, List.of(total, before));
        String zeros = g.longs("same_pad.zeros.2", new long[] {0, 0}, 2);
        return g.node("Concat", p, List.of(zeros, before, zeros, after), Map.of("axis", 0L));
    }

    /** An int64 [1] constant (broadcast against the [2] size vector). */
    private static String integer(OnnxGraph g, long v) { return g.longs("same_pad.int." + v, new long[] {v}, 1); }
}
