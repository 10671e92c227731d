package autoassign.io;

/**
 * torch 1.13's CPU {@code F.interpolate(x, size=(h2, w2), mode='bicubic', align_corners=False)} on host float maps
 * [C, h1, w1] → [C, h2, w2], as ATen's {@code cpu_upsample_generic} computes it: per axis scale = (float) in / out,
 * source index scale·(i + 0.5) − 0.5 (not clamped, the cubic rule), its floor taken of the index rounded to float and
 * its fraction t = float(index − floor) of the unrounded index (so t is finer than the index's float ulp, and can be a
 * hair below 0), Keys' cubic convolution weights with A = −0.75 ({@code get_cubic_upsample_coefficients}), the four
 * taps i−1..i+2 clamped to the border; the width taps summed first, then the height taps, in float. Bit for bit
 * torch's portable kernel (ATEN_CPU_CAPABILITY=default); its AVX2 / AVX-512 kernels contract the coefficient
 * polynomials into FMAs, which the cancellation in the outer taps' polynomial turns into ~1e-6 of the values. Used at
 * load time ({@link SwinBiasTableResize}); no gradient.
 */
public final class BicubicResize {
    private BicubicResize() {}

    static final float A = -0.75f;

    /** x [channels, h1, w1] row-major → [channels, h2, w2]. */
    public static float[] resize(float[] x, int channels, int h1, int w1, int h2, int w2) {
        if (x.length != channels * h1 * w1 || h1 < 1 || w1 < 1 || h2 < 1 || w2 < 1)
            throw new IllegalArgumentException("bicubic resize: " + x.length + " values for " + channels + "x" + h1 + "x" + w1
                    + " → " + h2 + "x" + w2);
        int[][] iy = new int[h2][], ix = new int[w2][];
        float[][] wy = new float[h2][], wx = new float[w2][];
        taps(h1, h2, iy, wy);
        taps(w1, w2, ix, wx);
        float[] y = new float[channels * h2 * w2];
        for (int c = 0; c < channels; c++) {
            int base = c * h1 * w1;
            for (int oy = 0; oy < h2; oy++)
                for (int ox = 0; ox < w2; ox++) {
                    float out = 0;
                    for (int j = 0; j < 4; j++) {
                        int row = base + iy[oy][j] * w1;
                        float t = x[row + ix[ox][0]] * wx[ox][0];
                        for (int k = 1; k < 4; k++) t += x[row + ix[ox][k]] * wx[ox][k];
                        out = j == 0 ? t * wy[oy][0] : out + t * wy[oy][j];
                    }
                    y[(c * h2 + oy) * w2 + ox] = out;
                }
        }
        return y;
    }

    /** HelperInterpCubic.compute_indices_weights of one axis: clamped tap indices and their weights per output index. */
    static void taps(int in, int out, int[][] idx, float[][] w) {
        float scale = (float) in / out;
        for (int i = 0; i < out; i++) {
            double real = scale * (i + 0.5) - 0.5; // exact: a float times a multiple of 0.5
            int i0 = (int) Math.floor((float) real);
            float t = (float) (real - i0);
            idx[i] = new int[4];
            for (int j = 0; j < 4; j++) idx[i][j] = Math.max(Math.min(i0 - 1 + j, in - 1), 0);
            w[i] = coefficients(t);
        }
    }

    /** get_cubic_upsample_coefficients(t): cc2(t + 1), cc1(t), cc1(1 − t), cc2(2 − t), in float. */
    static float[] coefficients(float t) {
        float x2 = (float) (1.0 - t);
        return new float[] {conv2((float) (t + 1.0)), conv1(t), conv1(x2), conv2((float) (x2 + 1.0))};
    }

    private static float conv1(float x) { return ((A + 2) * x - (A + 3)) * x * x + 1; }

    private static float conv2(float x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; }
}
