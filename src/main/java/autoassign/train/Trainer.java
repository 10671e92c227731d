package autoassign.train;

import autoassign.autograd.F;
import autoassign.autograd.Graph;
import autoassign.backend.DeviceSelector;
import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.config.DatasetConfig;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.eval.Evaluation;
import autoassign.io.CheckpointException;
import autoassign.io.ModelWeights;
import autoassign.loss.AutoAssignLoss;
import autoassign.loss.GroundTruth;
import autoassign.loss.LossReducer;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HeadOutputs;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import autoassign.train.dist.Communicator;
import autoassign.train.dist.GradientBuckets;
import autoassign.train.dist.Replica;
import autoassign.viz.Curves;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * MMDetection's EpochBasedTrainLoop for AutoAssign: forward, fused loss, backward, SGD step with warm-up and
 * step decay, checkpoints each epoch (and when asked to stop), evaluation on the val split, logs and curves.
 * A seeded CPU run is reproducible, and resuming from a checkpoint gives the same weights as not stopping.
 *
 * <p>Data parallel ({@link Replica}, see {@code autoassign.train.dist.DataParallelTrainer}): one Trainer per worker,
 * each on its own device and shard of the data; the loss normalisers and the gradients are reduced over the
 * workers, every decision that ends a loop is agreed by all of them, and rank 0 alone logs, writes files and
 * gathers the evaluation.
 */
public final class Trainer {
    /** How many non-finite losses in a row end the training. */
    static final int MAX_BAD_STEPS = 3;

    private final Config cfg;
    private final TrainOptions opt;
    private final PrintStream out;
    private Path runFolder; // MMEngine's <work_dir>/<timestamp>, made when the main worker starts
    private final Path workDir;
    private final int epochs, batchSize;
    private long seed; // a resumed run takes its checkpoint's
    private final double baseLr;
    private final String lrNote;
    private final Replica replica;   // null: one worker, no collectives
    private final Communicator comm;
    private final boolean main;      // rank 0 (or the only worker): logs, writes checkpoints / metrics, evaluates
    private volatile boolean stopRequested;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** What a finished (or stopped) run leaves. */
    public record Result(int epochsDone, long iterations, double lastLoss, Evaluation lastEval, Path workDir,
                         boolean stoppedEarly, String stopReason) {}

    public Trainer(Config cfg, TrainOptions opt, PrintStream out) {
        this(cfg, opt, out, null);
    }

    /** One worker of a data-parallel run ({@code replica} null: the ordinary single-worker trainer). */
    public Trainer(Config cfg, TrainOptions opt, PrintStream out, Replica replica) {
        this.replica = replica;
        this.comm = replica != null ? replica.comm() : null;
        this.main = replica == null || replica.isMain();
        int world = replica == null ? 1 : replica.worldSize();
        this.cfg = cfg;
        this.out = main ? new RunLog(out) : out; // the main worker's lines also go to MMEngine's <timestamp>.log
        this.workDir = opt.workDir() != null ? opt.workDir() : RunFolders.workDir(cfg); // --work-dir, else work_dir, as train.py
        this.opt = withConfigStart(cfg, opt, workDir, this.out);
        if (cfg.runtime().iterBased() && opt.epochs() != null)
            throw new UserError("--epochs: " + cfg.source() + " trains an IterBasedTrainLoop; set its length with "
                    + "--cfg-options train_cfg.max_iters=N");
        this.epochs = opt.epochs() != null ? opt.epochs() : cfg.runtime().maxEpochs();
        int cfgBatch = cfg.trainDataloader().batchSize();
        this.batchSize = opt.batchSize() != null ? opt.batchSize() : cfgBatch;
        if (epochs < 1) throw new UserError("--epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new UserError("--batch-size must be >= 1, got " + batchSize);
        this.seed = opt.seed() != null ? opt.seed() : cfg.runtime().seed();
        BaseLr lr = baseLr(cfg, opt.lr(), batchSize, world);
        this.baseLr = lr.lr();
        this.lrNote = lr.note();
    }

    /** The optimizer's learning rate for a run, and a log note saying where it came from. */
    public record BaseLr(double lr, String note) {}

    /**
     * The run's base learning rate: {@code --lr} ({@code cliLr}, null: none) wins; else the config's, scaled by the
     * linear scaling rule (Goyal et al.: lr ∝ total batch size) when the batch size differs from the config's or
     * {@code auto_scale_lr} is enabled (then over all {@code world} workers against {@code base_batch_size}, as
     * MMEngine).
     */
    public static BaseLr baseLr(Config cfg, Double cliLr, int batchSize, int world) {
        double lr = cfg.optimWrapper().lr();
        if (cliLr != null) return new BaseLr(cliLr, "lr " + fmt(cliLr) + " from --lr");
        int cfgBatch = cfg.trainDataloader().batchSize();
        if (batchSize == cfgBatch && !cfg.autoScaleLr()) return new BaseLr(lr, "lr " + fmt(lr) + " from the config");
        int ref = cfg.autoScaleLr() ? cfg.baseBatchSize() : cfgBatch;
        int total = cfg.autoScaleLr() ? batchSize * world : batchSize;
        double scaled = lr * total / ref;
        return new BaseLr(scaled, "lr " + fmt(scaled) + " = " + fmt(lr) + " × " + total + "/" + ref
                + " (linear scaling rule for batch " + total + ")");
    }

    /** The training loader: the config's {@code sampler.shuffle} and {@code batch_sampler} (aspect-ratio grouping). */
    static LoaderOptions trainLoader(Config cfg, int batchSize, long seed, int workers) {
        return LoaderOptions.train(batchSize, seed, workers, cfg.trainDataloader().shuffle(), cfg.trainDataloader().aspectRatioGrouping());
    }

    /**
     * The config's {@code load_from} / {@code resume} (MMEngine's) where the options give neither: {@code resume}
     * continues from {@code load_from}, else from the work dir's newest checkpoint, and starts afresh when there is
     * none (as MMEngine, with a line saying so); {@code load_from} alone starts from those weights (a URL: the
     * file of that name in the torch hub cache, where MMEngine downloads it; the engine downloads nothing).
     */
    static TrainOptions withConfigStart(Config cfg, TrainOptions opt, Path workDir, PrintStream out) {
        // MMDetection's train.py --resume (auto) with nothing to resume trains afresh (runner.load_or_resume finds
        // no last_checkpoint), the config's load_from set aside; so a preemptible job can always pass --resume
        if ("auto".equals(opt.resume()) && new CheckpointStore(workDir, -1).latest() == null) {
            out.println("--resume auto: " + workDir + " has no checkpoint yet: starting afresh");
            return opt.withResume(null);
        }
        if (opt.resume() != null || opt.loadFrom() != null) return opt;
        String load = cfg.runtime().loadFrom();
        if (cfg.runtime().resume()) {
            if (load != null) return opt.withResume(load);
            if (new CheckpointStore(workDir, -1).latest() != null) return opt.withResume("auto");
            out.println("resume: true in the config, but " + workDir + " has no checkpoint yet: starting afresh");
            return opt;
        }
        // a URL (MMDetection configs name release checkpoints so) is looked up where MMEngine would have cached it
        return load != null ? opt.withLoadFrom(load.contains("://") ? PretrainedWeights.locate(load) : Path.of(load)) : opt;
    }


    private static String fmt(double v) { return String.format(Locale.ROOT, "%.4g", v); }

    public Path workDir() { return workDir; }

    /** Asks the loop to save a checkpoint and return after the current iteration (what SIGINT/SIGTERM do). */
    public void requestStop() { stopRequested = true; }

    /** Installs a shutdown hook that stops the loop cleanly (checkpoint written) on SIGINT / SIGTERM. */
    public Thread installSignalHandler() {
        Thread hook = new Thread(() -> {
            requestStop();
            try {
                stopped.await(120, TimeUnit.SECONDS); // let the loop finish its checkpoint
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    public Result run() throws IOException {
        try {
            return train();
        } finally {
            if (out instanceof RunLog log) log.detach();
            stopped.countDown();
        }
    }

    /**
     * MMEngine's run folder {@code <work_dir>/<timestamp>} ({@code yyyyMMdd_HHmmss}, local time): the text log
     * {@code <timestamp>.log} and the json logs in {@code vis_data}, new for every run (a resumed one too).
     */
    private Path runDir() {
        if (runFolder == null) runFolder = RunFolders.newRun(workDir);
        return runFolder;
    }

    private Result train() throws IOException {
        if (main) {
            Files.createDirectories(workDir);
            ((RunLog) out).attach(runDir().resolve(runDir().getFileName() + ".log"));
            // the whole config as run (bases merged, overrides applied), as MMEngine dumps it into its work dir
            Path dump = workDir.resolve(RunFolders.configName(cfg.source()) + ".yaml");
            autoassign.io.AtomicFiles.write(dump, os -> os.write(cfg.text().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        autoassign.backend.cuda.CudaOptions.useConfig(cfg.runtime().cudnnBenchmark(), cfg.runtime().deterministic());
        Device device = replica != null ? replica.device() : DeviceSelector.select(opt.device(), out::println);
        out.println("work dir: " + workDir.toAbsolutePath());
        boolean iterLoop = cfg.runtime().iterBased();
        out.println("config: " + cfg.source() + (iterLoop ? " | iterations " + cfg.runtime().maxIters() : " | epochs " + epochs)
                + " | batch " + batchSize
                + (replica != null ? " per worker × " + replica.worldSize() + " workers (" + comm + ")" : "") + " | " + lrNote
                + " | seed " + seed);

        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), seed);
        loadInitialWeights(model);
        model.to(device);
        out.printf(Locale.ROOT, "model: %,d parameters, %,d trainable%n", model.parameterCount(), model.trainableParameterCount());

        DataIssues trainIssues = new DataIssues("train", out::println, 5);
        CocoDataset trainSet = DataSources.load(cfg, true, opt.dataRoot(), trainIssues);
        CocoDataset valSet = DataSources.load(cfg, false, opt.dataRoot(), new DataIssues("val", out::println, 5));
        if (trainSet.size() == 0) throw new UserError(trainSet.annotationFile() + ": no training image left after filtering");
        int classes = cfg.model().bboxHead().numClasses();
        if (trainSet.numClasses() != classes)
            throw new UserError(trainSet.annotationFile() + ": " + trainSet.numClasses() + " categories, but model.bbox_head.num_classes is "
                    + classes + " (set it in the config)");
        out.println("data: " + trainSet.size() + " train images (" + trainSet.annotationFile() + "), " + valSet.size() + " val images");
        int workers = opt.workers() != null ? opt.workers() : cfg.trainDataloader().numWorkers();
        Validation validation = new Validation(cfg, out, opt.dataRoot(), comm, main, valSet, workers, this::runDir);
        String saveBest = validation.followedMetric(cfg.runtime().saveBest(), "default_hooks.checkpoint.save_best");
        if (cfg.runtime().earlyStopping() != null)
            validation.followedMetric(cfg.runtime().earlyStopping().monitor(), "custom_hooks (EarlyStoppingHook).monitor");
        // RepeatDataset / ClassBalancedDataset: the sampler's entries (an epoch is one pass over them)
        int[] trainEntries = cfg.trainDataloader().dataset().entries(trainSet);
        if (!cfg.trainDataloader().dataset().wrappers().isEmpty())
            out.println("dataset wrappers " + cfg.trainDataloader().dataset().wrappers().stream().map(DatasetConfig.Wrapper::type).toList()
                    + ": " + trainEntries.length + " samples per epoch from " + trainSet.size() + " images");

        List<Optimizer.Group> paramGroups = OptimizerGroups.of(model, cfg.optimWrapper());
        Optimizer optimizer = Optimizer.of(paramGroups, cfg.optimWrapper());
        if (optimizer.lossScaler() != null)
            out.println("AmpOptimWrapper: loss scaling as torch's GradScaler (" + (cfg.optimWrapper().amp().dynamic() ? "dynamic, initial scale "
                    : "static, scale ") + optimizer.lossScale() + "); the forward and backward stay float32 (TF32 on GPUs)"
                    + ("float32".equals(cfg.optimWrapper().amp().dtype()) ? "" // as asked: no ", not float32"
                    : ", not " + (cfg.optimWrapper().amp().dtype() == null ? "float16" : cfg.optimWrapper().amp().dtype())));
        String valFp16 = cfg.evalLoops().note(false); // val_cfg.fp16: said once; the validations stay float32
        if (valFp16 != null) out.println(valFp16);
        double loggedLrMult = OptimizerGroups.firstGroupLrMult(model, paramGroups);

        Map<String, String> datasetMeta = CheckpointStore.datasetMeta(trainSet.categories());
        CheckpointStore store = new CheckpointStore(workDir, cfg.runtime().maxKeepCkpts(), datasetMeta);
        if (comm != null) store.checkBeforeSave(comm::checkHealthy); // no weights of an aborted all-reduce are saved
        // EMAHook: the average validates and is what checkpoints hold as their model
        WeightAverage ema = cfg.runtime().ema() == null ? null : new WeightAverage(model, cfg.runtime().ema());
        if (ema != null) store.useWeightAverage(ema);
        boolean ckByEpoch = cfg.runtime().checkpointByEpoch();
        BestCheckpoint bestCkpt = saveBest == null ? null
                : new BestCheckpoint(workDir, saveBest, cfg.runtime().saveBestGreater(), opt.resume() != null,
                        datasetMeta, ckByEpoch ? "epoch" : "iter");
        int startEpoch = 0, skipIters = 0;
        long globalIter = 0;
        CheckpointStore.Resumed resumed = null;
        if (opt.resume() != null) {
            resumed = store.resume(opt.resume(), model, optimizer, iterLoop, out::println);
            startEpoch = Math.max(0, resumed.epoch());
            skipIters = resumed.iterInEpoch();
            globalIter = resumed.globalIter();
            out.println("resumed from " + resumed.file() + (resumed.epoch() < 0 ? "" : " at epoch " + (startEpoch + 1))
                    + ", iteration " + globalIter);
            if (resumed.seed() != null && resumed.seed() != seed) { // as MMEngine's runner.resume: the saved seed wins
                out.println("resume: the checkpoint's seed " + resumed.seed() + " replaces " + seed
                        + " (the data order goes on as in the run that saved it)");
                seed = resumed.seed();
            }
            if (bestCkpt != null && resumed.bestScore() != null) bestCkpt.resumeBest(resumed.bestScore());
        }
        GradientBuckets buckets = null;
        if (replica != null) {
            // identical initial weights on every worker (same seed, same files), made certain: rank 0's win
            for (Tensor t : model.stateDict().values()) {
                comm.broadcast(t, 0);
                t.bumpVersion(); // written in place by the collective: caches derived from it are stale
            }
            var backbone = cfg.model().backboneSpec();
            if (model.syncBatchStatistics(comm::allReduceSum)) // SyncBN: batch statistics over every worker
                out.println("SyncBN: the " + (backbone.normCfg().isSyncBatchNorm() && !backbone.normEval()
                        ? (model.neckSyncsBatchStatistics() ? "backbone's and neck's" : "backbone's") : "neck's")
                        + " batch statistics span all " + replica.worldSize() + " workers");
            List<Tensor> trainable = new ArrayList<>();
            for (Optimizer.Group g : optimizer.groups()) trainable.add(g.param());
            buckets = new GradientBuckets(comm, trainable, replica.bucketBytes());
            out.println("data parallel: " + replica.worldSize() + " workers, gradients all-reduced in " + buckets.bucketCount()
                    + " bucket(s) during the backward");
        }

        LoaderOptions lo = trainLoader(cfg, batchSize, seed, workers);
        if (replica != null) lo = lo.withShard(replica.rank(), replica.worldSize());
        boolean append = opt.resume() != null;
        Evaluation lastEval = null;
        double lastLoss = Double.NaN;
        int badSteps = 0;
        String stopReason = null;
        int epochsDone = startEpoch;
        boolean stopAgreed = false;
        PipelineSchedule pipelines = PipelineSchedule.of(cfg);
        var resizeCfg = cfg.model().dataPreprocessor().batchResize();
        autoassign.data.BatchSyncRandomResize batchResize = resizeCfg == null ? null : new autoassign.data.BatchSyncRandomResize(
                resizeCfg.minSize(), resizeCfg.maxSize(), resizeCfg.interval(), resizeCfg.sizeDivisor(), seed);
        try (MetricsLog metrics = main ? MetricsLog.open(workDir, cfg.visualizer(), append) : null;
             DataLoader loader = new DataLoader(trainSet, pipelines.forEpoch(0), lo, trainEntries)) {
            if (metrics != null) metrics.alsoMmengine(runDir().resolve("vis_data"), runDir().getFileName().toString(), !iterLoop);
            // MMEngine's len(train_dataloader): every epoch has it (leftover images form the last, smaller batch)
            int epochLength = loader.batchesPerEpoch(0);
            if (resumed != null && resumed.epoch() < 0) { // only the global iteration is known: its pass and place in it
                startEpoch = (int) (globalIter / epochLength);
                skipIters = (int) (globalIter % epochLength);
                epochsDone = startEpoch;
            }
            long maxIters = iterLoop ? cfg.runtime().maxIters() : (long) epochs * epochLength;
            if (ema != null) { // EMAHook.before_train's asserts
                try {
                    WeightAverage.checkBegin(cfg.runtime().ema(), iterLoop, epochs, maxIters);
                } catch (IllegalArgumentException e) {
                    throw new UserError(cfg.source() + ": " + e.getMessage());
                }
            }
            // an iteration-based loop runs over as many passes of the data as its iterations need
            int passes = iterLoop ? (int) ((maxIters + epochLength - 1) / epochLength) : epochs;
            // an MMEngine checkpoint saved mid-epoch: that epoch runs again in full while the iteration counter and the
            // schedule go on from where it was, so the loop ends that many iterations after maxIters, as MMEngine's does
            long ahead = resumed != null && resumed.restartsEpoch() && !iterLoop
                    ? Math.max(0, globalIter - (long) startEpoch * epochLength - skipIters) : 0;
            long loopIters = maxIters + ahead;
            if (ahead > 0) out.println("resumed mid-epoch (MMEngine): epoch " + (startEpoch + 1) + " runs again from its start,"
                    + " iterations and learning rate go on from iteration " + globalIter);
            // an InfiniteSampler's len() is the whole dataset (MMEngine), so len(train_dataloader), what by-epoch schedulers
            // convert with, is ceil(samples / batch) on every worker, not this worker's share of a pass
            int schedulerEpochLength = cfg.trainDataloader().infiniteSampler()
                    ? (trainEntries.length + batchSize - 1) / batchSize : epochLength;
            LrSchedule schedule;
            try {
                schedule = new LrSchedule(baseLr, optimizer.lrMults(), optimizer.momentum(), cfg.paramScheduler(), epochs, maxIters,
                        schedulerEpochLength);
            } catch (IllegalArgumentException e) {
                throw new UserError(cfg.source() + ": " + e.getMessage());
            }
            int accumulate = cfg.optimWrapper().accumulativeCounts();
            if (accumulate > 1) {
                optimizer.accumulate(accumulate, globalIter, maxIters);
                out.println("gradients accumulated over " + accumulate + " iterations: one update per " + accumulate
                        + " batches of " + batchSize + (replica != null ? " per worker" : ""));
            }
            if (resumed != null && schedule.needsMetrics()) { // ReduceOnPlateau: what the validations so far did
                if (resumed.schedulerState() == null)
                    out.println("warning: " + resumed.file() + " keeps no ReduceOnPlateau state: its counters start afresh");
                else try {
                    schedule.restore(resumed.schedulerState());
                } catch (IllegalArgumentException e) {
                    throw new UserError(resumed.file() + ": " + e.getMessage());
                }
            }
            try {
                if (iterLoop) schedule.fastForward(0, epochLength, globalIter);
                else schedule.fastForward(startEpoch, epochLength, skipIters + ahead);
            } catch (IllegalArgumentException e) {
                throw new UserError(resumed == null ? e.getMessage() : resumed.file() + ": " + e.getMessage());
            }
            store.saveSchedulerState(schedule::state);
            LogWindow window = new LogWindow(cfg.runtime().logWindow());
            MemoryHooks memoryHooks = MemoryHooks.of(cfg.runtime(), device, out::println); // MemoryProfilerHook, EmptyCacheHook
            // MMEngine's message hub: checkpoints keep the logged scalars' history, a resume goes on averaging over it
            if (resumed != null && resumed.logWindow() != null) window.restore(resumed.logWindow());
            store.saveLogWindow(window::state);
            EarlyStop earlyStop = cfg.runtime().earlyStopping() == null ? null : new EarlyStop(cfg.runtime().earlyStopping());
            // null: the first epoch run sets it, so a run that starts switched (switch_epoch 0, a resume past it) says so too
            autoassign.data.PipelineOptions loaderPipeline = startEpoch == 0 && pipelines.switchEpoch() > 0 ? pipelines.forEpoch(0) : null;
            for (int epoch = startEpoch; epoch < passes && stopReason == null; epoch++) {
                if (pipelines.forEpoch(epoch) != loaderPipeline) { // YOLOXModeSwitchHook, PipelineSwitchHook (also when resuming past it)
                    loaderPipeline = pipelines.forEpoch(epoch);
                    loader.usePipeline(loaderPipeline);
                    if (epoch >= pipelines.switchEpoch()) out.println(pipelines.switchLine(epoch));
                }
                if (!iterLoop || epoch == startEpoch) memoryHooks.beforeEpoch(); // an IterBasedTrainLoop is one epoch to its hooks
                int planned = (int) Math.min(loader.batchesPerEpoch(epoch), skipIters + loopIters - globalIter);
                Path savedAtEpochEnd = null; // a checkpoint of the position the epoch's validation follows
                long epochStart = System.nanoTime();
                int iterInEpoch = 0;
                try (DataLoader.Epoch it = loader.epoch(epoch);
                     TrainProgress progress = new TrainProgress(out, epoch, passes, planned, loopIters, cfg.runtime().logByEpoch())) {
                    long dataStart = System.nanoTime();
                    while (iterInEpoch < planned && allAgree(it.hasNext())) {
                        Batch batch = it.next();
                        if (iterInEpoch < skipIters) { iterInEpoch++; dataStart = System.nanoTime(); continue; }
                        double dataTime = (System.nanoTime() - dataStart) / 1e9;
                        long t0 = System.nanoTime();
                        double lr = schedule.lr(), groupLr = schedule.lr(loggedLrMult); // MMEngine logs the first group's
                        // momentum schedulers write the param groups' momentum (betas[0]) that the next step reads
                        if (schedule.schedulesMomentum()) optimizer.setMomentum(schedule.momentum());
                        if (batchResize != null) batch = batchResize.apply(batch, globalIter); // data_preprocessor.batch_augments
                        // stochastic layers (Swin's drop path and dropout): one generator per (seed, rank, iteration)
                        model.backbone.setTrainingRandom(new java.util.Random(new java.util.SplittableRandom(seed * 1_000_003L
                                + (replica != null ? replica.rank() : 0) * 7_919L + globalIter).nextLong()));
                        StepLosses losses = step(model, optimizer, batch, device, schedule::lr, comm, buckets);
                        double iterTime = (System.nanoTime() - t0) / 1e9 + dataTime;
                        iterInEpoch++;
                        if (losses.badTerm() != null) {
                            badSteps++;
                            out.println("warning: non-finite " + losses.badTerm() + " at epoch " + (epoch + 1) + " iteration "
                                    + (globalIter + 1) + ": step skipped (" + badSteps + " in a row)");
                            if (badSteps >= MAX_BAD_STEPS) {
                                stopReason = MAX_BAD_STEPS + " non-finite losses in a row (last: " + losses.badTerm()
                                        + "); the last good checkpoint is kept";
                                break;
                            }
                        } else {
                            badSteps = 0;
                            lastLoss = losses.total();
                        }
                        globalIter++;
                        schedule.afterIter();
                        if (ema != null) ema.afterIteration(globalIter - 1, epoch);
                        progress.update(iterInEpoch, losses, lr, iterTime, dataTime);
                        // after_train_iter: batch_idx is the epoch's (the global one in an iteration loop)
                        memoryHooks.afterIter((iterLoop ? globalIter : iterInEpoch) - 1);
                        window.add(losses, iterTime, dataTime, optimizer.clipped(), optimizer.lastGradNorm());
                        if (logsAfter(iterLoop ? globalIter : iterInEpoch, iterLoop ? schedulerEpochLength : planned)) {
                            Map<String, Object> rec = new LinkedHashMap<>();
                            rec.put("mode", "train");
                            rec.put("epoch", epoch + 1);
                            rec.put("iter", globalIter);
                            // MMEngine's OptimWrapper keeps the scheduled base lr apart once there are several groups
                            if (cfg.optimWrapper().paramGroups()) rec.put("base_lr", lr);
                            rec.put("lr", groupLr);
                            rec.put("time", window.time());
                            rec.put("data_time", window.dataTime());
                            rec.put("memory_mb", memoryMb(device));
                            // MessageHub has train/grad_norm once OptimWrapper clipped (an update happened); a NaN
                            // norm in the window makes the mean NaN, logged as MMEngine logs it (grad_norm: nan)
                            if (cfg.optimWrapper().clipGradMaxNorm() > 0 && window.hasGradNorm())
                                rec.put("grad_norm", window.gradNorm());
                            rec.put("loss", window.loss());
                            rec.put("loss_pos", window.pos());
                            rec.put("loss_neg", window.neg());
                            rec.put("loss_center", window.center());
                            if (metrics != null) metrics.log(rec);
                            progress.logLine(iterInEpoch, globalIter, rec);
                        }
                        boolean lastIter = globalIter == loopIters;
                        Path savedNow = null;
                        if (!ckByEpoch && main && (globalIter % cfg.runtime().checkpointInterval() == 0 || lastIter)) {
                            boolean passDone = iterInEpoch == loader.batchesPerEpoch(epoch); // resume in the next pass
                            savedNow = store.save("iter_" + globalIter, passDone ? epoch + 1 : epoch,
                                    passDone ? 0 : iterInEpoch, globalIter, seed, model, optimizer, cfg);
                            out.println("checkpoint: " + savedNow);
                            if (passDone) savedAtEpochEnd = savedNow; // resumes after the epoch's end, its validation included
                        }
                        if (iterLoop && globalIter >= cfg.runtime().valBegin()
                                && (globalIter % cfg.runtime().valIntervalAfter(globalIter) == 0 || lastIter)) {
                            Validation.Result v = validation.run(model, ema, metrics, bestCkpt, epoch + 1, globalIter);
                            afterValidation(schedule, v, store, savedNow);
                            lastEval = v == null ? null : v.evaluation();
                            stopReason = earlyStopReason(earlyStop, v);
                            if (stopReason != null) break;
                        }
                        if (anyAgrees(stopRequested)) {
                            stopAgreed = true;
                            break;
                        }
                        dataStart = System.nanoTime();
                    }
                }
                skipIters = 0;
                if (stopReason != null) break;
                if (iterLoop && globalIter >= maxIters) {
                    epochsDone = epoch + 1;
                    break;
                }
                stopAgreed = stopAgreed || anyAgrees(stopRequested);
                boolean epochComplete = !stopAgreed || iterInEpoch >= planned;
                if (!epochComplete) {
                    if (main) store.save("latest", epoch, iterInEpoch, globalIter, seed, model, optimizer, cfg);
                    stopReason = "stopped by signal at epoch " + (epoch + 1) + ", iteration " + globalIter
                            + "; resume with --resume auto";
                    break;
                }
                epochsDone = epoch + 1;
                if (iterLoop) { // a pass of the data ended; the loop itself counts only iterations
                    if (stopAgreed) {
                        if (main) store.save("latest", epochsDone, 0, globalIter, seed, model, optimizer, cfg);
                        stopReason = "stopped by signal at iteration " + globalIter + "; resume with --resume auto";
                    }
                    continue;
                }
                schedule.afterEpoch();
                memoryHooks.afterEpoch();
                out.printf(Locale.ROOT, "epoch %d done in %.1f s%n", epochsDone, (System.nanoTime() - epochStart) / 1e9);
                boolean last = epochsDone == epochs;
                if (main && ckByEpoch && (last || stopAgreed || epochsDone % cfg.runtime().checkpointInterval() == 0)) {
                    savedAtEpochEnd = store.save("epoch_" + epochsDone, epochsDone, 0, globalIter, seed, model, optimizer, cfg);
                    out.println("checkpoint: " + savedAtEpochEnd);
                }
                if (stopAgreed) {
                    if (main && !ckByEpoch) store.save("latest", epochsDone, 0, globalIter, seed, model, optimizer, cfg);
                    stopReason = "stopped by signal after epoch " + epochsDone;
                    break;
                }
                if (epochsDone >= cfg.runtime().valBegin() && (last || epochsDone % cfg.runtime().valIntervalAfter(epochsDone) == 0)) {
                    Validation.Result v = validation.run(model, ema, metrics, bestCkpt, epochsDone, globalIter);
                    afterValidation(schedule, v, store, savedAtEpochEnd);
                    lastEval = v == null ? null : v.evaluation();
                    stopReason = earlyStopReason(earlyStop, v);
                }
            }
            if (iterLoop) memoryHooks.afterEpoch(); // IterBasedTrainLoop's after_train_epoch, once after its last iteration
            if (metrics != null) {
                try {
                    Curves.write(metrics.records(), workDir.resolve("curves.png"), iterLoop);
                } catch (IOException | RuntimeException | LinkageError e) { // e.g. a runtime without font libraries
                    out.println("warning: curves.png not written: " + e.getMessage()); // a plot never costs a training
                }
            }
        }
        if (lastEval != null) lastEval.writeJson(workDir.resolve("final.json"));
        if (stopReason != null) out.println("training stopped: " + stopReason);
        else out.println("training finished: " + epochsDone + " epochs, " + globalIter + " iterations; results in " + workDir);
        return new Result(epochsDone, globalIter, lastLoss, lastEval, workDir, stopReason != null, stopReason);
    }

    /** The losses of one step, or the name of the first non-finite term (then no update was made). */
    public record StepLosses(double pos, double neg, double center, String badTerm) {
        public double total() { return pos + neg + center; }
    }

    /**
     * {@code ParamSchedulerHook.after_val_epoch}: the ReduceOnPlateau schedulers step with the validation's metrics
     * (rank 0's, handed to every worker, as MMEngine's evaluator broadcasts them); then the checkpoint saved just before
     * it ({@code savedBefore}, null: none) gets the stepped state, so that resuming from it goes on as this run does.
     */
    private void afterValidation(LrSchedule schedule, Validation.Result v, CheckpointStore store, Path savedBefore) {
        if (!schedule.needsMetrics()) return;
        Map<String, Double> reported = v == null ? Map.of() : v.reported();
        Map<String, Double> agreed = reported;
        if (comm != null) { // only the monitored values travel: {present, value} per monitor
            List<String> monitors = schedule.monitors();
            double[] mine = new double[2 * monitors.size()];
            for (int i = 0; main && i < monitors.size(); i++) {
                Double x = reported.get(monitors.get(i));
                if (x != null) {
                    mine[2 * i] = 1;
                    mine[2 * i + 1] = x;
                }
            }
            double[] all = comm.allReduceSum(mine);
            if (!main) {
                agreed = new LinkedHashMap<>();
                for (int i = 0; i < monitors.size(); i++) if (all[2 * i] > 0) agreed.put(monitors.get(i), all[2 * i + 1]);
            }
        }
        try {
            schedule.afterValidation(agreed);
        } catch (IllegalArgumentException e) { // a monitor the metric does not report: MMEngine's KeyError
            throw new UserError(cfg.source() + ": " + e.getMessage());
        }
        if (main && savedBefore != null) store.updateSchedulerState(savedBefore);
    }

    /** True when {@code mine} holds on every worker (one worker: {@code mine}). */
    private boolean allAgree(boolean mine) {
        if (comm == null) return mine;
        return comm.allReduceSum(new double[] {mine ? 1 : 0})[0] == comm.worldSize();
    }

    /** True when {@code mine} holds on some worker (one worker: {@code mine}). */
    private boolean anyAgrees(boolean mine) {
        if (comm == null) return mine;
        return comm.allReduceSum(new double[] {mine ? 1 : 0})[0] > 0;
    }

    /** One iteration: forward, loss, backward, SGD step. Exposed for tests. */
    static StepLosses step(AutoAssignDetector model, Optimizer optimizer, Batch batch, Device device, float lr) {
        return step(model, optimizer, batch, device, lr, null, null);
    }

    /**
     * One iteration of one worker. With a communicator ({@code comm} and {@code buckets} non-null) the loss
     * normalisers are all-reduced (AA_3 §7), the gradients averaged over the workers in buckets during the
     * backward (AA_3 §9), and the returned losses are the workers' mean (what is logged, and what decides —
     * identically everywhere — that a step is skipped).
     */
    public static StepLosses step(AutoAssignDetector model, Optimizer optimizer, Batch batch, Device device, float lr,
                                  Communicator comm, GradientBuckets buckets) {
        return step(model, optimizer, batch, device, mult -> lr * mult, comm, buckets);
    }

    /** As above, each parameter group at {@code lrOfMult(its lr multiplier)} (the schedule's per-group rates). */
    static StepLosses step(AutoAssignDetector model, Optimizer optimizer, Batch batch, Device device, DoubleUnaryOperator lrOfMult,
                           Communicator comm, GradientBuckets buckets) {
        // every device buffer of the step (activations, gradients, loss state) is released when it ends: after
        // the SGD update nothing of it is needed (the losses are host doubles); the optimizer keeps its own state
        try (MemoryScope ignored = MemoryScope.open()) {
            return stepInScope(model, optimizer, batch.toTensor().to(device), targets(batch), lrOfMult, comm, buckets);
        }
    }

    /**
     * One single-worker iteration on images already on the model's device ({@code bench}: the inputs stay resident,
     * as in the PyTorch script it is compared with; in training the next batch's upload overlaps the queued
     * backward of the previous step, since the step only waits for the loss values).
     */
    public static StepLosses step(AutoAssignDetector model, Optimizer optimizer, Tensor images, GroundTruth[] gts, float lr) {
        try (MemoryScope ignored = MemoryScope.open()) {
            return stepInScope(model, optimizer, images, gts, mult -> lr * mult, null, null);
        }
    }

    private static StepLosses stepInScope(AutoAssignDetector model, Optimizer optimizer, Tensor images, GroundTruth[] gts,
                                          DoubleUnaryOperator lrOfMult, Communicator comm, GradientBuckets buckets) {
        AutoAssignLoss.Losses l;
        int[] reductions = {0};
        LossReducer reducer = comm == null ? LossReducer.IDENTITY : new LossReducer() {
            private final LossReducer r = comm.lossReducer();
            @Override public double[] sum(double... v) { reductions[0]++; return r.sum(v); }
            @Override public int worldSize() { return r.worldSize(); }
        };
        try {
            l = forwardLoss(model, images, gts, reducer);
        } catch (IllegalArgumentException e) {
            // the loss refuses non-finite head outputs, naming the tensor: that is a bad step, not a crash
            if (!isNonFinite(e)) throw e;
            Graph.clear();
            optimizer.zeroGrad();
            optimizer.nonFiniteLoss();
            optimizer.step(lrOfMult); // no gradient: nothing moves; keeps an accumulation window in step
            if (comm != null) {
                // keep the collectives in step with the other workers: the normalisers' all-reduce, the losses'
                if (reductions[0] == 0) comm.allReduceSum(new double[2]);
                comm.allReduceSum(new double[] {Double.NaN, Double.NaN, Double.NaN});
            }
            return new StepLosses(Double.NaN, Double.NaN, Double.NaN, "loss input (" + e.getMessage() + ")");
        }
        // the values the loss formed on the host (no device round trip)
        double pos = l.posValue(), neg = l.negValue(), center = l.centerValue();
        if (comm != null) {
            double[] mean = comm.allReduceSum(new double[] {pos, neg, center});
            pos = mean[0] / comm.worldSize();
            neg = mean[1] / comm.worldSize();
            center = mean[2] / comm.worldSize();
        }
        String bad = !Double.isFinite(pos) ? "loss_pos" : !Double.isFinite(neg) ? "loss_neg" : !Double.isFinite(center) ? "loss_center" : null;
        if (bad != null) {
            Graph.clear();
            optimizer.zeroGrad();
            optimizer.nonFiniteLoss();
            optimizer.step(lrOfMult); // no gradient: nothing moves; keeps an accumulation window in step
            return new StepLosses(pos, neg, center, bad);
        }
        backward(l, buckets, optimizer.lossScale());
        optimizer.step(lrOfMult);
        optimizer.zeroGrad();
        return new StepLosses(pos, neg, center, null);
    }

    /** The training forward (BatchNorm in train mode) and the loss of its head outputs, before any backward. */
    static AutoAssignLoss.Losses forwardLoss(AutoAssignDetector model, Tensor images, GroundTruth[] gts, LossReducer reducer) {
        HeadOutputs o;
        model.train(true); // MMEngine's model.train() in the training loop: BatchNorm with norm_eval false uses batch statistics
        try {
            o = model.forward(images);
        } finally {
            model.train(false);
        }
        return AutoAssignLoss.apply(o.clsLogitsArray(), o.distancesArray(), o.objLogitsArray(),
                model.centerPrior().mean, model.centerPrior().sigma, gts, o.strides(), reducer);
    }

    private static boolean isNonFinite(IllegalArgumentException e) {
        String m = String.valueOf(e.getMessage());
        return m.endsWith(" is NaN") || m.endsWith("Infinity") || m.contains("non-finite");
    }

    /**
     * Backward of the summed loss terms; with {@code buckets}, each bucket's gradients are all-reduced as soon as
     * the backward has produced them (AA_3 §9).
     */
    public static void backward(AutoAssignLoss.Losses l, GradientBuckets buckets) {
        backward(l, buckets, 1f);
    }

    /** {@link #backward(AutoAssignLoss.Losses, GradientBuckets)} of the summed loss times {@code lossScale} (AMP). */
    public static void backward(AutoAssignLoss.Losses l, GradientBuckets buckets, float lossScale) {
        Tensor total = F.add(F.add(l.pos(), l.neg()), l.center());
        if (lossScale != 1f) total = F.mulScalar(total, lossScale);
        if (buckets == null) {
            Graph.backward(total);
        } else {
            buckets.beginStep();
            Graph.backward(total, buckets::onGradReady);
            buckets.finish();
        }
    }

    /** The loss's ground truth of each image of a batch. */
    public static GroundTruth[] targets(Batch batch) {
        GroundTruth[] gts = new GroundTruth[batch.size()];
        for (int i = 0; i < gts.length; i++) {
            var t = batch.targets().get(i);
            gts[i] = new GroundTruth(t.boxes(), t.labels()); // crowd boxes are kept apart by the data pipeline
        }
        return gts;
    }

    /** The starting weights: the backbone's pretrained checkpoint (not when resuming or with load_from), then load_from. */
    private void loadInitialWeights(AutoAssignDetector model) {
        try {
            String ref = opt.pretrained() != null ? opt.pretrained().toString() : cfg.model().backboneSpec().pretrained();
            if (ref != null && !opt.noPretrained() && opt.loadFrom() == null && opt.resume() == null) {
                Path file = opt.pretrained() != null ? opt.pretrained() : PretrainedWeights.locate(ref);
                ModelWeights.LoadResult r = model.backbone instanceof autoassign.model.SwinTransformer sw
                        ? ModelWeights.loadPretrainedSwin(file, model, sw.config().convertWeights())
                        : model.backbone instanceof autoassign.model.PyramidVisionTransformer pv
                        ? ModelWeights.loadPretrainedPvt(file, model, pv.config().convertWeights())
                        : ModelWeights.loadPretrainedBackbone(file, model);
                out.println("pretrained backbone " + file + ": loaded " + r.report().loaded() + " tensors, missing "
                        + r.report().missing().size() + (r.report().missing().isEmpty() ? "" : " " + r.report().missing())
                        + ", ignored " + r.ignored().size() + (r.ignored().isEmpty() ? "" : " " + r.ignored()));
            } else if (ref != null && opt.noPretrained()) {
                out.println("pretrained backbone skipped (--no-pretrained): training from scratch");
            }
            if (opt.loadFrom() != null) {
                ModelWeights.LoadResult r = ModelWeights.load(opt.loadFrom(), model, false);
                out.println("load-from " + opt.loadFrom() + ": " + r.report());
            }
        } catch (CheckpointException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /**
     * The {@code EarlyStoppingHook}'s verdict on a validation (rank 0's result; null elsewhere), agreed by every
     * worker so that all stop together: a reason to stop, or null.
     */
    private String earlyStopReason(EarlyStop earlyStop, Validation.Result result) {
        if (earlyStop == null) return null;
        // no metrics (format_only): EarlyStoppingHook warns that its monitor is missing and goes on
        String reason = result == null || result.reported().isEmpty() ? null : earlyStop.offer(result.reported());
        if (!anyAgrees(reason != null)) return null;
        if (reason != null) out.println("early stopping: " + reason);
        return "early stopping" + (reason != null ? ": " + reason : " (rank 0's decision)");
    }

    /**
     * MMDetection's {@code SyncNormHook}: every worker takes the mean over the workers of each BatchNorm's running
     * statistics (they differ with {@code norm_eval: false} and BN, each worker normalising its own batches). Weights
     * and biases are equal on every worker already; they are left alone.
     */
    static void averageNormStatistics(AutoAssignDetector model, Communicator comm) {
        List<Tensor> stats = new ArrayList<>();
        model.stateDict().forEach((k, t) -> { if (autoassign.nn.BatchNorm2d.isRunningStatistic(k)) stats.add(t); });
        int n = 0;
        for (Tensor t : stats) n += t.numel();
        double[] all = new double[n];
        int at = 0;
        for (Tensor t : stats) for (float v : t.toFloatArray()) all[at++] = v;
        all = comm.allReduceSum(all);
        at = 0;
        for (Tensor t : stats) {
            float[] mean = new float[t.numel()];
            for (int i = 0; i < mean.length; i++) mean[i] = (float) (all[at++] / comm.worldSize());
            t.copyFrom(Tensor.of(mean, mean.length));
        }
    }

    /**
     * MMEngine's LoggerHook.after_train_iter: every {@code interval} iterations (counted in the epoch; in an iteration
     * loop, from the global iteration, as its {@code batch_idx}), and at the epoch's end ({@code n} done of
     * {@code len(train_dataloader)}) only when {@code ignore_last} is false or the epoch is no longer than the interval.
     */
    private boolean logsAfter(long done, long epochLength) {
        int interval = cfg.runtime().logInterval();
        return done % interval == 0 || done == epochLength && (!cfg.runtime().logIgnoreLast() || epochLength <= interval);
    }

    static long memoryMb(Device device) {
        long peak = autoassign.backend.Backends.of(device).peakMemoryBytes();
        if (peak >= 0) return peak >> 20;
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) >> 20;
    }

    static void checkWritable(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create work dir: " + e.getMessage(), e);
        }
    }
}
