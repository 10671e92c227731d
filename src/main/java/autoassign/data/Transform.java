package autoassign.data;

/**
 * One per-image step of a pipeline after decoding, applied in the order the config lists them, as MMDetection's
 * {@code Compose} does: the keep-ratio {@link ResizeStep}, {@link RandomFlip}, {@link RandomCrop},
 * {@link PhotoMetricDistortion}, {@link Expand}, {@link MinIoURandomCrop}, {@link RandomShift}, {@link CutOut},
 * {@link RandomAffine}, {@link YoloxHsvRandomAug}, the AutoAugment family ({@link GeometricAugment}, {@link ColorAugment},
 * {@link AutoAugment}, {@link RandAugment}), {@link Pad}, {@link FilterAnnotations}, the multi-image {@link Mosaic} and {@link MixUp}, their
 * cached variants {@link CachedMosaic} and {@link CachedMixUp} (which mix with earlier images of the same worker), and the
 * {@link MultiImageMixDataset} mark between a wrapped dataset's steps and its wrapper's, and MMCV's wrappers of sub-pipelines
 * ({@link TransformWrapper}: Compose, RandomApply, RandomChoice). The steps are settings only; {@link Pipeline} runs them with an
 * image's {@link SampleDraws}.
 */
public sealed interface Transform permits ResizeStep, RandomFlip, RandomCrop, PhotoMetricDistortion, ImageStep,
        FilterAnnotations, Mosaic, MixUp, CachedMosaic, CachedMixUp, MultiImageMixDataset, TransformWrapper,
        OwnScaleResize {
    /** MMDetection's name of the transform ({@code type} in a config). */
    String type();
}
