package autoassign.config;

import autoassign.data.ResizeStep;
import autoassign.data.Transform;

import java.util.ArrayList;
import java.util.List;

/**
 * A dataset's {@code pipeline}, written as MMDetection's list of transforms and reduced to its settings.
 * Accepted steps: {@code LoadImageFromFile}, {@code LoadAnnotations} ({@code with_bbox: true}),
 * {@code Resize} ({@code scale: [w, h]}, {@code keep_ratio}: true keeps the aspect ratio, false (MMCV's default)
 * stretches to w × h; {@code clip_object_border}), mmdet's {@code FixShapeResize} ({@code width}, {@code height},
 * {@code keep_ratio}, {@code pad_val}, {@code clip_object_border}; {@link ResizeConfig}), in training pipelines also the
 * multi-scale {@code RandomResize} ({@code scale: [[w, h], [w, h]]}: each edge drawn between the two) and
 * {@code RandomChoiceResize} ({@code scales: [[w, h], ...]}: one of them), with the Resize's keys, the augmentations {@code RandomFlip}
 * ({@code prob}, {@code direction}), {@code RandomCrop}, {@code PhotoMetricDistortion}, {@code Expand},
 * {@code MinIoURandomCrop}, {@code RandomShift}, {@code CutOut}, {@code RandomAffine} and {@code YOLOXHSVRandomAug}, the
 * AutoAugment family ({@code AutoAugment}, {@code RandAugment} and their fifteen transforms, {@code ShearX} … {@code Invert}),
 * {@code RandomErasing}, {@code RandomCenterCropPad} (training mode; it needs a float32 image: {@code LoadImageFromFile}'s
 * {@code to_float32: true} or a float step before it), MMCV's wrappers {@code Compose}, {@code RandomApply} and
 * {@code RandomChoice} ({@link WrapperConfig}),
 * YOLOX's {@code Pad} and {@code FilterAnnotations}, RTMDet's {@code CachedMosaic} and {@code CachedMixUp} (a training
 * dataset's own pipeline only; {@link TransformConfig}), and {@code PackDetInputs}. A test pipeline has one resize
 * step, at its top level (evaluation sets its scale); a training pipeline may have several, at the top level and inside
 * wrappers: its first top-level one takes the pipeline's scale ({@link #scale}), the others carry their own
 * ({@link autoassign.data.OwnScaleResize}). The per-image steps run in the listed order ({@link #transforms()}).
 *
 * @param steps     the step types in order
 * @param scale     Resize {@code scale} as MMDetection writes it, (w, h) = (1333, 800) (FixShapeResize's (width, height));
 *                  with keep_ratio it is (long edge, short edge) limits, without it the exact size; for a multi-scale
 *                  step its first scale; empty for a Resize by {@code scale_factor}
 * @param flipProb  the probability that RandomFlip flips, in any direction (0 when there is no RandomFlip)
 * @param scales    the multi-scale step's scales (the two ends of a RandomResize range), or empty for Resize
 * @param scaleRange true for RandomResize, false for RandomChoiceResize (and Resize)
 * @param ratioRange RandomResize's {@code ratio_range} [lo, hi] (with one {@code scale}), or empty
 * @param transforms the per-image steps after decoding, in the listed order: the resize step, and in a training
 *                   pipeline its augmentations
 */
public record PipelineConfig(List<String> steps, List<Integer> scale, double flipProb, List<List<Integer>> scales,
                             boolean scaleRange, List<Double> ratioRange, List<Transform> transforms) {
    public PipelineConfig {
        steps = List.copyOf(steps);
        scale = List.copyOf(scale);
        scales = List.copyOf(scales);
        ratioRange = List.copyOf(ratioRange);
        transforms = List.copyOf(transforms);
    }

    /** The resize step's {@code keep_ratio} (true for a pipeline without a resize step). */
    public boolean keepRatio() { return resizeStep() == null || resizeStep().keepRatio(); }

    /** The resize step (how the scale is applied), or null for a MultiImageMixDataset's part without one. */
    public ResizeStep resizeStep() {
        for (Transform t : transforms) if (t instanceof ResizeStep r) return r;
        return null;
    }

    /** {@code scale[0]}: the width of a stretched resize; 0 without a scale (a Resize by {@code scale_factor}). */
    public int scaleW() { return scale.isEmpty() ? 0 : scale.get(0); }

    /** {@code scale[1]}: the height of a stretched resize; 0 without a scale. */
    public int scaleH() { return scale.isEmpty() ? 0 : scale.get(1); }

    /** The multi-scale sampler of a training pipeline, or null for a single Resize scale. */
    public autoassign.data.ScaleSampler multiScale() {
        if (scales.isEmpty()) return null;
        if (!ratioRange.isEmpty())
            return autoassign.data.ScaleSampler.ratio(scales.get(0).get(0), scales.get(0).get(1), ratioRange.get(0), ratioRange.get(1));
        List<int[]> s = new ArrayList<>();
        for (List<Integer> wh : scales) s.add(new int[] {wh.get(0), wh.get(1)});
        return new autoassign.data.ScaleSampler(s, scaleRange);
    }

    /** The larger scale number (a keep-ratio resize's long-edge limit). */
    public int scaleLong() { return Math.max(scaleW(), scaleH()); }

    /** The smaller scale number (a keep-ratio resize's short-edge limit). */
    public int scaleShort() { return Math.min(scaleW(), scaleH()); }

    /** Where a pipeline is: a dataset's own, the one inside a MultiImageMixDataset, or that wrapper's. */
    enum Role { DATASET, WRAPPED, WRAPPER }

    static PipelineConfig from(ConfigNode parent, String key, boolean train) { return from(parent, key, train, Role.DATASET, List.of()); }

    /**
     * A pipeline in its role: a dataset's own needs a resize step; inside a MultiImageMixDataset the wrapped dataset's
     * and the wrapper's together need one ({@link #mixed}); only the wrapper's may list Mosaic / MixUp, and no loading.
     * Steps whose type is in {@code skip} (the wrapper's {@code skip_type_keys}) are checked and left out.
     */
    static PipelineConfig from(ConfigNode parent, String key, boolean train, Role role, List<String> skip) {
        List<ConfigNode> list = parent.childList(key);
        if (list.isEmpty())
            throw parent.error(key, role == Role.DATASET ? "required: a list of transforms with at least a Resize step"
                    : "required: a list of transforms");
        List<String> steps = new ArrayList<>();
        List<Integer> scale = null;
        double flip = 0;
        List<List<Integer>> scales = List.of();
        boolean scaleRange = false;
        List<Double> ratioRange = List.of();
        List<Transform> transforms = new ArrayList<>();
        List<String> seen = new ArrayList<>(); // the types so far, also those inside wrappers (for the float-image check)
        for (ConfigNode s : list) {
            int before = transforms.size();
            List<Integer> scaleBefore = scale;
            List<Double> ratioBefore = ratioRange;
            List<List<Integer>> scalesBefore = scales;
            double flipBefore = flip;
            boolean rangeBefore = scaleRange;
            String type = s.choice("type", null, "LoadImageFromFile", "LoadAnnotations", "Resize", "FixShapeResize", "RandomResize",
                    "RandomChoiceResize", "RandomFlip", "RandomCrop", "PhotoMetricDistortion", "Expand", "MinIoURandomCrop",
                    "RandomShift", "CutOut", "RandomAffine", "YOLOXHSVRandomAug", "Pad", "FilterAnnotations", "Mosaic", "MixUp",
                    "CachedMosaic", "CachedMixUp", "AutoAugment", "RandAugment", "ShearX", "ShearY", "Rotate", "TranslateX",
                    "TranslateY", "Color", "Brightness", "Contrast", "Sharpness", "Solarize", "SolarizeAdd", "Posterize", "Equalize",
                    "AutoContrast", "Invert", "RandomErasing", "RandomCenterCropPad", "Compose", "RandomApply", "RandomChoice",
                    "PackDetInputs");
            if (type == null) throw s.error("type", "required key is missing");
            if (type.equals("CachedMosaic") || type.equals("CachedMixUp")) {
                if (!train) throw s.error("type", type + " only belongs in a training pipeline");
                if (role != Role.DATASET)
                    throw s.error("type", type + " mixes with earlier images of its own dataset pipeline: it belongs in a dataset's"
                            + " pipeline, not in a MultiImageMixDataset (use " + type.substring(6) + " there)");
            }
            if ((type.equals("Mosaic") || type.equals("MixUp")) && role != Role.WRAPPER)
                throw s.error("type", type + " mixes several images: it belongs in the pipeline of a MultiImageMixDataset"
                        + " wrapper (type: MultiImageMixDataset, dataset: {...}, pipeline: [...]), as in MMDetection's YOLOX configs");
            if (role == Role.WRAPPER && (type.equals("LoadImageFromFile") || type.equals("LoadAnnotations")))
                throw s.error("type", type + " belongs in the pipeline of the dataset the MultiImageMixDataset wraps");
            // a wrapper's draws are keyed by its place, so wrappers may repeat (their steps draw on their own forks)
            // so are a training pipeline's resizes (the later ones carry their own scales and draws; a test pipeline's
            // second resize is refused below)
            if (steps.contains(type) && !WrapperConfig.TYPES.contains(type) && !RESIZES.contains(type))
                throw s.error("type", "step " + type + " appears twice");
            switch (type) {
                case "LoadImageFromFile" -> {
                    s.localFilesOnly();
                    if (s.bool("to_float32", false)) { // MMCV's img.astype(np.float32) right after decoding
                        transforms.add(new autoassign.data.ToFloat32());
                        seen.add(FLOAT_LOAD);
                    }
                    if (s.has("file_client_args")) { // MMDetection 3.0's spelling of the same
                        ConfigNode fc = s.child("file_client_args");
                        fc.fixed("backend", "disk");
                        fc.finish();
                    }
                }
                case "LoadAnnotations" -> {
                    if (!s.bool("with_bbox", true)) throw s.error("with_bbox", "must be true");
                    if (s.bool("with_mask", false)) // e.g. MMDetection's LVIS / *_instance dataset bases
                        throw s.error("with_mask", "instance masks are not supported (this engine trains and evaluates boxes only);"
                                + " set with_mask=False");
                }
                case "Resize", "FixShapeResize", "RandomResize", "RandomChoiceResize" -> {
                    boolean multi = type.startsWith("Random");
                    if (multi && !train) throw s.error("type", type + " only belongs in a training pipeline");
                    if (scale != null) {
                        // a training pipeline's later resizes carry their own scales (DETR-family chains); evaluation
                        // replaces the scale of a test pipeline's one resize, so a test pipeline keeps exactly one
                        if (!train) throw s.error("type", "one resize step per test pipeline (evaluation sets its scale)");
                        transforms.add(resizeSpec(s, type).own(transforms.size()));
                    } else {
                        ResizeSpec r = resizeSpec(s, type);
                        scale = r.scale();
                        scales = r.scales();
                        scaleRange = r.range();
                        ratioRange = r.ratioRange();
                        transforms.add(r.step());
                    }
                }
                case "Pad", "FilterAnnotations" -> {
                    if (!train && type.equals("FilterAnnotations")) {
                        // it only edits the packed gt_instances, which CocoMetric / VOCMetric do not read (they score
                        // against the annotation file): no effect on evaluation, so its keys are checked and it is skipped.
                        // (With keep_empty true, MMDetection's test loop stops at an image whose every box it filters out.)
                        TransformConfig.filterAnnotations(s);
                    } else {
                        if (!train && scale == null) throw s.error("type", "Pad belongs after the Resize in a test pipeline");
                        transforms.add(type.equals("Pad") ? TransformConfig.pad(s) : TransformConfig.filterAnnotations(s));
                    }
                }
                case "RandomCenterCropPad" -> {
                    autoassign.data.RandomCenterCropPad t = TransformConfig.centerCropPad(s); // refuses test_mode, saying why
                    if (!train) throw s.error("type", type + " with test_mode: false crops at random: it only belongs in a training pipeline");
                    // a MultiImageMixDataset wrapper's steps follow the wrapped pipeline's: the step checks the image itself
                    if (role != Role.WRAPPER && seen.stream().noneMatch(FLOAT_STEPS::contains))
                        throw s.error("type", type + " needs a float32 image (MMDetection asserts it): set to_float32: true in"
                                + " LoadImageFromFile, or list it after PhotoMetricDistortion");
                    transforms.add(t);
                }
                case "Mosaic" -> transforms.add(TransformConfig.mosaic(s));
                case "CachedMosaic" -> transforms.add(TransformConfig.cachedMosaic(s));
                case "CachedMixUp" -> transforms.add(TransformConfig.cachedMixUp(s));
                case "MixUp" -> transforms.add(TransformConfig.mixUp(s));
                case "RandomFlip", "RandomCrop", "PhotoMetricDistortion", "Expand", "MinIoURandomCrop", "RandomShift", "CutOut",
                        "RandomAffine", "YOLOXHSVRandomAug", "RandomErasing" -> {
                    if (!train) throw s.error("type", type + " only belongs in a training pipeline");
                    Transform t = switch (type) {
                        case "RandomFlip" -> TransformConfig.flip(s);
                        case "RandomCrop" -> TransformConfig.crop(s);
                        case "PhotoMetricDistortion" -> TransformConfig.photometric(s);
                        case "Expand" -> TransformConfig.expand(s);
                        case "MinIoURandomCrop" -> TransformConfig.minIouCrop(s);
                        case "RandomShift" -> TransformConfig.shift(s);
                        case "CutOut" -> TransformConfig.cutOut(s);
                        case "RandomAffine" -> TransformConfig.affine(s);
                        case "RandomErasing" -> TransformConfig.randomErasing(s);
                        default -> TransformConfig.yoloxHsv(s);
                    };
                    if (t instanceof autoassign.data.RandomFlip f) flip = f.totalProb();
                    transforms.add(t);
                }
                case "AutoAugment", "RandAugment", "ShearX", "ShearY", "Rotate", "TranslateX", "TranslateY", "Color", "Brightness",
                        "Contrast", "Sharpness", "Solarize", "SolarizeAdd", "Posterize", "Equalize", "AutoContrast", "Invert" ->
                        transforms.add(autoAugmentFamily(s, type, train, seen));
                case "Compose", "RandomApply", "RandomChoice" -> {
                    if (!train) throw s.error("type", type + " only belongs in a training pipeline");
                    transforms.add(WrapperConfig.wrapper(s, type, transforms.size(), seen));
                }
                case "PackDetInputs" -> s.raw("meta_keys"); // accepted, informational
                default -> { }
            }
            s.finish();
            if (skip.contains(type)) { // MultiImageMixDataset's skip_type_keys: built (so checked), never run
                transforms.subList(before, transforms.size()).clear();
                scale = scaleBefore;
                scales = scalesBefore;
                ratioRange = ratioBefore;
                flip = flipBefore;
                scaleRange = rangeBefore;
                continue;
            }
            steps.add(type);
            seen.add(type);
        }
        if (scale == null) scale = ownBound(transforms); // a training pipeline resizing only in wrappers: their bound
        if (scale == null && role == Role.DATASET)
            throw parent.error(key, "needs a Resize step (in a training pipeline it may be inside Compose / RandomApply / RandomChoice)");
        return new PipelineConfig(steps, scale == null ? List.of() : scale, flip, scales, scaleRange, ratioRange, transforms);
    }

    /**
     * One resize step's settings: {@code Resize} / {@code FixShapeResize} ({@link ResizeConfig}), or the multi-scale
     * {@code RandomResize} ({@code scale: [[w, h], [w, h]]}, or one scale with {@code ratio_range}) and
     * {@code RandomChoiceResize} ({@code scales}) with the Resize's keys.
     */
    record ResizeSpec(ResizeStep step, List<Integer> scale, List<List<Integer>> scales, boolean range, List<Double> ratioRange) {
        /** The multi-scale sampler, or null for a fixed scale. */
        autoassign.data.ScaleSampler sampler() {
            if (scales.isEmpty()) return null;
            if (!ratioRange.isEmpty())
                return autoassign.data.ScaleSampler.ratio(scales.get(0).get(0), scales.get(0).get(1), ratioRange.get(0), ratioRange.get(1));
            List<int[]> s = new ArrayList<>();
            for (List<Integer> wh : scales) s.add(new int[] {wh.get(0), wh.get(1)});
            return new autoassign.data.ScaleSampler(s, range);
        }

        /** As a resize with its own scale at {@code site} of its list (a later or wrapped resize of a training pipeline). */
        autoassign.data.OwnScaleResize own(int site) {
            return new autoassign.data.OwnScaleResize(step, scale.isEmpty() ? 0 : scale.get(0), scale.isEmpty() ? 0 : scale.get(1),
                    sampler(), site);
        }
    }

    static ResizeSpec resizeSpec(ConfigNode s, String type) {
        if (type.equals("Resize") || type.equals("FixShapeResize")) {
            ResizeConfig.Parsed r = type.equals("Resize") ? ResizeConfig.resize(s) : ResizeConfig.fixShape(s);
            return new ResizeSpec(r.step(), r.scale() == null ? List.of() : r.scale(), List.of(), false, List.of());
        }
        boolean range = type.equals("RandomResize");
        String k = range ? "scale" : "scales";
        List<List<Integer>> scales;
        List<Double> ratioRange = List.of();
        if (range && s.has("ratio_range")) { // MMCV: one scale times a ratio drawn from the range
            List<Double> r = s.doubleList("ratio_range", null);
            if (r.size() != 2 || !(r.get(0) > 0) || r.get(0) > r.get(1))
                throw s.error("ratio_range", "must be [lo, hi] with 0 < lo <= hi, got " + r);
            com.fasterxml.jackson.databind.JsonNode v = s.raw("scale");
            List<Integer> one = v == null ? null : positivePair(v);
            if (one == null)
                throw s.error("scale", "with ratio_range, one scale [w, h] of two positive sizes, got "
                        + (v == null ? "nothing" : ConfigNode.describe(v)));
            ratioRange = r;
            scales = List.of(one);
        } else {
            scales = scaleList(s, k);
            if (range && scales.size() != 2)
                throw s.error(k, "RandomResize takes exactly two scales [[w, h], [w, h]] (or one with ratio_range), got "
                        + scales.size());
        }
        ResizeStep resize = ResizeConfig.resizeKwargs(s); // keep_ratio False (MMCV's default): stretched to the draw
        return new ResizeSpec(resize, scales.get(0), scales, range, ratioRange);
    }

    /** The resize types (each parsed by {@link #resizeSpec}). */
    static final List<String> RESIZES = List.of("Resize", "RandomResize", "RandomChoiceResize", "FixShapeResize");

    /**
     * For a pipeline whose resizes all carry their own scales (inside wrappers): the largest (w, h) any of them may draw,
     * {@link autoassign.data.OwnScaleResize#maxScale()} per side ([0, 0] when all resize by scale_factor), standing in for
     * the pipeline's scale in descriptions and estimates; null when there is no resize at all.
     */
    static List<Integer> ownBound(List<Transform> transforms) {
        List<autoassign.data.OwnScaleResize> own = autoassign.data.PipelineOptions.ownResizesOf(transforms);
        if (own.isEmpty()) return null;
        int w = 0, h = 0;
        for (autoassign.data.OwnScaleResize r : own) {
            int[] m = r.maxScale();
            w = Math.max(w, m[0]);
            h = Math.max(h, m[1]);
        }
        return List.of(w, h);
    }

    /** What {@code seen} records for {@code LoadImageFromFile(to_float32=True)}. */
    private static final String FLOAT_LOAD = "LoadImageFromFile(to_float32)";

    /** The steps that leave a float image (NumPy's float32 / float64 arrays in MMDetection). */
    private static final List<String> FLOAT_STEPS = List.of(FLOAT_LOAD, "PhotoMetricDistortion", "MixUp", "CachedMixUp");

    /**
     * A step of the AutoAugment family (training only). Posterize, Equalize and AutoContrast need 8-bit pixels (MMCV
     * shifts bits and indexes tables with them), so a step that may run one is refused after a step that makes the
     * image float, where MMDetection would fail on the first such image.
     */
    static Transform autoAugmentFamily(ConfigNode s, String type, boolean train, List<String> before) {
        if (!train) throw s.error("type", type + " only belongs in a training pipeline");
        autoassign.data.ImageStep t = switch (type) {
            case "AutoAugment" -> TransformConfig.autoAugment(s);
            case "RandAugment" -> TransformConfig.randAugment(s);
            default -> TransformConfig.augmentTransform(s, type);
        };
        List<autoassign.data.ImageStep> runs = t instanceof autoassign.data.AutoAugment a ? a.policies().stream().flatMap(List::stream).toList()
                : t instanceof autoassign.data.RandAugment r ? r.space() : List.of(t);
        String floatStep = before.stream().filter(FLOAT_STEPS::contains).findFirst().orElse(null);
        if (floatStep != null && autoassign.data.AutoAugment.needsBytes(runs))
            throw s.error("type", type + " may run Posterize, Equalize or AutoContrast, which need an 8-bit image, but the earlier "
                    + floatStep + " makes it float (MMDetection fails there): list " + type + " before " + floatStep);
        return t;
    }

    /**
     * A MultiImageMixDataset's steps as one pipeline: the wrapped dataset's, the wrapper's {@code mark}, the wrapper's;
     * the two together need a resize (the first top-level one takes the pipeline's scale; when both parts have one, the
     * wrapper's carries its own, {@link autoassign.data.OwnScaleResize}).
     */
    static PipelineConfig mixed(PipelineConfig wrapped, PipelineConfig wrapper, autoassign.data.MultiImageMixDataset mark,
                                ConfigNode at, String key) {
        List<String> steps = new ArrayList<>(wrapped.steps);
        steps.add(mark.type());
        List<Transform> transforms = new ArrayList<>(wrapped.transforms);
        transforms.add(mark);
        transforms.addAll(wrapper.transforms);
        steps.addAll(wrapper.steps);
        if (wrapped.resizeStep() != null && wrapper.resizeStep() != null) {
            // both parts resize: the wrapper's, on the mixed image, carries its own scale (as a later resize of one pipeline)
            int at2 = wrapped.transforms.size() + 1 + wrapper.transforms.indexOf(wrapper.resizeStep());
            transforms.set(at2, new autoassign.data.OwnScaleResize(wrapper.resizeStep(), wrapper.scaleW(), wrapper.scaleH(),
                    wrapper.multiScale(), at2));
        }
        long resizes = transforms.stream().filter(t -> t instanceof ResizeStep).count();
        if (resizes == 0 && ownBound(transforms) == null)
            throw at.error(key, "needs a Resize step (in the wrapper's pipeline or the wrapped dataset's)");
        PipelineConfig r = wrapped.resizeStep() != null ? wrapped : wrapper.resizeStep() != null ? wrapper
                : !wrapped.scale.isEmpty() || wrapper.scale.isEmpty() ? wrapped : wrapper;
        double flip = wrapped.flipProb > 0 ? wrapped.flipProb : wrapper.flipProb;
        return new PipelineConfig(steps, r.scale, flip, r.scales, r.scaleRange, r.ratioRange, transforms);
    }

    /** A non-empty list of [w, h] pairs of positive sizes. */
    private static List<List<Integer>> scaleList(ConfigNode s, String key) {
        com.fasterxml.jackson.databind.JsonNode v = s.raw(key);
        if (v == null || v.isNull()) throw s.error(key, "required key is missing");
        if (!v.isArray() || v.isEmpty()) throw s.error(key, "must be a list of [w, h] scales, got " + ConfigNode.describe(v));
        List<List<Integer>> out = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode wh : v) {
            List<Integer> pair = positivePair(wh);
            if (pair == null) throw s.error(key, "every scale must be two positive sizes [w, h], got " + ConfigNode.describe(wh));
            out.add(pair);
        }
        return out;
    }

    /** {@code [w, h]} as two positive ints, or null when {@code wh} is anything else. */
    private static List<Integer> positivePair(com.fasterxml.jackson.databind.JsonNode wh) {
        if (!wh.isArray() || wh.size() != 2) return null;
        for (com.fasterxml.jackson.databind.JsonNode x : wh)
            if (!x.isIntegralNumber() || !x.canConvertToInt() || x.asInt() <= 0) return null;
        return List.of(wh.get(0).asInt(), wh.get(1).asInt());
    }
}
