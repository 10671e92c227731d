package autoassign.postprocess;

import java.util.Arrays;
import java.util.Locale;

/**
 * MMCV's {@code soft_nms} ({@code nms=dict(type='soft_nms', iou_threshold, sigma, min_score, method)} in a
 * {@code test_cfg}): instead of dropping the boxes that overlap a kept one, their scores are decayed — {@code linear}
 * by {@code 1 − IoU} where {@code IoU ≥ iou_threshold}, {@code gaussian} by {@code exp(−IoU² / sigma)}, {@code naive}
 * to 0 where {@code IoU ≥ iou_threshold} — and a box leaves once its score falls below {@code min_score}. The steps
 * and float32 operations are those of MMCV's {@code softnms_cpu} (offset 0), including its order of work: the
 * highest remaining score is selected (first one on ties), and a dropped box is replaced by the last one.
 */
public record SoftNms(float iouThr, float sigma, float minScore, Method method) {

    /** MMCV's {@code method}: naive (0), linear (1), gaussian (2). */
    public enum Method {
        NAIVE, LINEAR, GAUSSIAN;

        public static Method of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    public SoftNms {
        if (!(sigma > 0f)) throw new IllegalArgumentException("soft_nms sigma must be > 0: " + sigma);
    }

    /** The kept boxes (indices into the input, in selection order: descending decayed score) and their scores. */
    public record Kept(int[] indices, float[] scores) {
        /** The first {@code max} of them. */
        public Kept first(int max) {
            return indices.length <= max ? this : new Kept(Arrays.copyOf(indices, max), Arrays.copyOf(scores, max));
        }
    }

    /** Class-agnostic soft-NMS of {@code n} boxes (x1 y1 x2 y2 each) with their scores (not modified). */
    public Kept apply(float[] boxes, float[] scores) {
        int n = scores.length;
        if (boxes.length != 4 * n) throw new IllegalArgumentException("boxes must hold 4 values per score: " + boxes.length + " vs " + n);
        float[] x1 = new float[n], y1 = new float[n], x2 = new float[n], y2 = new float[n], area = new float[n];
        float[] sc = scores.clone();
        int[] ind = new int[n];
        for (int i = 0; i < n; i++) {
            x1[i] = boxes[4 * i];
            y1[i] = boxes[4 * i + 1];
            x2[i] = boxes[4 * i + 2];
            y2[i] = boxes[4 * i + 3];
            area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
            ind[i] = i;
        }
        float[] kept = new float[n];
        int live = n;
        for (int i = 0; i < live; i++) {
            int best = i;
            for (int p = i + 1; p < live; p++) if (sc[best] < sc[p]) best = p;
            swap(i, best, x1, y1, x2, y2, sc, area, ind);
            kept[i] = sc[i];
            for (int p = i + 1; p < live; p++) {
                float w = Math.max(0f, Math.min(x2[i], x2[p]) - Math.max(x1[i], x1[p]));
                float h = Math.max(0f, Math.min(y2[i], y2[p]) - Math.max(y1[i], y1[p]));
                float inter = w * h;
                float ovr = inter / (area[i] + area[p] - inter);
                sc[p] *= weight(ovr);
                if (sc[p] < minScore) { // dropped: the last live box takes its place and is looked at next
                    live--;
                    move(live, p, x1, y1, x2, y2, sc, area, ind);
                    p--;
                }
            }
        }
        return new Kept(Arrays.copyOf(ind, live), Arrays.copyOf(kept, live));
    }

    private float weight(float ovr) {
        return switch (method) {
            case NAIVE -> ovr >= iouThr ? 0f : 1f;
            case LINEAR -> ovr >= iouThr ? 1f - ovr : 1f;
            case GAUSSIAN -> (float) Math.exp(-(ovr * ovr) / sigma); // the float argument as MMCV's; expf may differ by an ulp
        };
    }

    /**
     * Class-aware soft-NMS as MMCV's {@code batched_nms} runs it: every box shifted by {@code label · (max + 1)} (as in
     * {@link Nms#batchedNms}), so boxes of different classes never overlap and keep their scores.
     */
    public Kept batched(float[] boxes, float[] scores, int[] labels) {
        return apply(Nms.shiftByLabel(boxes, labels), scores);
    }

    private static void swap(int a, int b, float[] x1, float[] y1, float[] x2, float[] y2, float[] sc, float[] area, int[] ind) {
        if (a == b) return;
        for (float[] f : new float[][] {x1, y1, x2, y2, sc, area}) {
            float t = f[a];
            f[a] = f[b];
            f[b] = t;
        }
        int t = ind[a];
        ind[a] = ind[b];
        ind[b] = t;
    }

    private static void move(int from, int to, float[] x1, float[] y1, float[] x2, float[] y2, float[] sc, float[] area, int[] ind) {
        for (float[] f : new float[][] {x1, y1, x2, y2, sc, area}) f[to] = f[from];
        ind[to] = ind[from];
    }
}
