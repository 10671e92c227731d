package autoassign.loss;

import java.util.Arrays;

/**
 * The ground truth of one image as the loss sees it: boxes {@code [G,4]} (x1,y1,x2,y2 in the
 * resized/flipped/padded image frame), labels {@code [G]} in {@code 0..C-1}, and optional crowd
 * flags. Crowd boxes ({@code iscrowd=1}) are not targets of the loss: MMDetection moves them to the
 * ignored instances, which AutoAssign never reads; {@link #targets()} drops them.
 */
public record GroundTruth(float[] boxes, int[] labels, boolean[] crowd) {

    public GroundTruth {
        if (boxes == null || labels == null) throw new IllegalArgumentException("gt boxes/labels must not be null");
        if (boxes.length != 4 * labels.length)
            throw new IllegalArgumentException("gt_bboxes has " + boxes.length + " values for " + labels.length
                    + " labels (expected 4 per box)");
        if (crowd != null && crowd.length != labels.length)
            throw new IllegalArgumentException("gt crowd flags: " + crowd.length + " for " + labels.length + " boxes");
    }

    public GroundTruth(float[] boxes, int[] labels) {
        this(boxes, labels, null);
    }

    public static GroundTruth empty() {
        return new GroundTruth(new float[0], new int[0], null);
    }

    /** Number of boxes, crowd boxes included. */
    public int size() {
        return labels.length;
    }

    /** The non-crowd boxes, in their original order (this object when there is no crowd box). */
    public GroundTruth targets() {
        if (crowd == null) return this;
        int n = 0;
        for (boolean c : crowd) if (!c) n++;
        if (n == labels.length) return new GroundTruth(boxes, labels, null);
        float[] b = new float[4 * n];
        int[] l = new int[n];
        int k = 0;
        for (int g = 0; g < labels.length; g++) {
            if (crowd[g]) continue;
            System.arraycopy(boxes, 4 * g, b, 4 * k, 4);
            l[k++] = labels[g];
        }
        return new GroundTruth(b, l, null);
    }

    @Override public String toString() {
        return "GroundTruth[" + labels.length + " boxes, labels=" + Arrays.toString(labels) + "]";
    }
}
