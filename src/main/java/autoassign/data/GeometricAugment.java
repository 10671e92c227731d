package autoassign.data;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point2f;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.util.Arrays;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_CUBIC;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LANCZOS4;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_NEAREST;
import static org.bytedeco.opencv.global.opencv_imgproc.getRotationMatrix2D;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

/**
 * MMDetection 3.3's {@code ShearX}, {@code ShearY}, {@code Rotate}, {@code TranslateX} and {@code TranslateY}
 * ({@code mmdet/datasets/transforms/geometric.py}): skipped with probability 1 − {@code prob}; else a magnitude from the
 * level ({@link AugmentMagnitude}), negated when a draw {@code u > reversal_prob}, and the image warped by OpenCV's
 * {@code warpAffine} onto a canvas of its own size (MMCV's {@code imshear}, {@code imrotate}, {@code imtranslate}:
 * constant border {@code img_border_value}, the chosen interpolation). The boxes (crowd boxes too) go through the
 * transform's float32 homography ({@code bbox_project}: the box around the four projected corners) and are clipped to
 * the image; none is dropped. The image keeps its type.
 *
 * @param kind          which of the five
 * @param magnitude     prob, level, min_mag, max_mag
 * @param reversalProb  {@code reversal_prob}
 * @param borderValue   {@code img_border_value}, per B, G, R channel
 * @param interpolation {@code interpolation}: nearest, bilinear, bicubic, area or lanczos (MMCV's OpenCV names)
 */
public record GeometricAugment(Kind kind, AugmentMagnitude magnitude, double reversalProb, List<Double> borderValue,
                               String interpolation) implements ImageStep {
    /** The five transforms with MMDetection's name, default {@code max_mag} and the largest magnitude it accepts. */
    public enum Kind {
        SHEAR_X("ShearX", 30, 90), SHEAR_Y("ShearY", 30, 90), ROTATE("Rotate", 30, 180),
        TRANSLATE_X("TranslateX", 0.1, 1), TRANSLATE_Y("TranslateY", 0.1, 1);

        public final String type;
        public final double defaultMaxMag, limit;

        Kind(String type, double defaultMaxMag, double limit) {
            this.type = type;
            this.defaultMaxMag = defaultMaxMag;
            this.limit = limit;
        }

        /** The kind named {@code type}, or null. */
        public static Kind of(String type) {
            for (Kind k : values()) if (k.type.equals(type)) return k;
            return null;
        }
    }

    /** MMCV's {@code cv2_interp_codes} names, in its order. */
    public static final List<String> INTERPOLATIONS = List.of("nearest", "bilinear", "bicubic", "area", "lanczos");

    public GeometricAugment {
        borderValue = List.copyOf(borderValue);
        if (!(reversalProb >= 0 && reversalProb <= 1)) throw new IllegalArgumentException("reversal_prob must be in [0, 1], got " + reversalProb);
        if (borderValue.size() != 3) throw new IllegalArgumentException("img_border_value needs 3 values, got " + borderValue);
        for (double v : borderValue)
            if (!(v >= 0 && v <= 255)) throw new IllegalArgumentException("img_border_value must be in [0, 255], got " + borderValue);
        if (!INTERPOLATIONS.contains(interpolation)) throw new IllegalArgumentException("unknown interpolation " + interpolation);
        if (magnitude.minMag() < 0 || magnitude.maxMag() > kind.limit)
            throw new IllegalArgumentException(kind.type + " magnitudes must be in [0, " + kind.limit + "]");
    }

    /** MMDetection's defaults for {@code kind}: min_mag 0, its max_mag, reversal 0.5, border 128, bilinear. */
    public static GeometricAugment defaults(Kind kind, double prob, Integer level) {
        return new GeometricAugment(kind, new AugmentMagnitude(prob, level, 0, kind.defaultMaxMag), 0.5, List.of(128.0, 128.0, 128.0), "bilinear");
    }

    @Override public String type() { return kind.type; }

    /** The first draw number of this kind under {@link SampleDraws#GEOMETRIC_AUG}. */
    private int firstDraw() { return AugmentMagnitude.DRAWS * kind.ordinal(); }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        long salt = SampleDraws.GEOMETRIC_AUG;
        if (magnitude.disabled(d, salt, firstDraw())) return;
        double mag = magnitude.magnitude(d, salt, firstDraw());
        if (kind == Kind.SHEAR_X || kind == Kind.SHEAR_Y) mag = Math.tan(mag * Math.PI / 180); // an angle becomes a shear
        if (d.unit(salt, firstDraw() + AugmentMagnitude.DRAW_REVERSAL) > reversalProb) mag = -mag;
        transform(s, mag);
    }

    /** The deterministic part: warps the image and projects the boxes for this signed magnitude (a shear's tangent). */
    void transform(TransformState s, double mag) {
        int h = s.height(), w = s.width();
        float[] homography = homography(mag, h, w);
        s.setImage(warp(s.image(), mag, homography));
        s.setBoxes(projectAndClip(s.boxes(), homography, h, w), projectAndClip(s.crowdBoxes(), homography, h, w));
    }

    /** {@code _get_homography_matrix}: the float32 3 × 3 matrix (row-major) that the boxes go through. */
    float[] homography(double mag, int h, int w) {
        float m = (float) mag;
        return switch (kind) {
            case SHEAR_X -> new float[] {1, m, 0, 0, 1, 0, 0, 0, 1};
            case SHEAR_Y -> new float[] {1, 0, 0, m, 1, 0, 0, 0, 1};
            case TRANSLATE_X -> new float[] {1, 0, (int) (w * mag), 0, 1, 0, 0, 0, 1}; // int(): toward zero
            case TRANSLATE_Y -> new float[] {1, 0, 0, 0, 1, (int) (h * mag), 0, 0, 1};
            case ROTATE -> {
                double[] r = rotation(mag, h, w);
                yield new float[] {(float) r[0], (float) r[1], (float) r[2], (float) r[3], (float) r[4], (float) r[5], 0, 0, 1};
            }
        };
    }

    /** {@code cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -mag, 1.0)}: the double 2 × 3 matrix of {@code imrotate}. */
    static double[] rotation(double mag, int h, int w) {
        double[] out = new double[6];
        try (Point2f centre = new Point2f((w - 1) * 0.5f, (h - 1) * 0.5f); Mat m = getRotationMatrix2D(centre, -mag, 1.0)) {
            new DoublePointer(m.data()).get(out); // a view of the Mat's memory, nothing to free
        }
        return out;
    }

    /**
     * The image through {@code cv2.warpAffine}: Rotate with {@code imrotate}'s double matrix, the shears and translations
     * with MMCV's float32 ones (the first two rows of the homography).
     */
    Mat warp(Mat img, double mag, float[] homography) {
        Mat out = new Mat();
        Pointer values = kind == Kind.ROTATE ? new DoublePointer(rotation(mag, img.rows(), img.cols()))
                : new FloatPointer(Arrays.copyOf(homography, 6));
        try (values; Mat m = new Mat(2, 3, kind == Kind.ROTATE ? CV_64F : CV_32F, values);
             Size size = new Size(img.cols(), img.rows());
             Scalar border = new Scalar(borderValue.get(0), borderValue.get(1), borderValue.get(2), 0)) {
            warpAffine(img, out, m, size, cvInterpolation(), BORDER_CONSTANT, border);
        }
        return out;
    }

    /** {@code cv2_interp_codes[interpolation]}. */
    int cvInterpolation() {
        return switch (interpolation) {
            case "nearest" -> INTER_NEAREST;
            case "bicubic" -> INTER_CUBIC;
            case "area" -> INTER_AREA;
            case "lanczos" -> INTER_LANCZOS4;
            default -> INTER_LINEAR;
        };
    }

    /** {@code bbox_project(boxes, homography, img_shape)}: projected ({@link RandomAffine#project}) and clipped, never dropped. */
    static float[] projectAndClip(float[] boxes, float[] homography, int h, int w) {
        float[] out = RandomAffine.project(boxes, homography);
        for (int i = 0; i < out.length; i++) out[i] = Math.min(Math.max(out[i], 0f), i % 2 == 0 ? w : h);
        return out;
    }
}
