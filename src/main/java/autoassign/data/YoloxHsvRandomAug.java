package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2HSV;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_HSV2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

/**
 * MMDetection 3.3's {@code YOLOXHSVRandomAug}: three gains {@code int16(uniform(-1, 1) × delta × flag)} (hue,
 * saturation, value; each flag {@code randint(0, 2)}), then OpenCV BGR → HSV, {@code H = (H + gh) mod 180},
 * {@code S = clip(S + gs, 0, 255)}, {@code V = clip(V + gv, 0, 255)} in int16 and HSV → BGR in the image's type. On an
 * 8-bit image (H in 0..179) this is a lookup per channel value and the result is 8-bit. On a float image (after
 * PhotoMetricDistortion) MMDetection does the same integer arithmetic on OpenCV's float HSV (H in degrees, S in
 * [0, 1]), truncating each value to int16 first; that is transcribed as it is, and the result stays float.
 *
 * @param hueDelta        {@code hue_delta}
 * @param saturationDelta {@code saturation_delta}
 * @param valueDelta      {@code value_delta}
 */
public record YoloxHsvRandomAug(double hueDelta, double saturationDelta, double valueDelta) implements ImageStep {
    /** Draw numbers under {@link SampleDraws#YOLOX_HSV}: 0–2 the uniforms of H, S, V, 3–5 their flags. */
    static final int DRAW_UNIFORM = 0, DRAW_FLAG = 3;

    public YoloxHsvRandomAug {
        for (double v : new double[] {hueDelta, saturationDelta, valueDelta})
            if (!(v >= 0) || v > Short.MAX_VALUE) throw new IllegalArgumentException("deltas must be in [0, 32767], got " + v);
    }

    /** MMDetection's defaults: 5, 30, 30. */
    public static YoloxHsvRandomAug defaults() { return new YoloxHsvRandomAug(5, 30, 30); }

    @Override public String type() { return "YOLOXHSVRandomAug"; }

    /** {@code _get_hsv_gains} with this image's draws. */
    int[] gains(SampleDraws d) {
        double[] u = new double[3];
        int[] flags = new int[3];
        for (int c = 0; c < 3; c++) {
            u[c] = d.uniform(SampleDraws.YOLOX_HSV, DRAW_UNIFORM + c, -1, 1);
            flags[c] = d.integer(SampleDraws.YOLOX_HSV, DRAW_FLAG + c, 0, 2);
        }
        return gains(u, flags);
    }

    /** {@code _get_hsv_gains} from its uniforms in [-1, 1) and 0 / 1 flags: (gh, gs, gv) as int16, truncated toward zero. */
    int[] gains(double[] uniforms, int[] flags) {
        double[] delta = {hueDelta, saturationDelta, valueDelta};
        int[] g = new int[3];
        for (int c = 0; c < 3; c++) g[c] = (int) (uniforms[c] * delta[c] * flags[c]);
        return g;
    }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        Mat img = s.image();
        s.setImage(img.depth() == CV_8U ? applyBytes(img, gains(d)) : applyFloats(img, gains(d)));
    }

    /** The 8-bit path: a new 8-bit image. */
    static Mat applyBytes(Mat img, int[] g) {
        byte[] hsv;
        try (Mat m = new Mat()) {
            cvtColor(img, m, COLOR_BGR2HSV);
            hsv = TransformState.bytes(m);
        }
        int[][] lut = new int[3][256];
        for (int v = 0; v < 256; v++) {
            lut[0][v] = Math.floorMod(v + g[0], 180); // NumPy's % takes the divisor's sign
            lut[1][v] = clip(v + g[1]);
            lut[2][v] = clip(v + g[2]);
        }
        for (int i = 0; i < hsv.length; i++) hsv[i] = (byte) lut[i % 3][hsv[i] & 0xFF];
        Mat out = new Mat();
        try (Mat m = TransformState.byteMat(hsv, img.rows(), img.cols())) {
            cvtColor(m, out, COLOR_HSV2BGR);
        }
        return out;
    }

    /** The float path: MMDetection's int16 arithmetic on the float HSV values; a new float image. */
    static Mat applyFloats(Mat img, int[] g) {
        int h = img.rows(), w = img.cols();
        float[] px = TransformState.floats(img);
        PhotoMetricDistortion.convert(px, h, w, COLOR_BGR2HSV);
        for (int i = 0; i < px.length; i += 3) {
            px[i] = Math.floorMod((short) (int) px[i] + g[0], 180); // astype(int16) truncates
            px[i + 1] = clip((short) (int) px[i + 1] + g[1]);
            px[i + 2] = clip((short) (int) px[i + 2] + g[2]);
        }
        PhotoMetricDistortion.convert(px, h, w, COLOR_HSV2BGR);
        return TransformState.floatMat(px, h, w);
    }

    private static int clip(int v) { return v < 0 ? 0 : Math.min(v, 255); }
}
