package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;

/**
 * MMDetection 3.3's {@code CutOut}: {@code n} holes, n drawn in [{@code n_holes[0]}, {@code n_holes[1]}]; each at a
 * top-left corner drawn in the image, with a size chosen uniformly among the candidates ({@code cutout_shape} in pixels
 * or {@code cutout_ratio} of the image's sides, {@code int(ratio × side)}), cut at the image's edge and filled with
 * {@code fill_in}. Boxes are not changed. An 8-bit image stays 8-bit (the fill truncated to integers, NumPy's cast on
 * assignment); a float image gets the fill as float32.
 *
 * @param holesLo    the least number of holes
 * @param holesHi    the most ({@code n_holes: n} gives n, n)
 * @param candidates the hole sizes, each (w, h): pixels, or fractions of the image's width and height
 * @param ratio      true for {@code cutout_ratio}, false for {@code cutout_shape}
 * @param fill       {@code fill_in}, per B, G, R channel
 */
public record CutOut(int holesLo, int holesHi, List<Size> candidates, boolean ratio, List<Double> fill) implements ImageStep {
    /** One candidate hole size: (w, h) in pixels or as fractions of the image's sides. */
    public record Size(double w, double h) {
        public Size {
            if (!(w >= 0 && h >= 0) || Double.isInfinite(w) || Double.isInfinite(h))
                throw new IllegalArgumentException("a cutout size must be two numbers >= 0, got " + w + ", " + h);
        }
    }

    /** Draw numbers under {@link SampleDraws#CUTOUT}: 0 the count, then per hole j: 1 + 3j x1, 2 + 3j y1, 3 + 3j candidate. */
    static final int DRAW_COUNT = 0;

    public CutOut {
        candidates = List.copyOf(candidates);
        fill = List.copyOf(fill);
        if (holesLo < 0 || holesLo > holesHi)
            throw new IllegalArgumentException("n_holes must be 0 <= lo <= hi, got " + holesLo + ", " + holesHi);
        if (candidates.isEmpty()) throw new IllegalArgumentException("CutOut needs at least one hole size");
        if (!ratio)
            for (Size c : candidates)
                if (c.w != Math.rint(c.w) || c.h != Math.rint(c.h))
                    throw new IllegalArgumentException("a cutout_shape is two integers (w, h), got " + c);
        if (fill.size() != 3) throw new IllegalArgumentException("fill_in needs 3 values, got " + fill);
        for (double f : fill)
            if (!(f >= 0 && f <= 255)) throw new IllegalArgumentException("fill_in values must be in [0, 255], got " + fill);
    }

    @Override public String type() { return "CutOut"; }

    /** The holes of an h × w image: {x1, y1, x2, y2} each, cut at the image's edge (possibly empty). */
    int[][] holes(int h, int w, SampleDraws d) {
        long s = SampleDraws.CUTOUT;
        int n = d.integer(s, DRAW_COUNT, holesLo, holesHi + 1);
        int[] x1 = new int[n], y1 = new int[n], index = new int[n];
        for (int j = 0; j < n; j++) {
            x1[j] = d.integer(s, 1 + 3 * j, 0, w);
            y1[j] = d.integer(s, 2 + 3 * j, 0, h);
            index[j] = d.integer(s, 3 + 3 * j, 0, candidates.size());
        }
        return holes(h, w, x1, y1, index);
    }

    /** The holes from the drawn corners (x1, y1) and candidate indices, one hole per entry. */
    int[][] holes(int h, int w, int[] x1, int[] y1, int[] index) {
        int[][] out = new int[x1.length][];
        for (int j = 0; j < out.length; j++) {
            Size c = candidates.get(index[j]);
            int cw = ratio ? (int) (c.w * w) : (int) c.w, ch = ratio ? (int) (c.h * h) : (int) c.h;
            out[j] = new int[] {x1[j], y1[j], (int) Math.min(Math.max((long) x1[j] + cw, 0), w),
                    (int) Math.min(Math.max((long) y1[j] + ch, 0), h)};
        }
        return out;
    }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        cut(s, holes(s.image().rows(), s.image().cols(), d));
    }

    /** Fills these holes of the state's image (a copy of the decoded input is made first, when there is a hole). */
    void cut(TransformState s, int[][] holes) {
        if (holes.length > 0) fill(s.ownedImage(), fill, holes);
    }

    /**
     * Fills each {x1, y1, x2, y2} rectangle of {@code img}, cut at its edges as NumPy slicing is, with {@code fill} per
     * channel as NumPy's assignment casts it (8-bit: truncated; float: float32). CutOut's holes, RandomErasing's patches.
     */
    static void fill(Mat img, List<Double> fill, int[][] rects) {
        boolean bytes = img.depth() == CV_8U;
        double[] v = new double[3];
        for (int c = 0; c < 3; c++) v[c] = bytes ? Math.floor(fill.get(c)) : (float) (double) fill.get(c);
        try (Scalar value = new Scalar(v[0], v[1], v[2], 0)) {
            for (int[] p : rects) {
                int x1 = Math.min(p[0], img.cols()), y1 = Math.min(p[1], img.rows());
                int x2 = Math.min(p[2], img.cols()), y2 = Math.min(p[3], img.rows());
                if (x2 <= x1 || y2 <= y1) continue;
                try (Rect r = new Rect(x1, y1, x2 - x1, y2 - y1); Mat roi = new Mat(img, r)) {
                    roi.put(value); // Mat::operator=(Scalar): the values are already what NumPy's cast gives
                }
            }
        }
    }
}
