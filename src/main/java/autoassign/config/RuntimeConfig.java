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
 * @param seed               {@code randomness.seed}: data order, flips and initialisation
 * @param deterministic      {@code randomness.deterministic}
 * @param workDir            {@code work_dir} (null: chosen by the CLI)
 * @param cudnnBenchmark     {@code env_cfg.cudnn_benchmark} (false, MMDetection's default): on a GPU, time cuDNN's
 *                           algorithms once per shape instead of taking its heuristics' choice; worth it when shapes
 *                           repeat. {@code env_cfg.mp_cfg} and {@code env_cfg.dist_cfg} are accepted as in MMDetection
 *                           and not used (the engine picks NCCL on GPUs and in-process workers on the CPU).
 */
public record RuntimeConfig(int maxEpochs, int valInterval, int logInterval, int checkpointInterval, int maxKeepCkpts,
                            long seed, boolean deterministic, String workDir, boolean cudnnBenchmark) {

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
        ck.finish();
        hooks.finish();
        ConfigNode r = root.child("randomness");
        long seed = r.longValue("seed", 0);
        boolean det = r.bool("deterministic", false);
        r.finish();
        String workDir = root.string("work_dir", null);
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
        return new RuntimeConfig(epochs, val, log, ckInt, keep, seed, det, workDir, cudnnBenchmark);
    }
}
