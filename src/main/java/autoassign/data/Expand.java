package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;

/**
 * MMDetection 3.3's {@code Expand} (SSD's zoom-out): with probability {@code prob} the image is placed at a random
 * offset on a canvas {@code ratio} times its size filled with the mean, and the boxes (crowd boxes too) are shifted by
 * that offset. The canvas has the image's type: an 8-bit image stays 8-bit with the mean truncated to integers (NumPy's
 * cast of {@code np.full(..., mean, dtype=uint8)}), a float image gets the mean as float32.
 *
 * @param mean     {@code mean}, three values in the config's order
 * @param toRgb    {@code to_rgb}: the mean is given in RGB order and is reversed for the BGR image (MMDetection's
 *                 {@code mean[::-1]})
 * @param ratioLo  {@code ratio_range[0]}
 * @param ratioHi  {@code ratio_range[1]}
 * @param prob     {@code prob}
 */
public record Expand(List<Double> mean, boolean toRgb, double ratioLo, double ratioHi, double prob) implements ImageStep {
    /** Draw numbers under {@link SampleDraws#EXPAND}, in MMDetection's order. */
    static final int DRAW_PROB = 0, DRAW_RATIO = 1, DRAW_LEFT = 2, DRAW_TOP = 3;

    public Expand {
        mean = List.copyOf(mean);
        if (mean.size() != 3) throw new IllegalArgumentException("Expand mean needs 3 values, got " + mean);
        for (double m : mean)
            if (!(m >= 0 && m <= 255)) throw new IllegalArgumentException("Expand mean values must be in [0, 255], got " + mean);
        if (!(ratioLo >= 1 && ratioLo <= ratioHi) || Double.isInfinite(ratioHi))
            throw new IllegalArgumentException("Expand ratio_range must be [lo, hi] with 1 <= lo <= hi, got " + ratioLo + ", " + ratioHi);
        if (!(prob >= 0 && prob <= 1)) throw new IllegalArgumentException("Expand prob must be in [0, 1], got " + prob);
    }

    /** MMDetection's defaults: mean (0, 0, 0), to_rgb true, ratio_range (1, 4), prob 0.5. */
    public static Expand defaults() { return new Expand(List.of(0.0, 0.0, 0.0), true, 1, 4, 0.5); }

    @Override public String type() { return "Expand"; }

    /** The canvas value of BGR channel {@code c}. */
    double fill(int c) { return mean.get(toRgb ? 2 - c : c); }

    /**
     * One image's draws: null when it is not expanded ({@code u > prob}), else the canvas size and the offset.
     *
     * @return {canvas height, canvas width, left, top}
     */
    int[] draw(int h, int w, SampleDraws d) {
        long s = SampleDraws.EXPAND;
        return draw(h, w, d.unit(s, DRAW_PROB), d.unit(s, DRAW_RATIO), d.unit(s, DRAW_LEFT), d.unit(s, DRAW_TOP));
    }

    /**
     * {@link #draw(int, int, SampleDraws)} from the four uniforms in [0, 1) (NumPy's {@code random_sample} behind each
     * {@code random.uniform(lo, hi) = lo + (hi - lo) u}).
     */
    int[] draw(int h, int w, double uProb, double uRatio, double uLeft, double uTop) {
        if (uProb > prob) return null;
        double ratio = ratioLo + (ratioHi - ratioLo) * uRatio;
        int left = (int) ((w * ratio - w) * uLeft);
        int top = (int) ((h * ratio - h) * uTop);
        return new int[] {(int) (h * ratio), (int) (w * ratio), left, top};
    }

    /** Expands the state's image and boxes with this image's draws. */
    @Override
    public void apply(TransformState s, SampleDraws d) {
        int[] g = draw(s.image().rows(), s.image().cols(), d);
        if (g != null) expand(s, g);
    }

    /** Expands the state onto a {@code g[0]} × {@code g[1]} canvas at ({@code g[2]}, {@code g[3]}), as {@link #draw} gives. */
    void expand(TransformState s, int[] g) {
        Mat img = s.image();
        int h = img.rows(), w = img.cols();
        boolean bytes = img.depth() == CV_8U;
        double[] v = new double[3];
        for (int c = 0; c < 3; c++) v[c] = bytes ? Math.floor(fill(c)) : (float) fill(c); // uint8 cast truncates
        Mat canvas;
        try (Scalar fill = new Scalar(v[0], v[1], v[2], 0)) {
            canvas = new Mat(g[0], g[1], img.type(), fill);
        }
        try (Rect r = new Rect(g[2], g[3], w, h); Mat roi = new Mat(canvas, r)) {
            img.copyTo(roi);
        }
        s.setImage(canvas);
        s.setBoxes(translate(s.boxes(), g[2], g[3]), translate(s.crowdBoxes(), g[2], g[3]));
    }

    /** {@code HorizontalBoxes.translate_}: a new array with (dx, dy) added in float32. */
    static float[] translate(float[] boxes, float dx, float dy) {
        float[] out = new float[boxes.length];
        for (int i = 0; i + 3 < boxes.length; i += 4) {
            out[i] = boxes[i] + dx;
            out[i + 1] = boxes[i + 1] + dy;
            out[i + 2] = boxes[i + 2] + dx;
            out[i + 3] = boxes[i + 3] + dy;
        }
        return out;
    }
}
