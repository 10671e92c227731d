package autoassign.model;

import autoassign.config.ModelConfig;

/** EfficientNet detectors for tests in other packages. */
public final class EfficientNetDetectorsForTests {
    private EfficientNetDetectorsForTests() {}

    /** {@link EfficientNetDetectorTest#smallB0}: b0, layers 3..5 into a 16-channel FPN, a one-conv head, 3 classes. */
    public static ModelConfig smallB0(String... overrides) { return EfficientNetDetectorTest.smallB0(overrides); }
}
