package autoassign.postprocess;

/**
 * Test-time post-processing settings (MMDetection {@code test_cfg}).
 *
 * @param nmsPre      candidates kept per level after the score threshold ({@code nms_pre}); &le; 0 keeps all
 * @param scoreThr    threshold on the class probability, strict ({@code prob > scoreThr})
 * @param iouThr      NMS IoU threshold, compared as float32, strict ({@code IoU > iouThr} suppresses)
 * @param maxPerImg   detections kept per image after NMS
 * @param minBboxSize boxes need width and height strictly greater than this; negative disables the filter
 * @param softNms     {@code nms.type: soft_nms}: its settings (then {@code iouThr} is unused), or null for MMCV's nms
 */
public record PostProcessConfig(int nmsPre, float scoreThr, float iouThr, int maxPerImg, float minBboxSize, SoftNms softNms) {

    /** With MMCV's (hard) nms. */
    public PostProcessConfig(int nmsPre, float scoreThr, float iouThr, int maxPerImg, float minBboxSize) {
        this(nmsPre, scoreThr, iouThr, maxPerImg, minBboxSize, null);
    }

    /** AutoAssign's COCO test config: nms_pre 1000, score_thr 0.05, nms 0.6, max_per_img 100, min_bbox_size 0. */
    public static final PostProcessConfig DEFAULT = new PostProcessConfig(1000, 0.05f, 0.6f, 100, 0f);

    public PostProcessConfig {
        if (maxPerImg <= 0) {
            throw new IllegalArgumentException("maxPerImg must be positive: " + maxPerImg);
        }
        if (!(iouThr >= 0f && iouThr <= 1f)) {
            throw new IllegalArgumentException("iouThr must be in [0, 1]: " + iouThr);
        }
        if (Float.isNaN(scoreThr) || Float.isNaN(minBboxSize)) {
            throw new IllegalArgumentException("scoreThr and minBboxSize must not be NaN");
        }
    }

    public PostProcessConfig withScoreThr(float thr) {
        return new PostProcessConfig(nmsPre, thr, iouThr, maxPerImg, minBboxSize, softNms);
    }
}
