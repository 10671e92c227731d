package autoassign.data;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.warpPerspective;

/**
 * MMDetection 3.3's {@code RandomAffine}: a rotation, a scaling, a shear and a translation drawn per image, composed as
 * {@code translate @ shear @ rotation @ scaling} of float32 3 × 3 matrices, applied to the image by OpenCV's
 * {@code warpPerspective} (bilinear, constant border {@code border_val}) onto a canvas of the image's size plus
 * {@code 2 × border} ({@code border} is (w, h) as MMDetection 3.3 reads it: {@code height = h + 2 · border[1]},
 * {@code width = w + 2 · border[0]}; 2.x read (h, w)), and to the boxes through their four corners ({@code HorizontalBoxes.project_}: the enclosing box
 * of the projected corners), clipped ({@code bbox_clip_border}) and kept when {@code is_inside} holds; labels and
 * crowd boxes follow. The image keeps its type (8-bit stays 8-bit).
 *
 * <p>{@code skip_filter: false} adds MMDetection 2.x's box filter (3.3 has no such argument; its RandomAffine never
 * filters): a box is kept only when its warped width and height exceed {@code min_bbox_size}, its warped area is more
 * than {@code min_area_ratio} of its area scaled by the drawn ratio, and its aspect ratio is below
 * {@code max_aspect_ratio}, all in float32 as NumPy computes them.
 *
 * @param maxRotateDegree   {@code max_rotate_degree}: rotation uniform in [-d, d) degrees
 * @param maxTranslateRatio {@code max_translate_ratio}: translation uniform in [-r, r) of the output's side
 * @param scaleLo           {@code scaling_ratio_range[0]}
 * @param scaleHi           {@code scaling_ratio_range[1]}
 * @param maxShearDegree    {@code max_shear_degree}: each shear angle uniform in [-d, d) degrees
 * @param borderW           {@code border[0]}: added to each of the left and right sides
 * @param borderH           {@code border[1]}: added to each of the top and bottom sides
 * @param borderVal         {@code border_val}, per B, G, R channel
 * @param clipBorder        {@code bbox_clip_border}
 * @param skipFilter        {@code skip_filter} (2.x): true, the default, never filters
 * @param minBboxSize       {@code min_bbox_size} (2.x, with {@code skip_filter: false})
 * @param minAreaRatio      {@code min_area_ratio} (2.x)
 * @param maxAspectRatio    {@code max_aspect_ratio} (2.x)
 */
public record RandomAffine(double maxRotateDegree, double maxTranslateRatio, double scaleLo, double scaleHi,
                           double maxShearDegree, int borderW, int borderH, List<Double> borderVal, boolean clipBorder,
                           boolean skipFilter, double minBboxSize, double minAreaRatio, double maxAspectRatio) implements ImageStep {
    /** Draw numbers under {@link SampleDraws#AFFINE}, in MMDetection's order. */
    static final int DRAW_ROTATE = 0, DRAW_SCALE = 1, DRAW_SHEAR_X = 2, DRAW_SHEAR_Y = 3, DRAW_TRANSLATE_X = 4, DRAW_TRANSLATE_Y = 5;

    public RandomAffine {
        borderVal = List.copyOf(borderVal);
        if (!(maxTranslateRatio >= 0 && maxTranslateRatio <= 1))
            throw new IllegalArgumentException("max_translate_ratio must be in [0, 1], got " + maxTranslateRatio);
        if (!(scaleLo > 0 && scaleLo <= scaleHi) || Double.isInfinite(scaleHi))
            throw new IllegalArgumentException("scaling_ratio_range must be [lo, hi] with 0 < lo <= hi, got " + scaleLo + ", " + scaleHi);
        if (!Double.isFinite(maxRotateDegree) || !Double.isFinite(maxShearDegree))
            throw new IllegalArgumentException("rotation and shear degrees must be finite");
        if (borderVal.size() != 3) throw new IllegalArgumentException("border_val needs 3 values, got " + borderVal);
    }

    /** MMDetection's defaults: 10, 0.1, (0.5, 1.5), 2, border (0, 0), border_val (114, 114, 114), clip; 2.x filter off (2, 0.2, 20). */
    public static RandomAffine defaults() {
        return new RandomAffine(10, 0.1, 0.5, 1.5, 2, 0, 0, List.of(114.0, 114.0, 114.0), true, true, 2, 0.2, 20);
    }

    @Override public String type() { return "RandomAffine"; }

    /** One image's draws, as MMDetection's {@code _get_random_homography_matrix} makes them. */
    public record Draw(double rotateDegree, double scale, double shearXDegree, double shearYDegree, double translateX, double translateY) {}

    /** The draws for an output of {@code width × height} (translations are fractions times those sides). */
    Draw draw(int height, int width, SampleDraws d) {
        long s = SampleDraws.AFFINE;
        return new Draw(d.uniform(s, DRAW_ROTATE, -maxRotateDegree, maxRotateDegree),
                d.uniform(s, DRAW_SCALE, scaleLo, scaleHi),
                d.uniform(s, DRAW_SHEAR_X, -maxShearDegree, maxShearDegree),
                d.uniform(s, DRAW_SHEAR_Y, -maxShearDegree, maxShearDegree),
                d.uniform(s, DRAW_TRANSLATE_X, -maxTranslateRatio, maxTranslateRatio) * width,
                d.uniform(s, DRAW_TRANSLATE_Y, -maxTranslateRatio, maxTranslateRatio) * height);
    }

    /**
     * The warp matrix (row-major float32 3 × 3): {@code translate @ shear @ rotation @ scaling}, each matrix rounded to
     * float32 as {@code np.array(..., dtype=np.float32)} rounds it and each product a float32 matrix product.
     */
    public static float[] matrix(Draw d) {
        double r = Math.toRadians(d.rotateDegree), sx = Math.toRadians(d.shearXDegree), sy = Math.toRadians(d.shearYDegree);
        float cos = (float) Math.cos(r), sin = (float) Math.sin(r), sc = (float) d.scale;
        float[] rotation = {cos, -sin, 0, sin, cos, 0, 0, 0, 1};
        float[] scaling = {sc, 0, 0, 0, sc, 0, 0, 0, 1};
        float[] shear = {1, (float) Math.tan(sx), 0, (float) Math.tan(sy), 1, 0, 0, 0, 1};
        float[] translate = {1, 0, (float) d.translateX, 0, 1, (float) d.translateY, 0, 0, 1};
        return multiply(multiply(multiply(translate, shear), rotation), scaling);
    }

    /**
     * A float32 3 × 3 product, each entry the three exact products summed in double and rounded once (NumPy's BLAS
     * may round in another order: at most an ulp apart).
     */
    static float[] multiply(float[] a, float[] b) {
        float[] c = new float[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                c[3 * i + j] = (float) ((double) a[3 * i] * b[j] + (double) a[3 * i + 1] * b[3 + j] + (double) a[3 * i + 2] * b[6 + j]);
        return c;
    }

    /** The output's (height, width): {@code (h + 2 · border[1], w + 2 · border[0])}. */
    int[] outputSize(int h, int w) {
        int oh = h + 2 * borderH, ow = w + 2 * borderW;
        if (oh <= 0 || ow <= 0)
            throw new DataException("RandomAffine: border (" + borderW + ", " + borderH + ") leaves no output for a " + w + "x" + h + " image");
        return new int[] {oh, ow};
    }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        Mat img = s.image();
        int[] size = outputSize(img.rows(), img.cols());
        Draw draw = draw(size[0], size[1], d);
        float[] m = matrix(draw);
        s.setImage(warp(img, m, size[0], size[1]));
        float[] b = project(s.boxes(), m), k = project(s.crowdBoxes(), m);
        s.keepBoxes(b, keep(s.boxes(), b, size[0], size[1], draw.scale), k, keep(s.crowdBoxes(), k, size[0], size[1], draw.scale));
    }

    /** {@code cv2.warpPerspective(img, m, dsize=(width, height), borderValue=border_val)}: a new Mat of the image's type. */
    Mat warp(Mat img, float[] m, int height, int width) {
        Mat out = new Mat();
        try (FloatPointer fp = new FloatPointer(m); Mat mm = new Mat(3, 3, CV_32F, fp); Size dsize = new Size(width, height);
             Scalar border = new Scalar(borderVal.get(0), borderVal.get(1), borderVal.get(2), 0)) {
            warpPerspective(img, out, mm, dsize, INTER_LINEAR, BORDER_CONSTANT, border);
        }
        return out;
    }

    /**
     * {@code HorizontalBoxes.project_}: the corners (x1, y1), (x2, y1), (x1, y2), (x2, y2) through {@code m} in float32,
     * divided by their third coordinate, and the box around them. A new array; nothing clipped yet.
     */
    static float[] project(float[] boxes, float[] m) {
        float[] out = new float[boxes.length];
        for (int i = 0; i + 3 < boxes.length; i += 4) {
            float[] xs = {boxes[i], boxes[i + 2], boxes[i], boxes[i + 2]}, ys = {boxes[i + 1], boxes[i + 1], boxes[i + 3], boxes[i + 3]};
            float x1 = Float.POSITIVE_INFINITY, y1 = Float.POSITIVE_INFINITY, x2 = Float.NEGATIVE_INFINITY, y2 = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < 4; c++) {
                float wz = dot(m, 6, xs[c], ys[c]);
                float px = dot(m, 0, xs[c], ys[c]) / wz, py = dot(m, 3, xs[c], ys[c]) / wz;
                x1 = Math.min(x1, px);
                y1 = Math.min(y1, py);
                x2 = Math.max(x2, px);
                y2 = Math.max(y2, py);
            }
            out[i] = x1;
            out[i + 1] = y1;
            out[i + 2] = x2;
            out[i + 3] = y2;
        }
        return out;
    }

    /** Row {@code r} of {@code m} times (x, y, 1), as a float32 matrix product rounds it. */
    private static float dot(float[] m, int r, float x, float y) {
        return (float) ((double) m[r] * x + (double) m[r + 1] * y + m[r + 2]);
    }

    /**
     * In place: clips the warped boxes ({@code bbox_clip_border}) and says which are kept: {@code is_inside}, and with
     * {@code skip_filter: false} the 2.x filter against the original boxes scaled by the drawn ratio.
     */
    boolean[] keep(float[] original, float[] warped, int height, int width, double scale) {
        boolean[] keep = new boolean[warped.length / 4];
        float fw = width, fh = height, ratio = (float) scale;
        for (int j = 0, i = 0; j < keep.length; j++, i += 4) {
            if (clipBorder)
                for (int c = 0; c < 4; c++) warped[i + c] = Math.min(Math.max(warped[i + c], 0f), c % 2 == 0 ? fw : fh);
            keep[j] = warped[i] < fw && warped[i + 1] < fh && warped[i + 2] > 0 && warped[i + 3] > 0;
            if (keep[j] && !skipFilter) keep[j] = filter(original, warped, i, ratio);
        }
        return keep;
    }

    /** MMDetection 2.x's {@code filter_gt_bboxes} for one box, in float32 (NumPy compares float32 arrays with float32 thresholds). */
    private boolean filter(float[] original, float[] warped, int i, float ratio) {
        float ow = original[i + 2] * ratio - original[i] * ratio, oh = original[i + 3] * ratio - original[i + 1] * ratio;
        float ww = warped[i + 2] - warped[i], wh = warped[i + 3] - warped[i + 1];
        float aspect = Math.max(ww / (wh + 1e-16f), wh / (ww + 1e-16f));
        return ww > (float) minBboxSize && wh > (float) minBboxSize && ww * wh / (ow * oh + 1e-16f) > (float) minAreaRatio
                && aspect < (float) maxAspectRatio;
    }
}
