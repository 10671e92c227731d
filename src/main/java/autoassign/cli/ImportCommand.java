package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.io.CheckpointException;
import autoassign.io.ModelWeights;
import autoassign.io.PthFile;
import autoassign.io.PthReader;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.io.StateDicts;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code import --from X.pth --to Y.safetensors}: converts a whole PyTorch checkpoint (zip or legacy
 * format) to safetensors without Python: every tensor with its original dtype, shape and bits, named
 * by its dotted key path ({@code state_dict.backbone.conv1.weight}); every other value (e.g.
 * {@code meta.dataset_meta.classes}) goes to {@code __metadata__}, strings as they are, the rest as JSON.
 * With {@code --model CONFIG} the state dict is first checked against the model the config builds: a detector
 * checkpoint (names {@code backbone.* / neck.* / bbox_head.*}) against the whole model, a pretrained ResNet
 * file (e.g. {@code resnet50_msra-5891d200.pth}) against the backbone; missing, unexpected and mis-shaped names
 * are listed, and any of them fails the import (exit 1, nothing written).
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Convert a PyTorch .pth checkpoint (e.g. MMDetection's AutoAssign release or the MSRA ResNet-50)"
                + " to .safetensors, bit-exact, without Python.",
            "A bad input file gives a one-line error, exit code 1 and no output file."})
public final class ImportCommand implements Callable<Integer> {

    @Option(names = "--from", paramLabel = "X.pth", required = true, description = "PyTorch checkpoint (.pth / .pt, zip or legacy format)")
    Path from;

    @Option(names = "--to", paramLabel = "Y.safetensors", required = true, description = "output file (written to a temp file, then renamed)")
    Path to;

    @Option(names = "--model", paramLabel = "CONFIG",
            description = "also check every name and shape against the model of this config (a YAML path or a built-in config name)")
    String model;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (SameFile.same(to, from)) return CliErrors.print(err, to + ": --to is the --from file itself; write the import elsewhere");
        PthFile pth;
        try {
            pth = PthReader.read(from);
        } catch (CheckpointException e) {
            return CliErrors.print(err, e.getMessage());
        }
        Map<String, RawTensor> tensors = pth.tensors();
        Map<String, String> metadata = pth.metadata();
        if (tensors.isEmpty()) return CliErrors.print(err, from + ": holds no tensors (not a checkpoint?); nothing imported");
        if (model != null) {
            Integer failed = checkAgainstModel(pth, out, err);
            if (failed != null) return failed;
        }
        try {
            Safetensors.write(to, tensors, metadata);
        } catch (IOException | IllegalArgumentException e) {
            return CliErrors.print(err, to + ": cannot write: " + CliErrors.message(e));
        }
        long elements = 0;
        for (RawTensor t : tensors.values()) elements += t.numel();
        out.printf("%s -> %s: %d tensors (%,d elements), %d metadata entries%n", from, to, tensors.size(), elements, metadata.size());
        out.flush();
        return 0;
    }

    /** Prints the model check; returns null when it passed, else the exit code. */
    private Integer checkAgainstModel(PthFile pth, PrintWriter out, PrintWriter err) {
        Config cfg;
        try {
            cfg = ConfigLoader.loadNamed(model, List.of());
        } catch (ConfigException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        Map<String, Tensor> own = new AutoAssignDetector(cfg.model(), 0).stateDict();
        Map<String, RawTensor> sd = StateDicts.find(pth.root());
        boolean detector = sd.keySet().stream().anyMatch(k -> k.startsWith("backbone.") || k.startsWith("neck.") || k.startsWith("bbox_head."));
        ModelWeights.Check c;
        List<String> notMapped = List.of();
        if (detector) {
            c = ModelWeights.check(sd, own, "");
            out.printf("model check (%s, detector checkpoint): %d tensors match%n", model, c.matched().size());
        } else {
            StateDicts.Mapped mapped = StateDicts.resnetToBackbone(sd);
            notMapped = mapped.ignored();
            c = ModelWeights.check(mapped.tensors(), own, "backbone.");
            out.printf("model check (%s, pretrained ResNet file -> backbone): %d tensors match%n", model, c.matched().size());
        }
        list(out, "missing", c.missing());
        list(out, "unexpected", c.unexpected());
        list(out, "shape mismatch", c.mismatched());
        list(out, "ignored (no place in the model)", concat(notMapped, c.ignored()));
        out.flush();
        if (c.matched().isEmpty() || !c.clean()) {
            err.printf("error: %s: does not match the model of %s (%d missing, %d unexpected, %d shape mismatch%s)%n", from, model,
                    c.missing().size(), c.unexpected().size(), c.mismatched().size(), c.matched().isEmpty() ? ", nothing matches" : "");
            err.flush();
            return 1;
        }
        return null;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> r = new java.util.ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    private static void list(PrintWriter out, String what, List<String> names) {
        if (names.isEmpty()) return;
        out.printf("  %s (%d):%n", what, names.size());
        for (String n : names) out.println("    " + n);
    }

    /** Runs {@code import} on its own (same as {@code autoassign.cli.Main import ...}). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ImportCommand()).execute(args));
    }
}
