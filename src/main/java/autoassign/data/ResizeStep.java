package autoassign.data;

/**
 * The keep-ratio Resize (also RandomResize / RandomChoiceResize) in its place in the pipeline. Its scale is the
 * pipeline's ({@link PipelineOptions#scaleLong()}, {@link PipelineOptions#scaleShort()}) or, with multi-scale
 * training, the image's draw from {@link PipelineOptions#multiScale()}, so evaluation can change it per variant.
 */
public record ResizeStep() implements Transform {
    public static final ResizeStep INSTANCE = new ResizeStep();

    @Override public String type() { return "Resize"; }
}
