package autoassign.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parameters of the per-image pipeline and the batch preprocessor (AA_1 §4–§7).
 *
 * @param scaleW     the resize step's {@code scale[0]} as the config writes it, (w, h) = (1333, 800) for COCO: for a
 *                   keep-ratio resize the (long, short) limits in either order, for a stretched one the width
 * @param scaleH     {@code scale[1]}, the height of a stretched resize (both 0 for a Resize with a {@code scale_factor}
 *                   and no scale: {@link ResizeStep#byFactor()}); for a training pipeline without a top-level resize,
 *                   the largest (w, h) its own-scale resizes may draw ({@link OwnScaleResize#maxScale()}), for
 *                   descriptions and estimates only (nothing resizes to it)
 * @param mean       per-channel mean in the batch's channel order (B, G, R; R, G, B with {@code bgrToRgb}), subtracted
 *                   on the 0–255 scale
 * @param std        per-channel std in the batch's channel order
 * @param padDivisor batch height and width are rounded up to a multiple of this (32)
 * @param multiScale training with a scale per image (RandomResize / RandomChoiceResize), or null for
 *                   ({@code scaleW}, {@code scaleH}) everywhere
 * @param transforms the per-image steps after decoding, in order, with at most one {@link ResizeStep} (which says how
 *                   the scale is applied: keep-ratio, stretched, FixShapeResize); a training pipeline may also hold
 *                   resizes with their own scales ({@link OwnScaleResize}: later top-level ones, those inside wrappers)
 *                   and then needs no top-level {@link ResizeStep}, but at least one resize somewhere
 * @param workerLayout MMDetection's dataloader workers as the cached steps ({@link CachedMosaic}, {@link CachedMixUp})
 *                   see them; unused by every other step
 * @param bgrToRgb   the data preprocessor's {@code bgr_to_rgb}: the batch holds R, G, B (channels of the decoded BGR
 *                   image reversed) and {@code mean} / {@code std} are then in R, G, B order, as MMDetection applies them
 *                   after the swap (torchvision-style weights)
 */
public record PipelineOptions(int scaleW, int scaleH, float[] mean, float[] std, int padDivisor,
                              ScaleSampler multiScale, List<Transform> transforms, WorkerLayout workerLayout, boolean bgrToRgb) {
    /** MMDetection caffe-style mean, B, G, R. */
    public static final float[] CAFFE_MEAN_BGR = {102.9801f, 115.9465f, 122.7717f};

    public PipelineOptions {
        transforms = List.copyOf(transforms);
        long top = transforms.stream().filter(t -> t instanceof ResizeStep).count();
        if (top > 1)
            throw new IllegalArgumentException("a pipeline has at most one resize step that takes the pipeline's scale (later ones carry"
                    + " their own): " + transforms);
        if (top == 0 && ownResizes(transforms).isEmpty())
            throw new IllegalArgumentException("a pipeline needs a resize step: " + transforms);
        // a scale_factor resize needs none (0 x 0); without a top-level resize the scale is only the bound of the own-scale ones
        boolean byFactor = top == 0 || transforms.stream().anyMatch(t -> t instanceof ResizeStep r && r.byFactor());
        if (byFactor ? scaleW < 0 || scaleH < 0 : scaleW <= 0 || scaleH <= 0)
            throw new IllegalArgumentException("resize scale must be positive: " + scaleW + "x" + scaleH);
        if (mean.length != 3 || std.length != 3) throw new IllegalArgumentException("mean and std need 3 values (one per channel)");
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("std must be positive: " + Arrays.toString(std));
        if (padDivisor < 1) throw new IllegalArgumentException("pad divisor must be >= 1: " + padDivisor);
        mean = mean.clone();
        std = std.clone();
        if (workerLayout == null) workerLayout = WorkerLayout.MAIN_PROCESS;
    }

    /** Steps in the main process's layout (one cache stream), BGR batches. */
    public PipelineOptions(int scaleW, int scaleH, float[] mean, float[] std, int padDivisor, ScaleSampler multiScale,
                           List<Transform> transforms) {
        this(scaleW, scaleH, mean, std, padDivisor, multiScale, transforms, WorkerLayout.MAIN_PROCESS, false);
    }

    /** Resize then, when {@code flipProb > 0}, a horizontal flip with that probability (the recipe's steps). */
    public PipelineOptions(int scaleW, int scaleH, double flipProb, float[] mean, float[] std, int padDivisor,
                           ScaleSampler multiScale) {
        this(scaleW, scaleH, mean, std, padDivisor, multiScale, withFlip(List.of(ResizeStep.INSTANCE), flipProb));
    }

    /** A single-scale pipeline: keep-ratio resize, then a horizontal flip with probability {@code flipProb}. */
    public PipelineOptions(int scaleW, int scaleH, double flipProb, float[] mean, float[] std, int padDivisor) {
        this(scaleW, scaleH, flipProb, mean, std, padDivisor, null);
    }

    public PipelineOptions withMultiScale(ScaleSampler s) { return new PipelineOptions(scaleW, scaleH, mean, std, padDivisor, s, transforms, workerLayout, bgrToRgb); }

    /** The same settings with these per-image steps (a config's pipeline, in its order). */
    public PipelineOptions withTransforms(List<Transform> t) { return new PipelineOptions(scaleW, scaleH, mean, std, padDivisor, multiScale, t, workerLayout, bgrToRgb); }

    /** The same steps as MMDetection's dataloader workers of this layout run them (matters for cached steps only). */
    public PipelineOptions withWorkerLayout(WorkerLayout w) { return new PipelineOptions(scaleW, scaleH, mean, std, padDivisor, multiScale, transforms, w, bgrToRgb); }

    /** The same steps with the batch's channels in R, G, B order (true) or as decoded, B, G, R (false). */
    public PipelineOptions withBgrToRgb(boolean rgb) { return new PipelineOptions(scaleW, scaleH, mean, std, padDivisor, multiScale, transforms, workerLayout, rgb); }

    /** The COCO training pipeline: (1333, 800), flip 0.5, caffe mean, std 1, pad 32. */
    public static PipelineOptions cocoTrain() {
        return new PipelineOptions(1333, 800, 0.5, CAFFE_MEAN_BGR, new float[] {1, 1, 1}, 32);
    }

    /** The COCO test pipeline: as training without flip. */
    public static PipelineOptions cocoTest() { return cocoTrain().withFlipProb(0); }

    /** The same steps with the resize scale (w, h), in this order (a stretched resize keeps it; evaluation's variants). */
    public PipelineOptions withScale(int w, int h) { return new PipelineOptions(w, h, mean, std, padDivisor, multiScale, transforms, workerLayout, bgrToRgb); }

    /** The larger scale number: a keep-ratio resize's long-edge limit. */
    public int scaleLong() { return Math.max(scaleW, scaleH); }

    /** The smaller scale number: a keep-ratio resize's short-edge limit. */
    public int scaleShort() { return Math.min(scaleW, scaleH); }

    /** The pipeline's resize step (how its scale is applied). */
    public ResizeStep resizeStep() {
        for (Transform t : transforms) if (t instanceof ResizeStep r) return r;
        throw new IllegalStateException("no top-level resize step: the pipeline resizes by steps with their own scales "
                + ownResizes(transforms)); // only a training pipeline may lack one
    }

    /** True when the pipeline has a top-level resize taking its scale (every test pipeline; a training one may not). */
    public boolean hasResizeStep() { return transforms.stream().anyMatch(t -> t instanceof ResizeStep); }

    /** The resize steps with their own scales, at the top level and inside wrappers (any depth), in the listed order. */
    public List<OwnScaleResize> ownResizes() { return ownResizes(transforms); }

    /** The resize steps with their own scales among {@code steps} and inside their wrappers (any depth), in order. */
    public static List<OwnScaleResize> ownResizesOf(List<Transform> steps) { return ownResizes(steps); }

    static List<OwnScaleResize> ownResizes(List<Transform> steps) {
        List<OwnScaleResize> out = new ArrayList<>();
        for (Transform t : steps) {
            if (t instanceof OwnScaleResize r) out.add(r);
            else if (t instanceof TransformWrapper w) for (List<Transform> b : w.branches()) out.addAll(ownResizes(b));
        }
        return out;
    }

    /**
     * What the pipeline resizes to, for a description ({@code browse}): the top-level step's scale (or multi-scale
     * sampler) and settings, then every resize with its own scale, in order.
     */
    public String resizeDescription() {
        List<String> parts = new ArrayList<>();
        if (hasResizeStep()) {
            ResizeStep step = resizeStep();
            parts.add((multiScale != null ? multiScale.toString() : step.byFactor() ? "each image's size" : scaleW + "x" + scaleH)
                    + (step.equals(ResizeStep.INSTANCE) ? "" : " by " + step.settings()));
        }
        for (OwnScaleResize r : ownResizes()) parts.add((parts.isEmpty() ? "" : "then ") + r.toString().substring("resize to ".length()));
        return String.join(", ", parts);
    }

    /** The geometry of the fixed-scale resize of an h × w image (before any FixShapeResize padding). */
    public ResizeGeometry geometry(int h, int w) { return resizeStep().geometry(h, w, scaleW, scaleH); }

    /** The probability that RandomFlip flips an image (in any direction); 0 without one. */
    public double flipProb() {
        for (Transform t : transforms) if (t instanceof RandomFlip f) return f.totalProb();
        return 0;
    }

    /**
     * The resize scale (w, h) of the image at {@code position} of {@code epoch}: the fixed scale, or with multi-scale
     * training that image's draw.
     */
    public int[] scaleAt(long seed, int epoch, int position) { return SampleDraws.of(seed, epoch, position).scale(this); }

    /**
     * The same steps with the flip replaced by a horizontal one of probability {@code p} (put after the resize when
     * there was none), or removed for 0: evaluation turns flips off, and its flip variants on.
     */
    public PipelineOptions withFlipProb(double p) {
        if (p < 0 || p > 1) throw new IllegalArgumentException("flip probability must be in [0, 1]: " + p);
        List<Transform> without = new ArrayList<>(transforms);
        int at = -1;
        for (int i = 0; i < without.size(); i++) if (without.get(i) instanceof RandomFlip) at = i;
        if (at >= 0) without.remove(at);
        if (p > 0) without.add(at >= 0 ? at : hasResizeStep() ? without.indexOf(resizeStep()) + 1 : without.size(), RandomFlip.horizontal(p));
        return withTransforms(without);
    }

    private static List<Transform> withFlip(List<Transform> steps, double flipProb) {
        if (flipProb < 0 || flipProb > 1) throw new IllegalArgumentException("flip probability must be in [0, 1]: " + flipProb);
        if (flipProb == 0) return steps;
        List<Transform> out = new ArrayList<>(steps);
        out.add(RandomFlip.horizontal(flipProb));
        return out;
    }

    @Override public float[] mean() { return mean.clone(); }

    @Override public float[] std() { return std.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof PipelineOptions p && p.scaleW == scaleW && p.scaleH == scaleH
                && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std) && p.padDivisor == padDivisor
                && java.util.Objects.equals(p.multiScale, multiScale) && p.transforms.equals(transforms)
                && p.workerLayout.equals(workerLayout) && p.bgrToRgb == bgrToRgb;
    }

    @Override public int hashCode() {
        return (Arrays.hashCode(new double[] {scaleW, scaleH, padDivisor}) * 31 + Arrays.hashCode(mean)) * 31 + transforms.hashCode();
    }

    @Override public String toString() {
        StringBuilder steps = new StringBuilder();
        for (Transform t : transforms) steps.append(steps.length() == 0 ? "" : " -> ").append(t instanceof ResizeStep r ? r.describe() : t.toString());
        return "PipelineOptions[scale=(" + scaleW + ", " + scaleH + "), steps=" + steps + ", mean=" + Arrays.toString(mean)
                + ", std=" + Arrays.toString(std) + ", pad=" + padDivisor + (multiScale == null ? "" : ", multiScale=" + multiScale)
                + (workerLayout.equals(WorkerLayout.MAIN_PROCESS) ? "" : ", workers=" + workerLayout) + (bgrToRgb ? ", bgr_to_rgb" : "") + "]";
    }
}
