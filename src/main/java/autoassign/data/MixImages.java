package autoassign.data;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.global.opencv_imgproc;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;

/**
 * The image operations of the multi-image steps, as NumPy and {@code mmcv.imresize} perform them: a resize to an exact
 * size ({@code cv2.resize}, bilinear, in the image's own type), pasting a region into another array (NumPy's slice
 * assignment, which casts to the target's type) and NumPy's {@code astype(np.uint8)} of a float array, which truncates
 * toward zero rather than rounding as OpenCV's {@code convertTo} does.
 */
final class MixImages {
    private MixImages() {}

    /** {@code mmcv.imresize(img, (w, h))}: a new Mat of the image's type. */
    static Mat resize(Mat img, int w, int h) {
        if (w <= 0 || h <= 0)
            throw new DataException("a multi-image step would resize a " + img.cols() + "x" + img.rows() + " image to " + w + "x" + h);
        Mat out = new Mat();
        try (Size size = new Size(w, h)) {
            opencv_imgproc.resize(img, out, size, 0, 0, INTER_LINEAR);
        }
        return out;
    }

    /**
     * {@code dst[y:y+h, x:x+w] = src[sy:sy+h, sx:sx+w]}: the region copied, cast to {@code dst}'s type as NumPy's
     * assignment casts (integers to float exactly; float to uint8 truncated, {@link #truncatedBytes}). Nothing for an
     * empty region.
     */
    static void paste(Mat dst, int x, int y, Mat src, int sx, int sy, int w, int h) {
        if (w <= 0 || h <= 0) return;
        try (Rect sr = new Rect(sx, sy, w, h); Mat from = new Mat(src, sr); Rect dr = new Rect(x, y, w, h); Mat to = new Mat(dst, dr)) {
            if (from.type() == to.type()) {
                from.copyTo(to);
            } else if (to.depth() == CV_8U) {
                try (Mat c = from.clone(); Mat b = TransformState.byteMat(truncatedBytes(c), h, w)) {
                    b.copyTo(to);
                }
            } else {
                from.convertTo(to, to.type()); // uint8 → float: exact
            }
        }
    }

    /**
     * NumPy's {@code astype(np.uint8)} of an 8-bit, float32 or float64 3-channel image: truncation toward zero. Values
     * outside [0, 256) are undefined in NumPy (platform-dependent wrap-around); they are saturated here.
     */
    static byte[] truncatedBytes(Mat m) {
        if (m.depth() == CV_8U) return TransformState.bytes(m);
        Mat c = m.isContinuous() ? m : m.clone();
        try {
            int n = Math.toIntExact(c.total() * c.channels());
            byte[] out = new byte[n];
            if (c.depth() == CV_32F) {
                float[] v = new float[n];
                new FloatPointer(c.data()).get(v);
                for (int i = 0; i < n; i++) out[i] = toByte(v[i]);
            } else if (c.depth() == CV_64F) {
                double[] v = new double[n];
                new DoublePointer(c.data()).get(v);
                for (int i = 0; i < n; i++) out[i] = toByte(v[i]);
            } else {
                throw new IllegalStateException("unexpected image depth " + c.depth());
            }
            return out;
        } finally {
            if (c != m) c.close();
        }
    }

    private static byte toByte(double v) {
        double t = v >= 0 ? Math.floor(v) : 0; // NaN and negatives saturate to 0
        return (byte) (int) Math.min(t, 255);
    }
}
