package autoassign.data;

import java.util.Arrays;

/**
 * Parameters of the per-image pipeline and the batch preprocessor (AA_1 §4–§7).
 *
 * @param scaleLong  keep-ratio resize target, larger number (1333 for COCO)
 * @param scaleShort keep-ratio resize target, smaller number (800 for COCO)
 * @param flipProb   probability of a horizontal flip per image (0.5 in training, 0 for evaluation)
 * @param mean       per-channel mean in B, G, R order, subtracted on the 0–255 scale
 * @param std        per-channel std in B, G, R order
 * @param padDivisor batch height and width are rounded up to a multiple of this (32)
 * @param multiScale training with a scale per image (RandomResize / RandomChoiceResize), or null for
 *                   {@code scaleLong} × {@code scaleShort} everywhere
 */
public record PipelineOptions(int scaleLong, int scaleShort, double flipProb, float[] mean, float[] std, int padDivisor,
                              ScaleSampler multiScale) {
    /** MMDetection caffe-style mean, B, G, R. */
    public static final float[] CAFFE_MEAN_BGR = {102.9801f, 115.9465f, 122.7717f};

    public PipelineOptions {
        if (scaleLong <= 0 || scaleShort <= 0) throw new IllegalArgumentException("resize scale must be positive: " + scaleLong + "x" + scaleShort);
        if (flipProb < 0 || flipProb > 1) throw new IllegalArgumentException("flip probability must be in [0, 1]: " + flipProb);
        if (mean.length != 3 || std.length != 3) throw new IllegalArgumentException("mean and std need 3 values (B, G, R)");
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("std must be positive: " + Arrays.toString(std));
        if (padDivisor < 1) throw new IllegalArgumentException("pad divisor must be >= 1: " + padDivisor);
        int lo = Math.min(scaleLong, scaleShort), hi = Math.max(scaleLong, scaleShort);
        scaleLong = hi;
        scaleShort = lo;
        mean = mean.clone();
        std = std.clone();
    }

    /** A single-scale pipeline. */
    public PipelineOptions(int scaleLong, int scaleShort, double flipProb, float[] mean, float[] std, int padDivisor) {
        this(scaleLong, scaleShort, flipProb, mean, std, padDivisor, null);
    }

    public PipelineOptions withMultiScale(ScaleSampler s) { return new PipelineOptions(scaleLong, scaleShort, flipProb, mean, std, padDivisor, s); }

    /** The COCO training pipeline: (1333, 800), flip 0.5, caffe mean, std 1, pad 32. */
    public static PipelineOptions cocoTrain() {
        return new PipelineOptions(1333, 800, 0.5, CAFFE_MEAN_BGR, new float[] {1, 1, 1}, 32);
    }

    /** The COCO test pipeline: as training without flip. */
    public static PipelineOptions cocoTest() { return cocoTrain().withFlipProb(0); }

    public PipelineOptions withScale(int a, int b) { return new PipelineOptions(a, b, flipProb, mean, std, padDivisor, multiScale); }

    /**
     * The (long, short) resize limits of the image at {@code position} of {@code epoch}: the fixed scale, or with
     * multi-scale training that image's draw.
     */
    public int[] scaleAt(long seed, int epoch, int position) {
        return multiScale == null ? new int[] {scaleLong, scaleShort} : multiScale.pick(seed, epoch, position);
    }

    public PipelineOptions withFlipProb(double p) { return new PipelineOptions(scaleLong, scaleShort, p, mean, std, padDivisor, multiScale); }

    @Override public float[] mean() { return mean.clone(); }

    @Override public float[] std() { return std.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof PipelineOptions p && p.scaleLong == scaleLong && p.scaleShort == scaleShort && p.flipProb == flipProb
                && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std) && p.padDivisor == padDivisor
                && java.util.Objects.equals(p.multiScale, multiScale);
    }

    @Override public int hashCode() { return Arrays.hashCode(new double[] {scaleLong, scaleShort, flipProb, padDivisor}) * 31 + Arrays.hashCode(mean); }

    @Override public String toString() {
        return "PipelineOptions[scale=(" + scaleLong + ", " + scaleShort + "), flip=" + flipProb + ", mean=" + Arrays.toString(mean)
                + ", std=" + Arrays.toString(std) + ", pad=" + padDivisor + (multiScale == null ? "" : ", multiScale=" + multiScale) + "]";
    }
}
