package autoassign.config;

/**
 * Training loop, hooks and environment: {@code train_cfg}, {@code default_hooks}, {@code randomness},
 * {@code env_cfg}, {@code work_dir}.
 *
 * @param maxEpochs          {@code train_cfg.max_epochs} (12)
 * @param valInterval        {@code train_cfg.val_interval}: evaluate every this many epochs (1)
 * @param logInterval        {@code default_hooks.logger.interval}: log every this many iterations (50)
 * @param checkpointInterval {@code default_hooks.checkpoint.interval} in epochs (1)
 * @param maxKeepCkpts       {@code default_hooks.checkpoint.max_keep_ckpts}: -1 keeps all
 * @param saveBest           {@code default_hooks.checkpoint.save_best}: the metric whose best value keeps a
 *                           checkpoint ({@code auto} = {@code coco/bbox_mAP}); null: none
 * @param saveBestGreater    {@code default_hooks.checkpoint.rule}: greater (default) or less is better
 * @param seed               {@code randomness.seed}: data order, flips and initialisation
 * @param deterministic      {@code randomness.deterministic}
 * @param workDir            {@code work_dir} (null: chosen by the CLI)
 * @param loadFrom           {@code load_from}: a checkpoint to start from (the CLI's {@code --load-from} wins); null: none
 * @param resume             {@code resume}: continue from the work dir's latest checkpoint ({@code --resume auto})
 * @param cudnnBenchmark     {@code env_cfg.cudnn_benchmark} (false, MMDetection's default): on a GPU, time cuDNN's
 *                           algorithms once per shape instead of taking its heuristics' choice; worth it when shapes
 *                           repeat. {@code env_cfg.mp_cfg} and {@code env_cfg.dist_cfg} are accepted as in MMDetection
 *                           and not used (the engine picks NCCL on GPUs and in-process workers on the CPU).
 */
public record RuntimeConfig(int maxEpochs, int valInterval, int logInterval, int checkpointInterval, int maxKeepCkpts,
                            String saveBest, boolean saveBestGreater, long seed, boolean deterministic, String workDir,
                            String loadFrom, boolean resume, boolean cudnnBenchmark) {

    /** The metrics {@code default_hooks.checkpoint.save_best} can follow (MMDetection's CocoMetric names), in stats order. */
    public static final java.util.List<String> BEST_METRICS = java.util.List.of("coco/bbox_mAP", "coco/bbox_mAP_50",
            "coco/bbox_mAP_75", "coco/bbox_mAP_s", "coco/bbox_mAP_m", "coco/bbox_mAP_l");

    static RuntimeConfig from(ConfigNode root) {
        ConfigNode t = root.requiredChild("train_cfg");
        t.fixed("type", "EpochBasedTrainLoop");
        int epochs = t.positive("max_epochs", t.integer("max_epochs"));
        int val = t.positive("val_interval", t.integer("val_interval", 1));
        t.finish();
        ConfigNode hooks = root.child("default_hooks");
        ConfigNode logger = hooks.child("logger");
        logger.fixed("type", "LoggerHook");
        int log = logger.positive("interval", logger.integer("interval", 50));
        logger.finish();
        ConfigNode ck = hooks.child("checkpoint");
        ck.fixed("type", "CheckpointHook");
        int ckInt = ck.positive("interval", ck.integer("interval", 1));
        int keep = ck.integer("max_keep_ckpts", -1);
        if (keep == 0 || keep < -1) throw ck.error("max_keep_ckpts", "must be -1 (keep all) or positive, got " + keep);
        String best = ck.string("save_best", null);
        if ("auto".equals(best)) best = BEST_METRICS.get(0);
        if (best != null && !BEST_METRICS.contains(best))
            throw ck.error("save_best", "must be auto or one of " + String.join(", ", BEST_METRICS) + ", got '" + best + "'");
        boolean greater = ck.choice("rule", "greater", "greater", "less").equals("greater");
        ck.finish();
        for (String k : new String[] {"timer", "param_scheduler", "sampler_seed", "visualization"}) hooks.raw(k); // MMDetection's, no-ops here
        hooks.finish();
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
        return new RuntimeConfig(epochs, val, log, ckInt, keep, best, greater, seed, det, workDir, loadFrom, resume, cudnnBenchmark);
    }
}
