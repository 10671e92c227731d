package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

import java.util.List;

/**
 * MMDetection 3.3's {@code MinIoURandomCrop} (SSD's crop), loop for loop: a mode drawn uniformly from
 * {@code (1, *min_ious, 0)}; mode 1 keeps the image; otherwise up to 50 trials of a patch with sides drawn in
 * [{@code min_crop_size} × side, side] and aspect h / w in [0.5, 2], rejected when it is a line or a point, when the
 * IoU with some box is below the mode, or when no box centre lies strictly inside it. An accepted patch keeps the boxes
 * whose centre is inside, shifted by its corner and clipped to it ({@code bbox_clip_border}); labels and crowd boxes
 * follow (crowd boxes count as boxes, as they sit in MMDetection's {@code gt_bboxes}). When the 50 trials fail, a new
 * mode is drawn.
 *
 * <p>The patch corner is drawn as MMDetection draws it, {@code random.uniform(w - new_w)}: NumPy reads the one argument
 * as {@code low} with {@code high = 1}, so {@code left = lo + (1 - lo) u} with {@code lo = w - new_w}, i.e. between 1
 * and {@code w - new_w} (not between 0 and it).
 *
 * <p>MMDetection loops over modes {@code while True}; it ends with probability 1 because mode 1 is always drawable.
 * Here at most {@link #MAX_MODE_DRAWS} modes are drawn and the image is then kept as mode 1 keeps it: the outcome
 * differs from the unbounded loop only when 100 drawn modes in a row were neither 1 nor succeeded, which has
 * probability below {@code (1 - 1 / (n + 2))^100} (under 2e-7 with the five default IoUs).
 *
 * @param minIous     {@code min_ious}
 * @param minCropSize {@code min_crop_size}
 * @param clipBorder  {@code bbox_clip_border}
 */
public record MinIoURandomCrop(List<Double> minIous, double minCropSize, boolean clipBorder) implements ImageStep {
    /** Trials of a patch per mode, as MMDetection's {@code range(50)}. */
    static final int TRIALS = 50;
    /** The bound on the mode draws (see the class comment). */
    static final int MAX_MODE_DRAWS = 100;
    /** Draws per mode: the mode, then 4 per trial (new_w, new_h, left, top). */
    static final int DRAWS_PER_MODE = 1 + 4 * TRIALS;

    public MinIoURandomCrop {
        minIous = List.copyOf(minIous);
        for (double v : minIous)
            if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("min_ious must be in [0, 1], got " + minIous);
        if (!(minCropSize > 0 && minCropSize <= 1))
            throw new IllegalArgumentException("min_crop_size must be in (0, 1], got " + minCropSize);
    }

    /** MMDetection's defaults: (0.1, 0.3, 0.5, 0.7, 0.9), 0.3, true. */
    public static MinIoURandomCrop defaults() { return new MinIoURandomCrop(List.of(0.1, 0.3, 0.5, 0.7, 0.9), 0.3, true); }

    @Override public String type() { return "MinIoURandomCrop"; }

    /** {@code sample_mode[i]}: 1, the IoUs, 0. */
    double mode(int i) { return i == 0 ? 1 : i <= minIous.size() ? minIous.get(i - 1) : 0; }

    /** The draws of one image, by round of MMDetection's mode loop. */
    interface Draws {
        /** {@code random.choice(sample_mode)} of round {@code round}: an index in [0, modes). */
        int mode(int round, int modes);

        /** The uniform in [0, 1) behind draw {@code which} (0 new_w, 1 new_h, 2 left, 3 top) of a trial. */
        double unit(int round, int trial, int which);
    }

    /**
     * The accepted patch (x1, y1, x2, y2) for an image of h × w with these boxes (and crowd boxes), or null to keep
     * the image as it is.
     */
    int[] patch(int h, int w, float[] boxes, float[] crowd, SampleDraws d) {
        long s = SampleDraws.MIN_IOU_CROP;
        return patch(h, w, boxes, crowd, new Draws() {
            @Override public int mode(int round, int modes) { return d.integer(s, round * DRAWS_PER_MODE, 0, modes); }

            @Override public double unit(int round, int trial, int which) {
                return d.unit(s, round * DRAWS_PER_MODE + 1 + 4 * trial + which);
            }
        });
    }

    /** {@link #patch(int, int, float[], float[], SampleDraws)} with the given draws. */
    int[] patch(int h, int w, float[] boxes, float[] crowd, Draws d) {
        float[] all = new float[boxes.length + crowd.length];
        System.arraycopy(boxes, 0, all, 0, boxes.length);
        System.arraycopy(crowd, 0, all, boxes.length, crowd.length);
        int n = all.length / 4;
        int modes = minIous.size() + 2;
        for (int round = 0; round < MAX_MODE_DRAWS; round++) {
            double minIou = mode(d.mode(round, modes));
            if (minIou == 1) return null;
            for (int i = 0; i < TRIALS; i++) {
                double newW = uniform(minCropSize * w, w, d.unit(round, i, 0));
                double newH = uniform(minCropSize * h, h, d.unit(round, i, 1));
                if (newH / newW < 0.5 || newH / newW > 2) continue;
                double left = uniform(w - newW, 1, d.unit(round, i, 2)); // NumPy's uniform(low) with high = 1
                double top = uniform(h - newH, 1, d.unit(round, i, 3));
                int[] p = {(int) left, (int) top, (int) (left + newW), (int) (top + newH)};
                if (p[2] == p[0] || p[3] == p[1]) continue;
                if (n > 0) {
                    if (minIoU(p, all) < minIou) continue;
                    if (!anyCentreInside(all, p)) continue;
                }
                return p;
            }
        }
        return null;
    }

    /** NumPy's {@code uniform(lo, hi)} from its {@code random_sample} u. */
    private static double uniform(double lo, double hi, double u) { return lo + (hi - lo) * u; }

    /** Crops the state as drawn. */
    @Override
    public void apply(TransformState s, SampleDraws d) {
        Mat img = s.image();
        int[] p = patch(img.rows(), img.cols(), s.boxes(), s.crowdBoxes(), d);
        if (p != null) crop(s, p);
    }

    /** Crops the state to the patch (x1, y1, x2, y2), keeping the boxes whose centre is inside it. */
    void crop(TransformState s, int[] p) {
        Mat img = s.image();
        try (Rect r = new Rect(p[0], p[1], p[2] - p[0], p[3] - p[1]); Mat roi = new Mat(img, r)) {
            s.setImage(roi.clone());
        }
        float[] b = s.boxes(), k = s.crowdBoxes();
        s.keepBoxes(shiftAndClip(b, p), centresInside(b, p), shiftAndClip(k, p), centresInside(k, p));
    }

    /**
     * The smallest IoU of the patch with the boxes, as {@code bbox_overlaps} computes it in float32 (union at least
     * 1e-6), widened to double for the comparison with the mode (NumPy 1.x compares a float32 scalar with a Python float
     * in double).
     */
    static double minIoU(int[] p, float[] boxes) {
        float px1 = p[0], py1 = p[1], px2 = p[2], py2 = p[3];
        float area1 = (px2 - px1) * (py2 - py1);
        float min = Float.POSITIVE_INFINITY;
        for (int i = 0; i + 3 < boxes.length; i += 4) {
            float x1 = boxes[i], y1 = boxes[i + 1], x2 = boxes[i + 2], y2 = boxes[i + 3];
            float area2 = (x2 - x1) * (y2 - y1);
            float w = Math.max(Math.min(px2, x2) - Math.max(px1, x1), 0f);
            float h = Math.max(Math.min(py2, y2) - Math.max(py1, y1), 0f);
            float overlap = w * h;
            float union = Math.max(area1 + area2 - overlap, 1e-6f);
            min = Math.min(min, overlap / union);
        }
        return min;
    }

    /** {@code is_center_of_bboxes_in_patch}: centres {@code (x1 + x2) / 2} in float32, strictly inside. */
    static boolean[] centresInside(float[] boxes, int[] p) {
        boolean[] in = new boolean[boxes.length / 4];
        for (int i = 0; i < in.length; i++) {
            float cx = (boxes[4 * i] + boxes[4 * i + 2]) / 2, cy = (boxes[4 * i + 1] + boxes[4 * i + 3]) / 2;
            in[i] = cx > p[0] && cy > p[1] && cx < p[2] && cy < p[3];
        }
        return in;
    }

    private static boolean anyCentreInside(float[] boxes, int[] p) {
        for (boolean b : centresInside(boxes, p)) if (b) return true;
        return false;
    }

    /** A new array: boxes shifted by the patch corner in float32 and, with {@code bbox_clip_border}, clipped to it. */
    float[] shiftAndClip(float[] boxes, int[] p) {
        float[] out = Expand.translate(boxes, -p[0], -p[1]);
        if (clipBorder) {
            float w = p[2] - p[0], h = p[3] - p[1];
            for (int i = 0; i < out.length; i++) out[i] = Math.min(Math.max(out[i], 0f), i % 2 == 0 ? w : h);
        }
        return out;
    }
}
