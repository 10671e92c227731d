package autoassign.data;

import autoassign.tensor.Tensor;

/**
 * Targets of one image in network-input coordinates (resized, clipped, flipped).
 *
 * @param boxes         [G*4] x1,y1,x2,y2 float32
 * @param labels        [G] contiguous labels
 * @param ignoredBoxes  [K*4] crowd boxes ({@code ignored_instances}; the AutoAssign loss never reads them)
 * @param ignoredLabels [K]
 */
public record GroundTruth(float[] boxes, int[] labels, float[] ignoredBoxes, int[] ignoredLabels) {
    public int count() { return labels.length; }

    public int ignoredCount() { return ignoredLabels.length; }

    /** The boxes as a CPU tensor [G, 4] (no copy; G may be 0). */
    public Tensor boxesTensor() { return Tensor.of(boxes, labels.length, 4); }
}
