package autoassign.model;

import autoassign.autograd.SequenceOps;
import autoassign.backend.ConvParams;
import autoassign.backend.GatherIndex;
import autoassign.tensor.Tensor;

import java.util.concurrent.ConcurrentHashMap;

/**
 * MMCV's {@code Conv2dAdaptivePadding} ({@code mmcv/cnn/bricks/conv2d_adaptive_padding.py}): TensorFlow's "same"
 * padding, computed from the input size at run time. Per axis: out = ceil(in / s), total = max((out − 1)·s +
 * (k − 1)·d + 1 − in, 0), {@code F.pad} with total // 2 before and the rest after, then the conv without padding.
 *
 * <p>When total is odd the padding is one larger after than before. The engine computes that without padding the
 * input: a k×k kernel padded (before, before + 1) equals the (k+1)×k kernel with a zero first row (column) padded
 * (before + 1) on both sides — each output window starts one row earlier and that row meets the zero kernel row, the
 * window count floor((in + total − k) / s) + 1 is the same. The zero row is put in front of the weight by a
 * {@link GatherIndex} gather (a few thousand elements; its backward drops the zero row's gradient), so the op is the
 * backend's symmetric conv, forward and backward, on every device. Only strided convs meet an odd total (stride 1 with
 * an odd kernel pads k − 1 on each axis, even).
 */
public final class AdaptivePadding {
    private AdaptivePadding() {}

    /** The padding of one axis: before and after. */
    public static int[] pads(int in, int kernel, int stride, int dilation) {
        int out = (in + stride - 1) / stride;
        int total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - in, 0);
        return new int[] {total / 2, total - total / 2};
    }

    /** Output size of one axis: ceil(in / stride). */
    public static int outSize(int in, int stride) { return (in + stride - 1) / stride; }

    /**
     * The conv as the engine runs it for an input of h × w: the weight to use (w itself, or w with a zero first
     * row / column when that axis pads one more after) and the symmetric geometry.
     */
    public record Plan(Tensor weight, ConvParams params) {}

    /** @param weight [Cout, Cin/groups, k, k]; dilation 1 */
    public static Plan plan(Tensor weight, int h, int w, int stride, int groups) {
        int kh = weight.dim(2), kw = weight.dim(3);
        int[] ph = pads(h, kh, stride, 1), pw = pads(w, kw, stride, 1);
        int dh = ph[1] - ph[0], dw = pw[1] - pw[0];
        ConvParams p = new ConvParams(stride, stride, ph[1], pw[1], 1, 1, groups);
        if (dh == 0 && dw == 0) return new Plan(weight, p);
        return new Plan(SequenceOps.gather(weight, shiftIndex(weight.dim(0), weight.dim(1), kh, kw, dh, dw)), p);
    }

    private static final ConcurrentHashMap<String, GatherIndex> INDICES = new ConcurrentHashMap<>();

    /** [co, ci, kh, kw] → [co, ci, kh + dh, kw + dw] with zeros in the first dh rows and dw columns. */
    static GatherIndex shiftIndex(int co, int ci, int kh, int kw, int dh, int dw) {
        return INDICES.computeIfAbsent(co + " " + ci + " " + kh + " " + kw + " " + dh + " " + dw, key -> {
            int oh = kh + dh, ow = kw + dw;
            int[] rows = new int[co * ci * oh * ow];
            int i = 0;
            for (int p = 0; p < co * ci; p++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                        rows[i++] = y < dh || x < dw ? -1 : (p * kh + y - dh) * kw + x - dw;
            return new GatherIndex(rows, 1, co * ci * kh * kw, co, ci, oh, ow);
        });
    }
}
