package autoassign.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A whole job configuration, read from YAML whose keys mirror MMDetection's Python config (see
 * {@code docs/config.md}). Immutable; build it with {@link ConfigLoader}.
 *
 * @param source          file the configuration came from (for messages)
 * @param dataRoot        {@code data_root}: folder that dataset paths are relative to (the CLI's
 *                        {@code --data-root} replaces it); may be null for synthetic data
 * @param model           the detector and its test-time settings
 * @param trainDataloader training data
 * @param valDataloader   validation data
 * @param valEvaluator    evaluation settings
 * @param testDataloader  {@code test_dataloader}: what {@code eval --config} runs on (MMDetection's tools/test.py);
 *                        the val dataloader when absent
 * @param testEvaluator   {@code test_evaluator}: the val evaluator when absent
 * @param optimWrapper    optimizer
 * @param paramScheduler  learning-rate schedule
 * @param runtime         loop length, intervals, seed
 * @param visualizer      {@code visualizer}: where logged scalars go besides {@code metrics.jsonl} (TensorBoard)
 * @param tta             {@code tta_model} / {@code tta_pipeline}: what {@code eval --tta} runs
 * @param autoScaleLr     {@code auto_scale_lr.enable}: scale lr by total batch / baseBatchSize
 * @param baseBatchSize   {@code auto_scale_lr.base_batch_size} (16)
 * @param text            the whole config as loaded ({@code _base_} files merged, overrides applied) as YAML: what
 *                        checkpoints and the work dir keep, so a run can be repeated from it alone
 * @param evalLoops       {@code val_cfg} / {@code test_cfg}: their {@code fp16} switches (accepted; computation stays float32)
 */
public record Config(String source, String dataRoot, ModelConfig model, DataLoaderConfig trainDataloader,
                     DataLoaderConfig valDataloader, EvaluatorConfig valEvaluator, DataLoaderConfig testDataloader,
                     EvaluatorConfig testEvaluator, OptimConfig optimWrapper,
                     SchedulerConfig paramScheduler, RuntimeConfig runtime, VisualizerConfig visualizer,
                     TtaConfig tta, boolean autoScaleLr, int baseBatchSize, String text, EvalLoops evalLoops) {

    /** Without {@code val_cfg} / {@code test_cfg} settings: MMEngine's defaults. */
    public Config(String source, String dataRoot, ModelConfig model, DataLoaderConfig trainDataloader,
                  DataLoaderConfig valDataloader, EvaluatorConfig valEvaluator, DataLoaderConfig testDataloader,
                  EvaluatorConfig testEvaluator, OptimConfig optimWrapper, SchedulerConfig paramScheduler, RuntimeConfig runtime,
                  VisualizerConfig visualizer, TtaConfig tta, boolean autoScaleLr, int baseBatchSize, String text) {
        this(source, dataRoot, model, trainDataloader, valDataloader, valEvaluator, testDataloader, testEvaluator, optimWrapper,
                paramScheduler, runtime, visualizer, tta, autoScaleLr, baseBatchSize, text, EvalLoops.DEFAULTS);
    }

    /** A copy whose dataset paths resolve against {@code root} (the CLI's {@code --data-root}). */
    public Config withDataRoot(String root) {
        return new Config(source, root, model, trainDataloader, valDataloader, valEvaluator, testDataloader, testEvaluator,
                optimWrapper, paramScheduler, runtime, visualizer, tta, autoScaleLr, baseBatchSize, text, evalLoops);
    }

    /** {@code relative} resolved against the data root (absolute paths are kept). */
    public Path resolve(String relative) {
        if (relative == null) throw new IllegalArgumentException("no path to resolve");
        Path p = Path.of(relative);
        if (p.isAbsolute() || dataRoot == null) return p;
        return Path.of(dataRoot).resolve(p);
    }

    static Config from(ConfigNode root, String text) {
        String dataRoot = root.string("data_root", null);
        ModelConfig model = ModelConfig.from(root.requiredChild("model"));
        DataLoaderConfig train = DataLoaderConfig.from(root.requiredChild("train_dataloader"), true, dataRoot);
        DataLoaderConfig val = DataLoaderConfig.from(root.requiredChild("val_dataloader"), false, dataRoot);
        EvaluatorConfig eval = EvaluatorConfig.from(root.child("val_evaluator"));
        DataLoaderConfig test = root.has("test_dataloader") ? DataLoaderConfig.from(root.requiredChild("test_dataloader"), false, dataRoot) : val;
        EvaluatorConfig testEval = root.has("test_evaluator") ? EvaluatorConfig.from(root.child("test_evaluator")) : eval;
        OptimConfig optim = OptimConfig.from(root.requiredChild("optim_wrapper"));
        SchedulerConfig sched = SchedulerConfig.from(root, "param_scheduler");
        RuntimeConfig runtime = RuntimeConfig.from(root, eval);
        EvalLoops loops = EvalLoops.from(root);
        mmdetectionRuntimeKeys(root);
        VisualizerConfig visualizer = VisualizerConfig.from(root);
        TtaConfig tta = TtaConfig.from(root);
        ConfigNode asl = root.child("auto_scale_lr");
        boolean scale = asl.bool("enable", false);
        int base = asl.positive("base_batch_size", asl.integer("base_batch_size", 16));
        asl.finish();
        root.finish();
        int classes = model.bboxHead().numClasses();
        checkClasses(root, "train_dataloader", train, classes);
        checkClasses(root, "val_dataloader", val, classes);
        checkClasses(root, "test_dataloader", test, classes);
        checkLoop(root, runtime, sched, train);
        // YOLOXModeSwitchHook calls train_loader.dataset.update_skip_type_keys: that dataset must be the mixing wrapper
        DatasetConfig tds = train.dataset();
        if (runtime.modeSwitch() != null && !(tds.wrappers().isEmpty() && tds.parts().isEmpty()
                && tds.pipeline().transforms().stream().anyMatch(t -> t instanceof autoassign.data.MultiImageMixDataset)))
            throw root.error("custom_hooks", "YOLOXModeSwitchHook switches the steps of train_dataloader.dataset, which must be a "
                    + "MultiImageMixDataset (not wrapped in another dataset)");
        // PipelineSwitchHook sets train_loader.dataset.pipeline: only a plain dataset runs it (a wrapper's would be ignored)
        if (runtime.pipelineSwitch() != null && !(tds.wrappers().isEmpty() && tds.parts().isEmpty()
                && tds.pipeline().transforms().stream().noneMatch(t -> t instanceof autoassign.data.MultiImageMixDataset)))
            throw root.error("custom_hooks", "PipelineSwitchHook sets the pipeline of train_dataloader.dataset, which must be a "
                    + "CocoDataset or SyntheticShapes (not a dataset wrapper, ConcatDataset or MultiImageMixDataset)");
        boolean cached = tds.pipeline().transforms().stream()
                .anyMatch(t -> t instanceof autoassign.data.CachedMosaic || t instanceof autoassign.data.CachedMixUp);
        // a ConcatDataset's parts each run their own pipeline copy in MMDetection, hence their own caches; here they share one
        if (!tds.parts().isEmpty() && cached)
            throw root.error("train_dataloader.dataset", "CachedMosaic / CachedMixUp are not supported in a ConcatDataset (each part"
                    + " would keep its own cache in MMDetection)");
        // an InfiniteSampler's one iterator hands batches to the workers round-robin across passes, never restarting at
        // worker 0 as each epoch of a DefaultSampler does: the per-pass layout here would fill other caches
        if (train.infiniteSampler() && cached)
            throw root.error("train_dataloader.sampler", "CachedMosaic / CachedMixUp need a DefaultSampler (epochs): with an "
                    + "InfiniteSampler MMDetection's workers keep one round-robin over the whole run, which is not reproduced");
        SyntheticConfig ts = train.dataset().synthetic(), vs = val.dataset().synthetic();
        if (ts != null && vs != null && !ts.sameGenerator(vs))
            throw root.error("val_dataloader.dataset", "SyntheticShapes makes both splits with one generator: every key but "
                    + "num_images must equal train_dataloader.dataset's");
        return new Config(root.source(), dataRoot, model, train, val, eval, test, testEval, optim, sched, runtime, visualizer,
                tta, scale, base, text, loops);
    }

    /**
     * Keys of MMDetection's default_runtime.py and dataset files that a config dumped or read from MMDetection
     * carries: accepted with the values that mean nothing here ({@code default_scope: mmdet}, no {@code backend_args},
     * the helper variables {@code dataset_type}, {@code train_pipeline} and {@code test_pipeline});
     * {@code load_from}, {@code resume}, {@code log_processor} and {@code custom_hooks} are read by
     * {@link RuntimeConfig}, {@code visualizer} and {@code vis_backends} by {@link VisualizerConfig}.
     */
    private static void mmdetectionRuntimeKeys(ConfigNode root) {
        root.choice("default_scope", "mmdet", "mmdet");
        root.choice("log_level", "INFO", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL");
        root.localFilesOnly();
        root.string("dataset_type", null);
        for (String k : new String[] {"train_pipeline", "test_pipeline"}) root.raw(k);
    }

    /** What MMEngine's loops would silently run differently from what the config says. */
    private static void checkLoop(ConfigNode root, RuntimeConfig runtime, SchedulerConfig sched, DataLoaderConfig train) {
        if (runtime.iterBased()) {
            List<SchedulerConfig.Entry> entries = sched.entries();
            for (int i = 0; i < entries.size(); i++)
                // ReduceOnPlateau steps after each validation (ParamSchedulerHook.after_val_epoch), which iteration loops run too
                if (entries.get(i).byEpoch() && !entries.get(i).convertToIterBased()
                        && !(entries.get(i).rule() instanceof SchedulerConfig.Rule.ReduceOnPlateau))
                    throw root.error("param_scheduler[" + i + "]", entries.get(i).typeName() + " steps after each epoch, "
                            + "which an IterBasedTrainLoop never ends: set by_epoch: false or convert_to_iter_based: true");
        } else if (train.infiniteSampler()) {
            throw root.error("train_dataloader.sampler.type", "an InfiniteSampler never ends an epoch of an EpochBasedTrainLoop: "
                    + "use DefaultSampler, or train_cfg type IterBasedTrainLoop");
        }
    }

    private static void checkClasses(ConfigNode root, String key, DataLoaderConfig dl, int classes) {
        List<String> names = dl.dataset().classes();
        if (names != null && names.size() != classes)
            throw root.error(key + ".dataset.metainfo.classes", names.size() + " classes, but model.bbox_head.num_classes is "
                    + classes + " (set both)");
        SyntheticConfig s = dl.dataset().synthetic();
        if (s != null && s.numClasses() != classes)
            throw root.error(key + ".dataset.num_classes", "must equal model.bbox_head.num_classes " + classes
                    + ", got " + s.numClasses());
    }
}
