package autoassign.data;

import java.util.List;

/**
 * The pipeline's top-level resize step, the one taking the pipeline's scale (a training pipeline's other resizes carry
 * their own: {@link OwnScaleResize}): MMDetection's {@code Resize} (also what {@code RandomResize} /
 * {@code RandomChoiceResize} build) or {@code FixShapeResize}. Its scale (w, h) is the pipeline's
 * ({@link PipelineOptions#scaleW()}, {@link PipelineOptions#scaleH()}) or, with multi-scale training, the image's draw
 * from {@link PipelineOptions#multiScale()}, so evaluation can change it per variant; this record holds how the scale is
 * applied ({@link #geometry}):
 * <ul>
 *   <li>{@code keepRatio} (mmcv {@code imrescale}): as large as fits in (long, short) limits, AA_1 §5; the order of the
 *       scale's two numbers does not matter;</li>
 *   <li>not {@code keepRatio} (mmcv {@code imresize}; {@code FixShapeResize(keep_ratio=False)} is the same): stretched to
 *       exactly w × h, {@code scale_factor = (w / ori_w, h / ori_h)};</li>
 *   <li>{@code FixShapeResize(keep_ratio=True)} ({@link #padFill()} set): rescaled by {@code min(w / ori_w, h / ori_h)},
 *       that factor recorded for both axes, then padded at the bottom / right to w × h with {@code pad_val}.</li>
 * </ul>
 * A Resize given {@code scale_factor} instead of {@code scale} ({@link #byFactor()}) takes its scale from each image's
 * size, {@code _scale_size((w, h), scale_factor)}, and ignores the pipeline's. Boxes are multiplied by the scale factor
 * in float32 and, with {@code clipObjectBorder} (mmcv's default), clipped to the resized image (before
 * FixShapeResize's padding).
 *
 * @param type             {@code Resize} or {@code FixShapeResize} (for messages)
 * @param keepRatio        {@code keep_ratio}
 * @param clipObjectBorder {@code clip_object_border}
 * @param padFill          FixShapeResize with {@code keep_ratio=True}: its Pad's fill per B, G, R channel; else null
 * @param factorW          Resize's {@code scale_factor[0]} when it has no {@code scale}, else 0
 * @param factorH          {@code scale_factor[1]}, else 0
 */
public record ResizeStep(String type, boolean keepRatio, boolean clipObjectBorder, List<Double> padFill, double factorW,
                         double factorH) implements Transform {
    /** The recipe's {@code Resize(keep_ratio=True)}. */
    public static final ResizeStep INSTANCE = new ResizeStep("Resize", true, true, null);

    /** A resize to the pipeline's scale. */
    public ResizeStep(String type, boolean keepRatio, boolean clipObjectBorder, List<Double> padFill) {
        this(type, keepRatio, clipObjectBorder, padFill, 0, 0);
    }

    public ResizeStep {
        if ((factorW == 0) != (factorH == 0) || factorW != 0 && !(factorW > 0 && factorH > 0 && Double.isFinite(factorW)
                && Double.isFinite(factorH)))
            throw new IllegalArgumentException("scale_factor must be two positive finite numbers, got " + factorW + ", " + factorH);
        if (factorW != 0 && !type.equals("Resize")) throw new IllegalArgumentException("only Resize takes a scale_factor");
        if (!type.equals("Resize") && !type.equals("FixShapeResize")) throw new IllegalArgumentException("not a resize type: " + type);
        if (padFill != null) {
            if (!type.equals("FixShapeResize") || !keepRatio)
                throw new IllegalArgumentException("only FixShapeResize with keep_ratio pads");
            padFill = List.copyOf(padFill);
            if (padFill.size() != 3) throw new IllegalArgumentException("a fill value per channel, got " + padFill);
        } else if (type.equals("FixShapeResize") && keepRatio) {
            throw new IllegalArgumentException("FixShapeResize with keep_ratio needs its pad values");
        }
    }

    /** mmcv's {@code Resize(keep_ratio=False)}: the image stretched to the scale. */
    public static ResizeStep stretch(boolean clipObjectBorder) { return new ResizeStep("Resize", false, clipObjectBorder, null); }

    /** mmcv's {@code Resize(keep_ratio=True)}. */
    public static ResizeStep keepRatio(boolean clipObjectBorder) { return new ResizeStep("Resize", true, clipObjectBorder, null); }

    /** mmdet's {@code FixShapeResize}; {@code padFill} is used with {@code keepRatio} only. */
    public static ResizeStep fixShape(boolean keepRatio, boolean clipObjectBorder, List<Double> padFill) {
        return new ResizeStep("FixShapeResize", keepRatio, clipObjectBorder, keepRatio ? padFill : null);
    }

    /** mmcv's {@code Resize(scale_factor=(fw, fh), keep_ratio=...)} without a {@code scale}. */
    public static ResizeStep byFactor(boolean keepRatio, boolean clipObjectBorder, double fw, double fh) {
        return new ResizeStep("Resize", keepRatio, clipObjectBorder, null, fw, fh);
    }

    /** True for FixShapeResize with keep_ratio: the rescaled image is padded to the scale. */
    public boolean padsToScale() { return padFill != null; }

    /** True for a Resize with a {@code scale_factor} and no {@code scale}: the pipeline's scale is not used. */
    public boolean byFactor() { return factorW > 0; }

    /**
     * The geometry of an h × w image resized to the scale (w = {@code scaleW}, h = {@code scaleH}); with a
     * {@code scale_factor}, to mmcv {@code Resize.transform}'s {@code _scale_size((w, h), scale_factor)} =
     * {@code (int(w * fw + 0.5), int(h * fh + 0.5))} instead.
     */
    public ResizeGeometry geometry(int h, int w, int scaleW, int scaleH) {
        if (padFill != null) return ResizeGeometry.fixShapeKeepRatio(h, w, scaleW, scaleH);
        if (byFactor()) {
            scaleW = (int) (w * factorW + 0.5);
            scaleH = (int) (h * factorH + 0.5);
            if (scaleW <= 0 || scaleH <= 0)
                throw new DataException("Resize: scale_factor (" + factorW + ", " + factorH + ") makes a " + w + "x" + h
                        + " image " + scaleW + "x" + scaleH + " (cv2.resize fails on an empty size)");
        }
        return keepRatio ? ResizeGeometry.keepRatio(h, w, scaleW, scaleH) : ResizeGeometry.stretch(h, w, scaleW, scaleH);
    }

    /** FixShapeResize's Pad ({@code Pad(size=(w, h), pad_val)}), for a scale (w, h). */
    Pad pad(int scaleW, int scaleH) { return new Pad(scaleW, scaleH, 0, false, padFill); }

    /** How a pipeline's description shows it: {@code Resize} for the recipe's, else {@link #settings()}. */
    public String describe() { return equals(INSTANCE) ? "Resize" : settings(); }

    /** Its type and settings, as MMDetection's keyword arguments. */
    public String settings() {
        return type + "(keep_ratio=" + (keepRatio ? "True" : "False") + ", clip_object_border=" + (clipObjectBorder ? "True" : "False")
                + (padFill == null ? "" : ", pad_val=" + padFill) + (byFactor() ? ", scale_factor=(" + factorW + ", " + factorH + ")" : "")
                + ")";
    }
}
