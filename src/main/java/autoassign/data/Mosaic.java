package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;

/**
 * MMDetection 3.3's {@code Mosaic} (YOLOX): four images, the state's own (top left) and three drawn from the dataset
 * ({@link #indexes}), each resized keeping its ratio to fit {@code img_scale} ({@code mmcv.imresize}, bilinear, sizes
 * truncated to integers) and cut and pasted around a random centre of a {@code 2·h × 2·w} canvas filled with
 * {@code pad_val} in the image's type; the boxes (crowd boxes too) are scaled by each image's ratio in float32, shifted
 * by its paste offset, clipped to the canvas ({@code bbox_clip_border}) and kept when {@code is_inside} holds. It runs
 * inside a {@link MultiImageMixDataset} wrapper, which supplies the three other images ({@link MixingPipeline}).
 *
 * <p>{@code img_scale} is (w, h), as MMDetection 3.3's code reads it: the canvas is {@code np.full((img_scale[1] * 2,
 * img_scale[0] * 2, 3))}, the centre {@code (int(uniform(lo, hi) · img_scale[0]), int(uniform(lo, hi) · img_scale[1]))}
 * and an image's factor {@code min(img_scale[1] / h_i, img_scale[0] / w_i)} (MMDetection 2.x read it as (h, w)).
 *
 * @param scaleW     {@code img_scale[0]}: the width
 * @param scaleH     {@code img_scale[1]}: the height
 * @param centerLo   {@code center_ratio_range[0]}
 * @param centerHi   {@code center_ratio_range[1]}
 * @param clipBorder {@code bbox_clip_border}
 * @param padVal     {@code pad_val} (cast to the image's type: truncated for an 8-bit image)
 * @param prob       {@code prob}: skipped when the draw {@code u > prob}
 */
public record Mosaic(int scaleW, int scaleH, double centerLo, double centerHi, boolean clipBorder, double padVal, double prob)
        implements Transform {
    /** Draw numbers under {@link SampleDraws#MOSAIC}: the skip, the centre's two ratios, the three indexes (3 + i). */
    static final int DRAW_PROB = 0, DRAW_CENTER_X = 1, DRAW_CENTER_Y = 2, DRAW_INDEX = 3;

    /** The places of the four images, in MMDetection's order. */
    enum Corner { TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT }

    public Mosaic {
        if (scaleW <= 0 || scaleH <= 0) throw new IllegalArgumentException("Mosaic img_scale must be positive, got " + scaleW + ", " + scaleH);
        if (!(centerLo >= 0 && centerLo <= centerHi && centerHi <= 2))
            throw new IllegalArgumentException("Mosaic center_ratio_range must be [lo, hi] with 0 <= lo <= hi <= 2, got " + centerLo + ", " + centerHi);
        if (!(padVal >= 0 && padVal <= 255)) throw new IllegalArgumentException("Mosaic pad_val must be in [0, 255], got " + padVal);
        if (!(prob >= 0 && prob <= 1)) throw new IllegalArgumentException("Mosaic prob must be in [0, 1], got " + prob);
    }

    /** MMDetection's defaults: (640, 640), (0.5, 1.5), clip, 114.0, prob 1. */
    public static Mosaic defaults() { return new Mosaic(640, 640, 0.5, 1.5, true, 114.0, 1.0); }

    @Override public String type() { return "Mosaic"; }

    /** {@code get_indexes}: three indexes, each {@code randint(0, n)}. */
    int[] indexes(int n, SampleDraws d) {
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) out[i] = d.integer(SampleDraws.MOSAIC, DRAW_INDEX + i, 0, n);
        return out;
    }

    /** The mosaic centre (x, y): {@code int(uniform(lo, hi) · img_scale[0])}, {@code int(uniform(lo, hi) · img_scale[1])}. */
    int[] center(SampleDraws d) {
        return new int[] {(int) (d.uniform(SampleDraws.MOSAIC, DRAW_CENTER_X, centerLo, centerHi) * scaleW),
                (int) (d.uniform(SampleDraws.MOSAIC, DRAW_CENTER_Y, centerLo, centerHi) * scaleH)};
    }

    /**
     * {@code _mosaic_combine}: where an image of {@code w × h} (already resized) is pasted for this corner and which
     * part of it.
     *
     * @return {paste x1, y1, x2, y2, crop x1, y1, x2, y2}
     */
    int[] combine(Corner c, int cx, int cy, int w, int h) {
        int x1, y1, x2, y2;
        int[] crop;
        switch (c) {
            case TOP_LEFT -> {
                x1 = Math.max(cx - w, 0); y1 = Math.max(cy - h, 0); x2 = cx; y2 = cy;
                crop = new int[] {w - (x2 - x1), h - (y2 - y1), w, h};
            }
            case TOP_RIGHT -> {
                x1 = cx; y1 = Math.max(cy - h, 0); x2 = Math.min(cx + w, scaleW * 2); y2 = cy;
                crop = new int[] {0, h - (y2 - y1), Math.min(w, x2 - x1), h};
            }
            case BOTTOM_LEFT -> {
                x1 = Math.max(cx - w, 0); y1 = cy; x2 = cx; y2 = Math.min(scaleH * 2, cy + h);
                crop = new int[] {w - (x2 - x1), 0, w, Math.min(y2 - y1, h)};
            }
            default -> {
                x1 = cx; y1 = cy; x2 = Math.min(cx + w, scaleW * 2); y2 = Math.min(scaleH * 2, cy + h);
                crop = new int[] {0, 0, Math.min(w, x2 - x1), Math.min(y2 - y1, h)};
            }
        }
        return new int[] {x1, y1, x2, y2, crop[0], crop[1], crop[2], crop[3]};
    }

    /** The keep-ratio factor of an {@code h × w} image: {@code min(img_scale[1] / h, img_scale[0] / w)}. */
    double ratio(int h, int w) { return Math.min((double) scaleH / h, (double) scaleW / w); }

    /** Makes the mosaic of the state's image and the three {@code others} (their states are only read). */
    void apply(TransformState s, List<TransformState> others, SampleDraws d) {
        if (others.size() != 3) throw new IllegalArgumentException("Mosaic needs 3 other images, got " + others.size());
        if (d.unit(SampleDraws.MOSAIC, DRAW_PROB) > prob) return;
        int[] c = center(d);
        mix(s, others, c[0], c[1]);
    }

    /** The mosaic around centre (cx, cy) of the state's image (top left) and the three others. */
    void mix(TransformState s, List<TransformState> others, int cx, int cy) {
        int[] c = {cx, cy};
        Mat first = s.image();
        boolean bytes = first.depth() == CV_8U;
        double fill = bytes ? Math.floor(padVal) : (float) padVal; // np.full(..., pad_val, dtype=img.dtype)
        Mat canvas;
        try (Scalar f = new Scalar(fill, fill, fill, 0)) {
            canvas = new Mat(2 * scaleH, 2 * scaleW, first.type(), f);
        }
        float[][] boxes = new float[4][], crowd = new float[4][];
        int[][] labels = new int[4][], crowdLabels = new int[4][];
        for (Corner corner : Corner.values()) {
            int i = corner.ordinal();
            TransformState p = i == 0 ? s : others.get(i - 1);
            Mat img = p.image();
            int h = img.rows(), w = img.cols();
            double r = ratio(h, w);
            int[] g;
            try (Mat resized = MixImages.resize(img, (int) (w * r), (int) (h * r))) {
                g = combine(corner, c[0], c[1], resized.cols(), resized.rows());
                MixImages.paste(canvas, g[0], g[1], resized, g[4], g[5], g[2] - g[0], g[3] - g[1]);
            }
            float padW = g[0] - g[4], padH = g[1] - g[5];
            boxes[i] = HorizontalBoxOps.translate(HorizontalBoxOps.rescale(p.boxes(), r), padW, padH);
            crowd[i] = HorizontalBoxOps.translate(HorizontalBoxOps.rescale(p.crowdBoxes(), r), padW, padH);
            labels[i] = p.labels();
            crowdLabels[i] = p.crowdLabels();
        }
        float[] b = HorizontalBoxOps.concat(boxes), k = HorizontalBoxOps.concat(crowd);
        float W = 2 * scaleW, H = 2 * scaleH;
        if (clipBorder) {
            b = HorizontalBoxOps.clip(b, W, H);
            k = HorizontalBoxOps.clip(k, W, H);
        }
        s.setImage(canvas);
        s.setAnnotations(b, HorizontalBoxOps.concat(labels), k, HorizontalBoxOps.concat(crowdLabels));
        s.keepBoxes(b, HorizontalBoxOps.inside(b, W, H), k, HorizontalBoxOps.inside(k, W, H));
    }
}
