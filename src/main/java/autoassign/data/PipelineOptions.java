package autoassign.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parameters of the per-image pipeline and the batch preprocessor (AA_1 §4–§7).
 *
 * @param scaleLong  keep-ratio resize target, larger number (1333 for COCO)
 * @param scaleShort keep-ratio resize target, smaller number (800 for COCO)
 * @param mean       per-channel mean in B, G, R order, subtracted on the 0–255 scale
 * @param std        per-channel std in B, G, R order
 * @param padDivisor batch height and width are rounded up to a multiple of this (32)
 * @param multiScale training with a scale per image (RandomResize / RandomChoiceResize), or null for
 *                   {@code scaleLong} × {@code scaleShort} everywhere
 * @param transforms the per-image steps after decoding, in order, with exactly one {@link ResizeStep}
 * @param workerLayout MMDetection's dataloader workers as the cached steps ({@link CachedMosaic}, {@link CachedMixUp})
 *                   see them; unused by every other step
 */
public record PipelineOptions(int scaleLong, int scaleShort, float[] mean, float[] std, int padDivisor,
                              ScaleSampler multiScale, List<Transform> transforms, WorkerLayout workerLayout) {
    /** MMDetection caffe-style mean, B, G, R. */
    public static final float[] CAFFE_MEAN_BGR = {102.9801f, 115.9465f, 122.7717f};

    public PipelineOptions {
        if (scaleLong <= 0 || scaleShort <= 0) throw new IllegalArgumentException("resize scale must be positive: " + scaleLong + "x" + scaleShort);
        if (mean.length != 3 || std.length != 3) throw new IllegalArgumentException("mean and std need 3 values (B, G, R)");
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("std must be positive: " + Arrays.toString(std));
        if (padDivisor < 1) throw new IllegalArgumentException("pad divisor must be >= 1: " + padDivisor);
        transforms = List.copyOf(transforms);
        if (transforms.stream().filter(t -> t instanceof ResizeStep).count() != 1)
            throw new IllegalArgumentException("a pipeline has exactly one resize step: " + transforms);
        int lo = Math.min(scaleLong, scaleShort), hi = Math.max(scaleLong, scaleShort);
        scaleLong = hi;
        scaleShort = lo;
        mean = mean.clone();
        std = std.clone();
        if (workerLayout == null) workerLayout = WorkerLayout.MAIN_PROCESS;
    }

    /** Steps in the main process's layout (one cache stream). */
    public PipelineOptions(int scaleLong, int scaleShort, float[] mean, float[] std, int padDivisor, ScaleSampler multiScale,
                           List<Transform> transforms) {
        this(scaleLong, scaleShort, mean, std, padDivisor, multiScale, transforms, WorkerLayout.MAIN_PROCESS);
    }

    /** Resize then, when {@code flipProb > 0}, a horizontal flip with that probability (the recipe's steps). */
    public PipelineOptions(int scaleLong, int scaleShort, double flipProb, float[] mean, float[] std, int padDivisor,
                           ScaleSampler multiScale) {
        this(scaleLong, scaleShort, mean, std, padDivisor, multiScale, withFlip(List.of(ResizeStep.INSTANCE), flipProb));
    }

    /** A single-scale pipeline: resize, then a horizontal flip with probability {@code flipProb}. */
    public PipelineOptions(int scaleLong, int scaleShort, double flipProb, float[] mean, float[] std, int padDivisor) {
        this(scaleLong, scaleShort, flipProb, mean, std, padDivisor, null);
    }

    public PipelineOptions withMultiScale(ScaleSampler s) { return new PipelineOptions(scaleLong, scaleShort, mean, std, padDivisor, s, transforms, workerLayout); }

    /** The same settings with these per-image steps (a config's pipeline, in its order). */
    public PipelineOptions withTransforms(List<Transform> t) { return new PipelineOptions(scaleLong, scaleShort, mean, std, padDivisor, multiScale, t, workerLayout); }

    /** The same steps as MMDetection's dataloader workers of this layout run them (matters for cached steps only). */
    public PipelineOptions withWorkerLayout(WorkerLayout w) { return new PipelineOptions(scaleLong, scaleShort, mean, std, padDivisor, multiScale, transforms, w); }

    /** The COCO training pipeline: (1333, 800), flip 0.5, caffe mean, std 1, pad 32. */
    public static PipelineOptions cocoTrain() {
        return new PipelineOptions(1333, 800, 0.5, CAFFE_MEAN_BGR, new float[] {1, 1, 1}, 32);
    }

    /** The COCO test pipeline: as training without flip. */
    public static PipelineOptions cocoTest() { return cocoTrain().withFlipProb(0); }

    public PipelineOptions withScale(int a, int b) { return new PipelineOptions(a, b, mean, std, padDivisor, multiScale, transforms, workerLayout); }

    /** The probability that RandomFlip flips an image (in any direction); 0 without one. */
    public double flipProb() {
        for (Transform t : transforms) if (t instanceof RandomFlip f) return f.totalProb();
        return 0;
    }

    /**
     * The (long, short) resize limits of the image at {@code position} of {@code epoch}: the fixed scale, or with
     * multi-scale training that image's draw.
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
        if (p > 0) without.add(at >= 0 ? at : without.indexOf(ResizeStep.INSTANCE) + 1, RandomFlip.horizontal(p));
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
        return o instanceof PipelineOptions p && p.scaleLong == scaleLong && p.scaleShort == scaleShort
                && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std) && p.padDivisor == padDivisor
                && java.util.Objects.equals(p.multiScale, multiScale) && p.transforms.equals(transforms)
                && p.workerLayout.equals(workerLayout);
    }

    @Override public int hashCode() {
        return (Arrays.hashCode(new double[] {scaleLong, scaleShort, padDivisor}) * 31 + Arrays.hashCode(mean)) * 31 + transforms.hashCode();
    }

    @Override public String toString() {
        StringBuilder steps = new StringBuilder();
        for (Transform t : transforms) steps.append(steps.length() == 0 ? "" : " -> ").append(t instanceof ResizeStep ? "Resize" : t.toString());
        return "PipelineOptions[scale=(" + scaleLong + ", " + scaleShort + "), steps=" + steps + ", mean=" + Arrays.toString(mean)
                + ", std=" + Arrays.toString(std) + ", pad=" + padDivisor + (multiScale == null ? "" : ", multiScale=" + multiScale)
                + (workerLayout.equals(WorkerLayout.MAIN_PROCESS) ? "" : ", workers=" + workerLayout) + "]";
    }
}
