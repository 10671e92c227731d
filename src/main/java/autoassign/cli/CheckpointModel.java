package autoassign.cli;

import autoassign.backend.DeviceSelector;
import autoassign.config.Config;
import autoassign.io.CheckpointException;
import autoassign.io.ModelWeights;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Device;

import java.io.PrintWriter;
import java.nio.file.Path;

/** A config's model with a checkpoint's weights (loaded strictly), on the chosen device: for eval and benchmark. */
final class CheckpointModel {
    private CheckpointModel() {}

    /** {@code device}: cpu, cuda, cuda:N, or null for the default; the device's log line goes to {@code err}. */
    static AutoAssignDetector load(Config cfg, Path checkpoint, String device, PrintWriter err) throws CheckpointException {
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        ModelWeights.load(checkpoint, model, true);
        autoassign.backend.cuda.CudaOptions.useConfig(cfg.runtime().cudnnBenchmark(), cfg.runtime().deterministic());
        Device dev = DeviceSelector.select(device, line -> {
            err.println(line);
            err.flush();
        });
        if (!dev.isCpu()) model.to(dev);
        return model;
    }
}
