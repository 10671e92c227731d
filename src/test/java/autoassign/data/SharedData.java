package autoassign.data;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared/data (system property {@code shared.dir}); tests that need it are skipped when absent. */
final class SharedData {
    private SharedData() {}

    static Path dir() {
        String p = System.getProperty("shared.dir", "../shared");
        return Path.of(p, "data");
    }

    static Path coco128() {
        Path d = dir().resolve("coco128");
        Assumptions.assumeTrue(Files.isRegularFile(d.resolve("annotations/instances_train.json")),
                "coco128 not found at " + d.toAbsolutePath() + " (set -Dshared.dir): test skipped");
        return d;
    }

    static Path paritySamples() {
        Path d = dir().resolve("parity_samples");
        Assumptions.assumeTrue(Files.isRegularFile(d.resolve("000000116740.jpg")),
                "parity_samples not found at " + d.toAbsolutePath() + " (set -Dshared.dir): test skipped");
        return d;
    }
}
