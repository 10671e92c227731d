package autoassign.cli;

import autoassign.api.Detector;
import autoassign.io.CheckpointException;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of the commands that run a trained model on pictures ({@code detect}, {@code video}): a picocli mixin. */
final class ModelOptions {

    @Option(names = "--config", required = true, paramLabel = "CFG", description = "model config (YAML)")
    Path config;

    @Option(names = {"--checkpoint", "--weights"}, required = true, paramLabel = "CKPT",
            description = "weights: .safetensors or MMDetection .pth")
    Path checkpoint;

    @Option(names = "--device", paramLabel = "DEV", description = "cpu, cuda, cuda:N (default: CUDA if usable, else CPU)")
    String device;

    /** The config's detector with the checkpoint's weights, on the chosen device. */
    Detector load() throws CheckpointException {
        return Detector.load(config, checkpoint, device);
    }
}
