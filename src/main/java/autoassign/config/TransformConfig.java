package autoassign.config;

import autoassign.data.AugmentMagnitude;
import autoassign.data.AutoAugment;
import autoassign.data.ColorAugment;
import autoassign.data.CutOut;
import autoassign.data.Expand;
import autoassign.data.FlipDirection;
import autoassign.data.GeometricAugment;
import autoassign.data.ImageStep;
import autoassign.data.MinIoURandomCrop;
import autoassign.data.PhotoMetricDistortion;
import autoassign.data.RandAugment;
import autoassign.data.RandomAffine;
import autoassign.data.RandomCenterCropPad;
import autoassign.data.RandomCrop;
import autoassign.data.RandomFlip;
import autoassign.data.RandomShift;
import autoassign.data.YoloxHsvRandomAug;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The data augmentation steps of a training pipeline, read with MMCV's / MMDetection's arguments and checks:
 * {@code RandomFlip}, {@code RandomCrop}, {@code PhotoMetricDistortion}, {@code Expand}, {@code MinIoURandomCrop},
 * {@code RandomShift}, {@code CutOut}, {@code RandomAffine}, {@code YOLOXHSVRandomAug}, {@code RandomCenterCropPad}, {@code Pad},
 * {@code FilterAnnotations}, the AutoAugment family (its fifteen transforms, {@code AutoAugment}, {@code RandAugment}).
 * Every value MMDetection would
 * reject (or that the engine does not implement) is a one-line error naming the key.
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
            return RandomFlip.of(p, dirs); // MMCV: prob / len(direction) each, 1. - prob for no flip
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

    /** mmdet's {@code Expand}: {@code mean}, {@code to_rgb}, {@code ratio_range}, {@code prob}; segmentation maps are not loaded. */
    static Expand expand(ConfigNode s) {
        Expand d = Expand.defaults();
        List<Double> mean = numbers(s, "mean", d.mean(), 3);
        for (double m : mean)
            if (!(m >= 0 && m <= 255)) throw s.error("mean", "every value must be in [0, 255] (the canvas takes the image's type), got " + mean);
        boolean toRgb = s.bool("to_rgb", d.toRgb());
        List<Double> r = s.doubleList("ratio_range", List.of(d.ratioLo(), d.ratioHi()));
        if (r.size() != 2 || !(r.get(0) >= 1 && r.get(0) <= r.get(1)) || Double.isInfinite(r.get(1)))
            throw s.error("ratio_range", "must be [lo, hi] with 1 <= lo <= hi, got " + r);
        if (s.raw("seg_ignore_label") != null)
            throw s.error("seg_ignore_label", "semantic segmentation maps are not loaded by this engine; leave it unset");
        double prob = s.inRange("prob", s.number("prob", d.prob()), 0, 1);
        return new Expand(mean, toRgb, r.get(0), r.get(1), prob);
    }

    /** mmdet's {@code MinIoURandomCrop}: {@code min_ious}, {@code min_crop_size}, {@code bbox_clip_border}. */
    static MinIoURandomCrop minIouCrop(ConfigNode s) {
        MinIoURandomCrop d = MinIoURandomCrop.defaults();
        List<Double> ious = s.doubleList("min_ious", d.minIous());
        for (double v : ious) if (!(v >= 0 && v <= 1)) throw s.error("min_ious", "every IoU must be in [0, 1], got " + ious);
        double size = s.number("min_crop_size", d.minCropSize());
        if (!(size > 0 && size <= 1)) throw s.error("min_crop_size", "must be in (0, 1], got " + size);
        return new MinIoURandomCrop(ious, size, s.bool("bbox_clip_border", d.clipBorder()));
    }

    /**
     * mmdet's {@code RandomCenterCropPad} with its asserts: in training {@code crop_size} (w, h) > 0, {@code ratios} a
     * non-empty list, {@code border} (128) and {@code test_pad_mode} given as null; in test mode {@code crop_size},
     * {@code ratios} and {@code border} given as null, {@code test_pad_mode} [logical_or | size_divisor, value];
     * {@code mean}, {@code std}, {@code to_rgb} always required (no defaults upstream), {@code test_pad_add_pix} (0),
     * {@code bbox_clip_border} (true). Test mode is then refused (see the error text): it is built only to say why.
     */
    static RandomCenterCropPad centerCropPad(ConfigNode s) {
        boolean testMode = s.bool("test_mode", false);
        List<String> given = s.keys(); // a key given as null differs from an absent one here: MMDetection's defaults are not None
        List<Double> mean = numbers(s, "mean", null, 3);
        for (double m : mean) if (!Double.isFinite(m)) throw s.error("mean", "must be finite numbers, got " + mean);
        numbers(s, "std", null, 3); // required (MMDetection asserts it is given) but unused by the transform
        if (s.raw("to_rgb") == null)
            throw s.error("to_rgb", "required key is missing (MMDetection has no default: give the data_preprocessor's bgr_to_rgb)");
        boolean toRgb = s.bool("to_rgb", false);
        boolean clip = s.bool("bbox_clip_border", true);
        int addPix = s.integer("test_pad_add_pix", 0);
        if (testMode) {
            for (String k : List.of("crop_size", "ratios", "border"))
                if (s.raw(k) != null || (!given.contains(k) && !k.equals("crop_size")))
                    throw s.error(k, "must be given as null with test_mode: true (MMDetection asserts it"
                            + (k.equals("crop_size") ? "" : "; its default is not null") + ")");
            JsonNode mode = s.raw("test_pad_mode");
            RandomCenterCropPad.PadMode m = RandomCenterCropPad.PadMode.LOGICAL_OR;
            int value = 127;
            if (given.contains("test_pad_mode")) {
                if (mode == null || !mode.isArray() || mode.size() != 2 || RandomCenterCropPad.PadMode.of(mode.get(0).asText()) == null
                        || !mode.get(1).isIntegralNumber())
                    throw s.error("test_pad_mode", "must be [logical_or | size_divisor, an integer] with test_mode: true, got "
                            + (mode == null ? "null" : ConfigNode.describe(mode)));
                m = RandomCenterCropPad.PadMode.of(mode.get(0).asText());
                value = mode.get(1).asInt();
            }
            if (m == RandomCenterCropPad.PadMode.SIZE_DIVISOR ? value < 1 : value < 0)
                throw s.error("test_pad_mode", m.key() + " needs a value " + (value < 0 ? ">= 0" : ">= 1") + ", got " + value);
            if (addPix < 0) throw s.error("test_pad_add_pix", "must be >= 0, got " + addPix);
            throw s.error("test_mode", "RandomCenterCropPad's test mode pads the image around its centre and records 'border', which"
                    + " only MMDetection's CenterNet / CornerNet heads subtract from their boxes; AutoAssign's head does not, so its"
                    + " boxes would be off by the padding (and gt boxes do not follow the image): use Resize and Pad in test pipelines");
        }
        JsonNode size = s.raw("crop_size");
        if (size == null) throw s.error("crop_size", "required with test_mode: false: (w, h) of the crop (MMDetection asserts it)");
        List<Double> wh = s.doubleList("crop_size", null);
        if (wh.size() != 2 || !(wh.get(0) > 0 && wh.get(1) > 0) || Double.isInfinite(wh.get(0)) || Double.isInfinite(wh.get(1)))
            throw s.error("crop_size", "must be two numbers (w, h) > 0 (MMDetection asserts it), got " + wh);
        if (given.contains("ratios") && s.raw("ratios") == null)
            throw s.error("ratios", "must be a list of ratios with test_mode: false (MMDetection asserts it), got null");
        List<Double> ratios = s.doubleList("ratios", List.of(0.9, 1.0, 1.1));
        if (ratios.isEmpty()) throw s.error("ratios", "must not be empty (NumPy's random.choice fails on an empty list)");
        for (double r : ratios)
            if (!(r > 0) || Double.isInfinite(r) || (int) (wh.get(0) * r) < 1 || (int) (wh.get(1) * r) < 1)
                throw s.error("ratios", "every ratio must make int(crop_size x ratio) at least 1 pixel per side, got " + r
                        + " in " + ratios);
        if (given.contains("border") && s.raw("border") == null)
            throw s.error("border", "must be an integer >= 1 with test_mode: false (MMDetection's _get_border needs it), got null");
        int border = s.integer("border", 128);
        if (border < 1) throw s.error("border", "must be >= 1 (MMDetection's _get_border gives NaN for 0), got " + border);
        if (!given.contains("test_pad_mode") || s.raw("test_pad_mode") != null)
            throw s.error("test_pad_mode", "must be given as null with test_mode: false (MMDetection asserts it; its default is"
                    + " ('logical_or', 127), for test mode)");
        return RandomCenterCropPad.training(wh.get(0), wh.get(1), ratios, border, mean, toRgb, clip);
    }

    /** mmdet's {@code RandomShift}: {@code prob}, {@code max_shift_px}, {@code filter_thr_px} (truncated to an integer, as MMDetection). */
    static RandomShift shift(ConfigNode s) {
        RandomShift d = RandomShift.defaults();
        double prob = s.inRange("prob", s.number("prob", d.prob()), 0, 1);
        int max = s.integer("max_shift_px", d.maxShiftPx());
        if (max < 1) throw s.error("max_shift_px", "must be >= 1 (MMDetection's randint(-n, n) needs n > 0), got " + max);
        double thr = s.number("filter_thr_px", d.filterThrPx());
        if (!(Math.abs(thr) < Integer.MAX_VALUE)) throw s.error("filter_thr_px", "must be a finite number, got " + thr);
        return new RandomShift(prob, max, (int) thr);
    }

    /** mmdet's {@code CutOut}: {@code n_holes}, exactly one of {@code cutout_shape} / {@code cutout_ratio}, {@code fill_in}. */
    static CutOut cutOut(ConfigNode s) {
        JsonNode n = s.raw("n_holes");
        int lo, hi;
        if (n == null) throw s.error("n_holes", "required key is missing");
        if (n.isArray()) {
            List<Integer> r = s.intList("n_holes", null);
            if (r.size() != 2 || !(0 <= r.get(0) && r.get(0) < r.get(1)))
                throw s.error("n_holes", "a range must be [lo, hi] with 0 <= lo < hi, got " + r);
            lo = r.get(0);
            hi = r.get(1);
        } else {
            lo = hi = s.atLeast("n_holes", s.integer("n_holes", 0), 0);
        }
        JsonNode shape = s.raw("cutout_shape"), ratio = s.raw("cutout_ratio");
        if ((shape == null) == (ratio == null))
            throw s.error(shape == null ? "cutout_shape" : "cutout_ratio", "give exactly one of cutout_shape and cutout_ratio");
        boolean withRatio = ratio != null;
        String key = withRatio ? "cutout_ratio" : "cutout_shape";
        List<CutOut.Size> sizes = new ArrayList<>();
        JsonNode v = withRatio ? ratio : shape;
        if (!v.isArray() || v.isEmpty()) throw s.error(key, "must be [w, h] or a list of them, got " + ConfigNode.describe(v));
        for (JsonNode c : v.get(0).isArray() ? v : List.of(v)) {
            if (!c.isArray() || c.size() != 2 || !c.get(0).isNumber() || !c.get(1).isNumber())
                throw s.error(key, "every size must be two numbers [w, h], got " + ConfigNode.describe(c));
            double w = c.get(0).asDouble(), h = c.get(1).asDouble();
            if (withRatio ? !(w >= 0 && h >= 0 && w <= 1e6 && h <= 1e6)
                    : !(w >= 0 && h >= 0 && w == Math.rint(w) && h == Math.rint(h) && Math.max(w, h) <= Integer.MAX_VALUE))
                throw s.error(key, withRatio ? "every ratio must be two numbers >= 0, got " + ConfigNode.describe(c)
                        : "every shape must be two integers >= 0 (w, h), got " + ConfigNode.describe(c));
            sizes.add(new CutOut.Size(w, h));
        }
        List<Double> fill = numbers(s, "fill_in", List.of(0.0, 0.0, 0.0), 3);
        for (double f : fill)
            if (!(f >= 0 && f <= 255)) throw s.error("fill_in", "every value must be in [0, 255], got " + fill);
        return new CutOut(lo, hi, sizes, withRatio, fill);
    }

    /**
     * mmdet's {@code RandomErasing}: {@code n_patches} and {@code ratio} (required; a number or a [lo, hi] pair, MMDetection's
     * tuple), {@code squared} (true), {@code bbox_erased_thr} (0.9), {@code img_border_value} (128, or three values),
     * {@code mask_border_value} / {@code seg_ignore_label} (read, no effect: masks and segmentation maps are not loaded).
     */
    static autoassign.data.RandomErasing randomErasing(ConfigNode s) {
        JsonNode n = s.raw("n_patches");
        if (n == null) throw s.error("n_patches", "required key is missing");
        int lo, hi;
        if (n.isArray()) {
            List<Integer> r = s.intList("n_patches", null);
            if (r.size() != 2 || !(0 <= r.get(0) && r.get(0) < r.get(1)))
                throw s.error("n_patches", "a range must be [lo, hi] with 0 <= lo < hi (MMDetection asserts it), got " + r);
            lo = r.get(0);
            hi = r.get(1);
        } else {
            lo = hi = s.integer("n_patches", 0);
        }
        if (lo < 1) // _transform_bboxes indexes np.array([])[:, :2]: an IndexError on the first image drawing no patch
            throw s.error("n_patches", "must draw at least 1 patch: MMDetection 3.3 fails (IndexError) on an image drawing 0 patches,"
                    + " got " + (lo == hi ? String.valueOf(lo) : "[" + lo + ", " + hi + "]"));
        JsonNode r = s.raw("ratio");
        if (r == null) throw s.error("ratio", "required key is missing");
        double rlo, rhi;
        if (r.isArray()) {
            List<Double> v = s.doubleList("ratio", null);
            if (v.size() != 2 || !(0 <= v.get(0) && v.get(0) < v.get(1) && v.get(1) <= 1))
                throw s.error("ratio", "a range must be [lo, hi] with 0 <= lo < hi <= 1 (MMDetection asserts it), got " + v);
            rlo = v.get(0);
            rhi = v.get(1);
        } else {
            rlo = rhi = s.number("ratio", 0);
            if (!(rlo >= 0 && rlo < 1)) // int(side * 1) = side: NumPy's randint(0, 0) fails
                throw s.error("ratio", "a single ratio must be in [0, 1) (a patch as large as the image makes NumPy's randint fail), got " + rlo);
        }
        boolean squared = s.bool("squared", true);
        double thr = finite(s, "bbox_erased_thr", 0.9);
        List<Double> fill;
        JsonNode b = s.raw("img_border_value");
        if (b == null || b.isNumber()) {
            double v = s.number("img_border_value", 128);
            fill = List.of(v, v, v);
        } else {
            fill = numbers(s, "img_border_value", null, 3);
        }
        for (double v : fill)
            if (!(v >= 0 && v <= 255)) throw s.error("img_border_value", "every value must be in [0, 255], got " + fill);
        s.integer("mask_border_value", 0); // instance masks and segmentation maps are never loaded: no effect
        s.integer("seg_ignore_label", 255);
        return new autoassign.data.RandomErasing(lo, hi, rlo, rhi, squared, thr, fill);
    }

    /**
     * mmdet's {@code RandomAffine}, plus MMDetection 2.x's {@code skip_filter} (default true: 3.3's behaviour) with
     * {@code min_bbox_size}, {@code min_area_ratio}, {@code max_aspect_ratio}, accepted only with {@code skip_filter: false}.
     */
    static RandomAffine affine(ConfigNode s) {
        RandomAffine d = RandomAffine.defaults();
        double rotate = finite(s, "max_rotate_degree", d.maxRotateDegree());
        double translate = s.inRange("max_translate_ratio", s.number("max_translate_ratio", d.maxTranslateRatio()), 0, 1);
        List<Double> r = s.doubleList("scaling_ratio_range", List.of(d.scaleLo(), d.scaleHi()));
        if (r.size() != 2 || !(r.get(0) > 0 && r.get(0) <= r.get(1)) || Double.isInfinite(r.get(1)))
            throw s.error("scaling_ratio_range", "must be [lo, hi] with 0 < lo <= hi, got " + r);
        double shear = finite(s, "max_shear_degree", d.maxShearDegree());
        List<Integer> border = s.intList("border", List.of(0, 0));
        if (border.size() != 2) throw s.error("border", "must be two integers [w, h], got " + border);
        List<Double> borderVal = numbers(s, "border_val", d.borderVal(), 3);
        boolean clip = s.bool("bbox_clip_border", d.clipBorder());
        boolean skip = s.bool("skip_filter", true);
        double minSize = d.minBboxSize(), minArea = d.minAreaRatio(), maxAspect = d.maxAspectRatio();
        for (String k : List.of("min_bbox_size", "min_area_ratio", "max_aspect_ratio"))
            if (s.has(k) && skip) throw s.error(k, "only applies with skip_filter: false (MMDetection 2.x's box filter; 3.3 has none)");
        if (!skip) {
            minSize = finite(s, "min_bbox_size", minSize);
            minArea = finite(s, "min_area_ratio", minArea);
            maxAspect = finite(s, "max_aspect_ratio", maxAspect);
        }
        return new RandomAffine(rotate, translate, r.get(0), r.get(1), shear, border.get(0), border.get(1), borderVal, clip,
                skip, minSize, minArea, maxAspect);
    }

    /** mmdet's {@code YOLOXHSVRandomAug}: {@code hue_delta}, {@code saturation_delta}, {@code value_delta}. */
    static YoloxHsvRandomAug yoloxHsv(ConfigNode s) {
        YoloxHsvRandomAug d = YoloxHsvRandomAug.defaults();
        double[] v = new double[3];
        String[] keys = {"hue_delta", "saturation_delta", "value_delta"};
        double[] defs = {d.hueDelta(), d.saturationDelta(), d.valueDelta()};
        for (int i = 0; i < 3; i++) {
            v[i] = s.nonNegative(keys[i], s.number(keys[i], defs[i]));
            if (v[i] > 255) throw s.error(keys[i], "must be at most 255, got " + v[i]);
        }
        return new YoloxHsvRandomAug(v[0], v[1], v[2]);
    }

    /** mmdet's {@code Mosaic}: {@code img_scale} ((w, h), as MMDetection 3.3 reads it), {@code center_ratio_range}, {@code bbox_clip_border}, {@code pad_val}, {@code prob}. */
    static autoassign.data.Mosaic mosaic(ConfigNode s) {
        autoassign.data.Mosaic d = autoassign.data.Mosaic.defaults();
        List<Integer> scale = imgScale(s, List.of(d.scaleW(), d.scaleH()));
        List<Double> r = s.doubleList("center_ratio_range", List.of(d.centerLo(), d.centerHi()));
        if (r.size() != 2 || !(r.get(0) >= 0 && r.get(0) <= r.get(1) && r.get(1) <= 2))
            throw s.error("center_ratio_range", "must be [lo, hi] with 0 <= lo <= hi <= 2 (the centre lies on the 2x canvas), got " + r);
        boolean clip = s.bool("bbox_clip_border", d.clipBorder());
        double pad = s.inRange("pad_val", s.number("pad_val", d.padVal()), 0, 255);
        double prob = s.inRange("prob", s.number("prob", d.prob()), 0, 1);
        return new autoassign.data.Mosaic(scale.get(0), scale.get(1), r.get(0), r.get(1), clip, pad, prob);
    }

    /** mmdet's {@code MixUp}: {@code img_scale}, {@code ratio_range}, {@code flip_ratio}, {@code pad_val}, {@code max_iters}, {@code bbox_clip_border}. */
    static autoassign.data.MixUp mixUp(ConfigNode s) { return mixUp(s, false); }

    /**
     * MixUp's keys; {@code padList}: {@code pad_val} may also be three equal numbers (RTMDet's CachedMixUp writes
     * {@code (114, 114, 114)}), the same canvas as the one number but for integers: NumPy makes that canvas int64, which
     * {@code cv2.resize} takes as int32 and cannot scale bilinearly (its same-size call is a copy), so integers need
     * {@code ratio_range: [1, 1]}, RTMDet's.
     */
    private static autoassign.data.MixUp mixUp(ConfigNode s, boolean padList) {
        autoassign.data.MixUp d = autoassign.data.MixUp.defaults();
        List<Integer> scale = imgScale(s, List.of(d.scaleW(), d.scaleH()));
        List<Double> r = s.doubleList("ratio_range", List.of(d.ratioLo(), d.ratioHi()));
        if (r.size() != 2 || !(r.get(0) > 0 && r.get(0) <= r.get(1)) || Double.isInfinite(r.get(1)))
            throw s.error("ratio_range", "must be [lo, hi] with 0 < lo <= hi, got " + r);
        double flip = s.inRange("flip_ratio", s.number("flip_ratio", d.flipRatio()), 0, 1);
        JsonNode padNode = s.raw("pad_val");
        double pad;
        boolean padIsInt;
        if (padList && padNode != null && padNode.isArray()) {
            List<Double> v = numbers(s, "pad_val", null, 3);
            if (!v.get(0).equals(v.get(1)) || !v.get(0).equals(v.get(2)))
                throw s.error("pad_val", "per-channel values are not supported: give one number or three equal ones, got " + v);
            pad = s.inRange("pad_val", v.get(0), 0, 255);
            padIsInt = true;
            for (JsonNode x : padNode) padIsInt &= x.isIntegralNumber();
            if (padIsInt && !(r.get(0) == 1 && r.get(1) == 1))
                throw s.error("pad_val", "three integers make MMDetection's canvas int64, which cv2.resize cannot scale (no bilinear"
                        + " resize for 32-bit integers): use ratio_range: [1, 1] (RTMDet's) or one number, got ratio_range " + r);
        } else {
            pad = s.inRange("pad_val", s.number("pad_val", d.padVal()), 0, 255);
            padIsInt = padNode != null && padNode.isIntegralNumber(); // NumPy then keeps the canvas 8-bit
        }
        int iters = s.atLeast("max_iters", s.integer("max_iters", d.maxIters()), 1);
        return new autoassign.data.MixUp(scale.get(0), scale.get(1), r.get(0), r.get(1), flip, pad, padIsInt, iters,
                s.bool("bbox_clip_border", d.clipBorder()));
    }

    /** mmdet's {@code CachedMosaic}: Mosaic's keys plus {@code max_cached_images} (40, at least 4) and {@code random_pop}. */
    static autoassign.data.CachedMosaic cachedMosaic(ConfigNode s) {
        autoassign.data.CachedMosaic d = autoassign.data.CachedMosaic.defaults();
        int max = s.integer("max_cached_images", d.maxCachedImages());
        if (max < 4) throw s.error("max_cached_images", "must be >= 4 (MMDetection asserts it), got " + max);
        return new autoassign.data.CachedMosaic(mosaic(s), max, s.bool("random_pop", d.randomPop()));
    }

    /**
     * mmdet's {@code CachedMixUp}: MixUp's keys ({@code pad_val} also as three equal numbers) plus {@code max_cached_images}
     * (20, at least 2), {@code random_pop} and {@code prob}.
     */
    static autoassign.data.CachedMixUp cachedMixUp(ConfigNode s) {
        autoassign.data.CachedMixUp d = autoassign.data.CachedMixUp.defaults();
        int max = s.integer("max_cached_images", d.maxCachedImages());
        if (max < 2) throw s.error("max_cached_images", "must be >= 2 (MMDetection asserts it), got " + max);
        double prob = s.inRange("prob", s.number("prob", d.prob()), 0, 1);
        return new autoassign.data.CachedMixUp(mixUp(s, true), max, s.bool("random_pop", d.randomPop()), prob);
    }

    /**
     * MMDetection's {@code Pad} (MMCV 2.x's arguments): {@code size} (w, h), {@code size_divisor}, {@code pad_to_square},
     * {@code pad_val} (an integer, or {@code {img: ..., seg: 255, masks: ...}}), {@code padding_mode} (constant only).
     */
    static autoassign.data.Pad pad(ConfigNode s) {
        boolean square = s.bool("pad_to_square", false);
        JsonNode sizeNode = s.raw("size");
        int w = 0, h = 0;
        if (sizeNode != null) {
            if (square) throw s.error("size", "must be unset with pad_to_square: true (MMCV asserts it; size_divisor may be given)");
            List<Integer> size = s.intList("size", null);
            if (size.size() != 2 || size.get(0) <= 0 || size.get(1) <= 0)
                throw s.error("size", "must be two positive sizes [w, h], got " + size);
            w = size.get(0);
            h = size.get(1);
        }
        int divisor = 0;
        if (s.raw("size_divisor") != null) divisor = s.positive("size_divisor", s.integer("size_divisor", 0));
        if (!square && w == 0 && divisor == 0)
            throw s.error("size", "one of size and size_divisor is required (or pad_to_square: true)");
        if (w > 0 && divisor > 0) throw s.error("size_divisor", "only one of size and size_divisor may be given (MMCV asserts it)");
        String mode = s.string("padding_mode", "constant");
        if (!mode.equals("constant"))
            throw s.error("padding_mode", "only 'constant' is supported, got '" + mode + "'");
        return new autoassign.data.Pad(w, h, divisor, square, padFill(s));
    }

    /**
     * The image's border values as MMCV hands them to OpenCV: an integer (top level or {@code img}) becomes that value
     * in every channel (MMCV 2.x's tuple); a list of three is used per channel; a non-integer number under {@code img}
     * reaches {@code cv2.copyMakeBorder} as a single number, which OpenCV's Python binding makes {@code (v, 0, 0, 0)}:
     * only the first (blue) channel gets it, as in MMDetection. A non-integer top-level number is refused (MMCV asserts
     * an int or a dict).
     */
    static List<Double> padFill(ConfigNode s) {
        JsonNode v = s.raw("pad_val");
        if (v == null) return List.of(0.0, 0.0, 0.0); // dict(img=0, seg=255)
        if (v.isNumber()) {
            if (!v.isIntegralNumber())
                throw s.error("pad_val", "a number must be an integer (MMCV asserts an int or a dict), got " + v
                        + "; write pad_val: {img: [" + v + ", " + v + ", " + v + "]} for that value in every channel");
            double d = v.asDouble();
            return List.of(d, d, d);
        }
        if (!v.isObject()) throw s.error("pad_val", "must be an integer or a mapping {img: ...}, got " + ConfigNode.describe(v));
        ConfigNode p = s.child("pad_val");
        JsonNode seg = p.raw("seg");
        if (seg != null && !(seg.isIntegralNumber() && seg.asInt() == 255))
            throw p.error("seg", "segmentation maps are not loaded by this engine; leave it unset or 255, got " + ConfigNode.describe(seg));
        JsonNode masks = p.raw("masks"); // mmdet's value for instance masks, which are not loaded: no effect
        if (masks != null && !masks.isNumber()) throw p.error("masks", "must be a number, got " + ConfigNode.describe(masks));
        JsonNode img = p.raw("img");
        List<Double> out;
        if (img == null) {
            out = List.of(0.0, 0.0, 0.0);
        } else if (img.isNumber()) {
            double d = img.asDouble();
            if (!Double.isFinite(d)) throw p.error("img", "must be a finite number, got " + img);
            out = img.isIntegralNumber() ? List.of(d, d, d) : List.of(d, 0.0, 0.0);
        } else if (img.isArray()) {
            List<Double> l = p.doubleList("img", null);
            if (l.size() != 3) throw p.error("img", "needs one value per channel (3), got " + l);
            for (double d : l) if (!Double.isFinite(d)) throw p.error("img", "must be finite numbers, got " + l);
            out = l;
        } else {
            throw p.error("img", "must be a number or a list of 3 numbers, got " + ConfigNode.describe(img));
        }
        p.finish();
        return out;
    }

    /**
     * MMDetection's {@code FilterAnnotations}: {@code min_gt_bbox_wh}, {@code keep_empty}, {@code by_box} (true),
     * {@code by_mask} (false: masks are not loaded), {@code min_gt_mask_area} (an integer, used only with masks).
     */
    static autoassign.data.FilterAnnotations filterAnnotations(ConfigNode s) {
        autoassign.data.FilterAnnotations d = autoassign.data.FilterAnnotations.defaults();
        List<Double> wh = numbers(s, "min_gt_bbox_wh", List.of(d.minW(), d.minH()), 2);
        for (double v : wh) if (!Double.isFinite(v)) throw s.error("min_gt_bbox_wh", "must be two finite numbers, got " + wh);
        if (s.bool("by_mask", false))
            throw s.error("by_mask", "instance masks are not loaded by this engine (LoadAnnotations with_mask is not supported); only false");
        if (!s.bool("by_box", true))
            throw s.error("by_box", "must be true: with by_mask false MMDetection asserts by_box or by_mask, and masks are not loaded");
        s.integer("min_gt_mask_area", 1); // read (an integer) but unused: it applies to masks only
        return new autoassign.data.FilterAnnotations(wh.get(0), wh.get(1), s.bool("keep_empty", d.keepEmpty()));
    }

    /**
     * One of the AutoAugment family's fifteen transforms ({@code type}: {@link AutoAugment#TRANSFORMS}) with MMDetection's
     * keys, defaults and asserts: {@code prob} (1.0), {@code level} (null: drawn), {@code min_mag} / {@code max_mag} (the
     * transform's), and for the geometric five {@code reversal_prob} (0.5), {@code img_border_value} (128),
     * {@code interpolation} (bilinear), {@code mask_border_value} and {@code seg_ignore_label} (read; no effect: masks and
     * segmentation maps are not loaded). MMDetection asserts float magnitudes; integers are taken as the same numbers.
     */
    static ImageStep augmentTransform(ConfigNode s, String type) {
        GeometricAugment.Kind g = GeometricAugment.Kind.of(type);
        ColorAugment.Kind c = ColorAugment.Kind.of(type);
        double prob = s.inRange("prob", s.number("prob", 1.0), 0, 1);
        Integer level = s.raw("level") == null ? null : s.integer("level", 0); // null or absent: drawn per image
        if (level != null && (level < 0 || level > AugmentMagnitude.MAX_LEVEL))
            throw s.error("level", "must be an integer in [0, " + AugmentMagnitude.MAX_LEVEL + "] or null (drawn per image), got " + level);
        double limit = g != null ? g.limit : c.limit;
        double min = finite(s, "min_mag", g != null ? 0 : c.defaultMinMag), max = finite(s, "max_mag", g != null ? g.defaultMaxMag : c.defaultMaxMag);
        for (String k : List.of("min_mag", "max_mag")) {
            double v = k.equals("min_mag") ? min : max;
            if (limit < Double.POSITIVE_INFINITY && !(v >= 0 && v <= limit))
                throw s.error(k, "must be in [0, " + limit + "] for " + type + ", got " + v);
        }
        if (min > max) throw s.error("max_mag", "must be >= min_mag (" + min + "), got " + max);
        AugmentMagnitude m = new AugmentMagnitude(prob, level, min, max);
        if (c != null) return new ColorAugment(c, m);
        double reversal = s.inRange("reversal_prob", s.number("reversal_prob", 0.5), 0, 1);
        List<Double> border;
        JsonNode b = s.raw("img_border_value");
        if (b == null || b.isNumber()) {
            double v = s.number("img_border_value", 128);
            border = List.of(v, v, v);
        } else {
            border = numbers(s, "img_border_value", null, 3);
        }
        for (double v : border)
            if (!(v >= 0 && v <= 255)) throw s.error("img_border_value", "every value must be in [0, 255], got " + border);
        s.integer("mask_border_value", 0); // instance masks and segmentation maps are never loaded: no effect
        s.integer("seg_ignore_label", 255);
        String interpolation = s.choice("interpolation", "bilinear", GeometricAugment.INTERPOLATIONS.toArray(String[]::new));
        return new GeometricAugment(g, m, reversal, border, interpolation);
    }

    /** mmdet's {@code AutoAugment}: {@code policies} (default {@code AUTOAUG_POLICIES_V0}) and {@code prob} (per policy). */
    static AutoAugment autoAugment(ConfigNode s) {
        List<List<ImageStep>> policies = AutoAugment.defaults().policies();
        if (s.has("policies")) {
            List<List<ConfigNode>> raw = s.childListOfLists("policies");
            if (raw.isEmpty()) throw s.error("policies", "must be a non-empty list of policies (MMDetection asserts it)");
            policies = new ArrayList<>();
            for (int i = 0; i < raw.size(); i++) {
                if (raw.get(i).isEmpty()) throw s.error("policies[" + i + "]", "each policy must be a non-empty list of transforms");
                List<ImageStep> policy = new ArrayList<>();
                for (ConfigNode t : raw.get(i)) policy.add(familyTransform(t));
                policies.add(policy);
            }
        }
        return new AutoAugment(policies, choiceProb(s, policies.size(), "policy"));
    }

    /** mmdet's {@code RandAugment}: {@code aug_space} (default {@code RANDAUG_SPACE}), {@code aug_num} (2), {@code prob}. */
    static RandAugment randAugment(ConfigNode s) {
        List<ImageStep> space = RandAugment.defaultSpace();
        if (s.has("aug_space")) {
            List<List<ConfigNode>> raw = s.childListOfLists("aug_space");
            if (raw.isEmpty()) throw s.error("aug_space", "must be a non-empty list (MMDetection asserts it)");
            space = new ArrayList<>();
            for (int i = 0; i < raw.size(); i++) {
                if (raw.get(i).size() != 1)
                    throw s.error("aug_space[" + i + "]", "each entry must be a list of exactly one transform (MMDetection asserts it), got "
                            + raw.get(i).size());
                space.add(familyTransform(raw.get(i).get(0)));
            }
        }
        int num = s.integer("aug_num", 2);
        List<Double> prob = choiceProb(s, space.size(), "transform of aug_space");
        long possible = prob.isEmpty() ? space.size() : prob.stream().filter(p -> p > 0).count();
        if (num < 0 || num > possible)
            throw s.error("aug_num", "must be in [0, " + possible + "]: NumPy draws aug_num distinct transforms"
                    + (prob.isEmpty() ? "" : " of non-zero probability") + ", got " + num);
        return new RandAugment(space, num, prob);
    }

    /** A transform inside a policy or aug_space: one of the fifteen, its keys checked. */
    private static ImageStep familyTransform(ConfigNode t) {
        String type = t.string("type", null);
        if (type == null) throw t.error("type", "required key is missing");
        if (!AutoAugment.TRANSFORMS.contains(type))
            throw t.error("type", "AutoAugment / RandAugment here take only " + String.join(", ", AutoAugment.TRANSFORMS)
                    + "; got '" + type + "'");
        ImageStep step = augmentTransform(t, type);
        t.finish();
        return step;
    }

    /**
     * MMCV's RandomChoice {@code prob}: absent (uniform) or one number per candidate, each {@code >= 0}, whose Python sum
     * is exactly 1 (MMCV asserts {@code sum(prob) == 1}).
     */
    private static List<Double> choiceProb(ConfigNode s, int n, String what) {
        List<Double> p = s.doubleList("prob", null);
        if (p == null) return List.of();
        if (p.size() != n) throw s.error("prob", "needs one probability per " + what + " (" + n + "), got " + p.size());
        double sum = 0;
        for (double v : p) {
            if (!(v >= 0)) throw s.error("prob", "every probability must be >= 0, got " + p);
            sum += v;
        }
        if (sum != 1) throw s.error("prob", "must add up to exactly 1 (MMCV asserts sum(prob) == 1), got " + sum);
        return p;
    }

    /** {@code img_scale}: two positive integers (MMDetection asserts a tuple; its code reads [0] as the height). */
    private static List<Integer> imgScale(ConfigNode s, List<Integer> def) {
        List<Integer> v = s.intList("img_scale", def);
        if (v.size() != 2 || v.get(0) <= 0 || v.get(1) <= 0) throw s.error("img_scale", "must be two positive integers (h, w), got " + v);
        return v;
    }

    /** A list of {@code n} numbers. */
    private static List<Double> numbers(ConfigNode s, String key, List<Double> def, int n) {
        List<Double> v = s.doubleList(key, def);
        if (v == null) throw s.error(key, "required key is missing");
        if (v.size() != n) throw s.error(key, "must be " + n + " numbers, got " + v);
        return v;
    }

    /** A finite number. */
    private static double finite(ConfigNode s, String key, double def) {
        double v = s.number(key, def);
        if (!Double.isFinite(v)) throw s.error(key, "must be a finite number, got " + v);
        return v;
    }

    /** {@code [lo, hi]} with {@code 0 <= lo <= hi}. */
    private static double[] range(ConfigNode s, String key, double lo, double hi) {
        List<Double> r = s.doubleList(key, List.of(lo, hi));
        if (r.size() != 2 || !(r.get(0) >= 0) || !(r.get(0) <= r.get(1)) || Double.isInfinite(r.get(1)))
            throw s.error(key, "must be [lo, hi] with 0 <= lo <= hi, got " + r);
        return new double[] {r.get(0), r.get(1)};
    }
}
