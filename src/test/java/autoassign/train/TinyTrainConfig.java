package autoassign.train;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shipped tiny config shrunk further for tests: a few 64–96 px synthetic images, 2 epochs. */
final class TinyTrainConfig {
    private TinyTrainConfig() {}

    static String yaml() {
        try (InputStream in = TinyTrainConfig.class.getResourceAsStream("/configs/autoassign_tiny_synthetic.yaml")) {
            if (in == null) throw new IllegalStateException("configs/autoassign_tiny_synthetic.yaml is not on the classpath");
            String y = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return replace(y,
                    "num_images: 320", "num_images: 8",
                    "num_images: 50", "num_images: 4",
                    "img_size: [160, 256]", "img_size: [64, 96]",
                    "object_size: [16, 100]", "object_size: [12, 40]",
                    "scale: [256, 256]", "scale: [96, 96]",
                    "batch_size: 4", "batch_size: 2",
                    "max_epochs: 12", "max_epochs: 2",
                    "val_interval: 4", "val_interval: 1",
                    "interval: 4, max_keep_ckpts: 2", "interval: 1, max_keep_ckpts: 5",
                    "{type: LoggerHook, interval: 10}", "{type: LoggerHook, interval: 1}",
                    "begin: 0, end: 100}", "begin: 0, end: 3}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String replace(String s, String... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            if (!s.contains(pairs[i])) throw new IllegalStateException("tiny config no longer contains '" + pairs[i] + "'");
            s = s.replace(pairs[i], pairs[i + 1]);
        }
        return s;
    }

    /** Writes the config to {@code dir/tiny_test.yaml} and loads it. */
    static Config write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path f = dir.resolve("tiny_test.yaml");
        Files.writeString(f, yaml());
        return ConfigLoader.load(f);
    }
}
