package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import org.bytedeco.opencv.global.opencv_imgproc;

/**
 * The per-image pipeline (decode, then the config's steps in their order: the resize, flips, crops, photometric
 * distortion, expand, affine, ...; AA_1 §4–§6 for the recipe's resize → horizontal flip) and the batch preprocessor
 * (float conversion, mean / std, zero padding to a multiple of 32, AA_1 §7). Thread-safe; stateless but for the set
 * of unreadable images a {@link MultiImageMixDataset} pipeline has met among the images it mixes in. The caches of the
 * cached steps ({@link CachedMosaic}, {@link CachedMixUp}) are not held here but passed in per virtual worker
 * ({@link StepCaches}, owned by the loader's {@link CacheStreams}).
 */
public final class Pipeline {
    private final PipelineOptions options;
    private final float[][] lut = new float[3][256];
    private final float[] mean;
    private final float[] std;
    private final boolean unitStd;
    private final int src0, src1, src2; // the decoded (BGR) channel each batch channel reads: 0, 1, 2, or 2, 1, 0 for bgr_to_rgb
    private final boolean hasFlip;
    private final MixingPipeline mixing;

    public Pipeline(PipelineOptions options) {
        this.options = options;
        this.hasFlip = options.transforms().stream().anyMatch(t -> t instanceof RandomFlip
                || t instanceof TransformWrapper w && w.contains(u -> u instanceof RandomFlip));
        this.mixing = options.transforms().stream().anyMatch(t -> t instanceof MultiImageMixDataset) ? new MixingPipeline(this) : null;
        this.std = options.std();
        this.mean = options.mean();
        this.unitStd = std[0] == 1f && std[1] == 1f && std[2] == 1f;
        this.src0 = options.bgrToRgb() ? 2 : 0;
        this.src1 = 1;
        this.src2 = options.bgrToRgb() ? 0 : 2;
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 256; v++) lut[c][v] = ((float) v - mean[c]) / std[c];
    }

    public PipelineOptions options() { return options; }

    /**
     * Decodes and transforms image {@code index} with the random draws of its place in a training epoch. Null when a
     * RandomCrop kept no box or a FilterAnnotations with keep_empty kept none (MMDetection's transform returns None): the
     * caller re-samples ({@link DataLoader}). With a {@link MultiImageMixDataset} in the steps, other images of
     * {@code dataset} are loaded and mixed in.
     */
    public PreparedImage prepare(CocoDataset dataset, int index, SampleDraws draws) throws BadImageException {
        return prepare(dataset, index, draws, null);
    }

    /**
     * As {@link #prepare(CocoDataset, int, SampleDraws)} with one virtual worker's caches for the cached steps
     * ({@link CacheStreams}); without them (null) a cached step sees an empty cache and passes the image on unchanged.
     */
    PreparedImage prepare(CocoDataset dataset, int index, SampleDraws draws, StepCaches caches) throws BadImageException {
        if (mixing != null) return mixing.prepare(dataset, index, draws, null, null, true);
        ImageRecord rec = dataset.get(index);
        try (Mat img = decode(dataset, rec)) {
            return run(img, rec, index, draws, null, null, true, caches);
        }
    }

    /** As {@link #prepare(CocoDataset, int, SampleDraws)} on an already decoded BGR 8UC3 image (not modified). */
    public PreparedImage prepare(Mat bgr, ImageRecord rec, int datasetIndex, SampleDraws draws) {
        return run(bgr, rec, datasetIndex, draws, null, null, true, null);
    }

    /** Decodes and transforms image {@code index} of {@code dataset}, flipped horizontally or not. */
    public PreparedImage prepare(CocoDataset dataset, int index, boolean flip) throws BadImageException {
        return prepare(dataset, index, flip, options.scaleW(), options.scaleH());
    }

    /**
     * As {@link #prepare(CocoDataset, int, boolean)} with the resize step to this scale (w, h; for a keep-ratio resize
     * the order does not matter): the flip and the scale are given, other random steps are drawn as the first try of position {@code index} of epoch 0, seed 0,
     * and a crop is kept even when it holds no box (never null).
     */
    public PreparedImage prepare(CocoDataset dataset, int index, boolean flip, int scaleW, int scaleH) throws BadImageException {
        int[] scale = {scaleW, scaleH};
        if (mixing != null) return mixing.prepare(dataset, index, SampleDraws.of(0, 0, index), flip, scale, false);
        ImageRecord rec = dataset.get(index);
        try (Mat img = decode(dataset, rec)) {
            return run(img, rec, index, SampleDraws.of(0, 0, index), flip, scale, false, null);
        }
    }

    /** Transforms an already decoded BGR 8UC3 image (not modified) with the annotations of {@code rec}. */
    public PreparedImage prepare(Mat bgr, ImageRecord rec, int datasetIndex, boolean flip) {
        return run(bgr, rec, datasetIndex, SampleDraws.of(0, 0, datasetIndex), flip,
                new int[] {options.scaleW(), options.scaleH()}, false, null);
    }

    static Mat decode(CocoDataset dataset, ImageRecord rec) throws BadImageException {
        Mat img = ImageDecoder.decode(dataset.imagePath(rec));
        if (img.rows() != rec.height() || img.cols() != rec.width())
            dataset.issues().warn(DataIssue.IMAGE_SIZE_MISMATCH, dataset.imagePath(rec) + ": decoded size " + img.cols() + "x"
                    + img.rows() + " differs from the json record " + rec.width() + "x" + rec.height() + " (image " + rec.id()
                    + "), decoded size used");
        return img;
    }

    /**
     * The steps in order. {@code flip} / {@code scale}, when given, replace the RandomFlip's and the Resize's draws (a
     * given flip is horizontal, and happens at the end when the pipeline has no RandomFlip: test-time flips). A cached
     * step works on its cache in {@code caches} (null: an empty one, so it changes nothing).
     */
    private PreparedImage run(Mat bgr, ImageRecord rec, int datasetIndex, SampleDraws draws, Boolean flip, int[] scale,
                              boolean mayReject, StepCaches caches) {
        if (mixing != null)
            throw new IllegalStateException("a pipeline with a MultiImageMixDataset mixes other images of its dataset: prepare it from the dataset");
        List<Transform> steps = options.transforms();
        try (TransformState s = new TransformState(bgr, rec)) {
            Boolean pending = flip; // a given flip without a RandomFlip: right after the resize (MMDetection's TTA order)
            for (int i = 0; i < steps.size(); i++) {
                Transform t = steps.get(i);
                if (StepCaches.isCached(t)) {
                    if (caches == null) continue; // a fresh cache holds only the image itself: mmdet returns it unchanged
                    if (t instanceof CachedMosaic m) m.apply(s, datasetIndex, caches.at(i), draws);
                    else ((CachedMixUp) t).apply(s, datasetIndex, caches.at(i), draws);
                } else if (!step(s, t, draws, flip, scale, mayReject)) {
                    return null;
                }
                if (t instanceof ResizeStep && !hasFlip && pending != null) { // before a test pipeline's Pad
                    finish(s, pending);
                    pending = null;
                }
            }
            finish(s, pending);
            return s.result(rec, datasetIndex);
        }
    }

    /**
     * Runs one single-image step on the state with these draws; false when it rejects the image (a RandomCrop that kept
     * no box, a FilterAnnotations with keep_empty that kept none, when {@code mayReject}).
     */
    boolean step(TransformState s, Transform t, SampleDraws draws, Boolean flip, int[] scale, boolean mayReject) {
        if (t instanceof ResizeStep r) {
            int[] sc = scale != null ? scale : draws.scale(options);
            s.resize(r, sc[0], sc[1]);
        } else if (t instanceof OwnScaleResize r) { // its own scale: a given (test-time) scale does not replace it
            int[] sc = r.scale(draws);
            s.resize(r.step(), sc[0], sc[1]);
        } else if (t instanceof RandomFlip f) {
            FlipDirection d = flip != null ? (flip ? FlipDirection.HORIZONTAL : null) : f.choose(draws.flipUnit());
            if (d != null) s.flip(d);
        } else if (t instanceof RandomCrop c) {
            return s.crop(c, draws) || !mayReject;
        } else if (t instanceof PhotoMetricDistortion p) {
            s.photometric(p.draw(draws));
        } else if (t instanceof ImageStep i) {
            i.apply(s, draws);
        } else if (t instanceof FilterAnnotations f) {
            return f.apply(s, mayReject);
        } else if (t instanceof TransformWrapper w) { // MMCV's Compose: a None inside is the wrapper's None
            int i = w.choose(draws);
            if (i < 0) return true;
            List<Transform> branch = w.branches().get(i);
            for (int j = 0; j < branch.size(); j++)
                if (!step(s, branch.get(j), w.drawsOf(draws, i, j), flip, scale, mayReject)) return false;
        } else {
            throw new IllegalStateException(t.type() + " is not a single-image step");
        }
        return true;
    }

    /** The given flip of a pipeline without RandomFlip (test-time flips), after every step. */
    void finish(TransformState s, Boolean flip) {
        if (!hasFlip && flip != null && flip) s.flip(FlipDirection.HORIZONTAL);
    }

    /** OpenCV {@code resize(INTER_LINEAR)} to the geometry's size (AA_1 §10); returns a new Mat. */
    public static Mat resize(Mat src, ResizeGeometry g) {
        Mat dst = new Mat();
        try (Size size = new Size(g.newW(), g.newH())) {
            opencv_imgproc.resize(src, dst, size, 0, 0, INTER_LINEAR);
        }
        return dst;
    }

    /** Boxes ×(w_scale, h_scale) in float32, clipped to [0, new_w] × [0, new_h] (AA_1 §5); returns a new array. */
    public static float[] scaleBoxes(float[] boxes, ResizeGeometry g) { return scaleBoxes(boxes, g, true); }

    /**
     * mmdet's {@code Resize._resize_bboxes}: {@code HorizontalBoxes.rescale_(scale_factor)} (the boxes times the float32
     * factors), then with {@code clip} its {@code clip_(img_shape)}: x to [0, new_w], y to [0, new_h]. A new array.
     */
    public static float[] scaleBoxes(float[] boxes, ResizeGeometry g, boolean clip) {
        float sw = (float) g.scaleW(), sh = (float) g.scaleH();
        float w = clip ? g.newW() : Float.POSITIVE_INFINITY, h = clip ? g.newH() : Float.POSITIVE_INFINITY;
        float lo = clip ? 0f : Float.NEGATIVE_INFINITY;
        float[] out = new float[boxes.length];
        for (int i = 0; i + 3 < boxes.length; i += 4) {
            out[i] = clamp(boxes[i] * sw, lo, w);
            out[i + 1] = clamp(boxes[i + 1] * sh, lo, h);
            out[i + 2] = clamp(boxes[i + 2] * sw, lo, w);
            out[i + 3] = clamp(boxes[i + 3] * sh, lo, h);
        }
        return out;
    }

    private static float clamp(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

    /** In place: {@code x1' = W - x2, x2' = W - x1} with {@code W} the resized, unpadded width (AA_1 §6). */
    public static void flipBoxes(float[] boxes, int width) { FlipDirection.HORIZONTAL.flipBoxes(boxes, width, 0); }

    /** Padded size: {@code ceil(v / d) * d}. */
    public static int padTo(int v, int divisor) { return (v + divisor - 1) / divisor * divisor; }

    /**
     * Stacks images into [B, 3, H_b, W_b]: float32, {@code (x - mean[c]) / std[c]} per B, G, R channel, each
     * image at the top-left, padding (bottom / right) exactly 0.0 (AA_1 §7).
     */
    public Batch collate(List<PreparedImage> images) {
        if (images.isEmpty()) throw new IllegalArgumentException("cannot collate an empty batch");
        int maxH = 0, maxW = 0;
        for (PreparedImage p : images) {
            maxH = Math.max(maxH, p.meta().imgH());
            maxW = Math.max(maxW, p.meta().imgW());
        }
        int hb = padTo(maxH, options.padDivisor()), wb = padTo(maxW, options.padDivisor());
        int b = images.size();
        long total = (long) b * 3 * hb * wb;
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("batch too large: " + b + "x3x" + hb + "x" + wb);
        float[] data = new float[(int) total];
        List<ImageMeta> metas = new ArrayList<>(b);
        List<GroundTruth> gts = new ArrayList<>(b);
        int plane = hb * wb;
        for (int i = 0; i < b; i++) {
            PreparedImage p = images.get(i);
            if (p.values() != null) normalizeInto(p.values(), p.meta().imgH(), p.meta().imgW(), data, i * 3 * plane, hb, wb);
            else normalizeInto(p.pixels(), p.meta().imgH(), p.meta().imgW(), data, i * 3 * plane, hb, wb);
            metas.add(p.meta().withPad(hb, wb));
            gts.add(p.gt());
        }
        return new Batch(data, new int[] {b, 3, hb, wb}, metas, gts);
    }

    /**
     * Writes one HWC BGR uint8 image into a CHW float region of row stride {@code wb} and height {@code hb}, its channels
     * reversed first with {@code bgr_to_rgb} (MMDetection's {@code _input[[2, 1, 0], ...]} before the normalisation).
     */
    void normalizeInto(byte[] px, int h, int w, float[] dst, int base, int hb, int wb) {
        int plane = hb * wb;
        if (unitStd) { // (float) v - mean: the same float32 values as the table, and faster
            float m0 = mean[0], m1 = mean[1], m2 = mean[2];
            for (int y = 0; y < h; y++) {
                int s = y * w * 3;
                int d0 = base + y * wb, d1 = d0 + plane, d2 = d1 + plane;
                for (int x = 0; x < w; x++, s += 3) {
                    dst[d0 + x] = (px[s + src0] & 0xFF) - m0;
                    dst[d1 + x] = (px[s + src1] & 0xFF) - m1;
                    dst[d2 + x] = (px[s + src2] & 0xFF) - m2;
                }
            }
            return;
        }
        float[] l0 = lut[0], l1 = lut[1], l2 = lut[2];
        for (int y = 0; y < h; y++) {
            int s = y * w * 3;
            int d0 = base + y * wb, d1 = d0 + plane, d2 = d1 + plane;
            for (int x = 0; x < w; x++, s += 3) {
                dst[d0 + x] = l0[px[s + src0] & 0xFF];
                dst[d1 + x] = l1[px[s + src1] & 0xFF];
                dst[d2 + x] = l2[px[s + src2] & 0xFF];
            }
        }
    }

    /** As {@link #normalizeInto(byte[], int, int, float[], int, int, int)} for float32 pixels: {@code (x - mean) / std} in float32. */
    void normalizeInto(float[] px, int h, int w, float[] dst, int base, int hb, int wb) {
        int plane = hb * wb;
        for (int y = 0; y < h; y++) {
            int s = y * w * 3;
            int d0 = base + y * wb;
            for (int x = 0; x < w; x++, s += 3)
                for (int c = 0; c < 3; c++) {
                    float v = px[s + (c == 0 ? src0 : c == 1 ? src1 : src2)] - mean[c];
                    dst[d0 + c * plane + x] = unitStd ? v : v / std[c];
                }
        }
    }
}
