package autoassign.cli;

import autoassign.api.Detector;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.data.CocoDataset;
import autoassign.data.DataException;
import autoassign.data.DataIssues;
import autoassign.data.ImageRecord;
import autoassign.data.PipelineOptions;
import autoassign.data.ResizeGeometry;
import autoassign.model.AutoAssignDetector;
import autoassign.model.Complexity;
import autoassign.train.DataSources;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flops --config CFG}: the model's FLOPs and parameters as MMDetection's
 * {@code tools/analysis_tools/get_flops.py} prints them. FLOPs are those of the first {@code --num-images} images of
 * the val set, each resized by the test pipeline and padded to the size divisor, averaged; {@code --shape H W} counts
 * one input of that size instead. Counted from the layer shapes ({@link Complexity}), so nothing runs.
 */
@Command(name = "flops", mixinStandardHelpOptions = true,
        description = {"FLOPs and parameters of a config's model, as MMDetection's get_flops.py (MMEngine's counting: "
            + "conv multiply-adds, BN/GN, upsampling; ReLU, additions and pooling count 0).",
            "FLOPs are averaged over the first --num-images val images as the test pipeline resizes and pads them, "
            + "or are those of one --shape H W input (padded to the size divisor)."})
public final class FlopsCommand implements Callable<Integer> {

    static final String SPLIT_LINE = "=".repeat(30);

    @Option(names = "--config", required = true, paramLabel = "CFG", description = "a YAML / MMDetection .py path or a built-in config name")
    String config;

    @Option(names = "--shape", arity = "1..2", paramLabel = "N",
            description = "input height and width (one value: square) instead of dataset images")
    List<Integer> shape;

    @Option(names = "--num-images", paramLabel = "N", defaultValue = "100",
            description = "val images to average over (default: ${DEFAULT-VALUE})")
    int numImages;

    @Option(names = {"--data", "--data-root"}, paramLabel = "DIR", description = "data root (replaces the config's data_root)")
    String dataRoot;

    @Option(names = "--per-module", description = "also print the parameters and FLOPs of each module (MMEngine's complexity table)")
    boolean perModule;

    @Option(names = "--max-depth", paramLabel = "N", defaultValue = "3",
            description = "deepest module level of the --per-module table (default: ${DEFAULT-VALUE})")
    int maxDepth;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (numImages < 1) return CliErrors.print(err, "--num-images must be >= 1, got " + numImages);
        if (maxDepth < 0) return CliErrors.print(err, "--max-depth must be >= 0, got " + maxDepth);
        if (shape != null && shape.stream().anyMatch(v -> v < 1)) return CliErrors.print(err, "--shape values must be >= 1, got " + shape);
        try {
            Config cfg = ConfigLoader.loadNamed(config, overrides.values());
            AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
            int divisor = cfg.model().dataPreprocessor().padSizeDivisor();
            Counted c = shape != null ? direct(model, shape.get(0), shape.get(shape.size() - 1), divisor)
                    : dataset(model, cfg, divisor, err);
            Map<String, Long> params = Complexity.parameterCounts(model);
            if (c.padH != c.oriH || c.padW != c.oriW) {
                out.printf(Locale.ROOT, "%s%nUse size divisor set input shape from (%d, %d) to (%d, %d)%n",
                        SPLIT_LINE, c.oriH, c.oriW, c.padH, c.padW);
            }
            out.printf(Locale.ROOT, "%s%nCompute type: %s%nInput shape: (%d, %d)%nFlops: %s%nParams: %s%n%s%n",
                    SPLIT_LINE, c.computeType, c.padH, c.padW, ComplexityTable.formatSize(c.meanFlops),
                    ComplexityTable.formatSize(params.get("")), SPLIT_LINE);
            StringBuilder ops = new StringBuilder();
            c.last.flopsByOp().forEach((op, v) -> { // as MMEngine's by_operator(): the ops the model has
                if (v > 0) ops.append(ops.length() > 0 ? ", " : "").append(op).append(' ').append(ComplexityTable.formatSize(v));
            });
            out.printf(Locale.ROOT, "%s: %s%n", c.images > 1
                    ? "Mean of " + c.images + " val images; by operator for the last one" : "By operator", ops);
            out.println("(MMEngine's counting: one multiply-add is one flop; ReLU, additions, pooling and the head's "
                    + "scale / clamp / stride multiply count 0.)");
            if (perModule) {
                Map<String, int[]> shapes = new LinkedHashMap<>();
                model.namedParameters().forEach((k, t) -> shapes.put(k, t.shape()));
                out.println();
                out.print(ComplexityTable.render(c.last, params, shapes, maxDepth));
            }
        } catch (ConfigException | DataException | CliErrors.UserError | IllegalArgumentException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        out.flush();
        return 0;
    }

    /**
     * What was counted.
     *
     * @param meanFlops {@code int(np.average(flops))} over the images, as get_flops.py
     * @param last      the last image's counts (its shape is the one printed, as get_flops.py prints the last one's)
     */
    private record Counted(String computeType, int oriH, int oriW, int padH, int padW, long meanFlops, int images,
                           Complexity.Flops last) {}

    private static Counted direct(AutoAssignDetector model, int h, int w, int divisor) {
        int ph = autoassign.data.Pipeline.padTo(h, divisor), pw = autoassign.data.Pipeline.padTo(w, divisor);
        Complexity.Flops f = Complexity.flops(model, ph, pw);
        return new Counted("direct: randomly generate a picture", h, w, ph, pw, f.total(), 1, f);
    }

    /** The val images as get_flops.py takes them (val_dataloader, batch 1): resized by the test pipeline, padded. */
    private Counted dataset(AutoAssignDetector model, Config cfg, int divisor, PrintWriter err) {
        CocoDataset ds = DataSources.load(cfg, false, dataRoot, new DataIssues("val", err::println, 5));
        if (ds.size() == 0) throw new CliErrors.UserError(ds.annotationFile() + ": the val set has no images");
        PipelineOptions p = Detector.testPipeline(cfg, cfg.valDataloader());
        int n = Math.min(numImages, ds.size());
        Map<Long, Complexity.Flops> byShape = new HashMap<>(); // most images share a few padded shapes
        long sum = 0;
        Complexity.Flops last = null;
        int oriH = 0, oriW = 0;
        for (int i = 0; i < n; i++) {
            ImageRecord r = ds.get(i);
            ResizeGeometry g = p.geometry(r.height(), r.width());
            int gh = p.resizeStep().padsToScale() ? p.scaleH() : g.newH(), gw = p.resizeStep().padsToScale() ? p.scaleW() : g.newW();
            int ph = autoassign.data.Pipeline.padTo(gh, divisor), pw = autoassign.data.Pipeline.padTo(gw, divisor);
            last = byShape.computeIfAbsent((long) ph << 32 | pw, k -> Complexity.flops(model, ph, pw));
            sum += last.total();
            oriH = r.height();
            oriW = r.width();
        }
        // get_flops.py: int(np.average(flops)), a float64 mean truncated (the sum of integers below 2^53 is exact)
        long mean = (long) ((double) sum / n);
        return new Counted("dataloader: load a picture from the dataset", oriH, oriW, last.inputH(), last.inputW(),
                mean, n, last);
    }
}
