package autoassign.postprocess;

/**
 * Greedy non-maximum suppression, bit-faithful to MMCV's {@code nms_cpu} (offset 0) and to MMCV's
 * {@code batched_nms} coordinate-offset trick, all in float32.
 *
 * <p>Rule: sort by score descending (ties: lower index first; ATen's sort leaves ties unspecified), walk the
 * list, keep a box if it is not suppressed, and suppress every later box whose IoU with it is strictly greater
 * than the threshold, compared as float32 ({@code IoU > 0.6f}; an IoU exactly 0.6f is kept). IoU has no +1:
 * {@code area = (x2-x1)(y2-y1)}, {@code inter = max(0, min x2 - max x1) * max(0, min y2 - max y1)},
 * {@code iou = inter / (area_i + area_j - inter)}.
 */
public final class Nms {

    private Nms() {
    }

    /**
     * Class-agnostic NMS.
     *
     * @param boxes  n*4 floats x1 y1 x2 y2
     * @param scores n scores
     * @return kept indices in descending score order (ties by index)
     */
    public static int[] nms(float[] boxes, float[] scores, float iouThr) {
        return nms(boxes, scores, iouThr, Integer.MAX_VALUE);
    }

    /**
     * {@link #nms(float[], float[], float)} that stops once {@code maxKeep} boxes are kept: greedy NMS keeps boxes in
     * score order and never revisits one, so the first {@code maxKeep} are those of the full run (post-processing
     * keeps 100 of up to 5,000 candidates: 100·n IoUs instead of n²/2).
     */
    public static int[] nms(float[] boxes, float[] scores, float iouThr, int maxKeep) {
        int n = scores.length;
        if (boxes.length != 4 * n) {
            throw new IllegalArgumentException("boxes must hold 4 values per score: " + boxes.length + " vs " + n);
        }
        int[] order = ArgSort.descending(scores, n);
        float[] area = new float[n];
        for (int i = 0; i < n; i++) {
            area[i] = (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
        }
        boolean[] suppressed = new boolean[n];
        int[] keep = new int[n];
        int nk = 0;
        for (int a = 0; a < n && nk < maxKeep; a++) {
            if (suppressed[a]) {
                continue;
            }
            int i = order[a];
            keep[nk++] = i;
            float ix1 = boxes[4 * i];
            float iy1 = boxes[4 * i + 1];
            float ix2 = boxes[4 * i + 2];
            float iy2 = boxes[4 * i + 3];
            float iarea = area[i];
            for (int b = a + 1; b < n; b++) {
                if (suppressed[b]) {
                    continue;
                }
                int j = order[b];
                float xx1 = Math.max(ix1, boxes[4 * j]);
                float yy1 = Math.max(iy1, boxes[4 * j + 1]);
                float xx2 = Math.min(ix2, boxes[4 * j + 2]);
                float yy2 = Math.min(iy2, boxes[4 * j + 3]);
                float w = Math.max(0f, xx2 - xx1);
                float h = Math.max(0f, yy2 - yy1);
                float inter = w * h;
                float ovr = inter / (iarea + area[j] - inter);
                if (ovr > iouThr) {
                    suppressed[b] = true;
                }
            }
        }
        return java.util.Arrays.copyOf(keep, nk);
    }

    /**
     * Class-aware NMS as MMCV's {@code batched_nms}: every box is shifted by {@code label * (max + 1)} on all four
     * coordinates (float32, {@code max} = largest coordinate of all boxes), then one class-agnostic NMS runs on the
     * shifted boxes. Equivalent to independent per-class NMS up to float32 rounding of the shifted coordinates,
     * which this method reproduces.
     *
     * @return kept indices in descending score order (ties by index)
     */
    public static int[] batchedNms(float[] boxes, float[] scores, int[] labels, float iouThr) {
        return batchedNms(boxes, scores, labels, iouThr, Integer.MAX_VALUE);
    }

    /** {@link #batchedNms(float[], float[], int[], float)} keeping at most the first {@code maxKeep} (see {@link #nms(float[], float[], float, int)}). */
    public static int[] batchedNms(float[] boxes, float[] scores, int[] labels, float iouThr, int maxKeep) {
        int n = scores.length;
        if (labels.length != n || boxes.length != 4 * n) {
            throw new IllegalArgumentException("inconsistent NMS inputs: " + boxes.length + " box values, " + n
                    + " scores, " + labels.length + " labels");
        }
        if (n == 0) {
            return new int[0];
        }
        return nms(shiftByLabel(boxes, labels), scores, iouThr, maxKeep);
    }

    /**
     * MMCV's {@code batched_nms} with {@code nms_cfg} type nms ({@code soft == null}: kept boxes keep their scores) or
     * soft_nms (the kept boxes carry their decayed scores, as MMDetection copies {@code dets[:, -1]} back), then the
     * first {@code maxKeep}.
     */
    public static Detections classAware(Detections all, float iouThr, SoftNms soft, int maxKeep) {
        if (soft == null) return all.select(batchedNms(all.boxes(), all.scores(), all.labels(), iouThr, maxKeep));
        SoftNms.Kept k = soft.batched(all.boxes(), all.scores(), all.labels()).first(maxKeep);
        Detections kept = all.select(k.indices());
        return new Detections(kept.boxes(), k.scores(), kept.labels());
    }

    /**
     * MMCV's {@code batched_nms} offsets: every box shifted by {@code label * (max + 1)} on all four coordinates
     * (float32, {@code max} = largest coordinate of all boxes), so that boxes of different labels never overlap.
     */
    static float[] shiftByLabel(float[] boxes, int[] labels) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : boxes) {
            max = Math.max(max, v);
        }
        float step = max + 1f;
        float[] shifted = new float[boxes.length];
        for (int i = 0; i < labels.length; i++) {
            float off = (float) labels[i] * step;
            for (int k = 0; k < 4; k++) {
                shifted[4 * i + k] = boxes[4 * i + k] + off;
            }
        }
        return shifted;
    }
}
