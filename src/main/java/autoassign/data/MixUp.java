package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.global.opencv_core;

import java.util.function.IntUnaryOperator;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.bytedeco.opencv.global.opencv_core.CV_64FC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * MMDetection 3.3's {@code MixUp} (YOLOX): another image with boxes ({@link #index}) is resized keeping its ratio into
 * the top left of an {@code img_scale} canvas of {@code pad_val}, the canvas is scaled by a jitter factor and flipped
 * horizontally when the draw {@code u > flip_ratio}, put on an 8-bit canvas of {@code pad_val} (truncated) at least the
 * state's size and cropped to it at a random offset (MMDetection 3.x, PR #9259: 2.x used a zero canvas); the result is
 * {@code uint8(0.5·img + 0.5·crop)} and the other image's boxes are scaled,
 * clipped, flipped, shifted and clipped again as MMDetection does, then every box (the state's too) is kept when
 * {@code is_inside} holds. Nothing changes when the other image has no box (crowd boxes count).
 *
 * <p>Types follow NumPy: the canvas is {@code np.ones(dtype=img.dtype) * pad_val}, float64 for an 8-bit image and a
 * float {@code pad_val} (MMDetection's default, so the jitter resize runs in float64), 8-bit for an integer
 * {@code pad_val} (8-bit resize), float32 for a float image; the crop canvas is 8-bit and takes the scaled canvas
 * truncated ({@link MixImages#truncatedBytes}); the output is always 8-bit.
 *
 * <p>{@code img_scale} is (w, h), as MMDetection 3.3's code reads it: the canvas is {@code np.ones((img_scale[1],
 * img_scale[0], 3))} and the other image's factor {@code min(img_scale[1] / h, img_scale[0] / w)} (2.x read (h, w)).
 *
 * @param scaleW     {@code img_scale[0]} (the canvas width)
 * @param scaleH     {@code img_scale[1]} (the canvas height)
 * @param ratioLo    {@code ratio_range[0]}
 * @param ratioHi    {@code ratio_range[1]}
 * @param flipRatio  {@code flip_ratio}
 * @param padVal     {@code pad_val}, in [0, 255]
 * @param padIsInt   the config wrote {@code pad_val} as an integer (NumPy then keeps an 8-bit canvas)
 * @param maxIters   {@code max_iters}: draws of {@link #index} looking for an image with boxes
 * @param clipBorder {@code bbox_clip_border}
 */
public record MixUp(int scaleW, int scaleH, double ratioLo, double ratioHi, double flipRatio, double padVal, boolean padIsInt,
                    int maxIters, boolean clipBorder) implements Transform {
    /** Draw numbers under {@link SampleDraws#MIXUP}: jitter, flip, y offset, x offset; index try i at 4 + i. */
    static final int DRAW_JIT = 0, DRAW_FLIP = 1, DRAW_Y = 2, DRAW_X = 3, DRAW_INDEX = 4;

    public MixUp {
        if (scaleW <= 0 || scaleH <= 0) throw new IllegalArgumentException("MixUp img_scale must be positive, got " + scaleW + ", " + scaleH);
        if (!(ratioLo > 0 && ratioLo <= ratioHi) || Double.isInfinite(ratioHi))
            throw new IllegalArgumentException("MixUp ratio_range must be [lo, hi] with 0 < lo <= hi, got " + ratioLo + ", " + ratioHi);
        if (!(padVal >= 0 && padVal <= 255)) throw new IllegalArgumentException("MixUp pad_val must be in [0, 255], got " + padVal);
        if (padIsInt && padVal != Math.rint(padVal)) throw new IllegalArgumentException("MixUp integer pad_val " + padVal);
        if (maxIters < 1) throw new IllegalArgumentException("MixUp max_iters must be >= 1, got " + maxIters);
    }

    /** MMDetection's defaults: (640, 640), (0.5, 1.5), 0.5, 114.0, 15, clip. */
    public static MixUp defaults() { return new MixUp(640, 640, 0.5, 1.5, 0.5, 114.0, false, 15, true); }

    @Override public String type() { return "MixUp"; }

    /** {@code get_indexes}, try {@code i}: {@code randint(0, n)}. */
    int index(int n, int i, SampleDraws d) { return d.integer(SampleDraws.MIXUP, DRAW_INDEX + i, 0, n); }

    /** One image's draws. */
    record Draw(double jit, boolean flip) {}

    Draw draw(SampleDraws d) {
        return new Draw(d.uniform(SampleDraws.MIXUP, DRAW_JIT, ratioLo, ratioHi), d.unit(SampleDraws.MIXUP, DRAW_FLIP) > flipRatio);
    }

    /** Mixes the {@code other} image (only read) into the state's. */
    void apply(TransformState s, TransformState other, SampleDraws d) {
        if (other.boxes().length + other.crowdBoxes().length == 0) return;
        mix(s, other, draw(d), n -> d.integer(SampleDraws.MIXUP, DRAW_Y, 0, n), n -> d.integer(SampleDraws.MIXUP, DRAW_X, 0, n));
    }

    /**
     * The mix with these draws; {@code yOffset} / {@code xOffset} give the crop offset in [0, n) for a padded canvas
     * n pixels larger than the image (asked only when n > 0, y first, as MMDetection draws them).
     */
    void mix(TransformState s, TransformState other, Draw dr, IntUnaryOperator yOffset, IntUnaryOperator xOffset) {
        if (other.boxes().length + other.crowdBoxes().length == 0) return;
        Mat retrieve = other.image();
        int type = retrieve.depth() == CV_8U ? (padIsInt ? CV_8UC3 : CV_64FC3) : CV_32FC3;
        double fill = type == CV_32FC3 ? (float) padVal : padVal;
        double ratio = Math.min((double) scaleH / retrieve.rows(), (double) scaleW / retrieve.cols());
        Mat canvas;
        try (Scalar f = new Scalar(fill, fill, fill, 0)) {
            canvas = new Mat(scaleH, scaleW, type, f);
        }
        Mat jittered;
        try (Mat resized = MixImages.resize(retrieve, (int) (retrieve.cols() * ratio), (int) (retrieve.rows() * ratio))) {
            MixImages.paste(canvas, 0, 0, resized, 0, 0, Math.min(resized.cols(), scaleW), Math.min(resized.rows(), scaleH));
            ratio *= dr.jit;
            jittered = MixImages.resize(canvas, (int) (canvas.cols() * dr.jit), (int) (canvas.rows() * dr.jit));
        } finally {
            canvas.close();
        }
        if (dr.flip) opencv_core.flip(jittered, jittered, 1);
        Mat ori = s.image();
        int oh = jittered.rows(), ow = jittered.cols(), th = ori.rows(), tw = ori.cols();
        int ph = Math.max(oh, th), pw = Math.max(ow, tw);
        int yOff = ph > th ? yOffset.applyAsInt(ph - th) : 0;
        int xOff = pw > tw ? xOffset.applyAsInt(pw - tw) : 0;
        // the 8-bit canvas of pad_val ((np.ones(...) * pad_val).astype(np.uint8): truncated) holds the truncated jittered
        // image at its top left; the crop takes th × tw of it
        byte[] crop = new byte[th * tw * 3];
        java.util.Arrays.fill(crop, (byte) (int) Math.floor(padVal));
        byte[] jb;
        try (Mat j = jittered) {
            jb = MixImages.truncatedBytes(j);
        }
        for (int y = 0; y < th; y++) {
            int sy = y + yOff;
            if (sy >= oh) break;
            int n = Math.min(tw, ow - xOff);
            if (n > 0) System.arraycopy(jb, (sy * ow + xOff) * 3, crop, y * tw * 3, n * 3);
        }
        float[] a = TransformState.floats(ori);
        byte[] mixed = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            float v = 0.5f * a[i] + 0.5f * (float) (crop[i] & 0xFF); // float32, as NumPy
            mixed[i] = v >= 0 ? (byte) (int) Math.min(v, 255f) : 0;   // astype(uint8): truncation
        }
        s.setImage(TransformState.byteMat(mixed, th, tw));

        float[] b = boxes(other.boxes(), ratio, dr.flip, ow, oh, xOff, yOff, tw, th);
        float[] k = boxes(other.crowdBoxes(), ratio, dr.flip, ow, oh, xOff, yOff, tw, th);
        float[] allB = HorizontalBoxOps.concat(s.boxes(), b), allK = HorizontalBoxOps.concat(s.crowdBoxes(), k);
        s.setAnnotations(allB, HorizontalBoxOps.concat(s.labels(), other.labels()), allK,
                HorizontalBoxOps.concat(s.crowdLabels(), other.crowdLabels()));
        s.keepBoxes(allB, HorizontalBoxOps.inside(allB, tw, th), allK, HorizontalBoxOps.inside(allK, tw, th));
    }

    /**
     * The other image's boxes in the output: scaled by the keep-ratio factor times the jitter, clipped to the jittered
     * canvas, flipped in it, shifted by the crop offset and clipped to the output (the clips with {@code bbox_clip_border}).
     */
    float[] boxes(float[] src, double ratio, boolean flip, int ow, int oh, int xOff, int yOff, int tw, int th) {
        float[] b = HorizontalBoxOps.rescale(src, ratio);
        if (clipBorder) b = HorizontalBoxOps.clip(b, ow, oh);
        if (flip) b = HorizontalBoxOps.flipHorizontal(b, ow);
        b = HorizontalBoxOps.translate(b, -xOff, -yOff);
        if (clipBorder) b = HorizontalBoxOps.clip(b, tw, th);
        return b;
    }
}
