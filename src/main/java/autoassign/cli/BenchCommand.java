package autoassign.cli;

import autoassign.backend.DeviceSelector;
import autoassign.backend.Backends;
import autoassign.backend.cuda.CachingAllocator;
import autoassign.backend.cuda.CudaBackend;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.io.AtomicFiles;
import autoassign.tensor.Device;
import autoassign.train.StepBenchmark;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code bench}: times inference or a training step of a config on random input (see docs/performance.md). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Times inference or one training step on random images (median and peak memory).",
                "Inference = forward + post-processing; training step = forward, loss, backward, the config's optimizer.",
                "The images are put on the device once, before the runs (as the PyTorch script does)."})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "CFG", defaultValue = TrainCommand.DEFAULT_CONFIG,
            description = "YAML config or built-in config name (default: ${DEFAULT-VALUE})")
    String config;

    @Option(names = "--mode", defaultValue = "train", description = "infer or train (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--size", defaultValue = "800x1216", paramLabel = "HxW", description = "input size, multiples of 32 (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--batch", defaultValue = "1", description = "images per step (default: ${DEFAULT-VALUE})") int batch;

    @Option(names = "--runs", defaultValue = "5", description = "timed runs (default: ${DEFAULT-VALUE})") int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "untimed runs first (default: ${DEFAULT-VALUE})") int warmup;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: CUDA when usable, else CPU)") String device;

    @Option(names = "--json", paramLabel = "OUT", description = "write {mode, size, batch, device, median_ms, runs_ms, peak_mem_mb}")
    Path json;

    @picocli.CommandLine.Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Override
    public Integer call() throws Exception {
        StepBenchmark.Mode m;
        try {
            m = StepBenchmark.Mode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CliErrors.UserError("--mode must be infer or train, got " + mode);
        }
        String[] hw = size.toLowerCase(Locale.ROOT).split("x");
        int h, w;
        try {
            if (hw.length != 2) throw new NumberFormatException();
            h = Integer.parseInt(hw[0]);
            w = Integer.parseInt(hw[1]);
        } catch (RuntimeException e) {
            throw new CliErrors.UserError("--size must be HxW, e.g. 800x1216, got " + size);
        }
        if (h < 1 || w < 1) throw new CliErrors.UserError("--size: height and width must be >= 1, got " + size);
        if (SameFile.same(json, Path.of(config))) throw new CliErrors.UserError(json + ": --json is the config itself; write it elsewhere");
        if (batch < 1 || runs < 1 || warmup < 0) throw new CliErrors.UserError("--batch and --runs must be >= 1, --warmup >= 0");
        Config cfg = ConfigLoader.loadNamed(config, overrides.values());
        autoassign.backend.cuda.CudaOptions.useConfig(cfg.runtime().cudnnBenchmark(), cfg.runtime().deterministic());
        Device dev = DeviceSelector.select(device, System.err::println);
        StepBenchmark.Result r = StepBenchmark.run(cfg, m, h, w, batch, warmup, runs, dev);
        StringBuilder runsText = new StringBuilder();
        for (double t : r.runsMs()) runsText.append(String.format(Locale.ROOT, " %.1f", t));
        System.out.printf(Locale.ROOT, "%-6s %-10s batch %-3d %-7s median %10.1f ms   peak %6d MB   runs:%s%n",
                r.mode(), r.size(), r.batch(), r.device(), r.medianMs(), r.peakMemMb(), runsText);
        // on a GPU, what the peak is made of: the allocator's counters and cuDNN's workspace
        if (!dev.isCpu() && Backends.of(dev) instanceof CudaBackend cb) {
            System.out.println("memory: " + cb.memoryStats() + "; cuDNN workspace " + CachingAllocator.human(cb.workspaceBytes()));
            System.out.println("fused ops: " + cb.fusedOpsUsed());
        }
        if (json != null) {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .disable(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET)
                    .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE);
            AtomicFiles.write(json, out -> om.writeValue(out, r));
        }
        return 0;
    }
}
