package autoassign.config;

/**
 * {@code model.test_cfg}: post-processing (AA_4).
 *
 * @param nmsPre       candidates kept per level after the score threshold (1000); &lt;= 0 keeps all
 * @param minBboxSize  boxes need width and height strictly greater than this (0)
 * @param scoreThr     threshold on the class probability (0.05)
 * @param iouThreshold {@code nms.iou_threshold} (0.6, class-aware, strict)
 * @param maxPerImg    detections per image (100)
 */
public record TestConfig(int nmsPre, double minBboxSize, double scoreThr, double iouThreshold, int maxPerImg) {
    public static final TestConfig DEFAULT = new TestConfig(1000, 0, 0.05, 0.6, 100);

    static TestConfig from(ConfigNode n) {
        int nmsPre = n.integer("nms_pre", DEFAULT.nmsPre());
        double minSize = n.number("min_bbox_size", DEFAULT.minBboxSize());
        double thr = n.inRange("score_thr", n.number("score_thr", DEFAULT.scoreThr()), 0, 1);
        ConfigNode nms = n.child("nms");
        nms.fixed("type", "nms");
        double iou = nms.inRange("iou_threshold", nms.number("iou_threshold", DEFAULT.iouThreshold()), 0, 1);
        nms.finish();
        int max = n.positive("max_per_img", n.integer("max_per_img", DEFAULT.maxPerImg()));
        n.finish();
        return new TestConfig(nmsPre, minSize, thr, iou, max);
    }
}
