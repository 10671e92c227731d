package autoassign.eval;

import autoassign.postprocess.Detections;
import autoassign.postprocess.Nms;
import autoassign.postprocess.SoftNms;

import java.util.List;

/**
 * Test-time augmentation as MMDetection's {@code tools/test.py --tta}: the model runs on every variant of an image
 * (a {@code TestTimeAug} pipeline: each Resize scale × flipped / not flipped, in that product order), each variant is
 * post-processed as usual and brought back to the original image, and {@code DetTTAModel} merges them: all
 * detections concatenated in variant order, class-aware NMS at {@code iouThr} (MMCV {@code batched_nms}; or
 * soft-NMS), the first {@code maxPerImg} kept.
 *
 * @param variants  the images the model sees (a scale of 0: the test pipeline's)
 * @param iouThr    {@code tta_model.tta_cfg.nms.iou_threshold} (0.5)
 * @param maxPerImg {@code tta_model.tta_cfg.max_per_img} (100)
 * @param softNms   {@code tta_cfg.nms} of type soft_nms, or null
 */
public record TestTimeAug(List<Variant> variants, float iouThr, int maxPerImg, SoftNms softNms) {
    public TestTimeAug(List<Variant> variants, float iouThr, int maxPerImg) {
        this(variants, iouThr, maxPerImg, null);
    }

    public TestTimeAug {
        variants = List.copyOf(variants);
        if (variants.isEmpty()) throw new IllegalArgumentException("test-time augmentation needs at least one variant");
    }

    /** One variant: a Resize scale (w, h as the config writes it; 0 = the test pipeline's) and whether it is flipped. */
    public record Variant(int scaleW, int scaleH, boolean flip) {}

    /** tools/test.py's default when the config has no {@code tta_pipeline}: the test pipeline, flipped and not. */
    public static TestTimeAug flips(float iouThr, int maxPerImg) {
        return new TestTimeAug(List.of(new Variant(0, 0, true), new Variant(0, 0, false)), iouThr, maxPerImg);
    }

    /** DetTTAModel's merge of one image's variants (each in original-image pixels, already flipped back). */
    public Detections merge(List<Detections> perVariant) {
        int n = 0;
        for (Detections d : perVariant) n += d.size();
        if (n == 0) return Detections.EMPTY;
        float[] boxes = new float[4 * n], scores = new float[n];
        int[] labels = new int[n];
        int k = 0;
        for (Detections d : perVariant) {
            System.arraycopy(d.boxes(), 0, boxes, 4 * k, 4 * d.size());
            System.arraycopy(d.scores(), 0, scores, k, d.size());
            System.arraycopy(d.labels(), 0, labels, k, d.size());
            k += d.size();
        }
        return Nms.classAware(new Detections(boxes, scores, labels), iouThr, softNms, maxPerImg);
    }
}
