package autoassign.data;

/**
 * MMDetection 3.3's {@code FilterAnnotations} with {@code by_box} (masks are not loaded, so {@code by_mask} is refused):
 * a box stays when its width and its height are both strictly greater than {@code min_gt_bbox_wh} ({@code widths >
 * min_w & heights > min_h}, float32 widths {@code x2 − x1} against the thresholds as float32, as torch compares a
 * float32 tensor with a Python number). Crowd boxes are filtered by the same rule, as MMDetection keeps them in
 * {@code gt_bboxes} with an ignore flag that is filtered in step; labels in step. An image without any box is returned
 * unchanged. When boxes exist and none would stay, mmdet's {@code keep_empty} decides, with its name's inverted sense
 * transcribed as the code has it: {@code keep_empty: true} (the default) returns None (the loader re-samples, as MMEngine
 * does), {@code keep_empty: false} keeps the image with every box dropped.
 *
 * @param minW      {@code min_gt_bbox_wh[0]}
 * @param minH      {@code min_gt_bbox_wh[1]}
 * @param keepEmpty {@code keep_empty}
 */
public record FilterAnnotations(double minW, double minH, boolean keepEmpty) implements Transform {
    public FilterAnnotations {
        if (!Double.isFinite(minW) || !Double.isFinite(minH))
            throw new IllegalArgumentException("min_gt_bbox_wh must be two finite numbers, got " + minW + ", " + minH);
    }

    /** MMDetection's defaults: min_gt_bbox_wh (1, 1), keep_empty true. */
    public static FilterAnnotations defaults() { return new FilterAnnotations(1, 1, true); }

    @Override public String type() { return "FilterAnnotations"; }

    /** Which boxes stay: width and height both strictly above the thresholds, in float32. */
    boolean[] keep(float[] boxes) {
        float mw = (float) minW, mh = (float) minH;
        boolean[] k = new boolean[boxes.length / 4];
        for (int i = 0; i < k.length; i++) {
            float w = boxes[4 * i + 2] - boxes[4 * i], h = boxes[4 * i + 3] - boxes[4 * i + 1];
            k[i] = w > mw && h > mh;
        }
        return k;
    }

    /**
     * Filters the state's boxes; false (the state unchanged) when the image is rejected: boxes exist, none stays,
     * {@code keep_empty} is true and {@code mayReject}. Without {@code mayReject} (browse, benchmarks) such an image keeps
     * no box.
     */
    boolean apply(TransformState s, boolean mayReject) {
        float[] b = s.boxes(), k = s.crowdBoxes();
        if (b.length == 0 && k.length == 0) return true;
        boolean[] keepB = keep(b), keepK = keep(k);
        boolean any = false;
        for (boolean v : keepB) any |= v;
        for (boolean v : keepK) any |= v;
        if (!any && keepEmpty && mayReject) return false;
        s.keepBoxes(b, keepB, k, keepK);
        return true;
    }
}
