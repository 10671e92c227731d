package autoassign.config;

/**
 * {@code model.test_cfg}: post-processing (AA_4). A key the config leaves out takes the default mmdet's dense heads
 * read it with ({@code cfg.get(key, default)}): nms_pre −1, min_bbox_size −1, score_thr 0; the recipe sets them all.
 *
 * @param nmsPre       candidates kept per level after the score threshold (recipe 1000); &lt;= 0 keeps all
 * @param minBboxSize  boxes need width and height strictly greater than this (recipe 0); negative: no filter
 * @param scoreThr     threshold on the class probability (recipe 0.05)
 * @param iouThreshold {@code nms.iou_threshold} (0.6, class-aware, strict)
 * @param maxPerImg    detections per image (100)
 * @param softNms      {@code nms.type: soft_nms} with its {@code iou_threshold} (MMCV's default 0.3), {@code sigma}
 *                     (0.5), {@code min_score} (1e-3) and {@code method} (linear, gaussian or naive); null for nms
 */
public record TestConfig(int nmsPre, double minBboxSize, double scoreThr, double iouThreshold, int maxPerImg,
                         autoassign.postprocess.SoftNms softNms) {
    /** The recipe's test_cfg (autoassign_r50-caffe_fpn_1x_coco). */
    public static final TestConfig DEFAULT = new TestConfig(1000, 0, 0.05, 0.6, 100, null);

    /** With MMCV's (hard) nms. */
    public TestConfig(int nmsPre, double minBboxSize, double scoreThr, double iouThreshold, int maxPerImg) {
        this(nmsPre, minBboxSize, scoreThr, iouThreshold, maxPerImg, null);
    }

    static TestConfig from(ConfigNode n) {
        int nmsPre = n.integer("nms_pre", -1);
        double minSize = n.number("min_bbox_size", -1);
        double thr = n.inRange("score_thr", n.number("score_thr", 0), 0, 1);
        Nms nms = Nms.from(n.child("nms"), DEFAULT.iouThreshold());
        int max = n.positive("max_per_img", n.integer("max_per_img", DEFAULT.maxPerImg()));
        n.finish();
        return new TestConfig(nmsPre, minSize, thr, nms.iouThreshold(), max, nms.soft());
    }

    /**
     * An {@code nms} dict of a {@code test_cfg} or {@code tta_cfg}: {@code type: nms} with its {@code iou_threshold},
     * or {@code type: soft_nms} with MMCV's defaults (iou_threshold 0.3, sigma 0.5, min_score 1e-3, method linear).
     */
    record Nms(double iouThreshold, autoassign.postprocess.SoftNms soft) {
        static Nms from(ConfigNode nms, double defaultIou) {
            boolean isSoft = "soft_nms".equals(nms.choice("type", "nms", "nms", "soft_nms"));
            double iou = nms.inRange("iou_threshold", nms.number("iou_threshold", isSoft ? 0.3 : defaultIou), 0, 1);
            autoassign.postprocess.SoftNms soft = null;
            if (isSoft) {
                double sigma = nms.positive("sigma", nms.number("sigma", 0.5));
                double minScore = nms.nonNegative("min_score", nms.number("min_score", 1e-3));
                String method = nms.choice("method", "linear", "linear", "gaussian", "naive");
                if (nms.integer("offset", 0) != 0) throw nms.error("offset", "only 0 is supported (MMDetection's boxes have no +1)");
                soft = new autoassign.postprocess.SoftNms((float) iou, (float) sigma, (float) minScore,
                        autoassign.postprocess.SoftNms.Method.of(method));
            }
            nms.finish();
            return new Nms(iou, soft);
        }
    }
}
