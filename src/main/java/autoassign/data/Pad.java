package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import org.bytedeco.opencv.global.opencv_core;

/**
 * MMDetection 3.3's {@code Pad} (MMCV 2.x's {@code Pad._pad_img}, {@code padding_mode='constant'}): the image is padded at
 * the bottom and the right to a target size with {@code pad_val}; boxes are unchanged. The target is MMCV's: with
 * {@code pad_to_square} a square of side {@code max(h, w)}; with {@code size_divisor} that size (or the image's) rounded up
 * to multiples of the divisor; else the fixed {@code size}, given as (w, h). A target side smaller than the image's leaves
 * that side as it is ({@code mmcv.impad}'s {@code max(shape - img.shape, 0)}). The padded image is the image from here
 * on: its size is the meta's image size ({@code img_shape} after MMCV 2.x's Pad), and the batch's own zero padding comes
 * after it. The fill goes through OpenCV's {@code copyMakeBorder} as in MMCV: converted to the image's type
 * ({@code saturate_cast}: rounded and saturated on an 8-bit image, float32 on a float image).
 *
 * @param sizeW       {@code size[0]} (the width), 0 when unset
 * @param sizeH       {@code size[1]} (the height), 0 when unset
 * @param sizeDivisor {@code size_divisor}, 0 when unset
 * @param padToSquare {@code pad_to_square}
 * @param fill        the border value per channel of the BGR image, in channel order, as OpenCV receives it
 */
public record Pad(int sizeW, int sizeH, int sizeDivisor, boolean padToSquare, List<Double> fill) implements ImageStep {
    public Pad {
        fill = List.copyOf(fill);
        if (fill.size() != 3) throw new IllegalArgumentException("Pad needs a fill value per channel, got " + fill);
        for (double v : fill) if (!Double.isFinite(v)) throw new IllegalArgumentException("Pad values must be finite, got " + fill);
        if (sizeW < 0 || sizeH < 0 || sizeDivisor < 0 || (sizeW == 0) != (sizeH == 0))
            throw new IllegalArgumentException("Pad size must be two positive sizes and size_divisor positive");
        boolean size = sizeW > 0;
        if (padToSquare ? size : size == (sizeDivisor > 0))
            throw new IllegalArgumentException(padToSquare ? "Pad: size must be unset with pad_to_square"
                    : "Pad: exactly one of size and size_divisor (or pad_to_square)");
    }

    @Override public String type() { return "Pad"; }

    /** The padded size {height, width} of an h × w image (never smaller than the image). */
    int[] target(int h, int w) {
        long th, tw;
        if (padToSquare) {
            th = tw = Math.max(h, w);
        } else if (sizeDivisor > 0) {
            th = h;
            tw = w;
        } else {
            th = sizeH;
            tw = sizeW;
        }
        if (sizeDivisor > 0) { // int(np.ceil(size / divisor)) * divisor
            th = (th + sizeDivisor - 1) / sizeDivisor * sizeDivisor;
            tw = (tw + sizeDivisor - 1) / sizeDivisor * sizeDivisor;
        }
        return new int[] {Math.toIntExact(Math.max(th, h)), Math.toIntExact(Math.max(tw, w))};
    }

    /** Pads the state's image; boxes stay. */
    @Override
    public void apply(TransformState s, SampleDraws unused) {
        Mat img = s.image();
        int h = img.rows(), w = img.cols();
        int[] t = target(h, w);
        if (t[0] == h && t[1] == w) return;
        Mat out = new Mat();
        try (Scalar value = new Scalar(fill.get(0), fill.get(1), fill.get(2), 0)) {
            opencv_core.copyMakeBorder(img, out, 0, t[0] - h, 0, t[1] - w, BORDER_CONSTANT, value);
        }
        s.setImage(out);
    }
}
