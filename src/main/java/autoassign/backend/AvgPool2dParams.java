package autoassign.backend;

import autoassign.tensor.Shape;

/**
 * Geometry of PyTorch's {@code nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad)} with a square
 * kernel, the same stride and padding on both axes and no {@code divisor_override}; the single source of the output
 * size and of every window's divisor for the CPU twin, the CUDA launch, the ONNX export and the FLOP count.
 *
 * <p>Output size (ATen {@code pooling_output_shape}): {@code floor((in + 2p − k + (ceil ? s − 1 : 0)) / s) + 1}, less one
 * in ceil mode when the last window would start at or after {@code in + p} (it must start inside the input or its
 * left padding). Window {@code o} covers {@code [o·s − p, min(o·s − p + k, in + p))}; with {@code count_include_pad}
 * the divisor is that span's area (padding included, the part past the right padding that ceil mode adds excluded),
 * else the area of its intersection with the input.
 */
public record AvgPool2dParams(int kernel, int stride, int pad, boolean ceilMode, boolean countIncludePad) {
    public AvgPool2dParams {
        if (kernel < 1 || stride < 1 || pad < 0)
            throw new IllegalArgumentException("avgPool2d: invalid kernel=" + kernel + " stride=" + stride + " pad=" + pad
                    + " (kernel and stride must be >= 1, pad >= 0)");
        if (2 * pad > kernel)
            throw new IllegalArgumentException("avgPool2d: pad " + pad + " must be at most half the kernel " + kernel);
    }

    /** MMDetection's ResLayer {@code avg_down}: {@code AvgPool2d(kernel_size=s, stride=s, ceil_mode=True, count_include_pad=False)}. */
    public static AvgPool2dParams avgDown(int stride) { return new AvgPool2dParams(stride, stride, 0, true, false); }

    /** Output size along an axis of {@code in} input elements (≤ 0 when the input is too small). */
    public int outSize(int in) {
        int num = in + 2 * pad - kernel + (ceilMode ? stride - 1 : 0);
        int out = Math.floorDiv(num, stride) + 1;
        if (ceilMode && out > 0 && (long) (out - 1) * stride >= (long) in + pad) out--;
        return out;
    }

    /** {@link #outSize}, or an error naming {@code op} and the input shape when the input is too small. */
    public int outSize(String op, int[] shape, int in) {
        int out = outSize(in);
        if (out < 1)
            throw new IllegalArgumentException(op + ": input " + Shape.str(shape) + " is too small for " + this);
        return out;
    }

    /** First input index of window {@code o} inside the input. */
    public int start(int o) { return Math.max(o * stride - pad, 0); }

    /** One past the last input index of window {@code o} inside an input of {@code in}. */
    public int end(int o, int in) { return Math.min(o * stride - pad + kernel, in); }

    /** Length along one axis counted by the divisor of window {@code o}. */
    public int span(int o, int in) {
        if (!countIncludePad) return end(o, in) - start(o);
        int s = o * stride - pad;
        return Math.min(s + kernel, in + pad) - s;
    }

    /** The divisor of window (oy, ox) on an {@code h × w} input. */
    public int divisor(int oy, int ox, int h, int w) { return span(oy, h) * span(ox, w); }

    @Override public String toString() {
        return "kernel " + kernel + ", stride " + stride + ", pad " + pad + ", ceil_mode " + ceilMode + ", count_include_pad "
                + countIncludePad;
    }
}
