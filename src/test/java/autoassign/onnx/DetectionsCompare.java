package autoassign.onnx;

import autoassign.autograd.Graph;
import autoassign.data.ImageMeta;
import autoassign.eval.Inference;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HeadOutputs;
import autoassign.postprocess.Detections;
import autoassign.postprocess.LevelOutput;
import autoassign.postprocess.PostProcessConfig;
import autoassign.postprocess.PostProcessor;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The engine's detections per image at the network input size, the graph's padded {@code dets} / {@code labels} as
 * {@link Detections} per image, and their comparison: row for row (bit for bit, in order), as sorted lists, or
 * within a tolerance.
 */
final class DetectionsCompare {
    private DetectionsCompare() {}

    /**
     * The engine: forward of the batch without tape, then {@link Inference#postprocess} (PostProcessor per image) with
     * every image filling the input (scale 1).
     */
    static List<Detections> engine(AutoAssignDetector model, Tensor images, PostProcessConfig cfg) {
        HeadOutputs out;
        try (var g = Graph.noGrad()) {
            out = model.forward(images);
        }
        int h = images.dim(2), w = images.dim(3);
        ImageMeta meta = new ImageMeta(0, "", 0, h, w, h, w, 1.0, 1.0, false, h, w);
        return Inference.postprocess(out, Collections.nCopies(images.dim(0), meta), cfg);
    }

    /**
     * The engine's {@link PostProcessor} on each image of the given head outputs ({@code cls_score_l}, ... by name,
     * batch first), the images filling an input of {@code height}×{@code width}.
     */
    static List<Detections> engineOn(Map<String, Tensor> heads, int[] strides, int height, int width, PostProcessConfig cfg) {
        int batch = heads.get(DetectorGraph.clsScore(0)).dim(0);
        List<Detections> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            List<LevelOutput> levels = new ArrayList<>();
            for (int l = 0; l < strides.length; l++) {
                Tensor cls = heads.get(DetectorGraph.clsScore(l));
                levels.add(new LevelOutput(strides[l], cls.dim(1), cls.dim(2), cls.dim(3), image(cls, b),
                        image(heads.get(DetectorGraph.bboxPred(l)), b), image(heads.get(DetectorGraph.objectness(l)), b)));
            }
            out.add(PostProcessor.process(levels, new autoassign.postprocess.ImageMeta(height, width, 1.0, 1.0), cfg));
        }
        return out;
    }

    private static float[] image(Tensor t, int b) {
        int per = t.numel() / t.dim(0);
        return Arrays.copyOfRange(t.toFloatArray(), b * per, (b + 1) * per);
    }

    /**
     * {@code dets [N,P,5]}, {@code labels [N,P]} as the detections of each image: its rows with a label ≥ 0, which
     * must come first; every row after them must be padding, exactly {@code 0,0,0,0,0} (+0.0) with label −1.
     */
    static List<Detections> of(float[] dets, int[] detsShape, long[] labels, int[] labelsShape) {
        if (detsShape.length != 3 || detsShape[2] != 5 || labelsShape.length != 2 || labelsShape[0] != detsShape[0]
                || labelsShape[1] != detsShape[1])
            throw new AssertionError("dets " + Arrays.toString(detsShape) + ", labels " + Arrays.toString(labelsShape));
        int n = detsShape[0], p = detsShape[1];
        List<Detections> out = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            int k = 0;
            while (k < p && labels[b * p + k] >= 0) k++;
            for (int r = k; r < p; r++) {
                if (labels[b * p + r] != -1) throw new AssertionError("image " + b + " row " + r + ": label " + labels[b * p + r] + " after the padding began");
                for (int c = 0; c < 5; c++)
                    if (Float.floatToRawIntBits(dets[(b * p + r) * 5 + c]) != 0)
                        throw new AssertionError("image " + b + " padding row " + r + ": dets " + dets[(b * p + r) * 5 + c]);
            }
            float[] boxes = new float[4 * k], scores = new float[k];
            int[] l = new int[k];
            for (int i = 0; i < k; i++) {
                System.arraycopy(dets, (b * p + i) * 5, boxes, 4 * i, 4);
                scores[i] = dets[(b * p + i) * 5 + 4];
                l[i] = Math.toIntExact(labels[b * p + i]);
            }
            out.add(new Detections(boxes, scores, l));
        }
        return out;
    }

    /** One detection as (score, label, x1, y1, x2, y2); equal as records = bit for bit (Float.compare). */
    record Det(float score, int label, float x1, float y1, float x2, float y2) {
        @Override public String toString() {
            return String.format("%d %.6g [%.4f %.4f %.4f %.4f]", label, score, x1, y1, x2, y2);
        }
    }

    /** The rows in their order. */
    static List<Det> rows(Detections d) {
        List<Det> out = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) out.add(new Det(d.score(i), d.label(i), d.x1(i), d.y1(i), d.x2(i), d.y2(i)));
        return out;
    }

    static List<List<Det>> rows(List<Detections> ds) { return ds.stream().map(DetectionsCompare::rows).toList(); }

    static List<Det> sorted(Detections d) {
        List<Det> out = new ArrayList<>(rows(d));
        out.sort(Comparator.comparing(Det::score).reversed().thenComparing(Det::label).thenComparing(Det::x1)
                .thenComparing(Det::y1).thenComparing(Det::x2).thenComparing(Det::y2));
        return out;
    }

    /** Scores in descending order (as both sides emit them). */
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
