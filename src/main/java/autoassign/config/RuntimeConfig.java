package autoassign.config;

/**
 * Training loop, hooks and environment: {@code train_cfg}, {@code default_hooks}, {@code randomness},
 * {@code env_cfg}, {@code work_dir}.
 *
 * @param maxEpochs          {@code train_cfg.max_epochs} (12) of an {@code EpochBasedTrainLoop}; 1 for an
 *                           {@code IterBasedTrainLoop} (as MMEngine, whose iteration loop counts one epoch)
 * @param maxIters           {@code train_cfg.max_iters} of an {@code IterBasedTrainLoop}; 0: the loop is epoch-based
 * @param valInterval        {@code train_cfg.val_interval}: evaluate every this many epochs (1), or iterations in an
 *                           iteration-based loop (MMEngine's default 1000); always after the last one
 * @param valBegin           {@code train_cfg.val_begin}: the first epoch (iteration) that may be evaluated (1)
 * @param logInterval        {@code default_hooks.logger.interval}: log every this many iterations (50)
 * @param logIgnoreLast      {@code default_hooks.logger.ignore_last} (true): MMEngine's LoggerHook then logs the partial
 *                           window at an epoch's end only when the epoch is no longer than the interval
 * @param logWindow          {@code log_processor.window_size}: logged values are means over this many iterations
 *                           (MMEngine's default 10; MMDetection's default_runtime.py sets 50)
 * @param logByEpoch         {@code log_processor.by_epoch}: log lines count {@code Epoch(train) [e][i/n]} (true) or
 *                           {@code Iter(train) [i/n]} (MMDetection's iteration configs set false)
 * @param checkpointInterval {@code default_hooks.checkpoint.interval} in epochs (1), or in iterations when
 *                           {@code checkpointByEpoch} is false
 * @param checkpointByEpoch  {@code default_hooks.checkpoint.by_epoch} (true; must be false in an iteration-based loop):
 *                           false names checkpoints {@code iter_N} and counts the interval in iterations
 * @param maxKeepCkpts       {@code default_hooks.checkpoint.max_keep_ckpts}: -1 keeps all
 * @param saveBest           {@code default_hooks.checkpoint.save_best}: the metric whose best value keeps a
 *                           checkpoint ({@code auto} = the evaluator's first metric, {@code coco/bbox_mAP}; with a
 *                           classwise CocoMetric it stays {@code auto}: the first class's {@code coco/<class>_precision},
 *                           the first key MMDetection reports, which the trainer names from the val set); null: none
 * @param saveBestGreater    {@code default_hooks.checkpoint.rule}: greater (default) or less is better
 * @param seed               {@code randomness.seed}: data order, flips and initialisation
 * @param deterministic      {@code randomness.deterministic}: on a GPU only cuDNN algorithms that are deterministic, from
 *                           its heuristics (MMEngine: cudnn.deterministic, no benchmark); the CPU is deterministic anyway
 * @param workDir            {@code work_dir} (null: chosen by the CLI)
 * @param loadFrom           {@code load_from}: a checkpoint to start from (the CLI's {@code --load-from} wins); null: none
 * @param resume             {@code resume}: continue from the work dir's latest checkpoint ({@code --resume auto})
 * @param earlyStopping      a {@code custom_hooks} {@code EarlyStoppingHook}, or null
 * @param ema                a {@code custom_hooks} {@code EMAHook}, or null
 * @param syncNorm           a {@code custom_hooks} {@code SyncNormHook} (MMDetection's, in YOLOX's configs): before each
 *                           validation the workers of a data-parallel run average their BatchNorm running statistics
 * @param modeSwitch         a {@code custom_hooks} {@code YOLOXModeSwitchHook}, or null
 * @param pipelineSwitch     a {@code custom_hooks} {@code PipelineSwitchHook} (RTMDet's), or null
 * @param valVisualization   {@code default_hooks.visualization} with {@code draw: true}, or null (its default)
 * @param cudnnBenchmark     {@code env_cfg.cudnn_benchmark} (false, MMDetection's default): on a GPU, time cuDNN's
 *                           algorithms once per shape instead of taking its heuristics' choice; worth it when shapes
 *                           repeat. {@code env_cfg.mp_cfg} and {@code env_cfg.dist_cfg} are accepted as in MMDetection
 *                           and not used (the engine picks NCCL on GPUs and in-process workers on the CPU).
 * @param dynamicIntervals   {@code train_cfg.dynamic_intervals} ({@code [(milestone, interval), ...]}, YOLOX's and RTMDet's
 *                           configs): from each milestone on, validations every {@code interval} (see {@link #valIntervalAfter})
 * @param memoryProfilerInterval {@code custom_hooks: [{type: MemoryProfilerHook, interval}]}: log the memory every that many
 *                           training, val and test iterations; 0 without the hook
 * @param emptyCache         {@code custom_hooks: [{type: EmptyCacheHook, ...}]}, or null without it
 */
public record RuntimeConfig(int maxEpochs, long maxIters, int valInterval, int valBegin, int logInterval,
                            boolean logIgnoreLast, int logWindow, boolean logByEpoch,
                            int checkpointInterval, boolean checkpointByEpoch, int maxKeepCkpts,
                            String saveBest, boolean saveBestGreater, long seed, boolean deterministic, String workDir,
                            String loadFrom, boolean resume, EarlyStopping earlyStopping, Ema ema,
                            boolean cudnnBenchmark, boolean syncNorm, ModeSwitch modeSwitch, PipelineSwitch pipelineSwitch,
                            ValVisualization valVisualization, java.util.List<DynamicInterval> dynamicIntervals,
                            int memoryProfilerInterval, EmptyCache emptyCache) {

    public RuntimeConfig {
        dynamicIntervals = java.util.List.copyOf(dynamicIntervals);
    }

    /**
     * MMEngine's {@code EmptyCacheHook}: return the cached device memory to the driver before / after each epoch and
     * after each iteration (defaults false, true, false) of training, validation and test loops alike.
     */
    public record EmptyCache(boolean beforeEpoch, boolean afterEpoch, boolean afterIter) {}

    /** One {@code dynamic_intervals} entry: the validation interval used from {@code milestone} on. */
    public record DynamicInterval(long milestone, int interval) {}

    /**
     * The validation interval after {@code done} epochs (iterations in an IterBasedTrainLoop), as MMEngine's loops
     * decide it before each validation test ({@code _decide_current_val_interval}): {@code bisect_right} of
     * {@code done + 1} in {@code [0, milestones...]} picks {@code [val_interval, intervals...]}; so an entry
     * {@code (m, i)} already applies after {@code m − 1} epochs (MMEngine's own off-by-one, kept).
     */
    public int valIntervalAfter(long done) {
        int interval = valInterval;
        for (DynamicInterval d : dynamicIntervals) if (d.milestone() <= done + 1) interval = d.interval();
        return interval;
    }

    /**
     * MMDetection's {@code DetVisualizationHook(draw=True)}. During validation the first image of every validation
     * batch whose {@code iterations done + batch index} is a multiple of {@code interval} is drawn (ground truth | the
     * predictions with score above {@code scoreThr}) as {@code <run folder>/vis_data/vis_image/val_img_<that number>.png},
     * where MMEngine's LocalVisBackend puts it; in a test run ({@code eval --config}) every image is, as
     * {@code <work_dir>/<timestamp>/<testOutDir>/<its file name>}, or without {@code test_out_dir} as
     * {@code vis_data/vis_image/test_img_<k>.png} there.
     *
     * @param testOutDir {@code test_out_dir}, or null
     */
    public record ValVisualization(int interval, double scoreThr, String testOutDir) {}

    /**
     * MMDetection's {@code YOLOXModeSwitchHook}: from the epoch where {@code epoch + 1 >= max_epochs − num_last_epochs}
     * (0-based; MMDetection's test, so the last {@code num_last_epochs + 1} epochs) the train set's
     * MultiImageMixDataset skips {@code skipTypeKeys} instead of its own {@code skip_type_keys}. (The hook also sets
     * {@code bbox_head.use_l1}, a YOLOX head's switch that AutoAssign's head does not have.)
     */
    public record ModeSwitch(int numLastEpochs, java.util.List<String> skipTypeKeys) {
        public ModeSwitch {
            skipTypeKeys = java.util.List.copyOf(skipTypeKeys);
        }

        /** The first 0-based epoch that runs without the skipped steps. */
        public int firstEpoch(int maxEpochs) { return Math.max(0, maxEpochs - numLastEpochs - 1); }
    }


    /**
     * MMDetection's {@code PipelineSwitchHook}: before each training epoch from 0-based {@code switchEpoch} on, the train
     * dataset's pipeline is {@code Compose(switch_pipeline)} (RTMDet's stage 2, without CachedMosaic / CachedMixUp).
     *
     * @param switchEpoch {@code switch_epoch}
     * @param pipeline    {@code switch_pipeline}, read as a training dataset's pipeline
     */
    public record PipelineSwitch(int switchEpoch, PipelineConfig pipeline) {}

    /**
     * MMEngine's {@code EarlyStoppingHook} (after each validation): stop when the monitored COCO metric is not
     * finite ({@code check_finite}), reaches {@code stopping_threshold}, or has not beaten the best so far by
     * {@code min_delta} for {@code patience} validations in a row.
     */
    public record EarlyStopping(String monitor, boolean greater, double minDelta, int patience, Double stoppingThreshold,
                                boolean checkFinite) {}

    /**
     * MMEngine's {@code EMAHook}: an exponential moving average of the weights, updated after every iteration
     * ({@code avg += m·(param − avg)}, the first update a copy), used for validation and saved as the checkpoints'
     * model.
     *
     * @param expMomentum {@code ema_type: ExpMomentumEMA}: {@code m = (1 − momentum)·exp(−(1 + steps)/gamma) + momentum};
     *                    else {@code ExponentialMovingAverage}: {@code m = momentum}
     * @param interval    update every this many iterations (1)
     * @param beginIter   before this iteration (or {@code beginEpoch} > 0: epoch) the average just copies the weights
     * @param updateBuffers {@code update_buffers}: the BatchNorm running statistics are averaged too (they change only
     *                    with {@code norm_eval: false}); false: the average uses the model's own statistics
     */
    public record Ema(boolean expMomentum, double momentum, double gamma, int interval, int beginIter, int beginEpoch,
                      boolean updateBuffers) {
        /** Without {@code update_buffers}. */
        public Ema(boolean expMomentum, double momentum, double gamma, int interval, int beginIter, int beginEpoch) {
            this(expMomentum, momentum, gamma, interval, beginIter, beginEpoch, false);
        }
    }

    /** True for an {@code IterBasedTrainLoop}: training stops after {@link #maxIters()} iterations. */
    public boolean iterBased() { return maxIters > 0; }

    /** @param eval the val evaluator: {@code save_best} and early stopping follow one of its metrics (auto: the first) */
    static RuntimeConfig from(ConfigNode root, EvaluatorConfig eval) {
        java.util.List<String> metrics = eval.metricNames();
        ConfigNode t = root.requiredChild("train_cfg");
        boolean iterLoop = t.choice("type", "EpochBasedTrainLoop", "EpochBasedTrainLoop", "IterBasedTrainLoop")
                .equals("IterBasedTrainLoop");
        int epochs = iterLoop ? 1 : t.positive("max_epochs", t.integer("max_epochs"));
        long iters = iterLoop ? t.positive("max_iters", t.integer("max_iters")) : 0;
        int val = t.positive("val_interval", t.integer("val_interval", iterLoop ? 1000 : 1));
        int valBegin = t.positive("val_begin", t.integer("val_begin", 1));
        java.util.List<DynamicInterval> dynamic = dynamicIntervals(t);
        t.finish();
        ConfigNode hooks = root.child("default_hooks");
        ConfigNode logger = hooks.child("logger");
        logger.fixed("type", "LoggerHook");
        int log = logger.positive("interval", logger.integer("interval", 50));
        boolean ignoreLast = logger.bool("ignore_last", true);
        logger.finish();
        ConfigNode lp = root.child("log_processor");
        lp.fixed("type", "LogProcessor");
        int window = lp.positive("window_size", lp.integer("window_size", 10));
        boolean logByEpoch = lp.bool("by_epoch", true);
        lp.finish();
        ConfigNode ck = hooks.child("checkpoint");
        ck.fixed("type", "CheckpointHook");
        int ckInt = ck.positive("interval", ck.integer("interval", 1));
        boolean ckByEpoch = ck.bool("by_epoch", true);
        if (iterLoop && ckByEpoch)
            throw ck.error("by_epoch", "must be false with an IterBasedTrainLoop (checkpoints every interval iterations)");
        int keep = ck.integer("max_keep_ckpts", -1);
        if (keep == 0 || keep < -1) throw ck.error("max_keep_ckpts", "must be -1 (keep all) or positive, got " + keep);
        String best = ck.string("save_best", null);
        if ("auto".equals(best) && !eval.reportsPerClass()) best = metrics.get(0); // else the trainer names the first class's
        if (best != null && !best.equals("auto") && !eval.mayReport(best))
            throw ck.error("save_best", "must be auto or one of " + String.join(", ", metrics) + perClass(eval)
                    + " (the val evaluator's), got '" + best + "'");
        // auto still here stands for the first class's precision (the trainer names the class): a precision's rule
        boolean greater = best == null || rule(ck, "auto".equals(best) ? "_precision" : best);
        ck.finish();
        for (String k : new String[] {"timer", "param_scheduler", "sampler_seed"}) hooks.raw(k); // what the loop does anyway
        ValVisualization valVis = valVisualization(hooks.child("visualization"));
        hooks.finish();
        EarlyStopping early = null;
        Ema ema = null;
        boolean syncNorm = false;
        ModeSwitch modeSwitch = null;
        PipelineSwitch pipelineSwitch = null;
        int memoryProfiler = 0;
        EmptyCache emptyCache = null;
        for (ConfigNode h : root.childList("custom_hooks")) {
            String type = h.choice("type", null, "NumClassCheckHook", "CheckInvalidLossHook", "EarlyStoppingHook", "EMAHook",
                    "SyncNormHook", "YOLOXModeSwitchHook", "PipelineSwitchHook", "MemoryProfilerHook", "EmptyCacheHook");
            if (type == null) throw h.error("type", "required key is missing");
            if (type.equals("EarlyStoppingHook")) {
                if (early != null) throw h.error("type", "only one EarlyStoppingHook is supported");
                early = earlyStopping(h, eval);
            } else if (type.equals("EMAHook")) {
                if (ema != null) throw h.error("type", "only one EMAHook is supported");
                ema = ema(h);
            } else if (type.equals("YOLOXModeSwitchHook")) {
                if (modeSwitch != null) throw h.error("type", "only one YOLOXModeSwitchHook is supported");
                if (iterLoop) throw h.error("type", "YOLOXModeSwitchHook acts before each training epoch: it needs an EpochBasedTrainLoop");
                modeSwitch = modeSwitch(h);
            } else if (type.equals("PipelineSwitchHook")) {
                if (pipelineSwitch != null) throw h.error("type", "only one PipelineSwitchHook is supported");
                if (iterLoop) throw h.error("type", "PipelineSwitchHook acts before each training epoch: it needs an EpochBasedTrainLoop");
                pipelineSwitch = pipelineSwitch(h);
            } else if (type.equals("EmptyCacheHook")) {
                if (emptyCache != null) throw h.error("type", "only one EmptyCacheHook is supported");
                emptyCache = new EmptyCache(h.bool("before_epoch", false), h.bool("after_epoch", true), h.bool("after_iter", false));
            } else if (type.equals("MemoryProfilerHook")) {
                if (memoryProfiler > 0) throw h.error("type", "only one MemoryProfilerHook is supported");
                memoryProfiler = h.positive("interval", h.integer("interval", 50));
            } else if (type.equals("SyncNormHook")) {
                syncNorm = true;
                h.raw("priority"); // MMDetection's 48: before EMAHook's swap, as the trainer does it
            } else {
                h.integer("interval", 50); // checks the engine makes anyway: classes against num_classes, finite losses
            }
            h.finish();
        }
        ConfigNode r = root.child("randomness");
        long seed = r.longValue("seed", 0);
        boolean det = r.bool("deterministic", false);
        r.finish();
        String workDir = root.string("work_dir", null);
        String loadFrom = root.string("load_from", null);
        boolean resume = root.bool("resume", false);
        ConfigNode env = root.child("env_cfg");
        boolean cudnnBenchmark = env.bool("cudnn_benchmark", false);
        ConfigNode mp = env.child("mp_cfg");
        mp.string("mp_start_method", "fork");
        mp.integer("opencv_num_threads", 0);
        mp.finish();
        ConfigNode dist = env.child("dist_cfg");
        dist.choice("backend", "nccl", "nccl", "gloo");
        dist.finish();
        env.finish();
        return new RuntimeConfig(epochs, iters, val, valBegin, log, ignoreLast, window, logByEpoch, ckInt, ckByEpoch, keep, best, greater, seed, det, workDir, loadFrom, resume, early, ema, cudnnBenchmark, syncNorm, modeSwitch, pipelineSwitch, valVis, dynamic, memoryProfiler, emptyCache);
    }

    /**
     * {@code train_cfg.dynamic_intervals}: a list of {@code [milestone, interval]} pairs (MMEngine's
     * {@code calc_dynamic_intervals}), milestones increasing (MMEngine bisects them as a sorted list), intervals positive.
     */
    private static java.util.List<DynamicInterval> dynamicIntervals(ConfigNode t) {
        com.fasterxml.jackson.databind.JsonNode raw = t.raw("dynamic_intervals");
        java.util.List<DynamicInterval> out = new java.util.ArrayList<>();
        if (raw == null || raw.isNull()) return out;
        String form = "must be a list of [milestone, interval] pairs, e.g. [[285, 1]], got ";
        if (!raw.isArray()) throw t.error("dynamic_intervals", form + ConfigNode.describe(raw));
        for (com.fasterxml.jackson.databind.JsonNode pair : raw) {
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).canConvertToLong() || !pair.get(0).isIntegralNumber()
                    || !pair.get(1).isIntegralNumber())
                throw t.error("dynamic_intervals", form + ConfigNode.describe(pair));
            long milestone = pair.get(0).asLong();
            int interval = pair.get(1).asInt();
            if (milestone < 0 || interval <= 0)
                throw t.error("dynamic_intervals", "milestones must be >= 0 and intervals positive, got " + ConfigNode.describe(pair));
            if (!out.isEmpty() && milestone <= out.get(out.size() - 1).milestone())
                throw t.error("dynamic_intervals", "milestones must increase, got " + ConfigNode.describe(raw));
            out.add(new DynamicInterval(milestone, interval));
        }
        return out;
    }

    /** {@code default_hooks.visualization} ({@code DetVisualizationHook}): null unless {@code draw} is true. */
    private static ValVisualization valVisualization(ConfigNode vis) {
        vis.choice("type", "DetVisualizationHook", "DetVisualizationHook");
        boolean draw = vis.bool("draw", false);
        int interval = vis.positive("interval", vis.integer("interval", 50));
        double thr = vis.inRange("score_thr", vis.number("score_thr", 0.3), 0, 1);
        if (vis.bool("show", false))
            throw vis.error("show", "showing pictures in a window is not supported (no display): draw: true writes them to "
                    + "<work_dir>/<timestamp>/vis_data/vis_image");
        vis.raw("wait_time"); // for show only
        String testOutDir = vis.string("test_out_dir", null);
        vis.finish();
        return draw ? new ValVisualization(interval, thr, testOutDir) : null;
    }

    private static EarlyStopping earlyStopping(ConfigNode h, EvaluatorConfig eval) {
        String monitor = h.string("monitor");
        if (!eval.mayReport(monitor))
            throw h.error("monitor", "must be one of " + String.join(", ", eval.metricNames()) + perClass(eval)
                    + " (the validation's metrics), got '" + monitor + "'");
        boolean greater = rule(h, monitor);
        double minDelta = h.nonNegative("min_delta", h.number("min_delta", 0.1));
        int patience = h.positive("patience", h.integer("patience", 5));
        Double threshold = h.raw("stopping_threshold") == null ? null : h.number("stopping_threshold");
        h.bool("strict", false); // the monitored metric always exists here
        h.raw("priority");       // hook order: the engine runs its checks in one fixed order
        return new EarlyStopping(monitor, greater, minDelta, patience, threshold, h.bool("check_finite", true));
    }

    /** The per-class names a classwise CocoMetric adds, for messages. */
    private static String perClass(EvaluatorConfig eval) {
        return eval.reportsPerClass() ? (eval.lvis() ? ", lvis/<class>_precision" : ", coco/<class>_precision") : "";
    }

    /**
     * {@code rule}: greater (true) or less; absent, inferred from the metric's name as MMEngine's CheckpointHook and
     * EarlyStoppingHook do (case-insensitive: a name that is or contains acc, top, AR@, auc, precision, mAP, mDice,
     * mIoU, mAcc or aAcc is greater, loss less; any other name needs the rule written).
     */
    private static boolean rule(ConfigNode n, String metric) {
        if (n.has("rule")) return n.choice("rule", "greater", "greater", "less").equals("greater");
        String m = metric.toLowerCase(java.util.Locale.ROOT);
        for (String k : new String[] {"acc", "top", "ar@", "auc", "precision", "map", "mdice", "miou", "macc", "aacc"})
            if (m.contains(k)) return true;
        if (m.contains("loss")) return false;
        throw n.error("rule", "cannot infer the rule for " + metric + " (MMEngine's names: acc, top, AR@, auc, precision, mAP, "
                + "... are greater, loss less): give rule: greater or less");
    }

    private static ModeSwitch modeSwitch(ConfigNode h) {
        int last = h.atLeast("num_last_epochs", h.integer("num_last_epochs", 15), 0);
        java.util.List<String> skip = java.util.List.of("Mosaic", "RandomAffine", "MixUp");
        com.fasterxml.jackson.databind.JsonNode raw = h.raw("skip_type_keys");
        if (raw != null) {
            if (!raw.isArray()) throw h.error("skip_type_keys", "must be a list of transform types, got " + ConfigNode.describe(raw));
            java.util.List<String> out = new java.util.ArrayList<>();
            for (com.fasterxml.jackson.databind.JsonNode k : raw) {
                if (!k.isTextual()) throw h.error("skip_type_keys", "must be a list of transform types, got " + ConfigNode.describe(k));
                out.add(k.asText());
            }
            skip = out;
        }
        h.raw("priority");
        return new ModeSwitch(last, skip);
    }

    /** {@code switch_epoch} (required, >= 0) and {@code switch_pipeline} (required, a training dataset's pipeline). */
    private static PipelineSwitch pipelineSwitch(ConfigNode h) {
        if (!h.has("switch_epoch")) throw h.error("switch_epoch", "required key is missing");
        int epoch = h.atLeast("switch_epoch", h.integer("switch_epoch"), 0);
        if (!h.has("switch_pipeline")) throw h.error("switch_pipeline", "required key is missing");
        PipelineConfig p = PipelineConfig.from(h, "switch_pipeline", true);
        h.raw("priority");
        return new PipelineSwitch(epoch, p);
    }

    private static Ema ema(ConfigNode h) {
        boolean exp = h.choice("ema_type", "ExponentialMovingAverage", "ExponentialMovingAverage", "ExpMomentumEMA")
                .equals("ExpMomentumEMA");
        double momentum = h.number("momentum", 0.0002);
        if (!(momentum > 0 && momentum < 1)) // ExponentialMovingAverage's assert (ExpMomentumEMA's too)
            throw h.error("momentum", "must be in (0, 1): the weight of the new value, MMEngine's 0.0002 by default; got " + momentum);
        double gamma = exp ? h.positive("gamma", h.number("gamma", 2000)) : 0; // MMDetection's ExpMomentumEMA default
        int interval = h.positive("interval", h.integer("interval", 1));
        int beginIter = h.atLeast("begin_iter", h.integer("begin_iter", 0), 0);
        int beginEpoch = h.atLeast("begin_epoch", h.integer("begin_epoch", 0), 0);
        if (beginIter > 0 && beginEpoch > 0) throw h.error("begin_epoch", "give begin_iter or begin_epoch, not both");
        boolean updateBuffers = h.bool("update_buffers", false);
        h.bool("strict_load", false);
        h.raw("priority");
        return new Ema(exp, momentum, gamma, interval, beginIter, beginEpoch, updateBuffers);
    }
}
