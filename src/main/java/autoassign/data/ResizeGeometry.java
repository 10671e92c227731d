package autoassign.data;

/**
 * Keep-ratio resize arithmetic of AA_1 §5.
 *
 * @param oriH   original height
 * @param oriW   original width
 * @param newH   resized height ({@code img_shape[0]})
 * @param newW   resized width ({@code img_shape[1]})
 * @param scaleW {@code new_w / w}, from the integer sizes
 * @param scaleH {@code new_h / h}
 */
public record ResizeGeometry(int oriH, int oriW, int newH, int newW, double scaleW, double scaleH) {

    /**
     * {@code s = min(long / max(h, w), short / min(h, w))}, {@code new = floor(old * s + 0.5)}, in double precision,
     * where {@code long/short} are the larger/smaller of the two scale numbers (order does not matter).
     */
    public static ResizeGeometry keepRatio(int h, int w, int scaleA, int scaleB) {
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("image size must be positive: " + w + "x" + h);
        double longEdge = Math.max(scaleA, scaleB), shortEdge = Math.min(scaleA, scaleB);
        double s = Math.min(longEdge / Math.max(h, w), shortEdge / Math.min(h, w));
        int nw = (int) (w * s + 0.5);
        int nh = (int) (h * s + 0.5);
        nw = Math.max(nw, 1);
        nh = Math.max(nh, 1);
        return new ResizeGeometry(h, w, nh, nw, (double) nw / w, (double) nh / h);
    }

    /** The scale factor {@code s} before rounding (for reference / logging). */
    public static double scale(int h, int w, int scaleA, int scaleB) {
        double longEdge = Math.max(scaleA, scaleB), shortEdge = Math.min(scaleA, scaleB);
        return Math.min(longEdge / Math.max(h, w), shortEdge / Math.min(h, w));
    }
}
