package autoassign.eval;

/**
 * mmdet's {@code bbox_overlaps} (mmdet/evaluation/functional/bbox_overlaps.py) of one pair of x1, y1, x2, y2 boxes in
 * float32, as the VOC, Open Images and CrowdHuman metrics use it: IoU, or with {@code iof} the overlap over box a's
 * area; {@code extra} is 1 for legacy coordinates (widths, heights and overlaps count both end pixels), else 0; the
 * denominator is at least 1e-6.
 */
final class BboxOverlaps {
    private BboxOverlaps() {}

    static float pair(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2, float by2, float extra,
                      boolean iof) {
        float areaA = (ax2 - ax1 + extra) * (ay2 - ay1 + extra);
        float w = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1) + extra, 0f);
        float h = Math.max(Math.min(ay2, by2) - Math.max(ay1, by1) + extra, 0f);
        float inter = w * h;
        float union = iof ? areaA : areaA + (bx2 - bx1 + extra) * (by2 - by1 + extra) - inter;
        return inter / Math.max(union, 1e-6f);
    }

    /** {@link #pair} of two {@code [x1, y1, x2, y2]} arrays, current coordinates (no extra pixel). */
    static float pair(float[] a, float[] b, boolean iof) {
        return pair(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], 0f, iof);
    }
}
