package autoassign.config;

import java.util.List;

/**
 * {@code model.data_preprocessor} (MMDetection {@code DetDataPreprocessor}): per-channel
 * {@code (x - mean) / std} in the image's channel order (BGR for the caffe weights), then zero padding of
 * the batch to a multiple of {@code padSizeDivisor}.
 */
public record DataPreprocessorConfig(List<Double> mean, List<Double> std, int padSizeDivisor) {
    public DataPreprocessorConfig {
        mean = List.copyOf(mean);
        std = List.copyOf(std);
    }

    /** {@code bgr_to_rgb}: always false (only that is accepted). */
    public boolean bgrToRgb() { return false; }

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
        List<Double> mean = n.doubleList("mean", List.of(102.9801, 115.9465, 122.7717));
        List<Double> std = n.doubleList("std", List.of(1.0, 1.0, 1.0));
        if (mean.size() != 3) throw n.error("mean", "needs 3 values (one per channel), got " + mean.size());
        if (std.size() != 3) throw n.error("std", "needs 3 values (one per channel), got " + std.size());
        for (double s : std) if (!(s > 0)) throw n.error("std", "values must be positive, got " + std);
        if (n.bool("bgr_to_rgb", false)) throw n.error("bgr_to_rgb", "only false is supported (the engine feeds BGR images, as the caffe configs)");
        int pad = n.positive("pad_size_divisor", n.integer("pad_size_divisor", 32));
        if (n.number("pad_value", 0.0) != 0) throw n.error("pad_value", "only 0 is supported (batches are zero-padded after normalisation)");
        n.finish();
        return new DataPreprocessorConfig(mean, std, pad);
    }
}
