package autoassign.postprocess;

import java.util.Arrays;

/**
 * Detections of one image, in descending score order.
 *
 * @param boxes  n*4 floats, x1 y1 x2 y2 per box, in original-image pixels
 * @param scores n final scores (class probability times objectness)
 * @param labels n class indices (0-based, not COCO category ids)
 */
public record Detections(float[] boxes, float[] scores, int[] labels) {

    public static final Detections EMPTY = new Detections(new float[0], new float[0], new int[0]);

    public Detections {
        if (boxes.length != scores.length * 4 || labels.length != scores.length) {
            throw new IllegalArgumentException("inconsistent detection arrays: " + boxes.length + " box values, "
                    + scores.length + " scores, " + labels.length + " labels");
        }
    }

    public int size() {
        return scores.length;
    }

    public float x1(int i) { return boxes[4 * i]; }

    public float y1(int i) { return boxes[4 * i + 1]; }

    public float x2(int i) { return boxes[4 * i + 2]; }

    public float y2(int i) { return boxes[4 * i + 3]; }

    public float score(int i) { return scores[i]; }

    public int label(int i) { return labels[i]; }

    /** Detections {@code idx[0], idx[1], ...} in that order. */
    public Detections select(int[] idx) {
        float[] b = new float[idx.length * 4];
        float[] s = new float[idx.length];
        int[] l = new int[idx.length];
        for (int k = 0; k < idx.length; k++) {
            int i = idx[k];
            System.arraycopy(boxes, 4 * i, b, 4 * k, 4);
            s[k] = scores[i];
            l[k] = labels[i];
        }
        return new Detections(b, s, l);
    }

    /** The first {@code n} detections (or all if fewer). */
    public Detections head(int n) {
        if (n >= size()) {
            return this;
        }
        return new Detections(Arrays.copyOf(boxes, 4 * n), Arrays.copyOf(scores, n), Arrays.copyOf(labels, n));
    }

    @Override
    public String toString() {
        return "Detections[" + size() + "]";
    }
}
