package autoassign.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * scripts/gpu_summary.py, which turns a GPU session's JSON results into docs/cuda.md's table, on made-up results:
 * the like-for-like pairs, the ratio, and the verdicts against issue 9's targets. Skips where python3 is absent.
 */
class GpuSummaryScriptTest {
    @TempDir
    Path out;

    /** Whether a {@code python3} can be started here. */
    private static boolean hasPython() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String run(Path script, Path folder) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", script.toString(), folder.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gpu_summary.py did not finish");
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8) + "\nexit " + p.exitValue();
    }

    @Test
    void tablesTheRunsAgainstTheTargets() throws Exception {
        Path script = Path.of("scripts/gpu_summary.py");
        assumeTrue(Files.isRegularFile(script), "scripts/ not found from " + Path.of("").toAbsolutePath());
        assumeTrue(hasPython(), "skipped: python3 not found");
        Files.writeString(out.resolve("ours_r50_train.json"), "{\"median_ms\": 40.0, \"peak_mem_mb\": 2400}");
        Files.writeString(out.resolve("torch_r50_train_heuristics.json"), "{\"median_ms\": 50.0, \"peak_mem_mb\": 2795.0}");
        Files.writeString(out.resolve("torch_r50_train.json"), "{\"median_ms\": 45.0, \"peak_mem_mb\": 2795.0}");
        Files.writeString(out.resolve("ours_r50_train_find.json"), "{\"median_ms\": 36.0, \"peak_mem_mb\": 4200}");
        String text = run(script, out);
        assertTrue(text.endsWith("exit 0"), text);
        assertTrue(text.contains("| training step 2x3x800x1216, heuristics (3a vs 4b) | 40.0 ms | 50.0 ms | 0.80 | 2400 MB | 2795 MB | speed PASS, peak PASS |"), text);
        assertTrue(text.contains("(3a vs 4) | 40.0 ms | 45.0 ms | 0.89 | 2400 MB | 2795 MB | speed MISS, peak PASS |"), text);
        assertTrue(text.contains("(7a vs 4) | 36.0 ms | 45.0 ms | 0.80 | 4200 MB | 2795 MB | speed PASS, peak MISS |"), text);
        assertFalse(text.contains("inference"), "no inference files, no inference rows: " + text);
        Path empty = Files.createDirectory(out.resolve("empty"));
        assertTrue(run(script, empty).endsWith("exit 1"));
    }
}
