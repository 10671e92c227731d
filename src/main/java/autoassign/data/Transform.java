package autoassign.data;

/**
 * One per-image step of a pipeline after decoding, applied in the order the config lists them, as MMDetection's
 * {@code Compose} does: the keep-ratio {@link ResizeStep}, {@link RandomFlip}, {@link RandomCrop},
 * {@link PhotoMetricDistortion}, {@link Expand}, {@link MinIoURandomCrop}, {@link RandomShift}, {@link CutOut},
 * {@link RandomAffine}, {@link YoloxHsvRandomAug}. The steps are settings only; {@link Pipeline} runs them with an
 * image's {@link SampleDraws}.
 */
public sealed interface Transform permits ResizeStep, RandomFlip, RandomCrop, PhotoMetricDistortion, Expand,
        MinIoURandomCrop, RandomShift, CutOut, RandomAffine, YoloxHsvRandomAug {
    /** MMDetection's name of the transform ({@code type} in a config). */
    String type();
}
