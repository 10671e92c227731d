package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * MMDetection 3.3's {@code RandomShift}: with probability {@code prob} the image moves by (dx, dy), each drawn in
 * [-max_shift_px, max_shift_px) (NumPy's {@code randint}), onto a zero canvas of the same size and type; boxes are
 * shifted in float32, always clipped to the image, and kept when both sides exceed {@code filter_thr_px}. When no box
 * (crowd boxes included, as in MMDetection's {@code gt_bboxes}) would be kept, nothing changes, image included.
 *
 * @param prob        {@code prob}
 * @param maxShiftPx  {@code max_shift_px}
 * @param filterThrPx {@code filter_thr_px} (MMDetection keeps {@code int(filter_thr_px)})
 */
public record RandomShift(double prob, int maxShiftPx, int filterThrPx) implements ImageStep {
    /** Draw numbers under {@link SampleDraws#SHIFT}. */
    static final int DRAW_PROB = 0, DRAW_X = 1, DRAW_Y = 2;

    public RandomShift {
        if (!(prob >= 0 && prob <= 1)) throw new IllegalArgumentException("RandomShift prob must be in [0, 1], got " + prob);
        if (maxShiftPx < 1) throw new IllegalArgumentException("RandomShift max_shift_px must be >= 1, got " + maxShiftPx);
    }

    /** MMDetection's defaults: 0.5, 32, 1. */
    public static RandomShift defaults() { return new RandomShift(0.5, 32, 1); }

    @Override public String type() { return "RandomShift"; }

    /** The shift (dx, dy) of this image, or null when it is not shifted. */
    int[] draw(SampleDraws d) {
        long s = SampleDraws.SHIFT;
        if (!shifts(d.unit(s, DRAW_PROB))) return null;
        return new int[] {d.integer(s, DRAW_X, -maxShiftPx, maxShiftPx), d.integer(s, DRAW_Y, -maxShiftPx, maxShiftPx)};
    }

    /** {@code _random_prob() < prob}, with the uniform {@code u} of {@code random.uniform(0, 1)}. */
    boolean shifts(double u) { return u < prob; }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        int[] shift = draw(d);
        if (shift != null) shift(s, shift[0], shift[1]);
    }

    /** Shifts the state by (dx, dy) as drawn (nothing changes when no box would be kept). */
    void shift(TransformState s, int dx, int dy) {
        Mat img = s.image();
        int h = img.rows(), w = img.cols();
        float[] b = shiftAndClip(s.boxes(), dx, dy, w, h), k = shiftAndClip(s.crowdBoxes(), dx, dy, w, h);
        boolean[] keepB = valid(b), keepK = valid(k);
        boolean any = false;
        for (boolean v : keepB) any |= v;
        for (boolean v : keepK) any |= v;
        if (!any) return; // MMDetection returns the results untouched
        s.keepBoxes(b, keepB, k, keepK);
        Mat out; // np.zeros_like: same size and type
        try (Scalar zero = new Scalar(0, 0, 0, 0)) {
            out = new Mat(h, w, img.type(), zero);
        }
        int nh = h - Math.abs(dy), nw = w - Math.abs(dx);
        if (nh > 0 && nw > 0) {
            try (Rect from = new Rect(Math.max(0, -dx), Math.max(0, -dy), nw, nh);
                 Rect to = new Rect(Math.max(0, dx), Math.max(0, dy), nw, nh);
                 Mat src = new Mat(img, from); Mat dst = new Mat(out, to)) {
                src.copyTo(dst);
            }
        }
        s.setImage(out);
    }

    /** A new array: boxes + (dx, dy) in float32, clipped to [0, w] × [0, h]. */
    static float[] shiftAndClip(float[] boxes, int dx, int dy, int w, int h) {
        float[] out = Expand.translate(boxes, dx, dy);
        for (int i = 0; i < out.length; i++) out[i] = Math.min(Math.max(out[i], 0f), i % 2 == 0 ? w : h);
        return out;
    }

    /** Width and height both above {@code filter_thr_px}. */
    boolean[] valid(float[] boxes) {
        boolean[] keep = new boolean[boxes.length / 4];
        for (int i = 0; i < keep.length; i++)
            keep[i] = boxes[4 * i + 2] - boxes[4 * i] > filterThrPx && boxes[4 * i + 3] - boxes[4 * i + 1] > filterThrPx;
        return keep;
    }
}
