package autoassign.data;

/**
 * MMDetection's {@code HorizontalBoxes} operations as the multi-image steps ({@link Mosaic}, {@link MixUp}) use them,
 * on x1 y1 x2 y2 float arrays in float32 as torch computes them: {@code rescale_} (the factor rounded to float32 first,
 * as {@code new_tensor} does), {@code translate_}, {@code clip_}, {@code flip_} (horizontal) and {@code is_inside}.
 * Every method returns a new array.
 */
final class HorizontalBoxOps {
    private HorizontalBoxOps() {}

    /** {@code rescale_([s, s])}: every coordinate times {@code float32(s)}. */
    static float[] rescale(float[] b, double s) {
        float f = (float) s;
        float[] out = new float[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i] * f;
        return out;
    }

    /** {@code translate_([dx, dy])}. */
    static float[] translate(float[] b, float dx, float dy) { return Expand.translate(b, dx, dy); }

    /** {@code clip_([h, w])}: x in [0, w], y in [0, h]. */
    static float[] clip(float[] b, float w, float h) {
        float[] out = new float[b.length];
        for (int i = 0; i < b.length; i++) out[i] = Math.min(Math.max(b[i], 0f), i % 2 == 0 ? w : h);
        return out;
    }

    /** {@code flip_([h, w], 'horizontal')}: {@code x1' = w - x2, x2' = w - x1}. */
    static float[] flipHorizontal(float[] b, float w) {
        float[] out = b.clone();
        for (int i = 0; i + 3 < b.length; i += 4) {
            out[i] = w - b[i + 2];
            out[i + 2] = w - b[i];
        }
        return out;
    }

    /** {@code is_inside([h, w])}: {@code x1 < w, y1 < h, x2 > 0, y2 > 0} per box. */
    static boolean[] inside(float[] b, float w, float h) {
        boolean[] keep = new boolean[b.length / 4];
        for (int j = 0, i = 0; j < keep.length; j++, i += 4) keep[j] = b[i] < w && b[i + 1] < h && b[i + 2] > 0 && b[i + 3] > 0;
        return keep;
    }

    /** The boxes one after another ({@code cat}). */
    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** The labels one after another ({@code np.concatenate}). */
    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
