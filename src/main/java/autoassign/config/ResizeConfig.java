package autoassign.config;

import autoassign.data.ResizeStep;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * The resize steps' keys: mmdet's {@code Resize} (MMCV 2.x's {@code Resize.__init__}: {@code scale}, {@code scale_factor},
 * {@code keep_ratio} False, {@code clip_object_border} True, {@code backend} 'cv2', {@code interpolation} 'bilinear'),
 * mmdet's {@code FixShapeResize} ({@code width}, {@code height}, {@code pad_val} {@code dict(img=0, seg=255)},
 * {@code keep_ratio} False, {@code clip_object_border}, {@code backend}, {@code interpolation}) and the Resize keyword
 * arguments that {@code RandomResize} / {@code RandomChoiceResize} pass on ({@code resize_type} 'Resize').
 */
final class ResizeConfig {
    private ResizeConfig() {}

    /** A resize step and its scale [w, h]. */
    record Parsed(ResizeStep step, List<Integer> scale) {}

    /**
     * {@code Resize}: {@code scale} [w, h] or one integer s (MMCV: (s, s)), or without it {@code scale_factor}: a float f
     * (MMCV: (f, f)) or [fw, fh], each image then resized to {@code _scale_size((w, h), scale_factor)} (its scale is
     * empty). With both, {@code scale} wins and the factor is only checked, as in MMCV ({@code if self.scale}).
     */
    static Parsed resize(ConfigNode s) {
        JsonNode v = s.raw("scale");
        double[] factor = scaleFactor(s);
        if (v == null || v.isNull()) {
            if (factor == null) throw s.error("scale", "required key is missing (or give scale_factor)");
            return new Parsed(ResizeStep.byFactor(s.bool("keep_ratio", false), clip(s), factor[0], factor[1]), List.of());
        }
        List<Integer> scale;
        if (v.isIntegralNumber()) { // MMCV: isinstance(scale, int) -> (scale, scale)
            if (!v.canConvertToInt() || v.asInt() <= 0) throw s.error("scale", "must be a positive size, got " + v);
            scale = List.of(v.asInt(), v.asInt());
        } else {
            scale = s.intList("scale", null);
            if (scale.size() != 2 || scale.get(0) <= 0 || scale.get(1) <= 0)
                throw s.error("scale", "must be two positive sizes [w, h], got " + scale);
        }
        boolean keep = s.bool("keep_ratio", false); // mmcv's default: stretched to the scale
        return new Parsed(new ResizeStep("Resize", keep, clip(s), null), scale);
    }

    /**
     * MMCV's {@code Resize.__init__}: {@code scale_factor} a float (then (f, f)) or a pair (its tuple), an int raising
     * TypeError; null when unset. Factors must be positive here (MMCV fails later, in cv2.resize).
     */
    private static double[] scaleFactor(ConfigNode s) {
        JsonNode f = s.raw("scale_factor");
        if (f == null || f.isNull()) return null;
        double[] out;
        if (f.isFloatingPointNumber()) {
            out = new double[] {f.asDouble(), f.asDouble()};
        } else if (f.isArray() && f.size() == 2 && f.get(0).isNumber() && f.get(1).isNumber()) {
            out = new double[] {f.get(0).asDouble(), f.get(1).asDouble()};
        } else {
            throw s.error("scale_factor", "must be a float or two numbers [fw, fh] (MMCV raises TypeError for an int), got "
                    + ConfigNode.describe(f));
        }
        for (double d : out)
            if (!(d > 0) || !Double.isFinite(d)) throw s.error("scale_factor", "must be positive and finite, got " + ConfigNode.describe(f));
        return out;
    }

    /**
     * mmdet's {@code FixShapeResize}: {@code width} × {@code height}; without {@code keep_ratio} the image is stretched to
     * it (the same as {@code Resize(scale=(width, height))}), with it rescaled to fit and padded to it with {@code pad_val}
     * (MMCV's Pad: an integer, or {@code {img: ...}}).
     */
    static Parsed fixShape(ConfigNode s) {
        int w = s.positive("width", s.integer("width"));
        int h = s.positive("height", s.integer("height"));
        boolean keep = s.bool("keep_ratio", false);
        List<Double> fill = TransformConfig.padFill(s); // read (and checked) either way: mmdet builds its Pad only with keep_ratio
        return new Parsed(ResizeStep.fixShape(keep, clip(s), fill), List.of(w, h));
    }

    /**
     * The {@code **resize_kwargs} of {@code RandomResize} / {@code RandomChoiceResize}: the Resize they build
     * ({@code resize_type} 'Resize' only: it is built with {@code scale=0}, which FixShapeResize does not take).
     */
    static ResizeStep resizeKwargs(ConfigNode s) {
        s.fixed("resize_type", "Resize");
        return new ResizeStep("Resize", s.bool("keep_ratio", false), clip(s), null);
    }

    /** {@code clip_object_border} (True), with the keys that must keep MMCV's defaults here. */
    private static boolean clip(ConfigNode s) {
        s.fixed("interpolation", "bilinear");
        s.fixed("backend", "cv2");
        return s.bool("clip_object_border", true);
    }
}
