package autoassign.cli;

import autoassign.io.CheckpointException;
import autoassign.io.Checkpoints;
import autoassign.io.PthFile;
import autoassign.io.PthReader;
import autoassign.io.TensorTree;
import autoassign.io.Safetensors;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code inspect FILE}: lists the tensors (name, dtype, shape) and the metadata of a PyTorch
 * {@code .pth} / {@code .pt} or a {@code .safetensors} file, without Python.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"List the tensors (name, dtype, shape) and metadata of a .pth, .safetensors or .pkl file.",
            "A bad file gives a one-line error and exit code 1."})
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "PyTorch checkpoint (.pth, .pt; zip or legacy format), .safetensors, or a pickle (.pkl: e.g. MMDetection's test.py --out)")
    Path file;

    @Option(names = "--full", description = "print metadata values in full (default: first line, at most 120 characters)")
    boolean full;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String[]> rows = new ArrayList<>();
        Map<String, String> metadata;
        String kind;
        long elements = 0, bytes = 0;
        try {
            if (Checkpoints.isSafetensors(file)) {
                Safetensors.Header h = Safetensors.readHeader(file);
                for (Safetensors.Entry e : h.entries()) {
                    rows.add(new String[] {e.name(), e.dtype().torchName(), Arrays.toString(e.shape())});
                    elements += numel(e.shape());
                    bytes += e.end() - e.begin();
                }
                metadata = h.metadata();
                kind = "safetensors";
            } else {
                Object root;
                if (isPickle(file) && !PthReader.isTorchSave(file)) { // pickle.dump / mmengine.dump, e.g. test.py --out
                    root = PthReader.readPickle(file);
                    kind = "pickle";
                } else {
                    PthFile pth = PthReader.read(file);
                    root = pth.root();
                    kind = "PyTorch " + pth.format() + " checkpoint";
                }
                for (var e : TensorTree.tensors(root).entrySet()) {
                    rows.add(new String[] {e.getKey(), e.getValue().dtype().torchName(), Arrays.toString(e.getValue().shape())});
                    elements += e.getValue().numel();
                    bytes += e.getValue().data().length;
                }
                metadata = TensorTree.metadata(root);
            }
        } catch (CheckpointException e) {
            return CliErrors.print(err, e.getMessage());
        }
        out.printf("%s: %s, %d tensors, %,d elements, %,d bytes%n", file, kind, rows.size(), elements, bytes);
        int w0 = "name".length(), w1 = "dtype".length();
        for (String[] r : rows) {
            w0 = Math.max(w0, r[0].length());
            w1 = Math.max(w1, r[1].length());
        }
        String fmt = "  %-" + w0 + "s  %-" + w1 + "s  %s%n";
        if (!rows.isEmpty()) out.printf(fmt, "name", "dtype", "shape");
        for (String[] r : rows) out.printf(fmt, r[0], r[1], r[2]);
        if (!metadata.isEmpty()) {
            out.println("metadata:");
            for (var e : metadata.entrySet()) out.println("  " + e.getKey() + " = " + (full ? e.getValue() : abbreviate(e.getValue())));
        }
        out.flush();
        return 0;
    }

    /** A pickle by name ({@code .pkl} / {@code .pickle}; torch.save files named so are read as checkpoints). */
    private static boolean isPickle(java.nio.file.Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".pkl") || n.endsWith(".pickle");
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    static String abbreviate(String v) {
        int nl = v.indexOf('\n');
        String s = nl >= 0 ? v.substring(0, nl) : v;
        if (s.length() > 120) s = s.substring(0, 120);
        return s.length() == v.length() ? v : s + " ... (" + v.length() + " characters" + (nl >= 0 ? ", " + v.split("\n", -1).length + " lines" : "") + ")";
    }

    /** Runs {@code inspect} on its own (same as {@code autoassign.cli.Main inspect ...}). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new InspectCommand()).execute(args));
    }
}
