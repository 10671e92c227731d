package autoassign.data;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.addWeighted;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.filter2D;

/**
 * MMCV 2.x's photometric functions ({@code mmcv/image/photometric.py}) that MMDetection's colour transforms call,
 * followed by the transform's {@code .astype(img.dtype)}: each takes a BGR image (8-bit, or float32 after a
 * PhotoMetricDistortion) and returns a new Mat of the same type. Where MMCV calls OpenCV (grey conversion,
 * {@code addWeighted}, {@code filter2D}) so does this; NumPy's parts are transcribed: float results clipped to [0, 255],
 * then truncated toward zero for an 8-bit image (NumPy's float to uint8 cast).
 */
final class ColorOps {
    private ColorOps() {}

    /** {@code adjust_color(img, alpha)}: {@code addWeighted(img, alpha, grey, 1 - alpha, 0)}; a float result is clipped. */
    static Mat color(Mat img, double alpha) {
        Mat out = new Mat();
        try (Mat grey = new Mat(); Mat grey3 = new Mat()) {
            cvtColor(img, grey, COLOR_BGR2GRAY);
            cvtColor(grey, grey3, COLOR_GRAY2BGR); // np.tile(gray[..., None], [1, 1, 3])
            addWeighted(img, alpha, grey3, 1 - alpha, 0, out); // 8-bit: OpenCV rounds and saturates
        }
        if (out.depth() == CV_8U) return out;
        try (out) {
            return castLike(img, TransformState.floats(out));
        }
    }

    /** {@code adjust_brightness(img, factor)}: blended with a black image. */
    static Mat brightness(Mat img, double factor) {
        try (Scalar zero = new Scalar(0, 0, 0, 0); Mat black = new Mat(img.rows(), img.cols(), img.type(), zero)) {
            return blend(img, black, factor);
        }
    }

    /**
     * {@code adjust_contrast(img, factor)}: blended with a flat image of the grey image's mean, {@code round(np.sum(gray)
     * / np.sum(hist))} where the histogram counts the grey values in [0, 255] (all of them for 8-bit images).
     */
    static Mat contrast(Mat img, double factor) {
        double sum = 0;
        long inRange = 0;
        try (Mat grey = new Mat()) {
            cvtColor(img, grey, COLOR_BGR2GRAY);
            int n = Math.toIntExact(grey.total()); // a new, continuous Mat
            if (grey.depth() == CV_8U) {
                byte[] b = new byte[n];
                grey.data().get(b);
                for (byte v : b) sum += v & 0xFF; // exact: NumPy sums uint8 in integers
                inRange = n;
            } else {
                float[] f = new float[n];
                new FloatPointer(grey.data()).get(f);
                for (float v : f) {
                    sum += v; // NumPy sums float32 pairwise in float32: the mean may round apart at a tie
                    if (v >= 0 && v <= 255) inRange++;
                }
            }
        }
        if (inRange == 0)
            throw new DataException("Contrast: no grey value of the image lies in [0, 255] (MMDetection divides by zero here)");
        double mean = Math.rint(sum / inRange); // Python's round(): ties to even
        try (Scalar m = new Scalar(mean, mean, mean, 0); Mat flat = new Mat(img.rows(), img.cols(), img.type(), m)) {
            return blend(img, flat, factor);
        }
    }

    /** {@code adjust_sharpness(img, factor)}: blended with {@code filter2D(img, -1, SMOOTH)}, PIL's 3 × 3 smoothing kernel. */
    static Mat sharpness(Mat img, double factor) {
        double a = 1.0 / 13, b = 5.0 / 13; // np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13
        try (DoublePointer k = new DoublePointer(a, a, a, a, b, a, a, a, a); Mat kernel = new Mat(3, 3, CV_64F, k);
             Mat smooth = new Mat()) {
            filter2D(img, smooth, -1, kernel); // default anchor and border (reflect 101), as cv2.filter2D
            return blend(img, smooth, factor);
        }
    }

    /** {@code np.where(img < thr, img, 255 - img)}. */
    static Mat solarize(Mat img, double thr) {
        float[] px = TransformState.floats(img);
        for (int i = 0; i < px.length; i++) if (!(px[i] < thr)) px[i] = 255f - px[i];
        return sameType(img, px);
    }

    /** {@code np.where(img < 128, np.minimum(img + mag, 255), img)}: uint8 + float in double, float32 + float in float32. */
    static Mat solarizeAdd(Mat img, double mag) {
        float[] px = TransformState.floats(img);
        boolean bytes = img.depth() == CV_8U;
        for (int i = 0; i < px.length; i++)
            if (px[i] < 128) px[i] = bytes ? (float) Math.floor(Math.min(px[i] + mag, 255)) : Math.min(px[i] + (float) mag, 255f);
        return sameType(img, px);
    }

    /** {@code posterize(img, bits)}: {@code (img >> (8 - bits)) << (8 - bits)} in uint8 (0 bits: black). */
    static Mat posterize(Mat img, int bits) {
        int shift = 8 - bits;
        int[] lut = new int[256];
        for (int v = 0; v < 256; v++) lut[v] = ((v >> shift) << shift) & 0xFF;
        return perChannel(img, (c, hist) -> lut);
    }

    /** {@code imequalize(img)}: per channel, PIL's histogram equalisation as MMCV transcribes it (integer arithmetic). */
    static Mat equalize(Mat img) {
        return perChannel(img, (c, hist) -> {
            long total = 0, last = 0;
            for (int v = 0; v < 256; v++) {
                total += hist[v];
                if (hist[v] > 0) last = hist[v];
            }
            long step = (total - last) / 255; // (sum(nonzero) - nonzero[-1]) // 255
            int[] lut = new int[256];
            long cum = 0;
            for (int v = 0; v < 256; v++) {
                // (cumsum(histo) + step // 2) // step, shifted by one with a leading 0, capped at 255; no step: identity
                lut[v] = step == 0 ? v : (int) Math.min((cum + step / 2) / step, 255);
                cum += hist[v];
            }
            return lut;
        });
    }

    /** {@code auto_contrast(img, cutoff=0)}: per channel, its lowest..highest value stretched to 0..255 (truncated). */
    static Mat autoContrast(Mat img) {
        return perChannel(img, (c, hist) -> {
            int low = 0, high = 255;
            while (low < 256 && hist[low] == 0) low++;
            while (high >= 0 && hist[high] == 0) high--;
            int[] lut = new int[256];
            double scale = low >= high ? 0 : 255.0 / (high - low), offset = -low * scale;
            for (int v = 0; v < 256; v++) lut[v] = low >= high ? v : (int) Math.min(Math.max(v * scale + offset, 0), 255);
            return lut;
        });
    }

    /** {@code iminvert(img)}: {@code 255 - img}. */
    static Mat invert(Mat img) {
        float[] px = TransformState.floats(img);
        for (int i = 0; i < px.length; i++) px[i] = 255f - px[i];
        return sameType(img, px);
    }

    /** The blend of {@code adjust_brightness / contrast / sharpness}: {@code addWeighted} of float32 copies, clipped, cast back. */
    private static Mat blend(Mat img, Mat degenerated, double factor) {
        try (Mat a = new Mat(); Mat b = new Mat(); Mat out = new Mat()) {
            img.convertTo(a, CV_32F);
            degenerated.convertTo(b, CV_32F);
            addWeighted(a, factor, b, 1 - factor, 0, out);
            return castLike(img, TransformState.floats(out));
        }
    }

    /** {@code np.clip(x, 0, 255).astype(img.dtype)}: truncated toward zero for an 8-bit image. */
    private static Mat castLike(Mat img, float[] px) {
        for (int i = 0; i < px.length; i++) px[i] = Math.min(Math.max(px[i], 0f), 255f);
        return sameType(img, px);
    }

    /** {@code x.astype(img.dtype)} without clipping (the solarizations and Invert keep a float image's values beyond [0, 255]). */
    private static Mat sameType(Mat img, float[] px) {
        int h = img.rows(), w = img.cols();
        if (img.depth() != CV_8U) return TransformState.floatMat(px, h, w);
        byte[] out = new byte[px.length];
        for (int i = 0; i < px.length; i++) out[i] = (byte) (int) px[i]; // integers in [0, 255] here
        return TransformState.byteMat(out, h, w);
    }

    /** A table per channel from that channel's histogram of values ({@code np.histogram(im, 256, (0, 255))}: one bin per value). */
    private interface ChannelTable {
        int[] lut(int channel, long[] hist);
    }

    /** Applies a per-channel lookup table to an 8-bit image (MMCV's {@code lut[im]}, which needs integer pixels). */
    private static Mat perChannel(Mat img, ChannelTable table) {
        if (img.depth() != CV_8U) throw new IllegalStateException("a lookup table needs an 8-bit image");
        byte[] px = TransformState.bytes(img);
        for (int c = 0; c < 3; c++) {
            long[] hist = new long[256];
            for (int i = c; i < px.length; i += 3) hist[px[i] & 0xFF]++;
            int[] lut = table.lut(c, hist);
            for (int i = c; i < px.length; i += 3) px[i] = (byte) lut[px[i] & 0xFF];
        }
        return TransformState.byteMat(px, img.rows(), img.cols());
    }
}
