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
import autoassign.io.PyJson;
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

    /** One timed iteration i: its seconds, or a negative value when the data ran out. */
    private interface Iteration {
        double seconds(int i) throws Exception;
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
            average(fps, task.equals("dataloader") ? batchNote(loaderOf(cfg)) : "");
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
                    if (!epoch.hasNext()) return -1;
                    Batch b = epoch.next();
                    be.synchronize();
                    long t0 = System.nanoTime();
                    Inference.predict(model, b, post);
                    be.synchronize();
                    return (System.nanoTime() - t0) / 1e9;
                }, "image", "img/s", "times per image", "ms/img",
                        () -> be.peakMemoryBytes() < 0 ? "" : ", cuda memory: " + (be.peakMemoryBytes() >> 20) + " MB"));
            }
        }
        if (be.peakMemoryBytes() >= 0) print("cuda memory: " + (be.peakMemoryBytes() >> 20) + " MB");
        return fps;
    }

    /** DataLoaderBenchmark: the configured loader of --dataset-type, the wait for each batch timed. */
    private List<Double> dataloader(Config cfg) throws Exception {
        CocoDataset dataset = DataSplit.dataset(cfg, datasetType, dataRoot, new DataIssues(datasetType));
        PipelineOptions pipeline = DataSplit.pipeline(cfg, datasetType);
        LoaderOptions loader = loaderOf(cfg);
        print("after build: ");
        print(MemoryProfiler.processLine());
        List<Double> fps = new ArrayList<>();
        String batchNote = batchNote(loader);
        for (int r = 0; r < repeatNum; r++) {
            try (DataLoader dl = new DataLoader(dataset, pipeline, loader); DataLoader.Epoch epoch = dl.epoch(0)) {
                fps.add(runOnce(i -> {
                    long t0 = System.nanoTime();
                    if (!epoch.hasNext()) return -1;
                    epoch.next();
                    return (System.nanoTime() - t0) / 1e9;
                }, "batch", "batch/s", "times per batch", "ms/batch", () -> batchNote));
            }
        }
        return fps;
    }

    /** DatasetBenchmark: a shuffled order of the dataset, each image's record and pipeline timed. */
    private List<Double> dataset(Config cfg) throws Exception {
        CocoDataset dataset = DataSplit.dataset(cfg, datasetType, dataRoot, new DataIssues(datasetType));
        Pipeline pipeline = new Pipeline(DataSplit.pipeline(cfg, datasetType));
        List<Double> fps = new ArrayList<>();
        for (int r = 0; r < repeatNum; r++) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < dataset.size(); i++) order.add(i);
            Collections.shuffle(order, new Random(r)); // np.random.shuffle, here seeded per run
            long seed = r;
            fps.add(runOnce(i -> {
                if (i >= order.size()) return -1;
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
                    print("get_data_info - " + PyJson.floatRepr((t1 - t0) / 1e6) + " ms");
                    print("Pipeline - " + PyJson.floatRepr((t2 - t1) / 1e6) + " ms");
                }
                return (t2 - t0) / 1e9;
            }, "img", "img/s", "times per img", "ms/img", () -> ""));
        }
        return fps;
    }

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
            double seconds = it.seconds(i);
            if (seconds < 0) break;
            done = i + 1;
            if (i >= numWarmup) {
                pure += seconds;
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
    private void average(List<Double> fps, String batchNote) {
        print("============== Done ==================");
        List<Double> rounded = new ArrayList<>(), times = new ArrayList<>();
        for (double f : fps) {
            rounded.add(Math.round(f * 10) / 10.0);
            times.add(Math.round(1000 / f * 10) / 10.0);
        }
        String unit = task.equals("dataloader") ? "batch" : "img", per = task.equals("inference") ? "image" : unit;
        if (rounded.size() > 1) {
            print(String.format(Locale.ROOT, "Overall fps: %s[%.1f] img/s, times per %s: %s[%.1f] ms/%s%s", pyList(rounded),
                    mean(rounded), per, pyList(times), mean(times), unit, batchNote));
        } else {
            print(String.format(Locale.ROOT, "Overall fps: %.1f %s/s, times per %s: %.1f ms/%s%s",
                    rounded.get(0), unit, per, 1000 / rounded.get(0), unit, batchNote));
        }
        if (!task.equals("dataset")) print(MemoryProfiler.processLine());
    }

    private static double mean(List<Double> v) { return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN); }

    /** A Python list of floats as {@code print(f'{list}')} shows it: [12.3, 4.0]. */
    private static String pyList(List<Double> values) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) sb.append(i == 0 ? "" : ", ").append(PyJson.floatRepr(values.get(i)));
        return sb.append(']').toString();
    }

    private static String batchNote(LoaderOptions loader) {
        return ", batch size: " + loader.batchSize() + ", num_workers: " + loader.workers();
    }

    private LoaderOptions loaderOf(Config cfg) {
        DataLoaderConfig dl = DataSplit.dataloader(cfg, datasetType);
        return datasetType.equals("train")
                ? LoaderOptions.train(dl.batchSize(), 0, dl.numWorkers(), dl.shuffle(), dl.aspectRatioGrouping())
                : LoaderOptions.test(dl.batchSize(), dl.numWorkers());
    }

    private void print(String line) {
        out.println(line);
        out.flush();
    }
}
