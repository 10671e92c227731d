package autoassign.config;

import java.util.List;

/**
 * {@code model.data_preprocessor} (MMDetection {@code DetDataPreprocessor}): the channels reversed with
 * {@code bgr_to_rgb} (torchvision-style weights; the caffe weights take the decoded BGR as it is), per-channel
 * {@code (x - mean) / std} in that order, then zero padding of the batch to a multiple of {@code padSizeDivisor}.
 */
public record DataPreprocessorConfig(List<Double> mean, List<Double> std, int padSizeDivisor, SyncRandomResize batchResize,
                                     boolean bgrToRgb) {
    public DataPreprocessorConfig {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }

    public DataPreprocessorConfig(List<Double> mean, List<Double> std, int padSizeDivisor) {
        this(mean, std, padSizeDivisor, null, false);
    }

    /**
     * {@code batch_augments: [{type: BatchSyncRandomResize, random_size_range, interval, size_divisor}]} (YOLOX's), or
     * null: the training batch resized to a size drawn every {@code interval} iterations
     * ({@link autoassign.data.BatchSyncRandomResize}).
     */
    public record SyncRandomResize(int minSize, int maxSize, int interval, int sizeDivisor) {}

    /** {@code pad_value}: always 0 (only that is accepted). */
    public double padValue() { return 0; }

    public float[] meanArray() { return toFloats(mean); }

    public float[] stdArray() { return toFloats(std); }

    private static float[] toFloats(List<Double> v) {
        float[] f = new float[v.size()];
        for (int i = 0; i < f.length; i++) f[i] = v.get(i).floatValue();
        return f;
    }

    static DataPreprocessorConfig from(ConfigNode n) {
        n.fixed("type", "DetDataPreprocessor");
        // MMDetection's DetDataPreprocessor: mean None (the default) means no normalisation, and std is then unused
        boolean meanGiven = n.has("mean") && !n.raw("mean").isNull(), stdGiven = n.has("std") && !n.raw("std").isNull();
        if (meanGiven != stdGiven)
            throw n.error(meanGiven ? "std" : "mean", "give mean and std together (MMDetection normalises with both, or not at all)");
        List<Double> mean = meanGiven ? n.doubleList("mean", null) : List.of(0.0, 0.0, 0.0);
        List<Double> std = stdGiven ? n.doubleList("std", null) : List.of(1.0, 1.0, 1.0);
        if (mean.size() != 3) throw n.error("mean", "needs 3 values (one per channel), got " + mean.size());
        if (std.size() != 3) throw n.error("std", "needs 3 values (one per channel), got " + std.size());
        for (double s : std) if (!(s > 0)) throw n.error("std", "values must be positive, got " + std);
        boolean rgb = n.bool("bgr_to_rgb", false);
        if (n.bool("rgb_to_bgr", false)) {
            if (rgb) throw n.error("rgb_to_bgr", "bgr_to_rgb and rgb_to_bgr cannot both be true (MMEngine asserts)");
            rgb = true; // images are decoded as BGR: either swap reverses the channels, as MMEngine's _channel_conversion
        }
        int pad = n.positive("pad_size_divisor", n.integer("pad_size_divisor", 1)); // MMDetection's default: no padding
        if (n.number("pad_value", 0.0) != 0) throw n.error("pad_value", "only 0 is supported (batches are zero-padded after normalisation)");
        SyncRandomResize resize = null;
        var raw = n.raw("batch_augments"); // RTMDet writes None
        List<ConfigNode> augments = raw == null || raw.isNull() ? List.of() : n.childList("batch_augments");
        if (augments.size() > 1) throw n.error("batch_augments", "one BatchSyncRandomResize at most is supported");
        for (ConfigNode a : augments) {
            a.fixed("type", "BatchSyncRandomResize");
            List<Integer> range = a.intList("random_size_range", null);
            if (range.size() != 2 || range.get(0) <= 0 || range.get(1) < range.get(0))
                throw a.error("random_size_range", "must be [min, max] with 0 < min <= max, got " + range);
            int interval = a.positive("interval", a.integer("interval", 10));
            int divisor = a.positive("size_divisor", a.integer("size_divisor", 32));
            a.finish();
            resize = new SyncRandomResize(range.get(0), range.get(1), interval, divisor);
        }
        n.finish();
        return new DataPreprocessorConfig(mean, std, pad, resize, rgb);
    }
}
