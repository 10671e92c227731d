package autoassign.onnx;

import autoassign.onnx.OnnxInterpreter.Val;

import java.util.Map;

/**
 * ONNX {@code Resize} with {@code mode} linear over the last two axes of a 4-D input, written from the operator
 * specification (independently of the engine's {@code InterpolationMatrices}): per axis the scale is the given
 * {@code scales} entry or output/input (float, from {@code sizes}); an output coordinate x maps to
 * {@code x_original = (x + 0.5) / scale − 0.5} ({@code half_pixel}; {@code pytorch_half_pixel} the same but 0 where the
 * output length is 1); the value is the linear interpolation of the two neighbours ⌊x_original⌋ and ⌊x_original⌋ + 1,
 * with coordinates outside [0, in − 1] taking the edge value (the specification's reference pads with the edge), in
 * double, rounded to float32 once.
 */
final class OnnxLinearResize {
    private OnnxLinearResize() {}

    /** {@code sizes} the output shape; {@code scales} the 4 scales, or null (then output / input). */
    static Val run(Val x, long[] sizes, float[] scales, Map<String, Object> a) {
        String mode = (String) a.getOrDefault("coordinate_transformation_mode", "half_pixel");
        if (!mode.equals("half_pixel") && !mode.equals("pytorch_half_pixel"))
            throw new IllegalArgumentException("Resize linear: only half_pixel / pytorch_half_pixel are evaluated, got " + mode);
        if ((Long) a.getOrDefault("exclude_outside", 0L) != 0 || (Long) a.getOrDefault("antialias", 0L) != 0)
            throw new IllegalArgumentException("Resize linear: exclude_outside / antialias are not evaluated");
        int[] s = x.shape();
        if (s.length != 4 || sizes[0] != s[0] || sizes[1] != s[1])
            throw new IllegalArgumentException("Resize linear: only spatial resizing of a 4-D input is evaluated");
        int planes = s[0] * s[1], h = s[2], w = s[3], oh = (int) sizes[2], ow = (int) sizes[3];
        boolean pytorch = mode.equals("pytorch_half_pixel");
        double[][] ry = weights(h, oh, scales == null ? (float) oh / h : scales[2], pytorch);
        double[][] rx = weights(w, ow, scales == null ? (float) ow / w : scales[3], pytorch);
        float[] v = x.f(), out = new float[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    int y0 = (int) ry[i][0], y1 = (int) ry[i][1], x0 = (int) rx[j][0], x1 = (int) rx[j][1];
                    double ly = ry[i][2], lx = rx[j][2];
                    int base = p * h * w;
                    double top = v[base + y0 * w + x0] * (1 - lx) + v[base + y0 * w + x1] * lx;
                    double bottom = v[base + y1 * w + x0] * (1 - lx) + v[base + y1 * w + x1] * lx;
                    out[(p * oh + i) * ow + j] = (float) (top * (1 - ly) + bottom * ly);
                }
        return Val.ofFloats(out, s[0], s[1], oh, ow);
    }

    /** Per output index: the two source indices (edge-clamped) and the weight of the second. */
    private static double[][] weights(int in, int out, float scale, boolean pytorch) {
        double[][] r = new double[out][];
        for (int o = 0; o < out; o++) {
            double src = pytorch && out == 1 ? 0 : (o + 0.5) / scale - 0.5;
            double f = Math.floor(src);
            int i0 = clamp((long) f, in), i1 = clamp((long) f + 1, in);
            r[o] = new double[] {i0, i1, src - f};
        }
        return r;
    }

    private static int clamp(long i, int in) { return (int) Math.max(0, Math.min(in - 1, i)); }
}
