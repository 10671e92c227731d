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
        assertFalse(text.contains("| step |"), "no log, no step table: " + text);
        Files.writeString(out.resolve("gpu_session.log"), String.join("\n",
                "=== 1 ops vs CPU twin", "conv2d  3x3  OK", "ALL 260 CASES OK", "=== 1 ops vs CPU twin: exit 0 after 29 s", "",
                "=== 2l tiny training with a Swin backbone, CUDA vs CPU",
                "Exception in thread \"main\" autoassign.backend.cuda.CudaException: cuLaunchKernel(aa_gn_fwd_norm) failed",
                "=== 2l tiny training with a Swin backbone, CUDA vs CPU: exit 1 after 4 s",
                "=== 2m tiny training, CUDA vs CPU",
                "worst relative difference 3.301e-01 (tolerance 1.0e-02): FAIL (2 values)",
                "=== 2m tiny training, CUDA vs CPU: exit 1 after 4 s",
                "=== 6b eval on CUDA", "=== 6b eval on CUDA: SKIPPED (the time budget AA_BUDGET_S is spent)", ""));
        text = run(script, out);
        assertTrue(text.contains("| 1 | ops vs CPU twin | ok | 29 | ALL 260 CASES OK |"), text);
        assertTrue(text.contains("| 2l | tiny training with a Swin backbone, CUDA vs CPU | FAILED (exit 1) | 4 | Exception in thread "
                + "\"main\" autoassign.backend.cuda.CudaException: cuLaunchKernel(aa_gn_fwd_norm) failed |"), text);
        assertTrue(text.contains("| 2m | tiny training, CUDA vs CPU | FAILED (exit 1) | 4 | worst relative difference 3.301e-01 "
                + "(tolerance 1.0e-02): FAIL (2 values) |"), text);
        assertTrue(text.contains("| 6b | eval on CUDA | skipped |  |  |"), text);
        assertTrue(text.endsWith("exit 0"), text);
        Path empty = Files.createDirectory(out.resolve("empty"));
        assertTrue(run(script, empty).endsWith("exit 1"));
    }
}
