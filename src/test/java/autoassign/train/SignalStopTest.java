package autoassign.train;

import autoassign.config.Config;
import autoassign.io.ModelWeights;
import autoassign.model.AutoAssignDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real SIGTERM to a training process: it writes a loadable checkpoint before exiting. */
class SignalStopTest {
    @TempDir Path tmp;

    @Test
    void sigtermLeavesLoadableCheckpoint() throws Exception {
        Config cfg = TinyTrainConfig.write(tmp);
        Path wd = tmp.resolve("run");
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), "autoassign.cli.Main", "train",
                "--config", tmp.resolve("tiny_test.yaml").toString(), "--work-dir", wd.toString(),
                "--data-root", tmp.resolve("data").toString(), "--device", "cpu", "--epochs", "50"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean signalled = false;
            while ((line = r.readLine()) != null) {
                log.append(line).append('\n');
                if (!signalled && line.startsWith("Epoch(train)")) {
                    p.toHandle().destroy(); // SIGTERM (Process.destroy() would also close our end of its stdout)
                    signalled = true;
                }
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "process did not exit:\n" + log);
        assertTrue(log.toString().contains("stopped by signal"), log.toString());
        Path latest = Files.isRegularFile(wd.resolve("latest.safetensors")) ? wd.resolve("latest.safetensors") : wd.resolve("epoch_1.safetensors");
        assertTrue(Files.isRegularFile(latest), "no checkpoint after SIGTERM:\n" + log);
        assertTrue(ModelWeights.load(latest, new AutoAssignDetector(cfg.model(), 1), true).report().clean());
        try (var s = Files.list(wd)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "temporary file left behind");
        }
    }
}
