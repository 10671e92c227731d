package autoassign.postprocess;

/**
 * Geometry of one test image, as MMDetection's {@code img_meta}.
 *
 * @param imgHeight resized, unpadded height ({@code img_shape[0]}); boxes are clipped to it
 * @param imgWidth  resized, unpadded width ({@code img_shape[1]})
 * @param scaleW    {@code scale_factor[0]} = resized width / original width
 * @param scaleH    {@code scale_factor[1]} = resized height / original height
 */
public record ImageMeta(int imgHeight, int imgWidth, double scaleW, double scaleH) {

    public ImageMeta {
        if (imgHeight <= 0 || imgWidth <= 0) {
            throw new IllegalArgumentException("image shape must be positive: " + imgHeight + "x" + imgWidth);
        }
        if (!(scaleW > 0) || !(scaleH > 0) || Double.isInfinite(scaleW) || Double.isInfinite(scaleH)) {
            throw new IllegalArgumentException("scale factors must be positive and finite: " + scaleW + ", " + scaleH);
        }
    }
}
