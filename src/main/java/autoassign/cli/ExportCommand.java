package autoassign.cli;

import autoassign.api.Detector;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.io.CheckpointException;
import autoassign.io.Checkpoints;
import autoassign.io.ModelWeights;
import autoassign.io.PthWriter;
import autoassign.io.RawTensor;
import autoassign.io.pickle.PyTuple;
import autoassign.model.AutoAssignDetector;
import autoassign.onnx.InputShape;
import autoassign.onnx.OnnxExport;
import autoassign.onnx.OnnxGraph;
import autoassign.eval.Inference;
import autoassign.postprocess.PostProcessConfig;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code export --config CFG --checkpoint CKPT --to OUT.onnx [--shape H W] [--postprocess]}: the network as an ONNX
 * model ({@code autoassign.onnx}, docs/onnx.md), with {@code --postprocess} followed by the engine's post-processing. {@code export --config CFG --checkpoint CKPT --to OUT.pth}: writes a
 * checkpoint of this engine as an MMDetection checkpoint, the way back to MMDetection: {@code {'meta': {...}, 'state_dict': OrderedDict}} in
 * {@code torch.save}'s zip format, read by {@code torch.load} (also {@code weights_only=True}), laid out as
 * {@code mmengine.runner.load_checkpoint} and {@code mmdet.apis.init_detector} expect. The checkpoint is first loaded
 * strictly into the config's model (so names and shapes are MMDetection's), then written: float32 tensors,
 * BatchNorm {@code num_batches_tracked} as int64, values bit-exact. {@code meta} carries
 * {@code dataset_meta.classes} (the class names {@code detect} uses) and, from an engine checkpoint, its epoch,
 * iteration and seed.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a checkpoint (.safetensors or .pth) as an MMDetection .pth checkpoint (torch.save zip format),"
                + " loadable by torch.load and laid out as MMEngine's load_checkpoint and MMDetection's init_detector expect;"
                + " or, with --format onnx (or a .onnx file name), the network as an ONNX model (opset 17; 19 with deformable convs) for ONNX Runtime"
                + " or TensorRT; with --postprocess, for ONNX Runtime (docs/onnx.md).",
            "A bad input gives a one-line error, exit code 1 and no output file."})
public final class ExportCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "CFG", description = "model config (a YAML path or a built-in config name)")
    String config;

    @Option(names = "--checkpoint", required = true, paramLabel = "CKPT", description = "checkpoint to export (.safetensors or .pth)")
    Path checkpoint;

    @Option(names = "--to", required = true, paramLabel = "OUT", description = "output file, OUT.pth or OUT.onnx (written to a temp file, then renamed)")
    Path to;

    /** What {@code export} writes. */
    enum Format { pth, onnx }

    @Option(names = "--format", paramLabel = "pth|onnx",
            description = "pth (MMDetection checkpoint) or onnx; default: from the extension of --to (.onnx: onnx, else pth)")
    Format format;

    @Option(names = "--shape", arity = "2", paramLabel = "H W",
            description = "onnx: fix the input to 1x3xHxW (default: batch, height and width are symbolic)")
    List<Integer> shape;

    @Option(names = "--postprocess",
            description = "onnx: end with the engine's post-processing of every image of the batch (model.test_cfg): outputs"
                    + " dets [N,max_per_img,5] (x1, y1, x2, y2 in input pixels, score) and labels [N,max_per_img], each image's"
                    + " detections first, then padding rows (dets 0, label -1), instead of the per-level head outputs")
    boolean postprocess;

    @Option(names = "--publish",
            description = "write the file as MMDetection's tools/model_converters/publish_model.py does: torch.save's legacy"
                    + " (non-zip) format, named OUT-<first 8 hex digits of its SHA-256>.pth")
    boolean publish;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String name = to.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        Format f = format != null ? format : name.endsWith(".onnx") ? Format.onnx : Format.pth;
        if (format != null && (name.endsWith(".onnx") || name.endsWith(".pth")) && !name.endsWith("." + format))
            return CliErrors.print(err, to + ": the name says " + name.substring(name.lastIndexOf('.')) + " but --format is " + format
                    + " (a file named for what it is not would mislead whoever loads it)");
        if (name.endsWith(".safetensors"))
            return CliErrors.print(err, to + ": export writes a torch.save .pth or an .onnx file, not safetensors (import --from X.pth"
                    + " --to Y.safetensors converts the other way)");
        if (SameFile.same(to, checkpoint))
            return CliErrors.print(err, to + ": --to is the --checkpoint file itself; write the export elsewhere");
        if (SameFile.same(to, Path.of(config)))
            return CliErrors.print(err, to + ": --to is the --config file itself; write the export elsewhere");
        if (f == Format.onnx) return exportOnnx(out, err);
        if (shape != null) return CliErrors.print(err, "--shape applies to --format onnx only");
        if (postprocess) return CliErrors.print(err, "--postprocess applies to --format onnx only");
        Map<String, RawTensor> tensors;
        List<String> classes;
        Map<String, Object> meta = new LinkedHashMap<>();
        try {
            Config cfg = ConfigLoader.loadNamed(config, List.of());
            AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
            ModelWeights.Checkpoint ckpt = ModelWeights.read(checkpoint); // once: weights, loop position, class names
            ModelWeights.load(ckpt, model, true);
            tensors = ModelWeights.checkpointTensors(model);
            if (Checkpoints.isSafetensors(checkpoint)) {
                putLong(meta, "epoch", ckpt.metadata().get("epoch"));
                putLong(meta, "iter", ckpt.metadata().get("global_iter"));
                putLong(meta, "seed", ckpt.metadata().get("seed"));
            }
            classes = Detector.classNames(cfg, ckpt.metadata());
            meta.put("dataset_meta", Map.of("classes", PyTuple.copyOf(classes)));
            meta.put("exported_by", new Main.Version().getVersion()[0]);
            meta.put("exported_from", checkpoint.getFileName().toString());
        } catch (ConfigException | CheckpointException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("meta", meta);
        root.put("state_dict", PthWriter.stateDict(tensors));
        Path written = to;
        try {
            // publish_model.py saves with _use_new_zipfile_serialization=False (the model zoo's files are legacy ones);
            // staged in a temp file, not OUT itself, so an earlier export named OUT is not overwritten and renamed away
            if (publish) {
                Path abs = to.toAbsolutePath();
                java.nio.file.Files.createDirectories(abs.getParent());
                Path staged = java.nio.file.Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".publish");
                try {
                    PthWriter.writeLegacy(staged, root);
                    written = publish(staged, to);
                } finally {
                    java.nio.file.Files.deleteIfExists(staged);
                }
            } else PthWriter.write(to, root);
        } catch (IOException e) {
            return CliErrors.print(err, to + ": cannot write: " + CliErrors.message(e));
        }
        long elements = 0;
        for (RawTensor t : tensors.values()) elements += t.numel();
        out.printf("%s -> %s: %d tensors (%,d elements), %d classes%n", checkpoint, written, tensors.size(), elements, classes.size());
        out.flush();
        return 0;
    }

    /** The network as an ONNX model ({@link OnnxExport}); the checkpoint is loaded strictly first. */
    private int exportOnnx(PrintWriter out, PrintWriter err) {
        if (publish) return CliErrors.print(err, "--publish applies to --format pth only");
        InputShape input;
        try {
            input = shape == null ? InputShape.DYNAMIC : InputShape.fixed(shape.get(0), shape.get(1));
        } catch (IllegalArgumentException e) {
            return CliErrors.print(err, "--shape: " + e.getMessage());
        }
        AutoAssignDetector model;
        PostProcessConfig post = null;
        try {
            Config cfg = ConfigLoader.loadNamed(config, List.of());
            // soft_nms is refused by the graph builder (one line, nothing written)
            if (postprocess) post = Inference.postProcessConfig(cfg.model().testCfg());
            model = new AutoAssignDetector(cfg.model(), 0);
            ModelWeights.load(ModelWeights.read(checkpoint), model, true);
        } catch (ConfigException | CheckpointException e) {
            return CliErrors.print(err, CliErrors.message(e));
        } catch (IllegalArgumentException e) { // a model the config cannot build
            return CliErrors.print(err, config + ": " + CliErrors.message(e));
        }
        OnnxGraph graph;
        try {
            graph = OnnxExport.write(model, input, post, to, new Main.Version().getVersion()[0]);
        } catch (IOException e) {
            return CliErrors.print(err, to + ": cannot write: " + CliErrors.message(e));
        } catch (IllegalArgumentException e) { // a layer the exporter does not map
            return CliErrors.print(err, config + ": cannot export to ONNX: " + CliErrors.message(e));
        }
        out.printf("%s -> %s: ONNX opset %d, input image %s, %d outputs%s, %d nodes, %d initializers%n", checkpoint, to,
                graph.opset(), input.dims(post != null), graph.outputs().size(), post != null ? " (dets, labels)" : "", graph.nodes().size(),
                graph.initializers().size());
        out.flush();
        return 0;
    }

    /**
     * Renames {@code file} to x-&lt;sha256[:8]&gt;.pth beside {@code named} (x.pth), the hash of its bytes, as
     * publish_model.py names files.
     */
    static Path publish(Path file, Path named) throws IOException {
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every Java runtime has SHA-256
        }
        try (var in = new java.security.DigestInputStream(java.nio.file.Files.newInputStream(file), sha)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        String name = named.getFileName().toString();
        String stem = name.endsWith(".pth") ? name.substring(0, name.length() - 4) : name;
        Path target = named.resolveSibling(stem + "-" + java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 8) + ".pth");
        return java.nio.file.Files.move(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void putLong(Map<String, Object> meta, String key, String value) {
        if (value == null) return;
        try {
            meta.put(key, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            // an entry written by something else: leave it out rather than guess
        }
    }

    /** Runs {@code export} on its own (same as {@code autoassign.cli.Main export ...}). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ExportCommand()).execute(args));
    }
}
