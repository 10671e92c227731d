package autoassign.postprocess;

import java.util.List;

/**
 * AutoAssign test-time post-processing of one image (MMDetection v3.3.0 {@code predict_by_feat}, spec AA_4),
 * as a pure function of the per-level head outputs. All arithmetic is float32.
 *
 * <ol>
 *   <li>per level: {@code prob = sigmoid(cls)}, candidates {@code (point, class)} with {@code prob > scoreThr}
 *       (class probability alone), sorted by prob descending (ties: point-major flat index ascending), first
 *       {@code nmsPre} kept;</li>
 *   <li>decode {@code x1 = px - l, y1 = py - t, x2 = px + r, y2 = py + b} with points {@code (j*s, i*s)}
 *       (offset 0) and clip to the resized, unpadded image;</li>
 *   <li>rescale to the original image ({@code x *= (float)(1/scaleW)}, {@code y *= (float)(1/scaleH)});</li>
 *   <li>{@code score = prob * sigmoid(obj)};</li>
 *   <li>drop boxes with width or height {@code <= minBboxSize};</li>
 *   <li>class-aware NMS (MMCV {@code batched_nms}), keep the first {@code maxPerImg}.</li>
 * </ol>
 */
public final class PostProcessor {

    private PostProcessor() {
    }

    /** float32 logistic function. */
    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
    }

    /** Post-processes one image with {@link PostProcessConfig#DEFAULT}. */
    public static Detections process(List<LevelOutput> levels, ImageMeta meta) {
        return process(levels, meta, PostProcessConfig.DEFAULT);
    }

    /**
     * Post-processes one image.
     *
     * @param levels head outputs per level in the order P3..P7 (all with the same number of classes)
     * @param meta   resized image shape and scale factor
     * @param cfg    thresholds and caps
     * @return detections in original-image pixels, descending score
     */
    public static Detections process(List<LevelOutput> levels, ImageMeta meta, PostProcessConfig cfg) {
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("no levels");
        }
        int numClasses = levels.get(0).numClasses();
        // candidates over all levels, in level order
        int cap = 0;
        for (LevelOutput lv : levels) {
            if (lv.numClasses() != numClasses) {
                throw new IllegalArgumentException("levels disagree on the number of classes: " + numClasses
                        + " vs " + lv.numClasses());
            }
            long all = (long) lv.numPoints() * numClasses;
            cap += (int) (cfg.nmsPre() > 0 ? Math.min(cfg.nmsPre(), all) : all);
        }
        float[] boxes = new float[4 * cap];
        float[] probs = new float[cap];
        float[] objs = new float[cap];
        int[] labels = new int[cap];
        int n = 0;

        // sigmoid is monotone, so logits far enough below logit(scoreThr) cannot pass: skip their exp()
        float skipBelow = Float.NEGATIVE_INFINITY;
        if (cfg.scoreThr() > 0f && cfg.scoreThr() < 1f) {
            double thr = cfg.scoreThr();
            skipBelow = (float) (Math.log(thr / (1 - thr)) - 1e-3);
        }
        float imgW = meta.imgWidth();
        float imgH = meta.imgHeight();
        for (LevelOutput lv : levels) {
            int np = lv.numPoints();
            int hw = np;
            int w = lv.width();
            float[] cls = lv.clsLogits();
            // 1. threshold on the class probability, class by class (each class map is contiguous); a candidate's
            //    key packs prob (non-negative: its bits order as the value) over the complemented point-major flat
            //    index p*C + c, so that one long orders by prob descending, then flat index ascending
            int count = 0;
            long[] keys = new long[Math.min(np * numClasses, 1 << 16)];
            for (int c = 0; c < numClasses; c++) {
                int base = c * hw;
                for (int p = 0; p < np; p++) {
                    float logit = cls[base + p];
                    if (logit <= skipBelow) {
                        continue;
                    }
                    float prob = sigmoid(logit);
                    if (prob > cfg.scoreThr()) {
                        if (count == keys.length) {
                            keys = java.util.Arrays.copyOf(keys, Math.min(np * numClasses, keys.length * 2));
                        }
                        keys[count++] = ((long) Float.floatToRawIntBits(prob) << 32) | (~(p * numClasses + c) & 0xFFFFFFFFL);
                    }
                }
            }
            // the first nmsPre in that order, without sorting the rest
            int keep = cfg.nmsPre() > 0 ? Math.min(cfg.nmsPre(), count) : count;
            Largest.first(keys, count, keep);
            float[] dist = lv.distances();
            float[] obj = lv.objLogits();
            float stride = lv.stride();
            for (int r = 0; r < keep; r++) {
                int flat = ~(int) keys[r];
                float prob = Float.intBitsToFloat((int) (keys[r] >>> 32));
                int p = flat / numClasses;
                int c = flat - p * numClasses;
                float px = (float) (p % w) * stride;
                float py = (float) (p / w) * stride;
                // 2. decode and clip to the resized, unpadded image
                float x1 = clamp(px - dist[p], imgW);
                float y1 = clamp(py - dist[hw + p], imgH);
                float x2 = clamp(px + dist[2 * hw + p], imgW);
                float y2 = clamp(py + dist[3 * hw + p], imgH);
                boxes[4 * n] = x1;
                boxes[4 * n + 1] = y1;
                boxes[4 * n + 2] = x2;
                boxes[4 * n + 3] = y2;
                probs[n] = prob;
                objs[n] = sigmoid(obj[p]);
                labels[n] = c;
                n++;
            }
        }

        // 3. rescale, 4. score = prob * obj, 5. size filter
        float sx = (float) (1.0 / meta.scaleW());
        float sy = (float) (1.0 / meta.scaleH());
        int m = 0;
        float minSize = cfg.minBboxSize();
        boolean filter = minSize >= 0f;
        for (int i = 0; i < n; i++) {
            float x1 = boxes[4 * i] * sx;
            float y1 = boxes[4 * i + 1] * sy;
            float x2 = boxes[4 * i + 2] * sx;
            float y2 = boxes[4 * i + 3] * sy;
            float score = probs[i] * objs[i];
            if (filter && !(x2 - x1 > minSize && y2 - y1 > minSize)) {
                continue;
            }
            boxes[4 * m] = x1;
            boxes[4 * m + 1] = y1;
            boxes[4 * m + 2] = x2;
            boxes[4 * m + 3] = y2;
            probs[m] = score;
            labels[m] = labels[i];
            m++;
        }
        if (m == 0) {
            return Detections.EMPTY;
        }
        Detections all = new Detections(java.util.Arrays.copyOf(boxes, 4 * m), java.util.Arrays.copyOf(probs, m),
                java.util.Arrays.copyOf(labels, m));
        // 6. class-aware NMS (or soft-NMS), cap
        return Nms.classAware(all, cfg.iouThr(), cfg.softNms(), cfg.maxPerImg());
    }

    private static float clamp(float v, float hi) {
        // torch clamp_(min=0, max=hi); NaN stays NaN
        if (v < 0f) {
            return 0f;
        }
        return v > hi ? hi : v;
    }
}
