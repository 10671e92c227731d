package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.data.DataException;
import autoassign.data.DataIssues;
import autoassign.io.AtomicFiles;
import autoassign.train.DataSources;
import autoassign.train.LrSchedule;
import autoassign.train.Optimizer;
import autoassign.train.Trainer;
import autoassign.viz.Curves;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code schedule CFG}: the learning rate of every iteration of a config's training, as {@code train} would step it
 * (MMDetection's {@code tools/analysis_tools/vis_scheduler.py}): a table per epoch, and optionally a plot and a CSV;
 * with momentum schedulers, the momentum (SGD's, or Adam's beta1) too. ReduceOnPlateau schedulers depend on the
 * validation metrics, which a preview does not have: it shows them as if the monitored metric never improved after the
 * first validation (validations where {@code train_cfg} puts them), the earliest their reductions can come.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = {"Show the learning rate (and the momentum, when schedulers drive it) a config's param_scheduler gives"
                + " each iteration of its training.",
            "The epoch length comes from --dataset-size, else from the config's train annotations.",
            "ReduceOnPlateau schedulers are shown as if their metric never improved after the first validation."})
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

    @Option(names = "--csv", paramLabel = "CSV",
            description = "also write iteration,epoch,lr lines into this file (iteration,epoch,lr,momentum with momentum schedulers)")
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
            // the optimizer's momentum (SGD's momentum, Adam's beta1; NaN: none), what momentum schedulers start from
            double momentum = Optimizer.of(List.of(), cfg.optimWrapper()).momentum();
            LrSchedule schedule;
            try {
                schedule = new LrSchedule(base.lr(), new double[0], momentum, cfg.paramScheduler(), epochs, iters, epochLength);
            } catch (IllegalArgumentException e) {
                throw new CliErrors.UserError(cfg.source() + ": " + e.getMessage());
            }
            Values v = values(schedule, iters, iterLoop ? 0 : epochLength, validatedAfter(cfg, iters, epochLength, iterLoop));
            out.printf(Locale.ROOT, "%s: %,d images, %d GPU(s) × batch %d: %,d iterations an epoch, %,d in all; %s%n",
                    cfg.source(), images, gpus, batch, epochLength, iters, base.note());
            if (schedule.needsMetrics())
                out.println("ReduceOnPlateau (monitor " + String.join(", ", schedule.monitors()) + "): shown as if it never improved"
                        + " after the first validation, the earliest reductions; in training they depend on the metrics");
            double[] lr = v.lr();
            double[] mom = schedule.schedulesMomentum() ? v.momentum() : null;
            printTable(out, lr, mom, epochLength, iterLoop);
            if (csv != null) writeCsv(lr, mom, epochLength);
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

    /** The learning rate and momentum of each iteration. */
    record Values(double[] lr, double[] momentum) {}

    /**
     * The values of each iteration; epoch-based schedulers step after every {@code epochLength} (0: never), and after
     * the iterations (epoch-based loop: the epochs) that {@code validated} takes, a validation whose monitored metrics
     * never improve on the first (a constant) steps the ReduceOnPlateau schedulers.
     */
    static Values values(LrSchedule s, long iters, int epochLength, java.util.function.LongPredicate validated) {
        if (iters > Integer.MAX_VALUE - 8) throw new CliErrors.UserError(iters + " iterations are too many to list");
        double[] lr = new double[(int) iters], momentum = new double[(int) iters];
        Map<String, Double> constant = new LinkedHashMap<>();
        for (String m : s.monitors()) constant.put(m, 0.5);
        for (int i = 0; i < lr.length; i++) {
            lr[i] = s.lr();
            momentum[i] = s.momentum();
            s.afterIter();
            if (epochLength > 0 && (i + 1) % epochLength == 0) s.afterEpoch();
            if (s.needsMetrics() && validated.test(i + 1)) s.afterValidation(constant);
        }
        return new Values(lr, momentum);
    }

    /**
     * After which iterations {@code train} validates: every {@code val_interval} epochs (iterations in an iteration loop)
     * from {@code val_begin} on, and after the last.
     */
    private static java.util.function.LongPredicate validatedAfter(Config cfg, long iters, int epochLength, boolean iterLoop) {
        var rt = cfg.runtime();
        return done -> {
            if (!iterLoop && done % epochLength != 0) return false;
            long n = iterLoop ? done : done / epochLength;
            return n >= rt.valBegin() && (n % rt.valIntervalAfter(n) == 0 || done == iters);
        };
    }

    /**
     * One line per epoch (per pass of the data in an iteration loop): its iterations and first / last rates, and with
     * momentum schedulers ({@code momentum} not null) the first / last momentum.
     */
    private static void printTable(PrintWriter out, double[] lr, double[] momentum, int epochLength, boolean iterLoop) {
        out.printf(Locale.ROOT, "%-7s %-19s %-12s %-12s" + (momentum != null ? " %-12s %-12s" : "") + "%n",
                iterLoop ? "pass" : "epoch", "iterations", "first lr", "last lr", "first mom.", "last mom.");
        for (int start = 0, e = 1; start < lr.length; start += epochLength, e++) {
            int end = Math.min(lr.length, start + epochLength);
            out.printf(Locale.ROOT, "%-7d %-19s %-12.6g %-12.6g", e, (start + 1) + "-" + end, lr[start], lr[end - 1]);
            if (momentum != null) out.printf(Locale.ROOT, " %-12.6g %-12.6g", momentum[start], momentum[end - 1]);
            out.println();
        }
    }

    private void writeCsv(double[] lr, double[] momentum, int epochLength) throws IOException {
        StringBuilder b = new StringBuilder(momentum != null ? "iteration,epoch,lr,momentum\n" : "iteration,epoch,lr\n");
        for (int i = 0; i < lr.length; i++) {
            b.append(i + 1).append(',').append(i / epochLength + 1).append(',').append(lr[i]);
            if (momentum != null) b.append(',').append(momentum[i]);
            b.append('\n');
        }
        AtomicFiles.write(csv, os -> os.write(b.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
