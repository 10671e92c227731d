package autoassign.data;

/**
 * What is needed to map predictions on a padded batch image back to the original image (AA_1 §5, §11).
 *
 * @param imageId      dataset image id
 * @param fileName     image file name as in the json
 * @param datasetIndex index of the image in its {@link CocoDataset}
 * @param oriH         decoded image height ({@code ori_shape})
 * @param oriW         decoded image width
 * @param imgH         resized height ({@code img_shape}); the valid region of the padded batch image
 * @param imgW         resized width
 * @param scaleW       {@code scale_factor[0]}: {@code w_scale = imgW / oriW} after a Resize, keep-ratio or stretched (then
 *                     it differs from {@code scaleH}); FixShapeResize with keep_ratio records its unrounded factor, and
 *                     its {@code imgW} is the padded width
 * @param scaleH       {@code scale_factor[1]}: {@code h_scale = imgH / oriH} after a Resize
 * @param flipped      horizontally flipped
 * @param padH         padded batch height ({@code batch_input_shape}); 0 before batching
 * @param padW         padded batch width; 0 before batching
 */
public record ImageMeta(long imageId, String fileName, int datasetIndex, int oriH, int oriW, int imgH, int imgW,
                        double scaleW, double scaleH, boolean flipped, int padH, int padW) {

    /** The same image marked (un)flipped: test-time augmentation post-processes a flipped image as is, then flips back. */
    public ImageMeta withFlipped(boolean f) {
        return new ImageMeta(imageId, fileName, datasetIndex, oriH, oriW, imgH, imgW, scaleW, scaleH, f, padH, padW);
    }

    public ImageMeta withPad(int h, int w) {
        return new ImageMeta(imageId, fileName, datasetIndex, oriH, oriW, imgH, imgW, scaleW, scaleH, flipped, h, w);
    }

    /**
     * Maps x1,y1,x2,y2 boxes (in place, [N*4]) from resized-image coordinates back to the original image as
     * AA_1 §11.5: multiplication by {@code (float)(1/w_scale)}, {@code (float)(1/h_scale)} (reciprocal in double, as
     * MMDetection's {@code scale_boxes}), no clipping.
     * Undoes a horizontal flip first when {@link #flipped()} (not the case at test time).
     */
    public float[] toOriginal(float[] boxes) {
        float rw = (float) (1.0 / scaleW), rh = (float) (1.0 / scaleH); // MMDet: [1 / s for s in scale_factor] -> float32
        for (int i = 0; i + 3 < boxes.length; i += 4) {
            if (flipped) {
                float x1 = boxes[i];
                boxes[i] = imgW - boxes[i + 2];
                boxes[i + 2] = imgW - x1;
            }
            boxes[i] *= rw;
            boxes[i + 1] *= rh;
            boxes[i + 2] *= rw;
            boxes[i + 3] *= rh;
        }
        return boxes;
    }
}
