package autoassign.data;

/**
 * One image after LoadImage → Resize → RandomFlip, before batching.
 *
 * @param meta   sizes, scale factors and flip ({@code padH/padW} still 0)
 * @param pixels resized (and flipped) image, HWC uint8 in B, G, R order, {@code imgH * imgW * 3} bytes
 * @param gt     boxes in resized / flipped coordinates
 */
public record PreparedImage(ImageMeta meta, byte[] pixels, GroundTruth gt) {}
