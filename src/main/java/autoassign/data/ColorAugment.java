package autoassign.data;

import org.bytedeco.opencv.opencv_core.Mat;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;

/**
 * MMDetection 3.3's colour transforms of the AutoAugment family ({@code mmdet/datasets/transforms/colorspace.py}):
 * {@code Color}, {@code Brightness}, {@code Contrast}, {@code Sharpness}, {@code Solarize}, {@code SolarizeAdd},
 * {@code Posterize}, {@code Equalize}, {@code AutoContrast}, {@code Invert}. Skipped with probability 1 − {@code prob};
 * else the magnitude from the level ({@link AugmentMagnitude}; Equalize, AutoContrast and Invert ignore it) and MMCV's
 * function ({@link ColorOps}). Boxes are not changed; the image keeps its type. Posterize, Equalize and AutoContrast
 * need an 8-bit image (MMCV shifts bits and indexes a table with the pixels: MMDetection fails on a float image).
 *
 * @param kind      which of the ten
 * @param magnitude prob, level, min_mag, max_mag
 */
public record ColorAugment(Kind kind, AugmentMagnitude magnitude) implements ImageStep {
    /** The ten transforms with MMDetection's name, default {@code min_mag} / {@code max_mag} and the largest magnitude it accepts. */
    public enum Kind {
        COLOR("Color", 0.1, 1.9, 2), BRIGHTNESS("Brightness", 0.1, 1.9, 2), CONTRAST("Contrast", 0.1, 1.9, 2),
        SHARPNESS("Sharpness", 0.1, 1.9, 2), SOLARIZE("Solarize", 0, 256, 256), SOLARIZE_ADD("SolarizeAdd", 0, 110, 110),
        POSTERIZE("Posterize", 0, 4, 8), EQUALIZE("Equalize", 0.1, 1.9, Double.POSITIVE_INFINITY),
        AUTO_CONTRAST("AutoContrast", 0.1, 1.9, Double.POSITIVE_INFINITY), INVERT("Invert", 0.1, 1.9, Double.POSITIVE_INFINITY);

        public final String type;
        public final double defaultMinMag, defaultMaxMag, limit;

        Kind(String type, double defaultMinMag, double defaultMaxMag, double limit) {
            this.type = type;
            this.defaultMinMag = defaultMinMag;
            this.defaultMaxMag = defaultMaxMag;
            this.limit = limit;
        }

        /** The kind named {@code type}, or null. */
        public static Kind of(String type) {
            for (Kind k : values()) if (k.type.equals(type)) return k;
            return null;
        }

        /** True for the transforms MMDetection can only run on an 8-bit image. */
        public boolean needsBytes() { return this == POSTERIZE || this == EQUALIZE || this == AUTO_CONTRAST; }
    }

    public ColorAugment {
        // MMDetection's per-transform asserts: both magnitudes in [0, limit] (the last three only check min <= max)
        if (kind.limit < Double.POSITIVE_INFINITY && (magnitude.minMag() < 0 || magnitude.maxMag() > kind.limit))
            throw new IllegalArgumentException(kind.type + " magnitudes must be in [0, " + kind.limit + "]");
    }

    /** MMDetection's defaults for {@code kind} with this prob and level. */
    public static ColorAugment defaults(Kind kind, double prob, Integer level) {
        return new ColorAugment(kind, new AugmentMagnitude(prob, level, kind.defaultMinMag, kind.defaultMaxMag));
    }

    @Override public String type() { return kind.type; }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        long salt = SampleDraws.COLOR_AUG;
        int first = AugmentMagnitude.DRAWS * kind.ordinal();
        if (magnitude.disabled(d, salt, first)) return;
        transform(s, magnitude.magnitude(d, salt, first));
    }

    /** The deterministic part: MMCV's function with this magnitude. */
    void transform(TransformState s, double mag) {
        Mat img = s.image();
        if (kind.needsBytes() && img.depth() != CV_8U)
            throw new DataException(kind.type + " needs an 8-bit image, and this one is float (made so by an earlier step such as"
                    + " PhotoMetricDistortion or MixUp); MMDetection fails here too: move " + kind.type + " before that step");
        s.setImage(switch (kind) {
            case COLOR -> ColorOps.color(img, mag);
            case BRIGHTNESS -> ColorOps.brightness(img, mag);
            case CONTRAST -> ColorOps.contrast(img, mag);
            case SHARPNESS -> ColorOps.sharpness(img, mag);
            case SOLARIZE -> ColorOps.solarize(img, mag);
            case SOLARIZE_ADD -> ColorOps.solarizeAdd(img, mag);
            case POSTERIZE -> ColorOps.posterize(img, (int) Math.ceil(mag)); // math.ceil(mag) bits
            case EQUALIZE -> ColorOps.equalize(img);
            case AUTO_CONTRAST -> ColorOps.autoContrast(img);
            case INVERT -> ColorOps.invert(img);
        });
    }
}
