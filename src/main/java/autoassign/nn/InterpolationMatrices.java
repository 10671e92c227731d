package autoassign.nn;

import autoassign.autograd.F;
import autoassign.autograd.SequenceOps;
import autoassign.tensor.Tensor;

/**
 * Bilinear resizing ({@code F.interpolate(x, size=(h, w), mode='bilinear', align_corners=False)}) as two small
 * interpolation matrices built on the host and applied with {@link SequenceOps#bmm} and
 * {@link SequenceOps#transpose2d}, so the tape differentiates it like any product: the gradient of the resized map
 * with respect to the source is the transposed matrices applied to the output gradient. Used by PVT v1's position
 * embedding (a [pos_h · pos_w, C] table resized to the input's patch grid).
 *
 * <p>{@link #bilinear} reproduces torch 1.13's weights bit for bit (ATen's {@code upsample_bilinear2d} on the CPU, size
 * given, no scale factor; checked against F.interpolate of one-hot inputs): scale = in / out in float, then in double
 * source = scale · (dst + 0.5) − 0.5 (the C++ literal 0.5 is a double), clamped at 0; i0 = ⌊source⌋ (at most
 * in − 1), i1 = i0 + 1 unless i0 is the last index; λ = source − i0 clamped to [0, 1], rounded to float;
 * the weights (1 − λ in float, λ) (both on i0 at the border, where they add up to 1). Separable: out = R_h · X · R_wᵀ per channel, the same weights
 * as torch's, only the summation order differs (float rounding).
 */
public final class InterpolationMatrices {
    private InterpolationMatrices() {}

    /** The [out, in] matrix (row-major) of torch's 1-D bilinear weights, align_corners=False. */
    public static float[] bilinear(int in, int out) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("bilinear: sizes must be positive, got " + in + " -> " + out);
        float[] m = new float[out * in];
        float scale = (float) in / out;
        for (int o = 0; o < out; o++) {
            double src = scale * (o + 0.5) - 0.5;
            if (src < 0) src = 0;
            int i0 = Math.min((int) src, in - 1);
            int i1 = i0 + (i0 < in - 1 ? 1 : 0);
            double d1 = Math.min(Math.max(src - i0, 0), 1);
            float l1 = (float) d1, l0 = 1f - l1;
            m[o * in + i0] += l0;
            m[o * in + i1] += l1;
        }
        return m;
    }

    /**
     * Resizes a map stored as tokens: x [h0·w0, C] (row y·w0 + x, as {@code flatten(2).transpose(1, 2)} of a
     * [1, C, h0, w0] map) → [h·w, C], differentiable in x. Steps: R_h [h, h0] · x viewed [h0, w0·C] (bmm), a
     * transpose to [h, C, w0], times R_wᵀ (bmm), a transpose back to [h, w, C].
     */
    public static Tensor resizeTokens(Tensor x, int h0, int w0, int h, int w) {
        if (x.rank() != 2 || x.dim(0) != h0 * w0)
            throw new IllegalArgumentException("resizeTokens: expected [" + h0 * w0 + ", C], got " + java.util.Arrays.toString(x.shape()));
        int c = x.dim(1);
        var be = x.backend();
        Tensor ry = be.fromHost(bilinear(h0, h), 1, h, h0);
        Tensor a = SequenceOps.bmm(ry, false, F.reshape(x, 1, h0, w0 * c), false);        // [1, h, w0·C]
        Tensor t = SequenceOps.transpose2d(a, h, w0, c, 1, h * c, w0);                     // [h, C, w0]
        Tensor rx = be.fromHost(bilinear(w0, w), 1, w, w0);
        Tensor b = SequenceOps.bmm(t, false, rx, true);                                     // [1, h·C, w]
        return SequenceOps.transpose2d(b, h, c, w, h * w, c);                               // [h·w, C]
    }
}
