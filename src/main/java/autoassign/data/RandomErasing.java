package autoassign.data;


import java.util.List;


/**
 * MMDetection 3.3's {@code RandomErasing} ({@code mmdet/datasets/transforms/transforms.py}): {@code n} patches, n drawn
 * in [{@code n_patches[0]}, {@code n_patches[1]}]; each with a ratio drawn in [{@code ratio[0]}, {@code ratio[1]})
 * (one for both sides when {@code squared}, else one for the height then one for the width), sides
 * {@code ph = int(h · r_h)}, {@code pw = int(w · r_w)}, corner {@code px1 = randint(0, w − pw)}, {@code py1 = randint(0,
 * h − ph)} (so a patch never reaches the right or bottom edge, as NumPy's exclusive bound has it). The patches are filled
 * with {@code img_border_value} (truncated to integers on an 8-bit image, NumPy's cast; float32 on a float image). Boxes
 * and crowd boxes are dropped, labels in step, when the patches' summed intersection with the box is at least
 * {@code bbox_erased_thr} of its area ({@code inter / (area + 1e-7) < thr} keeps it), the boxes themselves unchanged.
 *
 * @param patchesLo {@code n_patches[0]} (at least 1: MMDetection fails on an image drawing 0 patches)
 * @param patchesHi {@code n_patches[1]}, inclusive
 * @param ratioLo   {@code ratio[0]}
 * @param ratioHi   {@code ratio[1]} ({@code ratio: r} gives r, r)
 * @param squared   {@code squared}: one ratio for both sides
 * @param erasedThr {@code bbox_erased_thr}
 * @param fill      {@code img_border_value} per B, G, R channel (the image's order, not reversed)
 */
public record RandomErasing(int patchesLo, int patchesHi, double ratioLo, double ratioHi, boolean squared, double erasedThr,
                            List<Double> fill) implements ImageStep {
    /** Draw numbers under {@link SampleDraws#ERASING}: 0 the count; patch j: 1 + 4j ratio (h), 2 + 4j ratio w, 3 + 4j px1, 4 + 4j py1. */
    static final int DRAW_COUNT = 0;

    public RandomErasing {
        fill = List.copyOf(fill);
        if (patchesLo < 1 || patchesLo > patchesHi)
            throw new IllegalArgumentException("n_patches must be 1 <= lo <= hi, got " + patchesLo + ", " + patchesHi);
        if (!(ratioLo >= 0 && ratioLo <= ratioHi && ratioHi <= 1) || ratioLo == 1)
            throw new IllegalArgumentException("ratio must be 0 <= lo <= hi <= 1 (lo < 1), got " + ratioLo + ", " + ratioHi);
        if (!Double.isFinite(erasedThr)) throw new IllegalArgumentException("bbox_erased_thr must be finite, got " + erasedThr);
        if (fill.size() != 3) throw new IllegalArgumentException("img_border_value needs 3 values, got " + fill);
        for (double f : fill)
            if (!(f >= 0 && f <= 255)) throw new IllegalArgumentException("img_border_value must be in [0, 255], got " + fill);
    }

    @Override public String type() { return "RandomErasing"; }

    /** {@code _get_patches}: the patches of an h × w image, {px1, py1, px2, py2} each. */
    int[][] patches(int h, int w, SampleDraws d) {
        long s = SampleDraws.ERASING;
        int n = d.integer(s, DRAW_COUNT, patchesLo, patchesHi + 1);
        double[] rh = new double[n], rw = new double[n];
        int[] x = new int[n], y = new int[n];
        for (int j = 0; j < n; j++) {
            int k = 1 + 4 * j;
            rh[j] = d.unit(s, k) * (ratioHi - ratioLo) + ratioLo;
            rw[j] = squared ? rh[j] : d.unit(s, k + 1) * (ratioHi - ratioLo) + ratioLo;
            int ph = (int) (h * rh[j]), pw = (int) (w * rw[j]);
            // NumPy's randint(0, 0) fails; a side of exactly 1 × the image (a draw rounding up to ratio 1) starts at 0 here
            x[j] = d.integer(s, k + 2, 0, Math.max(w - pw, 1));
            y[j] = d.integer(s, k + 3, 0, Math.max(h - ph, 1));
        }
        return patches(h, w, rh, rw, x, y);
    }

    /** The deterministic part of {@code _get_patches}: sides {@code int(side × ratio)} at the given corners. */
    static int[][] patches(int h, int w, double[] ratioH, double[] ratioW, int[] px1, int[] py1) {
        int[][] out = new int[px1.length][];
        for (int j = 0; j < out.length; j++) {
            int ph = (int) (h * ratioH[j]), pw = (int) (w * ratioW[j]);
            out[j] = new int[] {px1[j], py1[j], px1[j] + pw, py1[j] + ph};
        }
        return out;
    }

    @Override
    public void apply(TransformState s, SampleDraws d) { erase(s, patches(s.height(), s.width(), d)); }

    /** {@code _transform_img} and {@code _transform_bboxes} for these patches. */
    void erase(TransformState s, int[][] patches) {
        CutOut.fill(s.ownedImage(), fill, patches);
        s.keepBoxes(s.boxes(), keep(s.boxes(), patches, erasedThr), s.crowdBoxes(), keep(s.crowdBoxes(), patches, erasedThr));
    }

    /**
     * Which boxes stay: NumPy's float64 intersections (float32 corners against integer patches) summed over the patches,
     * divided by the float32 area {@code (x2 − x1)(y2 − y1) + 1e-7}, below {@code thr}.
     */
    static boolean[] keep(float[] boxes, int[][] patches, double thr) {
        boolean[] k = new boolean[boxes.length / 4];
        for (int i = 0; i < k.length; i++) {
            float x1 = boxes[4 * i], y1 = boxes[4 * i + 1], x2 = boxes[4 * i + 2], y2 = boxes[4 * i + 3];
            double inter = 0;
            for (int[] p : patches) {
                double w = Math.max(Math.min((double) x2, p[2]) - Math.max((double) x1, p[0]), 0);
                double h = Math.max(Math.min((double) y2, p[3]) - Math.max((double) y1, p[1]), 0);
                inter += w * h;
            }
            float area = (x2 - x1) * (y2 - y1) + 1e-7f;
            k[i] = inter / area < thr;
        }
        return k;
    }
}
