package autoassign.data;

/**
 * A resize step of a training pipeline that carries its own scale: a resize inside MMCV's wrappers ({@code Compose},
 * {@code RandomApply}, {@code RandomChoice}) or a second (third, ...) resize at the top level, as DETR-family configs
 * write them ({@code RandomChoice} between {@code RandomChoiceResize} and {@code RandomChoiceResize → RandomCrop →
 * RandomChoiceResize}). Unlike the pipeline's first top-level resize ({@link ResizeStep} with
 * {@link PipelineOptions#scaleW()} / {@link PipelineOptions#multiScale()}), nothing replaces its scale: evaluation, TTA
 * and {@code browse --scale} only change the top-level one.
 *
 * <p>It works as MMCV's {@code Resize} / {@code RandomResize} / {@code RandomChoiceResize} / mmdet's
 * {@code FixShapeResize} on the image as it is at that point (after a crop): the scale factor it records is its own,
 * {@code (new_w / w, new_h / h)} of its input (mmdet's {@code Resize._resize_img} overwrites {@code scale_factor}), and
 * boxes are scaled from their current values ({@code rescale_}). Its draw is draws {@code 2·site} and {@code 2·site + 1}
 * of the {@link SampleDraws#RESIZE} salt of the draws it runs on: inside a wrapper that is the fork of its place
 * ({@link TransformWrapper#drawsOf}), so equal steps in different places draw independently.
 *
 * @param step    how the scale is applied (keep_ratio, clip_object_border, FixShapeResize's padding, a scale_factor)
 * @param scaleW  the fixed scale's {@code scale[0]}, or a multi-scale step's first scale's (0 for a scale_factor Resize)
 * @param scaleH  {@code scale[1]}
 * @param sampler RandomResize / RandomChoiceResize's draw of the scale, or null for a fixed scale
 * @param site    the step's place in its list (keys its draws)
 */
public record OwnScaleResize(ResizeStep step, int scaleW, int scaleH, ScaleSampler sampler, int site) implements Transform {
    public OwnScaleResize {
        if (step == null) throw new IllegalArgumentException("a resize step is required");
        if (step.byFactor() ? scaleW != 0 || scaleH != 0 || sampler != null : scaleW <= 0 || scaleH <= 0)
            throw new IllegalArgumentException(step.byFactor() ? "a Resize by scale_factor has no scale"
                    : "resize scale must be positive: " + scaleW + "x" + scaleH);
        if (site < 0) throw new IllegalArgumentException("site must be >= 0: " + site);
    }

    @Override public String type() { return sampler == null ? step.type() : sampler.range() ? "RandomResize" : "RandomChoiceResize"; }

    /** The scale (w, h) this step resizes the image of these draws to (MMCV's draw of a multi-scale step). */
    public int[] scale(SampleDraws d) {
        if (sampler == null) return new int[] {scaleW, scaleH};
        return sampler.fromUnits(d.unit(SampleDraws.RESIZE, 2 * site), d.unit(SampleDraws.RESIZE, 2 * site + 1));
    }

    /** The largest (w, h) its scale may be: the fixed scale, the largest listed, or a range's / ratio's top end. */
    public int[] maxScale() {
        if (sampler == null) return new int[] {scaleW, scaleH};
        int w = 0, h = 0;
        for (int[] s : sampler.scales()) {
            w = Math.max(w, sampler.byRatio() ? (int) (s[0] * sampler.ratioHi()) : s[0]);
            h = Math.max(h, sampler.byRatio() ? (int) (s[1] * sampler.ratioHi()) : s[1]);
        }
        return new int[] {w, h};
    }

    @Override public String toString() {
        String scale = sampler != null ? sampler.toString() : step.byFactor() ? "each image's size" : scaleW + "x" + scaleH;
        return "resize to " + scale + " by " + step.settings();
    }
}
