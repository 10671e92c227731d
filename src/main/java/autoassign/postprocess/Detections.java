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

    /**
     * The boxes mirrored in an image {@code width} pixels wide ({@code x1' = W − x2}, {@code x2' = W − x1}, float32),
     * as MMDetection's {@code bbox_flip}: how test-time augmentation brings a flipped image's detections back.
     */
    public Detections flipped(int width) {
        float w = width;
        float[] b = boxes.clone();
        for (int i = 0; i + 3 < b.length; i += 4) {
            b[i] = w - boxes[i + 2];
            b[i + 2] = w - boxes[i];
        }
        return new Detections(b, scores.clone(), labels.clone());
    }

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
