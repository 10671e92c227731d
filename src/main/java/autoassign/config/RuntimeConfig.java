package autoassign.config;

/**
 * Training loop and hooks: {@code train_cfg}, {@code default_hooks}, {@code randomness}, {@code work_dir}.
 *
 * @param maxEpochs          {@code train_cfg.max_epochs} (12)
 * @param valInterval        {@code train_cfg.val_interval}: evaluate every this many epochs (1)
 * @param logInterval        {@code default_hooks.logger.interval}: log every this many iterations (50)
 * @param checkpointInterval {@code default_hooks.checkpoint.interval} in epochs (1)
 * @param maxKeepCkpts       {@code default_hooks.checkpoint.max_keep_ckpts}: -1 keeps all
 * @param seed               {@code randomness.seed}: data order, flips and initialisation
 * @param deterministic      {@code randomness.deterministic}
 * @param workDir            {@code work_dir} (null: chosen by the CLI)
 */
public record RuntimeConfig(int maxEpochs, int valInterval, int logInterval, int checkpointInterval, int maxKeepCkpts,
                            long seed, boolean deterministic, String workDir) {

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
        return new RuntimeConfig(epochs, val, log, ckInt, keep, seed, det, workDir);
    }
}
