package autoassign.cli;

import autoassign.api.Detector;
import autoassign.backend.Backend;
import autoassign.config.Config;
import autoassign.config.ConfigException;
import autoassign.config.ConfigLoader;
import autoassign.config.DataLoaderConfig;
import autoassign.data.BadImageException;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataException;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.data.Pipeline;
import autoassign.data.PipelineOptions;
import autoassign.data.SampleDraws;
import autoassign.eval.Inference;
import autoassign.io.CheckpointException;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.PostProcessConfig;
import autoassign.train.DataSources;
import autoassign.train.MemoryProfiler;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code benchmark}: MMDetection's {@code tools/analysis_tools/benchmark.py} (mmdet/utils/benchmark.py) on real data —
 * {@code inference} (the model's test step on the test set, one image per batch, no loader threads), {@code dataloader}
 * (batches of the train / val / test loader as configured) or {@code dataset} (each image through the pipeline, in a
 * shuffled order): after {@code num_warmup} iterations, fps = timed iterations / their seconds, logged every
 * {@code log_interval}, up to {@code max_iter}; {@code repeat_num} runs averaged as the script averages them. (The
 * random-input timing of the PyTorch comparison is {@code bench}.)
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = {"Throughput on real data, as MMDetection's tools/analysis_tools/benchmark.py:",
            "--task inference (the test set through the model, batch 1), dataloader (the configured loader's",
            "batches) or dataset (each image through the pipeline); fps after --num-warmup iterations, logged",
            "every --log-interval, up to --max-iter, --repeat-num runs averaged."})
public final class BenchmarkCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "CFG", required = true, description = "model config (YAML or a built-in name)")
    String config;

    @Option(names = "--checkpoint", paramLabel = "CKPT", description = "weights (.safetensors or MMDetection .pth): required by --task inference")
    Path checkpoint;

    @Option(names = "--task", defaultValue = "dataloader", description = "inference, dataloader or dataset (default: ${DEFAULT-VALUE})")
    String task;

    @Option(names = "--repeat-num", defaultValue = "1", description = "runs to average (default: ${DEFAULT-VALUE})")
    int repeatNum;

    @Option(names = "--max-iter", defaultValue = "2000", description = "iterations per run (default: ${DEFAULT-VALUE})")
    int maxIter;

    @Option(names = "--log-interval", defaultValue = "50", description = "log every N iterations (default: ${DEFAULT-VALUE})")
    int logInterval;

    @Option(names = "--num-warmup", defaultValue = "5", description = "untimed iterations first (default: ${DEFAULT-VALUE})")
    int numWarmup;

    @Option(names = "--dataset-type", defaultValue = "test", description = "train, val or test: the loader of --task dataloader / dataset (default: ${DEFAULT-VALUE})")
    String datasetType;

    @Option(names = "--data-root", paramLabel = "DIR", description = "dataset root (default: the config's)")
    String dataRoot;

    @Option(names = "--device", description = "--task inference: cpu, cuda or cuda:N (default: CUDA when usable, else CPU)")
    String device;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Spec
    CommandSpec spec;

    private PrintWriter out;

    /** One timed iteration: returns false when the data ran out. */
    private interface Iteration {
        boolean run(int i) throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!List.of("inference", "dataloader", "dataset").contains(task))
            return CliErrors.print(err, "--task must be inference, dataloader or dataset, got " + task);
        if (!List.of("train", "val", "test").contains(datasetType))
            return CliErrors.print(err, "dataset_type only supports train, val and test, but got " + datasetType);
        if (repeatNum < 1 || maxIter < 1 || logInterval < 1 || numWarmup < 0)
            return CliErrors.print(err, "--repeat-num, --max-iter and --log-interval must be >= 1, --num-warmup >= 0");
        if (task.equals("inference") && checkpoint == null) return CliErrors.print(err, "--task inference needs --checkpoint");
        try {
            Config cfg = ConfigLoader.loadNamed(config, overrides.values());
            if (!task.equals("dataset")) { // DatasetBenchmark logs no memory
                print("before build: ");
                print(MemoryProfiler.processLine());
            }
            List<Double> fps = switch (task) {
                case "inference" -> inference(cfg, err);
                case "dataloader" -> dataloader(cfg);
                default -> dataset(cfg);
            };
            average(fps, task.equals("dataloader") ? loaderOf(cfg) : null);
            return 0;
        } catch (ConfigException | DataException | CheckpointException | CliErrors.UserError e) {
            return CliErrors.print(err, CliErrors.message(e));
        }
    }

    /** InferenceBenchmark: the test loader at batch 1 without worker threads, the model's test step timed between syncs. */
    private List<Double> inference(Config cfg, PrintWriter err) throws Exception {
        AutoAssignDetector model = CheckpointModel.load(cfg, checkpoint, device, err);
        Backend be = autoassign.backend.Backends.of(model.device());
        CocoDataset dataset = DataSources.loadTest(cfg, dataRoot, new DataIssues("test"));
        PipelineOptions pipeline = Detector.testPipeline(cfg).withFlipProb(0);
        PostProcessConfig post = Inference.postProcessConfig(cfg.model().testCfg());
        print("after build: ");
        print(MemoryProfiler.processLine());
        List<Double> fps = new ArrayList<>();
        for (int r = 0; r < repeatNum; r++) {
            try (DataLoader dl = new DataLoader(dataset, pipeline, LoaderOptions.test(1, 0));
                 DataLoader.Epoch epoch = dl.epoch(0)) {
                fps.add(runOnce(i -> {
                    if (!epoch.hasNext()) return false;
                    Batch b = epoch.next();
                    be.synchronize();
                    long t0 = System.nanoTime();
                    Inference.predict(model, b, post);
                    be.synchronize();
                    lastSeconds = (System.nanoTime() - t0) / 1e9;
                    return true;
                }, "image", "img/s", "times per image", "ms/img",
                        () -> be.peakMemoryBytes() < 0 ? "" : ", cuda memory: " + (be.peakMemoryBytes() >> 20) + " MB"));
            }
        }
        if (be.peakMemoryBytes() >= 0) print("cuda memory: " + (be.peakMemoryBytes() >> 20) + " MB");
        return fps;
    }

    /** DataLoaderBenchmark: the configured loader of --dataset-type, the wait for each batch timed. */
    private List<Double> dataloader(Config cfg) throws Exception {
        CocoDataset dataset = datasetOf(cfg);
        PipelineOptions pipeline = pipelineOf(cfg);
        LoaderOptions loader = loaderOf(cfg);
        print("after build: ");
        print(MemoryProfiler.processLine());
        List<Double> fps = new ArrayList<>();
        String batchNote = ", batch size: " + loader.batchSize() + ", num_workers: " + loader.workers();
        for (int r = 0; r < repeatNum; r++) {
            try (DataLoader dl = new DataLoader(dataset, pipeline, loader); DataLoader.Epoch epoch = dl.epoch(0)) {
                fps.add(runOnce(i -> {
                    long t0 = System.nanoTime();
                    if (!epoch.hasNext()) return false;
                    epoch.next();
                    lastSeconds = (System.nanoTime() - t0) / 1e9;
                    return true;
                }, "batch", "batch/s", "times per batch", "ms/batch", () -> batchNote));
            }
        }
        return fps;
    }

    /** DatasetBenchmark: a shuffled order of the dataset, each image's record and pipeline timed. */
    private List<Double> dataset(Config cfg) throws Exception {
        CocoDataset dataset = datasetOf(cfg);
        Pipeline pipeline = new Pipeline(pipelineOf(cfg));
        List<Double> fps = new ArrayList<>();
        for (int r = 0; r < repeatNum; r++) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < dataset.size(); i++) order.add(i);
            Collections.shuffle(order, new Random(r)); // np.random.shuffle, here seeded per run
            long seed = r;
            fps.add(runOnce(i -> {
                if (i >= order.size()) return false;
                int idx = order.get(i);
                long t0 = System.nanoTime();
                dataset.get(idx);
                long t1 = System.nanoTime();
                try {
                    pipeline.prepare(dataset, idx, SampleDraws.of(seed, 0, i));
                } catch (BadImageException e) {
                    print(e.getMessage());
                }
                long t2 = System.nanoTime();
                if ((i + 1) % logInterval == 0) {
                    // get_data_info, then each transform: the engine's pipeline is one fused step (decode included)
                    print("get_data_info - " + PyRepr.ms((t1 - t0) / 1e6) + " ms");
                    print("Pipeline - " + PyRepr.ms((t2 - t1) / 1e6) + " ms");
                }
                lastSeconds = (t2 - t0) / 1e9;
                return true;
            }, "img", "img/s", "times per img", "ms/img", () -> ""));
        }
        return fps;
    }

    private double lastSeconds;

    /**
     * run_once: iterations until --max-iter or the end of the data; after the warm-up, fps = timed iterations / their
     * seconds. Where the data ends first, the script keeps its last logged fps; this uses every timed iteration.
     */
    private double runOnce(Iteration it, String unit, String rate, String perLabel, String perUnit,
                           java.util.function.Supplier<String> extra) throws Exception {
        double pure = 0, fps = 0;
        int done = 0;
        for (int i = 0; i < maxIter; i++) {
            if ((i + 1) % logInterval == 0) print("==================================");
            if (!it.run(i)) break;
            done = i + 1;
            if (i >= numWarmup) {
                pure += lastSeconds;
                if ((i + 1) % logInterval == 0) {
                    fps = (i + 1 - numWarmup) / pure;
                    print(String.format(Locale.ROOT, "Done %s [%-3d/%d], fps: %.1f %s, %s: %.1f %s%s", unit, i + 1, maxIter,
                            fps, rate, perLabel, 1000 / fps, perUnit, extra.get()));
                    if (!task.equals("dataset")) print(MemoryProfiler.processLine()); // DatasetBenchmark logs no memory
                }
            }
        }
        if (done <= numWarmup)
            throw new CliErrors.UserError("only " + done + " iterations, not more than --num-warmup " + numWarmup + ": nothing was timed");
        if (done < maxIter) print("the data ended after " + done + " of --max-iter " + maxIter + " iterations: fps over the "
                + (done - numWarmup) + " timed ones");
        return (done - numWarmup) / pure;
    }

    /** average_multiple_runs: each run's fps rounded to 0.1, their mean, and the time per item. */
    private void average(List<Double> fps, LoaderOptions loader) {
        print("============== Done ==================");
        List<Double> rounded = new ArrayList<>();
        for (double f : fps) rounded.add(Math.round(f * 10) / 10.0);
        double avg = rounded.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        String batch = loader == null ? "" : ", batch size: " + loader.batchSize() + ", num_workers: " + loader.workers();
        String unit = loader == null ? "img" : "batch", per = task.equals("dataset") ? "img" : task.equals("inference") ? "image" : "batch";
        if (rounded.size() > 1) {
            List<Double> times = new ArrayList<>();
            for (double f : fps) times.add(Math.round(1000 / f * 10) / 10.0);
            double avgTime = times.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            print(String.format(Locale.ROOT, "Overall fps: %s[%.1f] img/s, times per %s: %s[%.1f] ms/%s%s",
                    PyRepr.list(rounded), avg, per, PyRepr.list(times), avgTime, unit, batch));
        } else {
            print(String.format(Locale.ROOT, "Overall fps: %.1f %s/s, times per %s: %.1f ms/%s%s",
                    rounded.get(0), loader == null ? "img" : "batch", per, 1000 / rounded.get(0), unit, batch));
        }
        if (!task.equals("dataset")) print(MemoryProfiler.processLine());
    }

    private CocoDataset datasetOf(Config cfg) {
        DataIssues issues = new DataIssues(datasetType);
        return datasetType.equals("test") ? DataSources.loadTest(cfg, dataRoot, issues)
                : DataSources.load(cfg, datasetType.equals("train"), dataRoot, issues);
    }

    private PipelineOptions pipelineOf(Config cfg) {
        return datasetType.equals("train") ? DataSources.trainPipeline(cfg) : Detector.testPipeline(cfg, dataloaderConfig(cfg));
    }

    private DataLoaderConfig dataloaderConfig(Config cfg) {
        return datasetType.equals("train") ? cfg.trainDataloader() : datasetType.equals("val") ? cfg.valDataloader() : cfg.testDataloader();
    }

    private LoaderOptions loaderOf(Config cfg) {
        DataLoaderConfig dl = dataloaderConfig(cfg);
        return datasetType.equals("train")
                ? LoaderOptions.train(dl.batchSize(), 0, dl.numWorkers(), dl.shuffle(), dl.aspectRatioGrouping())
                : LoaderOptions.test(dl.batchSize(), dl.numWorkers());
    }

    private void print(String line) {
        out.println(line);
        out.flush();
    }

    /** Python's text of the numbers the script prints. */
    static final class PyRepr {
        private PyRepr() {}

        /** A Python list of floats rounded to 0.1, as {@code print(f'{list}')} shows it: [12.3, 4.0]. */
        static String list(List<Double> values) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < values.size(); i++) sb.append(i == 0 ? "" : ", ").append(autoassign.io.PyJson.floatRepr(values.get(i)));
            return sb.append(']').toString();
        }

        /** {@code f'{elapsed * 1000}'}: milliseconds as Python's repr of the float. */
        static String ms(double ms) { return autoassign.io.PyJson.floatRepr(ms); }
    }
}
