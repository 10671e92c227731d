package autoassign.data;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection's {@code BatchSyncRandomResize} (YOLOX's {@code data_preprocessor.batch_augments}): the normalised,
 * padded batch is resized (bilinear, {@code align_corners=False}, as {@code F.interpolate}) to the current input size
 * and its boxes scaled with it; after every {@code interval}-th iteration a new size is drawn,
 * {@code size_divisor · randint(lo, hi)} high and {@code size_divisor · int(aspect · that)} wide, with the aspect of the
 * batch just seen. The first size is the first batch's own. MMDetection draws on rank 0 and broadcasts; here the draw
 * is a hash of (seed, iteration), the same on every worker without a collective.
 *
 * <p>One instance per training run and worker: it keeps the current size (a resumed run starts again from its first
 * batch's, as MMDetection's new module does).
 */
public final class BatchSyncRandomResize {
    private final int lo, hi, interval, divisor;
    private final long seed;
    private int inputH = -1, inputW = -1;

    /**
     * @param minSize  {@code random_size_range[0]} in pixels
     * @param maxSize  {@code random_size_range[1]} in pixels
     * @param interval iterations between draws
     * @param divisor  {@code size_divisor}
     */
    public BatchSyncRandomResize(int minSize, int maxSize, int interval, int divisor, long seed) {
        // MMDetection: (round(lo / divisor), round(hi / divisor)), Python's round (half to even)
        this.lo = (int) Math.rint(minSize / (double) divisor);
        this.hi = (int) Math.rint(maxSize / (double) divisor);
        this.interval = interval;
        this.divisor = divisor;
        this.seed = seed;
    }

    /** The batch of 0-based iteration {@code iter} as the network sees it (the same batch when no resize is needed). */
    public Batch apply(Batch b, long iter) {
        int h = b.height(), w = b.width();
        if (inputH < 0) {
            inputH = h;
            inputW = w;
        }
        Batch out = b;
        if (inputH != h || inputW != w) out = resized(b, inputH, inputW);
        if ((iter + 1) % interval == 0) {
            int size = lo + (int) Math.floor(SeededDraw.unit(SeededDraw.mix(seed * 0x9E3779B97F4A7C15L + iter + 0x5EEDL)) * (hi - lo + 1));
            double aspect = w / (double) h; // float(w / h): Python's true division of two ints
            inputH = divisor * size;
            inputW = divisor * (int) (aspect * size);
        }
        return out;
    }

    /** The current input size {height, width} (for logs and tests). */
    public int[] inputSize() { return new int[] {inputH, inputW}; }

    private static Batch resized(Batch b, int outH, int outW) {
        int n = b.size(), c = b.shape()[1], h = b.height(), w = b.width();
        double sy = outH / (double) h, sx = outW / (double) w; // MMDetection's scale_y / scale_x (Python floats)
        float[] out = bilinear(b.data(), n * c, h, w, outH, outW);
        List<GroundTruth> targets = new ArrayList<>(n);
        for (GroundTruth g : b.targets())
            targets.add(new GroundTruth(scale(g.boxes(), sx, sy), g.labels(), scale(g.ignoredBoxes(), sx, sy), g.ignoredLabels()));
        List<ImageMeta> metas = new ArrayList<>(n);
        for (ImageMeta m : b.metas())
            metas.add(new ImageMeta(m.imageId(), m.fileName(), m.datasetIndex(), m.oriH(), m.oriW(), (int) (m.imgH() * sy),
                    (int) (m.imgW() * sx), m.scaleW() * sx, m.scaleH() * sy, m.flipped(), outH, outW));
        return new Batch(out, new int[] {n, c, outH, outW}, metas, targets);
    }

    /** x1, y1, x2, y2 rows times (sx, sy) in float32, as torch multiplies a float tensor by a Python float. */
    private static float[] scale(float[] boxes, double sx, double sy) {
        float[] out = boxes.clone();
        float fx = (float) sx, fy = (float) sy;
        for (int i = 0; i < out.length; i++) out[i] *= (i & 1) == 0 ? fx : fy;
        return out;
    }

    /**
     * torch's {@code upsample_bilinear2d} with {@code align_corners=False} on {@code planes} planes: source coordinate
     * {@code (dst + 0.5)·in/out − 0.5}, clamped at 0; the next index stops at the last row / column.
     */
    static float[] bilinear(float[] in, int planes, int h, int w, int outH, int outW) {
        float[] out = new float[planes * outH * outW];
        int[] y0 = new int[outH], y1 = new int[outH], x0 = new int[outW], x1 = new int[outW];
        float[] ly0 = new float[outH], ly1 = new float[outH], lx0 = new float[outW], lx1 = new float[outW];
        axis(h, outH, y0, y1, ly0, ly1);
        axis(w, outW, x0, x1, lx0, lx1);
        for (int p = 0; p < planes; p++) {
            int src = p * h * w, dst = p * outH * outW;
            for (int i = 0; i < outH; i++) {
                int r0 = src + y0[i] * w, r1 = src + y1[i] * w;
                float b0 = ly0[i], b1 = ly1[i];
                for (int j = 0; j < outW; j++) {
                    float a0 = lx0[j], a1 = lx1[j];
                    out[dst + i * outW + j] = b0 * (a0 * in[r0 + x0[j]] + a1 * in[r0 + x1[j]])
                            + b1 * (a0 * in[r1 + x0[j]] + a1 * in[r1 + x1[j]]);
                }
            }
        }
        return out;
    }

    /** Indices and weights along one axis: the scale in float, the source coordinate and weights from it in double. */
    private static void axis(int in, int out, int[] i0, int[] i1, float[] lambda0, float[] lambda1) {
        float scale = (float) in / out;
        for (int d = 0; d < out; d++) {
            double src = Math.max(scale * (d + 0.5) - 0.5, 0);
            int k = (int) src;
            i0[d] = k;
            i1[d] = k < in - 1 ? k + 1 : k;
            lambda1[d] = (float) (src - k);
            lambda0[d] = (float) (1 - (src - k));
        }
    }
}
