package autoassign.data;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.util.Arrays;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2HSV;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_HSV2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

/**
 * MMDetection's {@code PhotoMetricDistortion} on float32 BGR pixels, operation for operation: brightness
 * {@code x += delta}; contrast {@code x *= alpha} first (mode 1) or last (mode 0); OpenCV BGR → HSV (H in degrees,
 * float); saturation {@code S *= s}; hue {@code H += h}, then {@code -= 360} where above 360 and {@code += 360} where
 * below 0; HSV → BGR; a channel permutation. Each operation but the colour conversions happens with probability 1/2.
 * The drawn values are rounded to float32 before use, as NumPy does when a Python float meets a float32 array, and
 * the result is not clipped (it may leave [0, 255]).
 *
 * @param brightnessDelta {@code brightness_delta}: delta uniform in [-d, d)
 * @param contrastLo      {@code contrast_range[0]}
 * @param contrastHi      {@code contrast_range[1]}
 * @param saturationLo    {@code saturation_range[0]}
 * @param saturationHi    {@code saturation_range[1]}
 * @param hueDelta        {@code hue_delta}: hue shift uniform in [-d, d) degrees
 */
public record PhotoMetricDistortion(double brightnessDelta, double contrastLo, double contrastHi, double saturationLo,
                                    double saturationHi, double hueDelta) implements Transform {
    /** The six permutations of (0, 1, 2) in lexicographic order, the channel swap drawn among them uniformly. */
    private static final int[][] PERMUTATIONS = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

    public PhotoMetricDistortion {
        if (!(brightnessDelta >= 0) || !(hueDelta >= 0)) throw new IllegalArgumentException("deltas must be >= 0");
        if (!(contrastLo <= contrastHi) || !(saturationLo <= saturationHi)) throw new IllegalArgumentException("ranges must be [lo, hi]");
    }

    /** MMDetection's defaults: 32, (0.5, 1.5), (0.5, 1.5), 18. */
    public static PhotoMetricDistortion defaults() { return new PhotoMetricDistortion(32, 0.5, 1.5, 0.5, 1.5, 18); }

    @Override public String type() { return "PhotoMetricDistortion"; }

    /**
     * One image's draws ({@code _random_flags}).
     *
     * @param contrastFirst mode 1: contrast before the HSV conversion (mode 0: after it)
     * @param permutation   output channel c takes input channel {@code permutation[c]} ({@code img[..., perm]})
     */
    public record Draw(boolean contrastFirst, boolean brightness, boolean contrast, boolean saturation, boolean hue,
                       boolean swap, double delta, double alpha, double saturationScale, double hueShift, int[] permutation) {
        public Draw {
            permutation = permutation.clone();
        }

        @Override public int[] permutation() { return permutation.clone(); }

        @Override public boolean equals(Object o) {
            return o instanceof Draw d && d.contrastFirst == contrastFirst && d.brightness == brightness && d.contrast == contrast
                    && d.saturation == saturation && d.hue == hue && d.swap == swap && d.delta == delta && d.alpha == alpha
                    && d.saturationScale == saturationScale && d.hueShift == hueShift && Arrays.equals(d.permutation, permutation);
        }

        @Override public int hashCode() { return Arrays.hashCode(new double[] {delta, alpha, saturationScale, hueShift}); }

        @Override public String toString() {
            return "Draw[mode=" + (contrastFirst ? 1 : 0) + ", brightness=" + brightness + "(" + delta + "), contrast=" + contrast
                    + "(" + alpha + "), saturation=" + saturation + "(" + saturationScale + "), hue=" + hue + "(" + hueShift
                    + "), swap=" + swap + Arrays.toString(permutation) + "]";
        }
    }

    /**
     * The draws of one image, in {@code _random_flags}' order under {@link SampleDraws#PHOTOMETRIC}: 0 mode,
     * 1–5 the brightness / contrast / saturation / hue / swap flags (each {@code randint(2)}), 6 delta, 7 alpha,
     * 8 saturation, 9 hue ({@code uniform}), 10 the permutation (one of the six, uniformly).
     */
    public Draw draw(SampleDraws d) {
        long s = SampleDraws.PHOTOMETRIC;
        return new Draw(d.integer(s, 0, 0, 2) == 1, d.integer(s, 1, 0, 2) == 1, d.integer(s, 2, 0, 2) == 1,
                d.integer(s, 3, 0, 2) == 1, d.integer(s, 4, 0, 2) == 1, d.integer(s, 5, 0, 2) == 1,
                d.uniform(s, 6, -brightnessDelta, brightnessDelta), d.uniform(s, 7, contrastLo, contrastHi),
                d.uniform(s, 8, saturationLo, saturationHi), d.uniform(s, 9, -hueDelta, hueDelta),
                PERMUTATIONS[d.integer(s, 10, 0, 6)]);
    }

    /** Distorts HWC BGR float32 pixels of an h × w image in place (and returns them). */
    public static float[] apply(float[] px, int h, int w, Draw d) {
        if (px.length != h * w * 3) throw new IllegalArgumentException("expected " + h + "x" + w + "x3 values, got " + px.length);
        float alpha = (float) d.alpha;
        if (d.brightness) {
            float delta = (float) d.delta;
            for (int i = 0; i < px.length; i++) px[i] += delta;
        }
        if (d.contrastFirst && d.contrast) for (int i = 0; i < px.length; i++) px[i] *= alpha;
        convert(px, h, w, COLOR_BGR2HSV);
        if (d.saturation) {
            float s = (float) d.saturationScale;
            boolean clip = d.saturationScale > 1; // mmdet 3.x: a float image's valid saturation is [0, 1]
            for (int i = 1; i < px.length; i += 3) {
                float v = px[i] * s;
                px[i] = clip ? Math.min(Math.max(v, 0f), 1f) : v;
            }
        }
        if (d.hue) {
            float shift = (float) d.hueShift;
            for (int i = 0; i < px.length; i += 3) {
                float v = px[i] + shift;
                if (v > 360) v -= 360;
                if (v < 0) v += 360;
                px[i] = v;
            }
        }
        convert(px, h, w, COLOR_HSV2BGR);
        if (!d.contrastFirst && d.contrast) for (int i = 0; i < px.length; i++) px[i] *= alpha;
        if (d.swap) {
            int[] p = d.permutation;
            for (int i = 0; i < px.length; i += 3) {
                float c0 = px[i], c1 = px[i + 1], c2 = px[i + 2];
                px[i] = p[0] == 0 ? c0 : p[0] == 1 ? c1 : c2;
                px[i + 1] = p[1] == 0 ? c0 : p[1] == 1 ? c1 : c2;
                px[i + 2] = p[2] == 0 ? c0 : p[2] == 1 ? c1 : c2;
            }
        }
        return px;
    }

    /** {@code cv::cvtColor} of float32 3-channel pixels in place ({@code mmcv.bgr2hsv} / {@code hsv2bgr}). */
    static void convert(float[] px, int h, int w, int code) {
        try (FloatPointer in = new FloatPointer(px); FloatPointer out = new FloatPointer((long) px.length);
             Mat src = new Mat(h, w, CV_32FC3, in); Mat dst = new Mat(h, w, CV_32FC3, out)) {
            cvtColor(src, dst, code);
            out.get(px);
        }
    }
}
