package autoassign.cli;

import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.train.TrainOptions;
import autoassign.train.Trainer;
import autoassign.train.dist.DataParallelTrainer;
import autoassign.train.dist.DistOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code train}: with no arguments, the default job (tiny config on the built-in synthetic dataset). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains AutoAssign (no arguments: the tiny config on the built-in synthetic dataset).",
                "The config's optimizer (SGD, Adam, AdamW) and param_scheduler, checkpoints and validations as its hooks say,",
                "logs in the work dir (metrics.jsonl, final.json, curves.png, MMEngine's <timestamp>/ run folder)."})
public final class TrainCommand implements Callable<Integer> {
    /** The default job's config, shipped in the jar. */
    public static final String DEFAULT_CONFIG = "autoassign_tiny_synthetic";

    @Option(names = "--config", paramLabel = "CFG",
            description = "config file (YAML, or MMDetection's .py), or the name of a built-in one in configs/ (default: "
                    + DEFAULT_CONFIG + ")")
    String config;

    @Parameters(arity = "0..1", paramLabel = "CFG", description = "the config, positionally as MMDetection's tools/train.py CONFIG takes it")
    String configArg;

    @Option(names = "--data-root", paramLabel = "DIR",
            description = "COCO-style dataset folder: annotations/instances_train2017.json + train2017/ (+ val2017), "
                    + "or annotations/instances_{train,val}.json + images/")
    String dataRoot;

    @Option(names = "--epochs", description = "number of epochs (config: train_cfg.max_epochs)") Integer epochs;

    @Option(names = "--batch-size", description = "images per iteration; the lr follows the linear scaling rule unless --lr is given")
    Integer batchSize;

    @Option(names = "--lr", description = "base learning rate, taken as it is") Double lr;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "output folder (default: the config's work_dir, else work_dirs/<config name>)") Path workDir;

    @Option(names = "--seed", description = "random seed (config: randomness.seed)") Long seed;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: CUDA when a usable GPU is found, else CPU)")
    String device;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "auto", paramLabel = "PATH|auto",
            description = "continue from a checkpoint of this run (auto: the newest in the work dir)")
    String resume;

    @Option(names = "--pretrained", paramLabel = "PATH", description = "pretrained backbone file (.pth or .safetensors)")
    Path pretrained;

    @Option(names = "--no-pretrained", description = "train from scratch even if the config names a pretrained backbone")
    boolean noPretrained;

    @Option(names = "--amp", description = "AmpOptimWrapper with dynamic loss scaling, as MMDetection's train.py --amp (the "
            + "computation stays float32: loss scaling and skipping non-finite updates only)")
    boolean amp;

    @Option(names = "--load-from", paramLabel = "CKPT", description = "start from a full checkpoint (.safetensors or MMDetection .pth)")
    Path loadFrom;

    @Option(names = "--workers", description = "data loader threads (config: train_dataloader.num_workers)") Integer workers;

    @Option(names = "--gpus", paramLabel = "N",
            description = "data parallel over N GPUs of this machine, NCCL between them (one worker thread per GPU; "
                    + "--batch-size is per GPU). Fails at start when fewer GPUs or no NCCL are found")
    Integer gpus;

    @Option(names = "--nodes", paramLabel = "M", defaultValue = "1", description = "machines of a multi-node run (with --gpus)")
    int nodes;

    @Option(names = "--node-rank", paramLabel = "R", defaultValue = "0", description = "this machine's index, 0..M-1 (node 0 hosts the rendezvous)")
    int nodeRank;

    @Option(names = "--master", paramLabel = "HOST:PORT", description = "node 0's address and a free port, for the rendezvous of --nodes > 1")
    String master;

    @Option(names = "--cpu-workers", paramLabel = "N",
            description = "data parallel over N worker threads on the CPU with an in-process all-reduce: the same code "
                    + "path as --gpus (sharding, reduced loss normalisers, bucketed gradient averaging, rank-0 logging), "
                    + "for checking it without GPUs; not faster than one worker")
    Integer cpuWorkers;

    @Option(names = "--dist-timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "how long the nodes wait for each other at the rendezvous (default: ${DEFAULT-VALUE})")
    long distTimeout;

    @Option(names = "--bucket-mb", paramLabel = "MB", defaultValue = "25", hidden = true,
            description = "gradient all-reduce bucket size in MiB (default: ${DEFAULT-VALUE}, as PyTorch DDP)")
    double bucketMb;

    @Option(names = "--auto-scale-lr",
            description = "scale the lr by the total batch size over auto_scale_lr.base_batch_size, as MMDetection's "
                    + "tools/train.py --auto-scale-lr (the same as --cfg-options auto_scale_lr.enable=true)")
    boolean autoScaleLr;

    @Mixin
    ConfigOverrides overrides = new ConfigOverrides();

    @Override
    public Integer call() throws Exception {
        if (lr != null && !(lr > 0 && Double.isFinite(lr))) throw new CliErrors.UserError("--lr must be a positive number, got " + lr);
        if (workers != null && workers < 0) throw new CliErrors.UserError("--workers must be >= 0, got " + workers);
        if (pretrained != null && noPretrained)
            throw new CliErrors.UserError("--pretrained " + pretrained + " and --no-pretrained contradict each other: give one");
        DistOptions dist = distOptions();
        if (dist != null) DataParallelTrainer.validate(dist, device); // one line and exit 1 before anything is loaded
        List<String> cfgOptions = new ArrayList<>(overrides.values());
        if (autoScaleLr) cfgOptions.add("auto_scale_lr.enable=true");
        if (config != null && configArg != null)
            throw new CliErrors.UserError("give the config once: as CFG or with --config, not both");
        String configName = configArg != null ? configArg : config != null ? config : DEFAULT_CONFIG;
        Config cfg = ConfigLoader.loadNamed(configName, cfgOptions);
        if (amp && cfg.optimWrapper().amp() != null) {
            System.out.println("AMP training is already enabled in your config.");
        } else if (amp) { // train.py: optim_wrapper.type = 'AmpOptimWrapper', optim_wrapper.loss_scale = 'dynamic'
            cfgOptions.add("optim_wrapper.type=AmpOptimWrapper");
            cfgOptions.add("optim_wrapper.loss_scale=dynamic");
            cfg = ConfigLoader.loadNamed(configName, cfgOptions);
        }
        TrainOptions opt = new TrainOptions(dataRoot, epochs, batchSize, lr, workDir, seed, device, resume, pretrained,
                noPretrained, loadFrom, workers);
        if (dist != null) return finish(DataParallelTrainer.run(cfg, opt, dist, System.out));
        Trainer trainer = new Trainer(cfg, opt, System.out);
        Thread hook = trainer.installSignalHandler();
        Trainer.Result r = trainer.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: the JVM is exiting on a signal
        }
        return finish(r);
    }

    /** The data-parallel settings, or null for an ordinary single-worker run. */
    DistOptions distOptions() {
        if (cpuWorkers != null && cpuWorkers < 1) throw new CliErrors.UserError("--cpu-workers must be >= 1, got " + cpuWorkers);
        if (gpus != null && gpus < 1) throw new CliErrors.UserError("--gpus must be >= 1, got " + gpus);
        if (nodes < 1) throw new CliErrors.UserError("--nodes must be >= 1, got " + nodes);
        if (gpus == null && cpuWorkers == null && nodes == 1 && nodeRank == 0 && master == null) return null;
        if (nodes > 1 && gpus == null) throw new CliErrors.UserError("--nodes " + nodes + " needs --gpus N (the GPUs of each machine)");
        if (gpus == null && cpuWorkers == null)
            throw new CliErrors.UserError("--node-rank / --master need --nodes M and --gpus N");
        if (distTimeout < 1) throw new CliErrors.UserError("--dist-timeout must be >= 1 s, got " + distTimeout);
        if (!(bucketMb > 0)) throw new CliErrors.UserError("--bucket-mb must be > 0, got " + bucketMb);
        DistOptions d = cpuWorkers != null ? DistOptions.cpuWorkers(cpuWorkers) : DistOptions.gpus(gpus);
        if (cpuWorkers != null && gpus != null) d = new DistOptions(gpus, 1, 0, null, cpuWorkers, d.rendezvousTimeout(),
                d.collectiveTimeout(), d.bucketBytes());
        return d.withNodes(nodes, nodeRank, master)
                .withTimeouts(Duration.ofSeconds(distTimeout), DistOptions.DEFAULT_COLLECTIVE_TIMEOUT)
                .withBucketBytes((long) (bucketMb * (1 << 20)));
    }

    private static int finish(Trainer.Result r) {
        if (r.lastEval() != null) {
            System.out.println();
            System.out.println("final COCO bbox evaluation (" + r.workDir().resolve("final.json") + "):");
            for (String line : r.lastEval().summaryLines()) System.out.println(line);
        }
        return r.stoppedEarly() && r.stopReason() != null && r.stopReason().contains("non-finite") ? 1 : 0;
    }
}
