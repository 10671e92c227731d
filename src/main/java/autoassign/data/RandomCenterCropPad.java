package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;

/**
 * MMDetection 3.3's {@code RandomCenterCropPad} (CornerNet / CenterNet), loop for loop.
 *
 * <p><b>Training</b> ({@code test_mode} false): a ratio is drawn from {@code ratios} ({@code random.choice}), the output
 * is {@code int(crop_size[1]·ratio)} × {@code int(crop_size[0]·ratio)} (h × w; {@code crop_size} is (w, h)); then up to
 * 50 centres are drawn, {@code cx = randint(w_border, w − w_border)}, {@code cy} likewise, with the border of
 * {@link #getBorder}. Each centre gives a canvas of the output size filled with {@code mean} (float32; reversed to BGR with
 * {@code to_rgb}) onto which the image around the centre is pasted, centre on centre. With no boxes at all the first
 * centre is taken; otherwise a centre is taken when some box centre (crowd boxes too: MMDetection's {@code gt_bboxes}
 * holds the ignored ones) lies strictly inside the pasted patch. The kept boxes (centre inside) are shifted by
 * {@code (new_w // 2 − cx, new_h // 2 − cy)} in float32, clipped to the output with {@code bbox_clip_border}, and dropped
 * unless {@code is_inside}; labels follow. When the 50 centres fail, a new ratio is drawn.
 *
 * <p>MMDetection's ratio loop is {@code while True}: on an image where no centre of any ratio can hold a box centre
 * (e.g. all boxes in a corner the centre range cannot reach, or a zero-width box on the image edge) it never returns.
 * Here at most {@link #MAX_ROUNDS} ratios are drawn and then a {@link DataException} names the image's size: where a
 * centre exists with probability p per try, the outcome differs from the unbounded loop only with probability
 * {@code (1 − p)^50000}.
 *
 * <p><b>Test mode</b>: no draws and no crop; the output is {@code (h | v) + test_pad_add_pix} ({@code logical_or}) or
 * {@code ceil(h / v)·v} ({@code size_divisor}) per side, the image pasted centre ({@code h // 2, w // 2}) on centre; the
 * boxes stay as they are (as MMDetection leaves them) and the paste's {@code border} (top, bottom, left, right of the image
 * in the output, float32) is what CenterNet's head subtracts from its boxes ({@link #testPad}). Configs refuse test mode
 * (AutoAssign's head has no such subtraction; the config error says so): it is checked against MMDetection by the goldens.
 *
 * <p>The image must be float32 (MMDetection asserts it: {@code to_float32=True} in LoadImageFromFile, or a float step
 * before); it stays float32.
 *
 * @param cropW        {@code crop_size[0]} (training)
 * @param cropH        {@code crop_size[1]} (training)
 * @param ratios       {@code ratios} (training; empty in test mode)
 * @param border       {@code border} (training; 0 in test mode)
 * @param mean         {@code mean}, three values in the config's order
 * @param toRgb        {@code to_rgb}: the mean is given in RGB order and reversed for the BGR image ({@code mean[::-1]})
 * @param testMode     {@code test_mode}
 * @param testPadMode  {@code test_pad_mode[0]} (test mode; null in training)
 * @param testPadValue {@code test_pad_mode[1]}
 * @param testPadAddPix {@code test_pad_add_pix}
 * @param clipBorder   {@code bbox_clip_border}
 */
public record RandomCenterCropPad(double cropW, double cropH, List<Double> ratios, int border, List<Double> mean, boolean toRgb,
                                  boolean testMode, PadMode testPadMode, int testPadValue, int testPadAddPix,
                                  boolean clipBorder) implements ImageStep {
    /** {@code test_pad_mode[0]}. */
    public enum PadMode {
        LOGICAL_OR("logical_or"), SIZE_DIVISOR("size_divisor");

        private final String key;

        PadMode(String key) { this.key = key; }

        public String key() { return key; }

        /** The mode named {@code key}, or null. */
        public static PadMode of(String key) {
            for (PadMode m : values()) if (m.key.equals(key)) return m;
            return null;
        }
    }

    /** Centres tried per ratio, as MMDetection's {@code range(50)}. */
    static final int TRIALS = 50;
    /** The bound on the ratio draws (see the class comment). */
    static final int MAX_ROUNDS = 1000;
    /** Draws per round: the ratio, then (cx, cy) per trial. */
    static final int DRAWS_PER_ROUND = 1 + 2 * TRIALS;

    public RandomCenterCropPad {
        ratios = List.copyOf(ratios);
        mean = List.copyOf(mean);
        if (mean.size() != 3) throw new IllegalArgumentException("RandomCenterCropPad mean needs 3 values, got " + mean);
        if (testMode) {
            if (testPadMode == null) throw new IllegalArgumentException("test mode needs a test_pad_mode");
            if (testPadMode == PadMode.SIZE_DIVISOR ? testPadValue < 1 : testPadValue < 0)
                throw new IllegalArgumentException("bad test_pad_mode value " + testPadValue + " for " + testPadMode.key());
            if (testPadAddPix < 0) throw new IllegalArgumentException("test_pad_add_pix must be >= 0, got " + testPadAddPix);
        } else {
            if (ratios.isEmpty()) throw new IllegalArgumentException("ratios must not be empty");
            for (double r : ratios)
                if (!((int) (cropW * r) >= 1 && (int) (cropH * r) >= 1))
                    throw new IllegalArgumentException("crop_size " + cropW + "x" + cropH + " times ratio " + r + " is under one pixel");
            if (border < 1) throw new IllegalArgumentException("border must be >= 1, got " + border);
        }
    }

    /** Training mode: crop_size (w, h), ratios, border, mean, to_rgb, bbox_clip_border. */
    public static RandomCenterCropPad training(double cropW, double cropH, List<Double> ratios, int border, List<Double> mean,
                                               boolean toRgb, boolean clipBorder) {
        return new RandomCenterCropPad(cropW, cropH, ratios, border, mean, toRgb, false, null, 0, 0, clipBorder);
    }

    /** Test mode: test_pad_mode (mode, value), test_pad_add_pix, mean, to_rgb. */
    public static RandomCenterCropPad testing(PadMode mode, int value, int addPix, List<Double> mean, boolean toRgb) {
        return new RandomCenterCropPad(0, 0, List.of(), 0, mean, toRgb, true, mode, value, addPix, true);
    }

    @Override public String type() { return "RandomCenterCropPad"; }

    /** The canvas value of BGR channel {@code c} (float32, as NumPy's {@code float32 zeros += mean[i]}). */
    float fill(int c) { return (float) (double) mean.get(toRgb ? 2 - c : c); }

    /**
     * {@code _get_border(border, size)}: {@code border // 2^(ceil(log2(ceil(k))) + (k == int(k)))} with
     * {@code k = 2·border / size}, in exact integers (NumPy's float64 log2 of an integer is exact at powers of two).
     */
    static int getBorder(int border, int size) {
        double k = 2.0 * border / size;
        long c = (long) Math.ceil(k);
        int log2Ceil = 64 - Long.numberOfLeadingZeros(c - 1); // ceil(log2(c)) for c >= 1
        int e = log2Ceil + (k == (long) k ? 1 : 0);
        return e >= 31 ? 0 : border >> e; // floor division by a power of two
    }

    /** The draws of one image, by round of MMDetection's ratio loop. */
    interface Draws {
        /** {@code random.choice(ratios)} of round {@code round}: an index in [0, n). */
        int ratio(int round, int n);

        /** {@code randint(lo, hi)} of {@code center_x} (which 0) or {@code center_y} (which 1) of a trial. */
        int centre(int round, int trial, int which, int lo, int hi);
    }

    /** The draws of {@code d}: the ratio, then (cx, cy) per trial, round after round. */
    static Draws draws(SampleDraws d) {
        return new Draws() {
            @Override public int ratio(int round, int n) { return d.integer(SampleDraws.CENTER_CROP_PAD, round * DRAWS_PER_ROUND, 0, n); }

            @Override public int centre(int round, int trial, int which, int lo, int hi) {
                return d.integer(SampleDraws.CENTER_CROP_PAD, round * DRAWS_PER_ROUND + 1 + 2 * trial + which, lo, hi);
            }
        };
    }

    /** A training crop: the output size and the centre in the input. */
    record Crop(int newH, int newW, int centreY, int centreX) {}

    /**
     * {@code _train_aug}'s choice for an image of h × w with these boxes (and crowd boxes): the first (ratio, centre)
     * whose patch holds a box centre, or the first centre when there is no box.
     */
    Crop choose(int h, int w, float[] boxes, float[] crowd, Draws d) {
        int hBorder = getBorder(border, h), wBorder = getBorder(border, w);
        boolean none = boxes.length == 0 && crowd.length == 0;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            double scale = ratios.get(d.ratio(round, ratios.size()));
            int newH = (int) (cropH * scale), newW = (int) (cropW * scale);
            for (int i = 0; i < TRIALS; i++) {
                int cx = d.centre(round, i, 0, wBorder, w - wBorder);
                int cy = d.centre(round, i, 1, hBorder, h - hBorder);
                Crop c = new Crop(newH, newW, cy, cx);
                if (none) return c;
                int[] p = patch(h, w, c.centreY, c.centreX, newH, newW);
                if (any(MinIoURandomCrop.centresInside(boxes, p)) || any(MinIoURandomCrop.centresInside(crowd, p))) return c;
            }
        }
        throw new DataException("RandomCenterCropPad: no crop centre of this " + w + "x" + h + " image holds a box centre after "
                + MAX_ROUNDS + " ratios x " + TRIALS + " centres (MMDetection would loop forever here): boxes out of the centre"
                + " range of border " + border + ", or degenerate boxes on the image edge");
    }

    private static boolean any(boolean[] b) {
        for (boolean v : b) if (v) return true;
        return false;
    }

    /** {@code _crop_image_and_paste}'s patch: the input region {x0, y0, x1, y1} pasted for this centre and size. */
    static int[] patch(int h, int w, int cy, int cx, int targetH, int targetW) {
        return new int[] {Math.max(0, cx - targetW / 2), Math.max(0, cy - targetH / 2),
                Math.min(cx + targetW / 2, w), Math.min(cy + targetH / 2, h)};
    }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        requireFloat(s);
        if (testMode) testPad(s);
        else crop(s, choose(s.height(), s.width(), s.boxes(), s.crowdBoxes(), draws(d)));
    }

    private static void requireFloat(TransformState s) {
        if (s.image().depth() != CV_32F)
            throw new DataException("RandomCenterCropPad needs a float32 image (MMDetection asserts it): set to_float32=True in"
                    + " LoadImageFromFile");
    }

    /** Crops and pads the state as {@code c} says and moves, clips and filters its boxes. */
    void crop(TransformState s, Crop c) {
        int h = s.height(), w = s.width();
        int[] p = patch(h, w, c.centreY, c.centreX, c.newH, c.newW);
        s.setImage(paste(s.image(), p, c.centreY, c.centreX, c.newH, c.newW));
        // translate_ by (new_w // 2 - cx, new_h // 2 - cy), clip_ to the output, is_inside: RandomCrop's box rule for
        // an output of new_w x new_h whose corner sits at (cx - new_w // 2, cy - new_h // 2)
        RandomCrop rule = new RandomCrop(RandomCrop.Type.ABSOLUTE, c.newW, c.newH, true, clipBorder);
        int x0 = c.centreX - c.newW / 2, y0 = c.centreY - c.newH / 2;
        float[] b = s.boxes().clone(), k = s.crowdBoxes().clone();
        boolean[] keepB = and(MinIoURandomCrop.centresInside(s.boxes(), p), rule.shiftAndClip(b, x0, y0, c.newW, c.newH));
        boolean[] keepK = and(MinIoURandomCrop.centresInside(s.crowdBoxes(), p), rule.shiftAndClip(k, x0, y0, c.newW, c.newH));
        s.keepBoxes(b, keepB, k, keepK);
    }

    private static boolean[] and(boolean[] a, boolean[] b) {
        boolean[] out = new boolean[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i] && b[i];
        return out;
    }

    /** The test-mode output size (h, w) for an input of h × w. */
    int[] testSize(int h, int w) {
        return testPadMode == PadMode.LOGICAL_OR
                ? new int[] {(h | testPadValue) + testPadAddPix, (w | testPadValue) + testPadAddPix}
                : new int[] {Pipeline.padTo(h, testPadValue), Pipeline.padTo(w, testPadValue)};
    }

    /**
     * {@code _test_aug}: pads the state's image around its centre to {@link #testSize}; the boxes are not moved. Returns
     * MMDetection's {@code results['border']}: (top, bottom, left, right) of the pasted image in the output, float32.
     */
    float[] testPad(TransformState s) {
        int h = s.height(), w = s.width();
        int[] t = testSize(h, w);
        int cy = h / 2, cx = w / 2;
        int[] p = patch(h, w, cy, cx, t[0], t[1]);
        s.setImage(paste(s.image(), p, cy, cx, t[0], t[1]));
        int top = t[0] / 2 - (cy - p[1]), left = t[1] / 2 - (cx - p[0]);
        return new float[] {top, top + p[3] - p[1], left, left + p[2] - p[0]};
    }

    /**
     * A new float32 {@code targetH × targetW} canvas of {@link #fill} with the input's patch {@code p} pasted so that
     * the centre (cy, cx) lands on ({@code targetH // 2}, {@code targetW // 2}).
     */
    private Mat paste(Mat img, int[] p, int cy, int cx, int targetH, int targetW) {
        Mat canvas;
        try (Scalar f = new Scalar(fill(0), fill(1), fill(2), 0)) {
            canvas = new Mat(targetH, targetW, CV_32FC3, f);
        }
        int pw = p[2] - p[0], ph = p[3] - p[1];
        if (pw > 0 && ph > 0) { // an empty NumPy slice copies nothing
            try (Rect from = new Rect(p[0], p[1], pw, ph); Mat src = new Mat(img, from);
                 Rect to = new Rect(targetW / 2 - (cx - p[0]), targetH / 2 - (cy - p[1]), pw, ph); Mat dst = new Mat(canvas, to)) {
                src.copyTo(dst);
            }
        }
        return canvas;
    }
}
