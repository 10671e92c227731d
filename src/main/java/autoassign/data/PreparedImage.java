package autoassign.data;

/**
 * One image after the pipeline's per-image steps (LoadImage → Resize → RandomFlip, and the config's other steps),
 * before batching.
 *
 * @param meta   sizes, scale factors and flip ({@code padH/padW} still 0)
 * @param pixels the transformed image, HWC uint8 in B, G, R order, {@code imgH * imgW * 3} bytes; after a
 *               PhotoMetricDistortion only a picture of {@code values} (rounded, saturated to 0..255)
 * @param gt     boxes in the transformed image's coordinates
 * @param values the exact float32 pixels (HWC, as many as {@code pixels}) when a step made the image float
 *               (PhotoMetricDistortion, as MMDetection's), else null; batching uses them when present
 */
public record PreparedImage(ImageMeta meta, byte[] pixels, GroundTruth gt, float[] values) {
    /** An 8-bit image. */
    public PreparedImage(ImageMeta meta, byte[] pixels, GroundTruth gt) {
        this(meta, pixels, gt, null);
    }
}
