package autoassign.onnx;

import autoassign.onnx.OnnxInterpreter.Val;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX NonMaxSuppression (opset 11+) for {@link OnnxInterpreter}, from the specification and ONNX Runtime's CPU
 * kernel: per batch and class, the boxes above {@code score_threshold} (all when it is absent) taken by descending
 * score, each selected unless its IoU with an already selected box is greater than {@code iou_threshold}, at most
 * {@code max_output_boxes_per_class} (absent or 0: none). Corners in any diagonal order; IoU in float32 as ONNX
 * Runtime computes it (an empty intersection or a box without area never suppresses). Equal scores are taken in
 * index order here; the specification leaves that order open.
 */
final class OnnxNonMaxSuppression {
    private OnnxNonMaxSuppression() {}

    /** inputs: boxes [B,N,4], scores [B,C,N], max_output (int64), iou_threshold, score_threshold; output [S,3] int64. */
    static Val run(Val[] in, long centerPointBox) {
        if (centerPointBox != 0) throw new IllegalArgumentException("NonMaxSuppression: center_point_box 1 is not evaluated");
        float[] boxes = in[0].f(), scores = in[1].f();
        int batches = in[1].shape()[0], classes = in[1].shape()[1], n = in[1].shape()[2];
        long maxOut = in.length > 2 && in[2] != null ? in[2].longs()[0] : 0;
        float iouThr = in.length > 3 && in[3] != null ? in[3].f()[0] : 0f;
        Float scoreThr = in.length > 4 && in[4] != null ? in[4].f()[0] : null;
        List<long[]> selected = new ArrayList<>();
        for (int b = 0; b < batches; b++)
            for (int c = 0; c < classes; c++) {
                int base = (b * classes + c) * n;
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < n; i++) if (scoreThr == null || scores[base + i] > scoreThr) order.add(i);
                order.sort((p, q) -> Float.compare(scores[base + q], scores[base + p])); // stable
                List<Integer> kept = new ArrayList<>();
                for (int i : order) {
                    if (kept.size() >= maxOut) break;
                    boolean suppressed = false;
                    for (int j : kept) if (suppressedBy(boxes, b * n + i, b * n + j, iouThr)) { suppressed = true; break; }
                    if (!suppressed) {
                        kept.add(i);
                        selected.add(new long[] {b, c, i});
                    }
                }
            }
        long[] out = new long[3 * selected.size()];
        for (int k = 0; k < selected.size(); k++) System.arraycopy(selected.get(k), 0, out, 3 * k, 3);
        return Val.ofLongs(out, selected.size(), 3);
    }

    /** IoU(candidate, selected) > threshold, in ONNX Runtime's order of float32 operations. */
    private static boolean suppressedBy(float[] boxes, int candidate, int selected, float thr) {
        float[] a = corners(boxes, candidate), s = corners(boxes, selected);
        float inter = Math.max(Math.min(a[2], s[2]) - Math.max(a[0], s[0]), 0f)
                * Math.max(Math.min(a[3], s[3]) - Math.max(a[1], s[1]), 0f);
        if (inter <= 0f) return false;
        float areaA = (a[2] - a[0]) * (a[3] - a[1]), areaS = (s[2] - s[0]) * (s[3] - s[1]);
        float union = areaA + areaS - inter;
        if (areaA <= 0f || areaS <= 0f || union <= 0f) return false;
        return inter / union > thr;
    }

    /** min, min, max, max of the two corners. */
    private static float[] corners(float[] boxes, int i) {
        float[] v = Arrays.copyOfRange(boxes, 4 * i, 4 * i + 4);
        return new float[] {Math.min(v[0], v[2]), Math.min(v[1], v[3]), Math.max(v[0], v[2]), Math.max(v[1], v[3])};
    }
}
