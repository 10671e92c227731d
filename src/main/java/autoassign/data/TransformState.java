package autoassign.data;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import org.bytedeco.opencv.global.opencv_core;

/**
 * One image going through the pipeline's steps (MMDetection's {@code results} dict): the current image (BGR, 8-bit
 * until a PhotoMetricDistortion makes it float32), the boxes and crowd boxes with their labels, the Resize's scale
 * factor and whether it was flipped horizontally. The decoded input is never modified; the images made on the way
 * are owned and released by {@link #close()}.
 */
final class TransformState implements AutoCloseable {
    private final Mat input;
    private final int oriH, oriW;
    private Mat img;
    private float[] boxes, crowd;
    private int[] labels, crowdLabels;
    private double scaleW = 1, scaleH = 1;
    private boolean flipped;
    private boolean ownsInput; // a snapshot owns its copy of the image

    TransformState(Mat decoded, ImageRecord rec) {
        this.input = decoded;
        this.img = decoded;
        this.oriH = decoded.rows();
        this.oriW = decoded.cols();
        this.boxes = rec.boxes();
        this.crowd = rec.crowdBoxes();
        this.labels = rec.labels();
        this.crowdLabels = rec.crowdLabels();
    }

    /** A copy for a try that may be dropped (MultiImageMixDataset retries a wrapper step on a copy of its input). */
    TransformState copy() {
        TransformState c = new TransformState(input, oriH, oriW);
        c.img = img == input ? input : img.clone();
        return copyAnnotationsTo(c);
    }

    /**
     * MMDetection's {@code copy.deepcopy(results)} for a cache ({@link ResultsCache}): an independent state that owns a copy
     * of the current image and outlives the decoded input; only read afterwards, released by {@link #close()}.
     */
    TransformState snapshot() {
        Mat own = img.clone();
        TransformState c = new TransformState(own, oriH, oriW);
        c.img = own;
        c.ownsInput = true;
        return copyAnnotationsTo(c);
    }

    /** Boxes, labels and the resize / flip record into {@code c}: the arrays are never written in place (every step
     *  copies first), so sharing them is a copy. */
    private TransformState copyAnnotationsTo(TransformState c) {
        c.boxes = boxes;
        c.crowd = crowd;
        c.labels = labels;
        c.crowdLabels = crowdLabels;
        c.scaleW = scaleW;
        c.scaleH = scaleH;
        c.flipped = flipped;
        return c;
    }

    private TransformState(Mat input, int oriH, int oriW) {
        this.input = input;
        this.oriH = oriH;
        this.oriW = oriW;
    }

    int height() { return img.rows(); }

    int width() { return img.cols(); }

    /**
     * The resize step {@code r} to the scale (w, h) (mmdet's {@code Resize.transform} / {@code FixShapeResize.transform}):
     * the image by {@link ResizeStep#geometry}, boxes times the scale factor in float32 (clipped to the resized image
     * with {@code clip_object_border}), the factor recorded; FixShapeResize with keep_ratio then pads to w × h.
     */
    void resize(ResizeStep r, int w, int h) {
        ResizeGeometry g = r.geometry(img.rows(), img.cols(), w, h);
        replace(Pipeline.resize(img, g));
        boxes = Pipeline.scaleBoxes(boxes, g, r.clipObjectBorder());
        crowd = Pipeline.scaleBoxes(crowd, g, r.clipObjectBorder());
        scaleW = g.scaleW();
        scaleH = g.scaleH();
        if (r.padsToScale()) {
            if (g.newW() > w || g.newH() > h) // cv2.copyMakeBorder refuses a negative border: MMDetection fails here
                throw new DataException("FixShapeResize: the rescaled image " + g.newW() + "x" + g.newH() + " is larger than " + w + "x" + h);
            r.pad(w, h).apply(this, null);
        }
    }

    /** Flips the image and the boxes (in the current image's size). */
    void flip(FlipDirection d) {
        if (img == input) {
            Mat out = new Mat();
            opencv_core.flip(img, out, d.cvCode());
            replace(out);
        } else {
            opencv_core.flip(img, img, d.cvCode());
        }
        boxes = boxes.clone();
        crowd = crowd.clone();
        d.flipBoxes(boxes, img.cols(), img.rows());
        d.flipBoxes(crowd, img.cols(), img.rows());
        if (d == FlipDirection.HORIZONTAL) flipped = !flipped;
    }

    /**
     * Crops as {@link RandomCrop} draws it; false when the crop keeps no box and the step does not allow that
     * (the state is then cropped anyway, and the caller drops it).
     */
    boolean crop(RandomCrop c, SampleDraws d) {
        int h = img.rows(), w = img.cols();
        int[] size = c.cropSize(h, w, d);
        if (size[0] <= 0 || size[1] <= 0)
            throw new DataException("RandomCrop: crop size " + size[1] + "x" + size[0] + " of a " + w + "x" + h
                    + " image is empty (crop_size too small for this image)");
        return cropAt(c, size, c.offset(h, w, size[0], size[1], d));
    }

    /** As {@link #crop} with the drawn crop size (h, w) and offsets (y, x) given (goldens with MMDetection's draws). */
    boolean cropAt(RandomCrop c, int[] size, int[] off) {
        int h = img.rows(), w = img.cols();
        int ch = Math.min(size[0], h - off[0]), cw = Math.min(size[1], w - off[1]); // NumPy slicing stops at the edge
        if (ch != h || cw != w) {
            try (Rect r = new Rect(off[1], off[0], cw, ch); Mat roi = new Mat(img, r)) {
                replace(roi.clone());
            }
        }
        float[] b = boxes.clone(), k = crowd.clone();
        boolean[] keepB = c.shiftAndClip(b, off[1], off[0], cw, ch), keepK = c.shiftAndClip(k, off[1], off[0], cw, ch);
        boolean any = false;
        for (boolean v : keepB) any |= v;
        for (boolean v : keepK) any |= v;
        boxes = select(b, keepB);
        labels = select(labels, keepB);
        crowd = select(k, keepK);
        crowdLabels = select(crowdLabels, keepK);
        return any || c.allowNegative();
    }

    /** PhotoMetricDistortion with these draws; the image becomes float32. */
    void photometric(PhotoMetricDistortion.Draw d) {
        int h = img.rows(), w = img.cols();
        float[] px = floats(img);
        PhotoMetricDistortion.apply(px, h, w, d);
        replace(floatMat(px, h, w));
    }

    /** A new h × w float32 3-channel Mat holding these HWC pixels. */
    static Mat floatMat(float[] px, int h, int w) {
        Mat out = new Mat(h, w, CV_32FC3);
        new FloatPointer(out.data()).put(px); // a view of the new Mat's memory
        return out;
    }

    /** A new h × w 8-bit 3-channel Mat holding these HWC pixels. */
    static Mat byteMat(byte[] px, int h, int w) {
        Mat out = new Mat(h, w, CV_8UC3);
        out.data().put(px);
        return out;
    }

    // ---------------------------------------------------------------- access for the steps in their own files

    /** The current image (the decoded input until a step replaces it: read it, never write into it). */
    Mat image() { return img; }

    /** The current image as a Mat this state owns (the decoded input is copied first), for steps that write into it. */
    Mat ownedImage() {
        if (img == input) replace(input.clone());
        return img;
    }

    /** Replaces the image (the state owns {@code next} from now on). */
    void setImage(Mat next) {
        if (next != img) replace(next);
    }

    /** The boxes, x1 y1 x2 y2 per box; shared arrays: copy before changing them. */
    float[] boxes() { return boxes; }

    /** The crowd boxes, as {@link #boxes()}. */
    float[] crowdBoxes() { return crowd; }

    /** New coordinates for every box and crowd box (same counts, labels unchanged). */
    void setBoxes(float[] b, float[] k) {
        if (b.length != boxes.length || k.length != crowd.length) throw new IllegalArgumentException("box counts changed");
        boxes = b;
        crowd = k;
    }

    /** The labels of {@link #boxes()}; shared: copy before changing them. */
    int[] labels() { return labels; }

    /** The labels of {@link #crowdBoxes()}; shared. */
    int[] crowdLabels() { return crowdLabels; }

    /** New boxes and labels, counts free (the multi-image steps merge several images' annotations). */
    void setAnnotations(float[] b, int[] l, float[] k, int[] kl) {
        if (b.length != 4 * l.length || k.length != 4 * kl.length) throw new IllegalArgumentException("boxes and labels out of step");
        boxes = b;
        labels = l;
        crowd = k;
        crowdLabels = kl;
    }

    /** New coordinates, keeping the boxes (and their labels) whose flag is set. */
    void keepBoxes(float[] b, boolean[] keepB, float[] k, boolean[] keepK) {
        boxes = select(b, keepB);
        labels = select(labels, keepB);
        crowd = select(k, keepK);
        crowdLabels = select(crowdLabels, keepK);
    }

    /** The transformed image, ready for batching. */
    PreparedImage result(ImageRecord rec, int datasetIndex) {
        ImageMeta meta = new ImageMeta(rec.id(), rec.fileName(), datasetIndex, oriH, oriW, img.rows(), img.cols(),
                scaleW, scaleH, flipped, 0, 0);
        GroundTruth gt = new GroundTruth(copyIfInput(boxes, rec.boxes()), copyIfInput(labels, rec.labels()),
                copyIfInput(crowd, rec.crowdBoxes()), copyIfInput(crowdLabels, rec.crowdLabels()));
        if (img.depth() == CV_8U) return new PreparedImage(meta, bytes(img), gt);
        byte[] shown; // an 8-bit view for pictures: OpenCV's saturating, rounding conversion
        try (Mat b = new Mat()) {
            img.convertTo(b, CV_8UC3);
            shown = bytes(b);
        }
        return new PreparedImage(meta, shown, gt, floats(img));
    }

    @Override public void close() {
        if (img != input) img.close();
        if (ownsInput) input.close();
    }

    private void replace(Mat next) {
        if (img != input) img.close();
        img = next;
    }

    /** The HWC pixels of an 8-bit 3-channel image. */
    static byte[] bytes(Mat m) {
        if (m.isContinuous()) return ImageDecoder.pixels(m);
        try (Mat c = m.clone()) {
            return ImageDecoder.pixels(c);
        }
    }

    /** The HWC pixels of an 8-bit or float32 3-channel image as floats. */
    static float[] floats(Mat m) {
        if (m.depth() != CV_32F) {
            if (m.type() != CV_8UC3) throw new IllegalStateException("unexpected image type " + m.type());
            byte[] b = bytes(m);
            float[] out = new float[b.length];
            for (int i = 0; i < b.length; i++) out[i] = b[i] & 0xFF;
            return out;
        }
        if (!m.isContinuous()) {
            try (Mat c = m.clone()) {
                return floats(c);
            }
        }
        float[] out = new float[Math.toIntExact(m.total() * 3)];
        new FloatPointer(m.data()).get(out); // a view of the Mat's memory, nothing to free
        return out;
    }

    private static float[] copyIfInput(float[] a, float[] input) { return a == input ? a.clone() : a; }

    private static int[] copyIfInput(int[] a, int[] input) { return a == input ? a.clone() : a; }

    private static float[] select(float[] boxes, boolean[] keep) {
        int n = 0;
        for (boolean k : keep) if (k) n++;
        if (n == keep.length) return boxes;
        float[] out = new float[n * 4];
        for (int i = 0, j = 0; i < keep.length; i++)
            if (keep[i]) System.arraycopy(boxes, i * 4, out, 4 * j++, 4);
        return out;
    }

    private static int[] select(int[] labels, boolean[] keep) {
        int n = 0;
        for (boolean k : keep) if (k) n++;
        if (n == keep.length) return labels == null ? null : labels.clone();
        int[] out = new int[n];
        for (int i = 0, j = 0; i < keep.length; i++) if (keep[i]) out[j++] = labels[i];
        return out;
    }
}
