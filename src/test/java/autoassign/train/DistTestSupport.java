package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The lead's tiny test config ({@link TinyTrainConfig}) for the data-parallel tests of {@code autoassign.train.dist}. */
public final class DistTestSupport {
    private DistTestSupport() {}

    /**
     * The tiny config with every synthetic image 64×64 (so every batch is padded to the same 96×96, whatever
     * images it holds: 2 workers × batch 1 then see exactly the tensors of 1 worker × batch 2), written to
     * {@code dir/tiny_fixed.yaml} and loaded.
     */
    public static Config tinyFixedSize(Path dir, int epochs) throws IOException {
        String y = TinyTrainConfig.yaml();
        if (!y.contains("img_size: [64, 96]") || !y.contains("max_epochs: 2"))
            throw new IllegalStateException("tiny test config changed: update DistTestSupport");
        y = y.replace("img_size: [64, 96]", "img_size: [64, 64]").replace("max_epochs: 2", "max_epochs: " + epochs);
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_fixed.yaml");
        Files.writeString(f, y);
        return ConfigLoader.load(f);
    }
}
