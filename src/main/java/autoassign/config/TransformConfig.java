package autoassign.config;

import autoassign.data.FlipDirection;
import autoassign.data.PhotoMetricDistortion;
import autoassign.data.RandomCrop;
import autoassign.data.RandomFlip;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The data augmentation steps of a training pipeline, read with MMCV's / MMDetection's arguments and checks:
 * {@code RandomFlip}, {@code RandomCrop}, {@code PhotoMetricDistortion}. Every value MMDetection would reject (or that
 * the engine does not implement) is a one-line error naming the key.
 */
final class TransformConfig {
    private TransformConfig() {}

    private static final String[] DIRECTIONS = {"horizontal", "vertical", "diagonal"};

    /** {@code RandomFlip}: {@code prob} a number or a list, {@code direction} a name or a list (default 0.5, horizontal). */
    static RandomFlip flip(ConfigNode s) {
        JsonNode prob = s.raw("prob");
        JsonNode dir = s.raw("direction");
        List<FlipDirection> dirs = new ArrayList<>();
        if (dir == null || dir.isTextual()) {
            dirs.add(FlipDirection.of(s.choice("direction", "horizontal", DIRECTIONS)));
        } else if (dir.isArray() && !dir.isEmpty()) {
            for (JsonNode d : dir) {
                if (!d.isTextual() || !List.of(DIRECTIONS).contains(d.asText()))
                    throw s.error("direction", "every direction must be one of " + String.join(", ", DIRECTIONS) + ", got "
                            + ConfigNode.describe(d));
                dirs.add(FlipDirection.of(d.asText()));
            }
        } else {
            throw s.error("direction", "must be a direction or a non-empty list of directions, got " + ConfigNode.describe(dir));
        }
        List<Double> probs = new ArrayList<>();
        if (prob == null || prob.isNumber()) {
            double p = s.inRange("prob", s.number("prob", 0.5), 0, 1);
            for (int i = 0; i < dirs.size(); i++) probs.add(p / dirs.size()); // MMCV: prob / len(direction) each
        } else if (prob.isArray()) {
            if (dir == null || !dir.isArray() || dir.size() != prob.size())
                throw s.error("prob", "a list of probabilities needs direction as a list of the same length, got "
                        + prob.size() + " probabilities for " + (dir == null ? "'horizontal'" : ConfigNode.describe(dir)));
            double sum = 0;
            for (JsonNode p : prob) {
                if (!p.isNumber() || !(p.asDouble() >= 0 && p.asDouble() <= 1))
                    throw s.error("prob", "every probability must be a number in [0, 1], got " + ConfigNode.describe(p));
                probs.add(p.asDouble());
                sum += p.asDouble();
            }
            if (sum > 1) throw s.error("prob", "the probabilities must add up to at most 1, got " + sum);
        } else {
            throw s.error("prob", "must be a number in [0, 1] or a list of them, got " + ConfigNode.describe(prob));
        }
        return new RandomFlip(dirs, probs);
    }

    /** mmdet's {@code RandomCrop}: {@code crop_size}, {@code crop_type}, {@code allow_negative_crop}, {@code bbox_clip_border}. */
    static RandomCrop crop(ConfigNode s) {
        RandomCrop.Type type = RandomCrop.Type.of(s.choice("crop_type", "absolute", "absolute", "absolute_range", "relative", "relative_range"));
        List<Double> size = s.doubleList("crop_size", null);
        if (size == null) throw s.error("crop_size", "required key is missing");
        if (size.size() != 2) throw s.error("crop_size", "must be two numbers, got " + size);
        double a = size.get(0), b = size.get(1);
        if (type.absolute()) {
            if (!(a > 0 && b > 0) || a != Math.rint(a) || b != Math.rint(b) || Math.max(a, b) > Integer.MAX_VALUE)
                throw s.error("crop_size", "with crop_type " + type.key() + ", two positive integers, got " + size);
            if (type == RandomCrop.Type.ABSOLUTE_RANGE && a > b)
                throw s.error("crop_size", "with crop_type absolute_range, [min, max] with min <= max, got " + size);
        } else if (!(a > 0 && a <= 1 && b > 0 && b <= 1)) {
            throw s.error("crop_size", "with crop_type " + type.key() + ", two fractions in (0, 1], got " + size);
        }
        // recompute_bbox re-derives boxes from instance masks; without masks (LoadAnnotations with_mask is not
        // supported) MMDetection skips it, so either value means the same here
        s.bool("recompute_bbox", false);
        return new RandomCrop(type, a, b, s.bool("allow_negative_crop", false), s.bool("bbox_clip_border", true));
    }

    /** mmdet's {@code PhotoMetricDistortion} with its defaults (32, (0.5, 1.5), (0.5, 1.5), 18). */
    static PhotoMetricDistortion photometric(ConfigNode s) {
        PhotoMetricDistortion d = PhotoMetricDistortion.defaults();
        double brightness = s.nonNegative("brightness_delta", s.number("brightness_delta", d.brightnessDelta()));
        double[] contrast = range(s, "contrast_range", d.contrastLo(), d.contrastHi());
        double[] saturation = range(s, "saturation_range", d.saturationLo(), d.saturationHi());
        double hue = s.nonNegative("hue_delta", s.number("hue_delta", d.hueDelta()));
        return new PhotoMetricDistortion(brightness, contrast[0], contrast[1], saturation[0], saturation[1], hue);
    }

    /** {@code [lo, hi]} with {@code 0 <= lo <= hi}. */
    private static double[] range(ConfigNode s, String key, double lo, double hi) {
        List<Double> r = s.doubleList(key, List.of(lo, hi));
        if (r.size() != 2 || !(r.get(0) >= 0) || !(r.get(0) <= r.get(1)) || Double.isInfinite(r.get(1)))
            throw s.error(key, "must be [lo, hi] with 0 <= lo <= hi, got " + r);
        return new double[] {r.get(0), r.get(1)};
    }
}
