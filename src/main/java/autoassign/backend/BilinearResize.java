package autoassign.backend;

/**
 * Geometry of PyTorch's {@code F.interpolate(mode='bilinear', align_corners=False)} (ATen {@code upsample_bilinear2d},
 * aten/src/ATen/native/UpSample.h of torch 1.13): the single source of output sizes, source indices and weights for
 * the CPU twin, the CUDA launch (the kernels' {@code bilinear_tap} mirrors {@link #tap}), the ONNX export and the
 * FLOP count.
 *
 * <ul>
 *   <li>output size with a scale factor: {@code (int64) (in · scale)} in double (ATen {@code compute_output_size});</li>
 *   <li>ratio: {@code (float) (1.0 / scale)} when a scale factor is given, else {@code (float) in / out}
 *       ({@code compute_scales_value}: not in/out when the scale factor makes the output size round);</li>
 *   <li>per output index d, in double (ATen's CPU {@code acc_type<float>}): {@code src = max(ratio · (d + 0.5) − 0.5, 0)},
 *       {@code i0 = (int) src}, {@code i1 = i0 + (i0 < in − 1 ? 1 : 0)}, {@code λ1 = (float) (src − i0)},
 *       {@code λ0 = 1 − λ1} in float; when out == in the axis
 *       is copied ({@code i0 = i1 = d}, λ0 = 1, λ1 = 0) whatever the ratio ({@code compute_source_index_and_lambda}).</li>
 * </ul>
 */
public final class BilinearResize {
    private BilinearResize() {}

    /** Output size along an axis of {@code in} elements for a positive scale factor (≤ 0 when it rounds to nothing). */
    public static int outSize(int in, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale))
            throw new IllegalArgumentException("bilinear upsample: scale factor must be positive and finite, got " + scale);
        double out = in * scale;
        if (out >= Integer.MAX_VALUE) throw new IllegalArgumentException("bilinear upsample: output size " + out + " too large");
        return (int) out;
    }

    /** The float ratio ATen uses: {@code 1/scale} when the scale factor is given (scale &gt; 0), else in/out. */
    public static float ratio(int in, int out, double scale) {
        return scale > 0 ? (float) (1.0 / scale) : (float) in / out;
    }

    /** The two source indices and weights of output index {@code dst} ({@code {i0, i1}} and {@code {λ0, λ1}}). */
    public record Tap(int i0, int i1, float l0, float l1) {}

    public static Tap tap(int dst, int in, int out, float ratio) {
        if (out == in) return new Tap(dst, dst, 1f, 0f);
        double src = (double) ratio * (dst + 0.5) - 0.5;
        if (src < 0) src = 0;
        int i0 = (int) src;
        int i1 = i0 + (i0 < in - 1 ? 1 : 0);
        float l1 = (float) (src - i0);
        return new Tap(i0, i1, 1f - l1, l1);
    }

    /** The taps of every output index along an axis. */
    public static Tap[] taps(int in, int out, float ratio) {
        Tap[] t = new Tap[out];
        for (int d = 0; d < out; d++) t[d] = tap(d, in, out, ratio);
        return t;
    }
}
