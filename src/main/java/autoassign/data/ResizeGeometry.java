package autoassign.data;

/**
 * Resize arithmetic: keep-ratio (AA_1 §5, mmcv {@code imrescale}), stretched (mmcv {@code imresize}) and mmdet's
 * {@code FixShapeResize(keep_ratio=True)}.
 *
 * @param oriH   original height
 * @param oriW   original width
 * @param newH   resized height ({@code img_shape[0]})
 * @param newW   resized width ({@code img_shape[1]})
 * @param scaleW the recorded {@code scale_factor[0]}: {@code new_w / w} from the integer sizes (FixShapeResize with
 *               keep_ratio: its unrounded factor)
 * @param scaleH {@code scale_factor[1]}
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

    /**
     * mmcv's {@code Resize(scale=(scaleW, scaleH), keep_ratio=False)} ({@code mmcv.imresize}): exactly
     * {@code scaleW × scaleH}, {@code w_scale = size[0] / w}, {@code h_scale = size[1] / h} (Python true division).
     */
    public static ResizeGeometry stretch(int h, int w, int scaleW, int scaleH) {
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("image size must be positive: " + w + "x" + h);
        if (scaleW <= 0 || scaleH <= 0) throw new IllegalArgumentException("resize scale must be positive: " + scaleW + "x" + scaleH);
        return new ResizeGeometry(h, w, scaleH, scaleW, (double) scaleW / w, (double) scaleH / h);
    }

    /**
     * mmdet's {@code FixShapeResize(width, height, keep_ratio=True).transform} (mmdet/datasets/transforms/transforms.py):
     * {@code scale_factor = min(width / w, height / h)}, recorded as {@code (sf, sf)};
     * {@code real = (int(w * sf + 0.5), int(h * sf + 0.5))}; the image is {@code mmcv.imrescale}d to {@code real}
     * (whose own {@code rescale_size} may round one side differently: its size is the new size, its factor is dropped).
     * The caller pads to width × height afterwards.
     */
    public static ResizeGeometry fixShapeKeepRatio(int h, int w, int width, int height) {
        if (h <= 0 || w <= 0) throw new IllegalArgumentException("image size must be positive: " + w + "x" + h);
        double sf = Math.min((double) width / w, (double) height / h);
        int realW = (int) (w * sf + 0.5), realH = (int) (h * sf + 0.5);
        if (realW <= 0 || realH <= 0)
            throw new IllegalArgumentException("FixShapeResize: a " + w + "x" + h + " image rescales to " + realW + "x" + realH);
        ResizeGeometry r = keepRatio(h, w, realW, realH);
        return new ResizeGeometry(h, w, r.newH(), r.newW(), sf, sf);
    }
}
