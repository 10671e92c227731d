package autoassign.data;

/**
 * A single-image step that only transforms the image and its boxes with its own draws (it never rejects the image, has
 * no settings the caller overrides): {@link Pipeline} applies every one of them the same way.
 */
public sealed interface ImageStep extends Transform permits Expand, MinIoURandomCrop, RandomShift, CutOut, RandomAffine,
        YoloxHsvRandomAug, Pad, GeometricAugment, ColorAugment, AutoAugment, RandAugment, RandomErasing,
        RandomCenterCropPad, ToFloat32 {
    /** Transforms the state in place, drawing from {@code draws} (a step without random decisions ignores them). */
    void apply(TransformState s, SampleDraws draws);
}
