package autoassign.data;

/**
 * One image of a dataset with its parsed annotations (AA_1 §2), in original pixel coordinates.
 *
 * @param id          dataset image id
 * @param fileName    path relative to the dataset's image folder
 * @param width       width from the json record (used by the training filter and aspect grouping)
 * @param height      height from the json record
 * @param boxes       usable GT boxes, [G*4] x1,y1,x2,y2 float32, not clipped
 * @param labels      contiguous labels [G]
 * @param crowdBoxes  crowd ({@code iscrowd=1}) boxes, [K*4], never used as training targets
 * @param crowdLabels labels of the crowd boxes [K]
 * @param hasClassAnnotation true iff at least one raw annotation of a class in use refers to this image
 *                    (before box filtering; the AA_1 §3 "category → images" index)
 */
public record ImageRecord(long id, String fileName, int width, int height, float[] boxes, int[] labels,
                          float[] crowdBoxes, int[] crowdLabels, boolean hasClassAnnotation) {
    public int numBoxes() { return labels.length; }

    public int numCrowd() { return crowdLabels.length; }

    @Override public String toString() {
        return "ImageRecord[id=" + id + ", file=" + fileName + ", " + width + "x" + height + ", boxes=" + labels.length
                + ", crowd=" + crowdLabels.length + "]";
    }
}
