package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.data.DataException;
import autoassign.data.DataIssues;
import autoassign.io.AtomicFiles;
import autoassign.train.DataSources;
import autoassign.train.LrSchedule;
import autoassign.train.Trainer;
import autoassign.viz.Curves;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code schedule CFG}: the learning rate of every iteration of a config's training, as {@code train} would step it
 * (MMDetection's {@code tools/analysis_tools/vis_scheduler.py}): a table per epoch, and optionally a plot and a CSV.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = {"Show the learning rate a config's param_scheduler gives each iteration of its training.",
            "The epoch length comes from --dataset-size, else from the config's train annotations."})
public final class ScheduleCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CFG", description = "a YAML / MMDetection .py path or a built-in config name")
    String config;

    @Option(names = {"-d", "--dataset-size"}, paramLabel = "N",
            description = "samples per epoch, len() of the train dataset with its wrappers, as vis_scheduler.py's -d "
                    + "(default: counted from the train annotations, after filtering, RepeatDataset etc. applied)")
    Integer datasetSize;

    @Option(names = {"-n", "--gpus"}, paramLabel = "N", defaultValue = "1",
            description = "workers the images are split over (default: ${DEFAULT-VALUE}); auto_scale_lr scales by it")
    int gpus;

    @Option(names = {"--data", "--data-root"}, paramLabel = "DIR", description = "data root (replaces the config's data_root)")
    String dataRoot;

    @Option(names = "--out", paramLabel = "PNG", description = "also plot the learning rate over iterations into this PNG")
    Path png;

    @Option(names = "--csv", paramLabel = "CSV", description = "also write iteration,epoch,lr lines into this file")
    Path csv;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (gpus < 1) return CliErrors.print(err, "--gpus must be >= 1, got " + gpus);
        if (datasetSize != null && datasetSize < 1) return CliErrors.print(err, "--dataset-size must be >= 1, got " + datasetSize);
        for (Path o : new Path[] {csv, png}) { // writing the config would destroy it
            if (o != null && SameFile.same(o, Path.of(config))) return CliErrors.print(err, o + ": is the config itself; write the "
                    + (o == csv ? "--csv" : "--out") + " file elsewhere");
        }
        if (SameFile.same(csv, png)) return CliErrors.print(err, csv + ": --csv and --out name the same file");
        try {
            Config cfg = ConfigLoader.loadNamed(config, overrides.values());
            // the samples of an epoch: the images, or a dataset wrapper's entries (RepeatDataset, ClassBalancedDataset)
            int images = datasetSize != null ? datasetSize : cfg.trainDataloader().dataset()
                    .entries(DataSources.load(cfg, true, dataRoot, new DataIssues("train", err::println, 5))).length;
            int batch = cfg.trainDataloader().batchSize();
            // MMEngine's DefaultSampler gives each worker ceil(N / workers) images; the last batch may be smaller
            int perWorker = (images + gpus - 1) / gpus;
            int epochLength = (perWorker + batch - 1) / batch;
            boolean iterLoop = cfg.runtime().iterBased();
            int epochs = cfg.runtime().maxEpochs();
            long iters = iterLoop ? cfg.runtime().maxIters() : (long) epochs * epochLength;
            Trainer.BaseLr base = Trainer.baseLr(cfg, null, batch, gpus);
            double[] lr = rates(new LrSchedule(base.lr(), cfg.paramScheduler(), epochs, iters, epochLength), iters,
                    iterLoop ? 0 : epochLength);
            out.printf(Locale.ROOT, "%s: %,d images, %d GPU(s) × batch %d: %,d iterations an epoch, %,d in all; %s%n",
                    cfg.source(), images, gpus, batch, epochLength, iters, base.note());
            printTable(out, lr, epochLength, iterLoop);
            if (csv != null) writeCsv(lr, epochLength);
            if (png != null) Curves.writeSchedule(lr, epochLength, png, cfg.source());
            if (csv != null) out.println("wrote " + csv);
            if (png != null) out.println("wrote " + png);
        } catch (ConfigException | DataException | CliErrors.UserError e) {
            return CliErrors.print(err, e.getMessage());
        } catch (IOException e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
        out.flush();
        return 0;
    }

    /** The rate of each iteration; epoch-based schedulers step after every {@code epochLength} (0: never). */
    static double[] rates(LrSchedule s, long iters, int epochLength) {
        if (iters > Integer.MAX_VALUE - 8) throw new CliErrors.UserError(iters + " iterations are too many to list");
        double[] lr = new double[(int) iters];
        for (int i = 0; i < lr.length; i++) {
            lr[i] = s.lr();
            s.afterIter();
            if (epochLength > 0 && (i + 1) % epochLength == 0) s.afterEpoch();
        }
        return lr;
    }

    /** One line per epoch (per pass of the data in an iteration loop): its iterations and first / last rates. */
    private static void printTable(PrintWriter out, double[] lr, int epochLength, boolean iterLoop) {
        out.printf(Locale.ROOT, "%-7s %-19s %-12s %-12s%n", iterLoop ? "pass" : "epoch", "iterations", "first lr", "last lr");
        for (int start = 0, e = 1; start < lr.length; start += epochLength, e++) {
            int end = Math.min(lr.length, start + epochLength);
            out.printf(Locale.ROOT, "%-7d %-19s %-12.6g %-12.6g%n", e, (start + 1) + "-" + end, lr[start], lr[end - 1]);
        }
    }

    private void writeCsv(double[] lr, int epochLength) throws IOException {
        StringBuilder b = new StringBuilder("iteration,epoch,lr\n");
        for (int i = 0; i < lr.length; i++) b.append(i + 1).append(',').append(i / epochLength + 1).append(',').append(lr[i]).append('\n');
        AtomicFiles.write(csv, os -> os.write(b.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
