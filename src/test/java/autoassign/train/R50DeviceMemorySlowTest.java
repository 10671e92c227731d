package autoassign.train;

import autoassign.backend.CheckedDeviceBackend;
import autoassign.backend.cpu.HostArrays;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device memory of one R50 training step at issue 9's size (2×3×800×1216), measured on the CPU: the step runs
 * on {@link CheckedDeviceBackend}, whose every op allocates a fresh buffer as the CUDA backend does, so its peak is
 * the CUDA backend's peak of tensor memory (parameters, gradients, momentum, activations, temporaries) without
 * what only a GPU adds (cuDNN workspace, the caching allocator's rounding). Prints the peak and what was live at
 * it, per allocating op. About a minute: run with {@code -Dsurefire.excludedGroups= -Dgroups=slow}.
 */
@Tag("slow")
class R50DeviceMemorySlowTest {
    /**
     * Issue 9's target is MMDetection's 4.08 GB at 2 images per GPU; on the GPU cuDNN's workspace and the allocator's
     * rounding add ≈ 0.45 GB to this simulation (session 1: 4,504 MB simulated, 4,959 MB measured on an H100), so
     * the tensors must stay well below. Session 3: fused layers took it from 4,504 to 2,222 MB, releasing activations
     * during the backward to 1,911 MB; the budget leaves 10 % for drift (the simulation is deterministic).
     */
    static final long BUDGET = 2100L << 20;

    @Test
    void trainingStepPeak() {
        long peak = peak(StepBenchmark.Mode.TRAIN, 2);
        assertTrue(peak < BUDGET, "peak " + (peak >> 20) + " MB > budget " + (BUDGET >> 20) + " MB");
    }

    /**
     * Inference at 1×3×800×1216 (session 1 measured 940 MB on the H100, PyTorch 408 MB). Session 3: 504 MB simulated
     * with the fused layers, 398 MB once the head releases its tower intermediates at inference (145 MB of it are
     * the parameters); the budget leaves 10 %.
     */
    @Test
    void inferencePeak() {
        long peak = peak(StepBenchmark.Mode.INFER, 1);
        assertTrue(peak < INFER_BUDGET, "peak " + (peak >> 20) + " MB > budget " + (INFER_BUDGET >> 20) + " MB");
    }

    static final long INFER_BUDGET = 440L << 20;

    /** Runs one bench iteration of the R50 config at 800×1216 on the stand-in device and prints its peak. */
    private static long peak(StepBenchmark.Mode mode, int batch) {
        Config cfg = ConfigLoader.load(Path.of("configs/autoassign_r50-caffe_fpn_1x_coco.yaml"));
        boolean pooled = HostArrays.setEnabled(false); // the CPU math's own outputs are copied into device buffers
        try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(93)) {
            StepBenchmark.Result r = StepBenchmark.run(cfg, mode, 800, 1216, batch, 0, 1, dev.device());
            long peak = dev.peakMemoryBytes();
            System.out.printf(Locale.ROOT, "R50 %s %dx3x800x1216, simulated device peak %.0f MB (%.1f s on the CPU)%n",
                    r.mode(), batch, peak / 1048576.0, r.medianMs() / 1000);
            for (Map.Entry<String, Long> e : dev.peakBreakdown().entrySet())
                System.out.printf(Locale.ROOT, "  %-26s %8.0f MB%n", e.getKey(), e.getValue() / 1048576.0);
            assertTrue(dev.violations().isEmpty(), dev.violations().toString());
            return peak;
        } finally {
            HostArrays.setEnabled(pooled);
        }
    }
}
