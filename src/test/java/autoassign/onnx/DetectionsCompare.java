package autoassign.onnx;

import autoassign.autograd.Graph;
import autoassign.data.ImageMeta;
import autoassign.eval.Inference;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HeadOutputs;
import autoassign.postprocess.Detections;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The engine's detections for one image at the network input size, the graph's {@code dets} / {@code labels} as
 * {@link Detections}, and their comparison: as sorted lists (tie order is open in both NMS implementations), exactly
 * or within a tolerance.
 */
final class DetectionsCompare {
    private DetectionsCompare() {}

    /** The engine: forward without tape, then {@link Inference#postprocess} with the image filling the input (scale 1). */
    static Detections engine(AutoAssignDetector model, Tensor image, PostProcessConfig cfg) {
        HeadOutputs out;
        try (var g = Graph.noGrad()) {
            out = model.forward(image);
        }
        int h = image.dim(2), w = image.dim(3);
        ImageMeta meta = new ImageMeta(0, "", 0, h, w, h, w, 1.0, 1.0, false, h, w);
        return Inference.postprocess(out, List.of(meta), cfg).get(0);
    }

    /** {@code dets [1,K,5]}, {@code labels [1,K]} as detections. */
    static Detections of(float[] dets, int[] detsShape, long[] labels, int[] labelsShape) {
        if (detsShape.length != 3 || detsShape[0] != 1 || detsShape[2] != 5 || labelsShape.length != 2 || labelsShape[0] != 1
                || labelsShape[1] != detsShape[1])
            throw new AssertionError("dets " + Arrays.toString(detsShape) + ", labels " + Arrays.toString(labelsShape));
        int k = detsShape[1];
        float[] boxes = new float[4 * k], scores = new float[k];
        int[] l = new int[k];
        for (int i = 0; i < k; i++) {
            System.arraycopy(dets, 5 * i, boxes, 4 * i, 4);
            scores[i] = dets[5 * i + 4];
            l[i] = Math.toIntExact(labels[i]);
        }
        return new Detections(boxes, scores, l);
    }

    /** One detection as (score, label, x1, y1, x2, y2). */
    record Det(float score, int label, float x1, float y1, float x2, float y2) {
        @Override public String toString() {
            return String.format("%d %.6g [%.4f %.4f %.4f %.4f]", label, score, x1, y1, x2, y2);
        }
    }

    static List<Det> sorted(Detections d) {
        List<Det> out = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) out.add(new Det(d.score(i), d.label(i), d.x1(i), d.y1(i), d.x2(i), d.y2(i)));
        out.sort(Comparator.comparing(Det::score).reversed().thenComparing(Det::label).thenComparing(Det::x1)
                .thenComparing(Det::y1).thenComparing(Det::x2).thenComparing(Det::y2));
        return out;
    }

    /** Scores in descending order (as both sides emit them; equal scores in any order). */
    static boolean descending(Detections d) {
        for (int i = 1; i < d.size(); i++) if (d.score(i) > d.score(i - 1)) return false;
        return true;
    }

    /** Largest differences of a one-to-one matching. */
    record Difference(int matched, int unmatched, double box, double score) {}

    /**
     * Matches {@code want} greedily (in its order) to the closest unmatched detection of {@code got} with the same
     * label whose box and score are within {@code boxTol} / {@code scoreTol} (absolute); reports the largest
     * differences of the matched ones and how many of either side stayed unmatched.
     */
    static Difference match(Detections got, Detections want, double boxTol, double scoreTol) {
        boolean[] used = new boolean[got.size()];
        int matched = 0;
        double box = 0, score = 0;
        for (int i = 0; i < want.size(); i++) {
            int best = -1;
            double bestErr = Double.POSITIVE_INFINITY;
            for (int j = 0; j < got.size(); j++) {
                if (used[j] || got.label(j) != want.label(i)) continue;
                double b = 0;
                for (int k = 0; k < 4; k++) b = Math.max(b, Math.abs((double) got.boxes()[4 * j + k] - want.boxes()[4 * i + k]));
                double s = Math.abs((double) got.score(j) - want.score(i));
                if (b <= boxTol && s <= scoreTol && b + s < bestErr) {
                    best = j;
                    bestErr = b + s;
                }
            }
            if (best < 0) continue;
            used[best] = true;
            matched++;
            for (int k = 0; k < 4; k++) box = Math.max(box, Math.abs((double) got.boxes()[4 * best + k] - want.boxes()[4 * i + k]));
            score = Math.max(score, Math.abs((double) got.score(best) - want.score(i)));
        }
        return new Difference(matched, want.size() - matched + got.size() - matched, box, score);
    }
}
