package autoassign.config;

import autoassign.data.Transform;
import autoassign.data.TransformWrapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * MMCV 2.x's wrappers of sub-pipelines in a training pipeline ({@code mmcv/transforms/wrappers.py}): {@code Compose}
 * ({@code transforms}), {@code RandomApply} ({@code transforms}, {@code prob} 0.5) and {@code RandomChoice}
 * ({@code transforms}, a list of candidates, each a transform or a list of them; {@code prob} null or one float per
 * candidate adding up to 1, MMCV's asserts). Inside, every single-image step of a training pipeline, further wrappers
 * and resize steps ({@code Resize}, {@code RandomResize}, {@code RandomChoiceResize}, {@code FixShapeResize}, each with
 * its own scale and draw: {@link autoassign.data.OwnScaleResize}, as DETR's {@code RandomChoice} of resize chains);
 * refused with a one-line error: loading / packing, and the multi-image or cached steps.
 */
final class WrapperConfig {
    private WrapperConfig() {}

    /** The wrappers' MMCV names. */
    static final List<String> TYPES = List.of("Compose", "RandomApply", "RandomChoice");

    /** The steps a wrapper may hold (training pipeline steps that work on one image). */
    private static final List<String> INNER = List.of("RandomFlip", "RandomCrop", "PhotoMetricDistortion", "Expand",
            "MinIoURandomCrop", "RandomShift", "CutOut", "RandomAffine", "YOLOXHSVRandomAug", "RandomErasing", "Pad",
            "FilterAnnotations", "AutoAugment", "RandAugment", "ShearX", "ShearY", "Rotate", "TranslateX", "TranslateY", "Color",
            "Brightness", "Contrast", "Sharpness", "Solarize", "SolarizeAdd", "Posterize", "Equalize", "AutoContrast", "Invert",
            "Compose", "RandomApply", "RandomChoice", "Resize", "RandomResize", "RandomChoiceResize", "FixShapeResize");


    /**
     * The wrapper {@code type} at {@code s}, the {@code site}-th step of its list. {@code seen} collects the types read
     * so far (inside wrappers too), for the AutoAugment family's float-image check.
     */
    static TransformWrapper wrapper(ConfigNode s, String type, int site, List<String> seen) {
        JsonNode v = s.raw("transforms");
        if (v == null) throw s.error("transforms", "required key is missing");
        String key = s.key("transforms");
        return switch (type) {
            case "Compose" -> TransformWrapper.compose(sequence(s, v, key, seen), site);
            case "RandomApply" -> {
                List<Transform> steps = sequence(s, v, key, seen);
                double p = s.number("prob", 0.5); // MMCV: np.random.rand() < prob, no range check
                if (!Double.isFinite(p)) throw s.error("prob", "must be a finite number, got " + p);
                yield TransformWrapper.randomApply(steps, p, site);
            }
            default -> {
                if (!v.isArray() || v.isEmpty())
                    throw s.error("transforms", "must be a non-empty list of candidates, each a transform or a list of"
                            + " transforms, got " + ConfigNode.describe(v));
                List<List<Transform>> candidates = new ArrayList<>();
                for (int i = 0; i < v.size(); i++) candidates.add(sequence(s, v.get(i), key + "[" + i + "]", seen));
                yield TransformWrapper.randomChoice(candidates, choiceProb(s, candidates.size()), site);
            }
        };
    }

    /** MMCV's {@code Compose(transforms)}: one transform (a mapping) or a list of them. */
    private static List<Transform> sequence(ConfigNode s, JsonNode v, String key, List<String> seen) {
        List<Transform> out = new ArrayList<>();
        if (v.isObject()) {
            out.add(inner(new ConfigNode(s.source(), key, (ObjectNode) v), 0, seen));
            return out;
        }
        if (!v.isArray())
            throw new ConfigException(s.source(), key, "must be a transform or a list of transforms, got " + ConfigNode.describe(v));
        for (int j = 0; j < v.size(); j++) {
            JsonNode e = v.get(j);
            String k = key + "[" + j + "]";
            if (!e.isObject()) throw new ConfigException(s.source(), k, "must be a transform (a mapping with a type), got " + ConfigNode.describe(e));
            out.add(inner(new ConfigNode(s.source(), k, (ObjectNode) e), j, seen));
        }
        return out;
    }

    /** One step inside a wrapper, its keys checked. */
    private static Transform inner(ConfigNode t, int site, List<String> seen) {
        String type = t.string("type", null);
        if (type == null) throw t.error("type", "required key is missing");
        if (List.of("LoadImageFromFile", "LoadAnnotations", "PackDetInputs").contains(type))
            throw t.error("type", type + " belongs at the top level of the pipeline, not inside a wrapper");
        if (List.of("Mosaic", "MixUp", "CachedMosaic", "CachedMixUp").contains(type))
            throw t.error("type", type + " mixes several images and cannot run inside Compose / RandomApply / RandomChoice here");
        if (!INNER.contains(type))
            throw t.error("type", "'" + type + "' is not supported inside a wrapper; one of " + String.join(", ", INNER));
        Transform out = switch (type) {
            case "Compose", "RandomApply", "RandomChoice" -> wrapper(t, type, site, seen);
            // its own scale and draw (keyed by its place): a DETR-style chain resizes, crops, resizes again
            case "Resize", "RandomResize", "RandomChoiceResize", "FixShapeResize" -> PipelineConfig.resizeSpec(t, type).own(site);
            case "RandomFlip" -> TransformConfig.flip(t);
            case "RandomCrop" -> TransformConfig.crop(t);
            case "PhotoMetricDistortion" -> TransformConfig.photometric(t);
            case "Expand" -> TransformConfig.expand(t);
            case "MinIoURandomCrop" -> TransformConfig.minIouCrop(t);
            case "RandomShift" -> TransformConfig.shift(t);
            case "CutOut" -> TransformConfig.cutOut(t);
            case "RandomAffine" -> TransformConfig.affine(t);
            case "YOLOXHSVRandomAug" -> TransformConfig.yoloxHsv(t);
            case "RandomErasing" -> TransformConfig.randomErasing(t);
            case "Pad" -> TransformConfig.pad(t);
            case "FilterAnnotations" -> TransformConfig.filterAnnotations(t);
            default -> PipelineConfig.autoAugmentFamily(t, type, true, seen);
        };
        t.finish();
        seen.add(type);
        return out;
    }

    /**
     * RandomChoice's {@code prob}: null (uniform) or, as MMCV asserts, floats ({@code is_seq_of(prob, float)}), one per
     * candidate, adding up to exactly 1 (Python's sum); each {@code >= 0} (NumPy's {@code choice} refuses negatives).
     */
    private static List<Double> choiceProb(ConfigNode s, int n) {
        JsonNode v = s.raw("prob");
        if (v == null) return List.of();
        if (!v.isArray()) throw s.error("prob", "must be a list of floats, one per candidate, got " + ConfigNode.describe(v));
        if (v.size() != n) throw s.error("prob", "needs one probability per candidate (" + n + "), got " + v.size());
        List<Double> p = new ArrayList<>();
        double sum = 0;
        for (JsonNode e : v) {
            if (!e.isFloatingPointNumber())
                throw s.error("prob", "every probability must be a float (MMCV asserts is_seq_of(prob, float)), got " + ConfigNode.describe(e));
            if (!(e.asDouble() >= 0)) throw s.error("prob", "every probability must be >= 0, got " + e.asDouble());
            p.add(e.asDouble());
            sum += e.asDouble();
        }
        if (sum != 1) throw s.error("prob", "must add up to exactly 1 (MMCV asserts sum(prob) == 1), got " + sum);
        return p;
    }
}
