package autoassign.train.dist;

import autoassign.backend.DeviceSelector;
import autoassign.data.CocoDataset;
import autoassign.data.LoaderOptions;
import autoassign.data.PipelineOptions;
import autoassign.eval.CocoResults;
import autoassign.eval.DatasetEvaluation;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Device;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code eval --gpus N} / {@code --cpu-workers N}: MMDetection's distributed test ({@code tools/dist_test.sh}) in one
 * process — one worker thread per GPU (or CPU worker), each with its own copy of the model, runs its shard of the
 * test set ({@link ShardedEvaluation#gather}); the detections come back to rank 0 in dataset order, so the results
 * (and every metric computed from them) are those of a single-worker run at batch size 1 (MMDetection's test
 * batch; larger batches pad their images together, and shards group other images).
 */
public final class DataParallelEvaluation {
    private DataParallelEvaluation() {}

    /**
     * The detections of every image of {@code dataset}.
     *
     * @param model makes one model with the checkpoint's weights (on the CPU); each worker moves its own to its device
     * @param tta   test-time augmentation on each shard, or null
     */
    public static CocoResults detect(DistOptions d, String deviceOption, Supplier<AutoAssignDetector> model,
                                     CocoDataset dataset, PipelineOptions pipeline, LoaderOptions loader,
                                     PostProcessConfig post, autoassign.eval.TestTimeAug tta, PrintStream log) throws Exception {
        return detect(d, deviceOption, model, dataset, pipeline, loader, post, tta, log, null);
    }

    /**
     * As above, then hands every image's detections to {@code sink} (when non-null) in dataset order, once all are
     * gathered: what the single-worker loop hands it as they come ({@code eval --show-dir}, {@code --out}).
     */
    public static CocoResults detect(DistOptions d, String deviceOption, Supplier<AutoAssignDetector> model,
                                     CocoDataset dataset, PipelineOptions pipeline, LoaderOptions loader,
                                     PostProcessConfig post, autoassign.eval.TestTimeAug tta, PrintStream log,
                                     DatasetEvaluation.ImageSink sink) throws Exception {
        return detect(d, deviceOption, model, dataset, pipeline, loader, post, tta, log, sink, null, null);
    }

    /**
     * As above, each worker running the test loop's memory hooks of {@code runtime} (MemoryProfilerHook, EmptyCacheHook;
     * null: none) on its own device, rank 0's lines going to {@code hookLog}, as MMEngine's ranks run their hooks and
     * rank 0's logger prints.
     */
    public static CocoResults detect(DistOptions d, String deviceOption, Supplier<AutoAssignDetector> model,
                                     CocoDataset dataset, PipelineOptions pipeline, LoaderOptions loader,
                                     PostProcessConfig post, autoassign.eval.TestTimeAug tta, PrintStream log,
                                     DatasetEvaluation.ImageSink sink, autoassign.config.RuntimeConfig runtime,
                                     java.util.function.Consumer<String> hookLog) throws Exception {
        if (d.nodes() > 1) throw new autoassign.cli.CliErrors.UserError("eval runs on one machine: --nodes is for train");
        DataParallelTrainer.validate(d, deviceOption);
        int n = d.localWorkers();
        List<Device> devices = new ArrayList<>();
        List<? extends Communicator> comms;
        if (d.cpuWorkers() > 0) {
            for (int r = 0; r < n; r++) devices.add(Device.CPU);
            comms = InProcessCommunicator.create(n, d.collectiveTimeout());
            log.println("evaluation: " + n + " CPU worker threads");
        } else {
            DeviceSelector.select("cuda:0", log::println);
            for (int r = 0; r < n; r++) devices.add(Device.cuda(r));
            comms = NcclCommunicator.initAll(devices, d.collectiveTimeout());
            log.println("evaluation: " + n + " GPUs, NCCL " + NcclCommunicator.version());
        }
        List<List<ShardedEvaluation.ImageDetections>> rank0 = new ArrayList<>(List.of(List.of()));
        WorkerThreads workers = new WorkerThreads(n, "eval-rank-", 0, rank -> {
            AutoAssignDetector m = model.get();
            if (!devices.get(rank).isCpu()) m.to(devices.get(rank));
            autoassign.train.MemoryHooks hooks = runtime == null ? null
                    : autoassign.train.MemoryHooks.of(runtime, devices.get(rank), rank == 0 ? hookLog : line -> {});
            if (hooks != null) hooks.beforeEpoch();
            List<ShardedEvaluation.ImageDetections> res = ShardedEvaluation.gatherImages(comms.get(rank), m, dataset, pipeline,
                    loader, post, tta, hooks == null ? null : hooks.afterEachBatch(null));
            if (hooks != null) hooks.afterEpoch();
            if (rank == 0) rank0.set(0, res);
        }, cause -> {
            for (Communicator c : comms) c.abort(cause); // the other workers stop waiting
        });
        try {
            workers.startAndJoin();
        } finally {
            for (Communicator c : comms) c.close();
        }
        workers.rethrowFirstFailure();
        return ShardedEvaluation.results(rank0.get(0), dataset, sink);
    }
}
