package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.io.CheckpointException;
import autoassign.io.ModelWeights;
import autoassign.io.RawTensor;
import autoassign.io.Safetensors;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checkpoints of a work dir. Each is two safetensors files written atomically: {@code NAME.safetensors}, the model
 * under MMDetection's names (loadable by {@code detect} / {@code eval}), and {@code NAME.state.safetensors}, the
 * SGD momentum buffers plus the loop position, seed and config in its metadata. The state file is written first,
 * so a model file always has its state beside it.
 */
final class CheckpointStore {
    private static final String STATE = ".state.safetensors";
    /** State-file prefix of the weights trained under an EMA (the model file then holds the average). */
    private static final String EMA_SOURCE = "ema_source.";
    private final Path dir;
    private final int keep;
    private final Map<String, String> datasetMeta;
    private WeightAverage ema;
    private Runnable beforeSave = () -> {};
    private java.util.function.Supplier<String> logWindow = () -> null;
    private java.util.function.Supplier<String> schedulerState = () -> null;
    /** MMEngine's {@code keep_ckpt_ids}: this run's periodic checkpoints (and the resumed run's), oldest first. */
    private final java.util.ArrayDeque<String> kept = new java.util.ArrayDeque<>();
    /** Metadata key of {@link #kept} in the state file (MMEngine keeps it in {@code message_hub.runtime_info}). */
    static final String KEEP_CKPTS = "keep_ckpts";
    /** State-file key of the log window's history ({@link LogWindow#state}). */
    static final String LOG_WINDOW = "log_window";
    /** Metadata key of AmpOptimWrapper's loss scaler: {@code scale,growth_tracker}. */
    static final String LOSS_SCALER = "loss_scaler";
    /**
     * State-file key of the schedule's resumable state ({@link LrSchedule#state()}: the values and ReduceOnPlateau
     * counters, as MMEngine's checkpoint keeps {@code param_schedulers}); absent without ReduceOnPlateau schedulers.
     */
    static final String PARAM_SCHEDULERS = "param_schedulers";

    /**
     * Where a resumed run continues: the 0-based epoch (pass) and the iterations of it already done, and the global
     * iteration; epoch −1 when only the global iteration is known (the trainer splits it into passes).
     * {@code restartsEpoch}: MMEngine's epoch loop, which runs epoch {@code epoch} again from its first batch while its
     * iteration counter and schedulers go on from {@code globalIter} (a checkpoint saved mid-epoch).
     * {@code seed}: the run's seed saved in the checkpoint (null: none), which the resumed run takes, as MMEngine's
     * {@code runner.resume} takes {@code meta.seed}; {@code bestScore}: the {@code save_best} score so far that an
     * MMEngine checkpoint keeps in {@code message_hub.runtime_info.best_score} (null: none); {@code schedulerState}: the
     * schedule's saved state ({@link LrSchedule#restore}; null: none).
     */
    record Resumed(Path file, int epoch, int iterInEpoch, long globalIter, boolean restartsEpoch, Long seed, Double bestScore,
                   String logWindow, String schedulerState) {
        Resumed(Path file, int epoch, int iterInEpoch, long globalIter, boolean restartsEpoch, Long seed, Double bestScore,
                String logWindow) {
            this(file, epoch, iterInEpoch, globalIter, restartsEpoch, seed, bestScore, logWindow, null);
        }

        Resumed(Path file, int epoch, int iterInEpoch, long globalIter, boolean restartsEpoch, Long seed, Double bestScore) {
            this(file, epoch, iterInEpoch, globalIter, restartsEpoch, seed, bestScore, null);
        }

        Resumed(Path file, int epoch, int iterInEpoch, long globalIter, boolean restartsEpoch) {
            this(file, epoch, iterInEpoch, globalIter, restartsEpoch, null, null);
        }

        Resumed(Path file, int epoch, int iterInEpoch, long globalIter) {
            this(file, epoch, iterInEpoch, globalIter, false);
        }
    }

    CheckpointStore(Path dir, int keep) {
        this(dir, keep, Map.of());
    }

    /** @param datasetMeta written into every checkpoint's metadata (the class names: {@link #datasetMeta}) */
    CheckpointStore(Path dir, int keep, Map<String, String> datasetMeta) {
        this.dir = dir;
        this.keep = keep;
        this.datasetMeta = Map.copyOf(datasetMeta);
    }

    /**
     * With an {@code EMAHook}: checkpoints hold the average as their model (what eval, detect and export load, as
     * MMEngine swaps it into {@code state_dict}) and the trained weights in the state file, from which a resumed run
     * goes on.
     */
    void useWeightAverage(WeightAverage ema) { this.ema = ema; }

    /** What each save stores as the log window's history (null: none). */
    void saveLogWindow(java.util.function.Supplier<String> state) { this.logWindow = state; }

    /** What each save stores as the schedule's state (null: nothing to keep; see {@link #PARAM_SCHEDULERS}). */
    void saveSchedulerState(java.util.function.Supplier<String> state) { this.schedulerState = state; }

    /**
     * Rewrites the schedule's state in the state file of checkpoint {@code modelFile} (saved just before a validation
     * that then stepped the ReduceOnPlateau schedulers), so that resuming from it goes on as the run did: MMEngine's
     * epoch checkpoint is written before the validation, whose plateau step its resume then misses. The model file's
     * copy of the metadata is left as saved (resuming reads the state file).
     */
    void updateSchedulerState(Path modelFile) {
        String state = schedulerState.get();
        if (state == null) return;
        Path file = stateOf(modelFile);
        try {
            Safetensors.Contents c = Safetensors.read(file);
            Map<String, String> meta = new LinkedHashMap<>(c.metadata());
            meta.put(PARAM_SCHEDULERS, state);
            Safetensors.write(file, c.tensors(), meta);
        } catch (IOException e) { // a CheckpointException too
            throw new UncheckedIOException(file + ": cannot update the schedule's state: " + e.getMessage(), e);
        }
    }

    /** Runs before every save and may refuse it by throwing (data parallel: {@code Communicator::checkHealthy}). */
    void checkBeforeSave(Runnable check) { this.beforeSave = check; }

    /**
     * The dataset facts a checkpoint keeps so that it can be used without the annotation files: {@code classes}
     * (JSON list of names, label order) and {@code category_ids} (JSON list), as MMDetection keeps
     * {@code meta.dataset_meta.classes}.
     */
    static Map<String, String> datasetMeta(autoassign.data.CategoryMap categories) {
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            return Map.of("classes", json.writeValueAsString(categories.names()),
                    "category_ids", json.writeValueAsString(categories.ids()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes checkpoint {@code name}: {@code epoch} is the 0-based epoch to continue in and {@code iterInEpoch}
     * the iterations of it already done. Keeps the newest {@code keep} periodic checkpoints ({@code epoch_N},
     * {@code iter_N}; all when keep &lt;= 0) that this run (or the run it resumed) wrote, as MMEngine's
     * {@code max_keep_ckpts} with its {@code keep_ckpt_ids}: checkpoints of other runs in the work dir are left alone.
     */
    Path save(String name, int epoch, int iterInEpoch, long globalIter, long seed, AutoAssignDetector model, Optimizer optimizer,
              Config cfg) {
        beforeSave.run();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(epoch));
        meta.put("iter_in_epoch", Integer.toString(iterInEpoch));
        meta.put("global_iter", Long.toString(globalIter));
        meta.put("seed", Long.toString(seed));
        meta.put("config_source", cfg.source());
        meta.put("config", cfg.text());
        meta.putAll(datasetMeta);
        String window = logWindow.get();
        if (window != null) meta.put(LOG_WINDOW, window);
        String sched = schedulerState.get();
        if (sched != null) meta.put(PARAM_SCHEDULERS, sched);
        if (optimizer.lossScaler() != null) meta.put(LOSS_SCALER, optimizer.lossScaler().state());
        // CheckpointHook._save_checkpoint_with_step: the id joins keep_ckpt_ids before the save (saved with it)
        boolean joins = keep > 0 && periodic(name) && !name.equals(kept.peekLast());
        List<String> keptAfter = new ArrayList<>(kept);
        if (joins) keptAfter.add(name);
        if (keep > 0) meta.put(KEEP_CKPTS, String.join(",", keptAfter.subList(Math.max(0, keptAfter.size() - keep), keptAfter.size())));
        Path modelFile = dir.resolve(name + ".safetensors");
        if (ema != null) {
            ema.swap(); // the model holds the average, the average's tensors the trained weights
            meta.put("ema_steps", Long.toString(ema.steps()));
        }
        try {
            Map<String, RawTensor> state = new LinkedHashMap<>();
            optimizer.state().forEach((k, t) -> state.put(k, ModelWeights.fromTensor(t)));
            if (ema != null) ema.tensors().forEach((k, t) -> state.put(EMA_SOURCE + k, ModelWeights.fromTensor(t)));
            Safetensors.write(dir.resolve(name + STATE), state, meta);
            ModelWeights.save(modelFile, model, meta);
        } catch (IOException e) {
            throw new UncheckedIOException(modelFile + ": cannot write checkpoint: " + e.getMessage(), e);
        } finally {
            if (ema != null) ema.swap();
        }
        if (joins) {
            kept.addLast(name);
            while (kept.size() > keep) {
                String old = kept.pollFirst();
                if (!old.equals(name)) remove(dir.resolve(old + ".safetensors"));
            }
        }
        return modelFile;
    }

    /** Removes an old periodic checkpoint (model and state file); one already gone is no error. */
    private void remove(Path m) {
        try {
            Files.deleteIfExists(m);
            Files.deleteIfExists(stateOf(m));
        } catch (IOException e) {
            throw new UncheckedIOException(m + ": cannot remove old checkpoint: " + e.getMessage(), e);
        }
    }

    private static boolean periodic(String name) { return name.startsWith("epoch_") || name.startsWith("iter_"); }

    private static Path stateOf(Path model) {
        String n = model.getFileName().toString();
        return model.resolveSibling(n.substring(0, n.length() - ".safetensors".length()) + STATE);
    }

    /** Complete checkpoints (model + state) of the work dir, oldest first by global iteration. */
    List<Path> list() {
        if (!Files.isDirectory(dir)) return new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> out = new ArrayList<>(s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".safetensors") && !n.endsWith(STATE) && Files.isRegularFile(stateOf(p));
            }).toList());
            out.sort(Comparator.comparingLong(CheckpointStore::globalIterOf).thenComparing(p -> p.getFileName().toString()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list checkpoints: " + e.getMessage(), e);
        }
    }

    private static long globalIterOf(Path model) {
        try {
            String v = Safetensors.readHeader(stateOf(model)).metadata().get("global_iter");
            return v == null ? -1 : Long.parseLong(v);
        } catch (CheckpointException | NumberFormatException e) {
            return -1;
        }
    }

    /** MMEngine's marker file: the path of the checkpoint its {@code CheckpointHook} saved last. */
    static final String LAST_CHECKPOINT = "last_checkpoint";

    /**
     * The checkpoint {@code --resume auto} continues from, or null when there is none: the newest of the engine's
     * own ({@link #list}); else, in a work dir of an MMDetection run, the {@code .pth} named by MMEngine's
     * {@code last_checkpoint} file (what {@code runner.resume} with {@code resume=True} reads, via
     * {@code find_latest_checkpoint}). That file holds the path as MMEngine wrote it (absolute); when it no longer
     * exists there (the work dir was moved), the file of that name in this work dir is taken.
     */
    Path latest() {
        List<Path> all = list();
        if (!all.isEmpty()) return all.get(all.size() - 1);
        Path marker = dir.resolve(LAST_CHECKPOINT);
        if (!Files.isRegularFile(marker)) return null;
        String named;
        try {
            named = Files.readString(marker, java.nio.charset.StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(marker + ": cannot read: " + e.getMessage(), e);
        }
        if (named.isEmpty()) return null;
        Path p;
        try {
            p = Path.of(named);
        } catch (java.nio.file.InvalidPathException e) {
            throw new UserError(marker + ": does not name a checkpoint file (" + named + ")");
        }
        if (Files.isRegularFile(p)) return p;
        Path here = p.getFileName() == null ? null : dir.resolve(p.getFileName());
        if (here != null && Files.isRegularFile(here)) return here;
        throw new UserError(marker + ": names " + named + ", which does not exist (nor " + (here == null ? p : here) + ")");
    }

    /**
     * Loads model weights and optimizer state from {@code ref}: a path (one of the engine's checkpoints, or an
     * MMEngine {@code .pth} saved while MMDetection trained: {@link MmengineResume}), or "auto" for the newest here
     * ({@link #latest}).
     *
     * @param iterLoop the run is an {@code IterBasedTrainLoop} (how an MMEngine checkpoint's position is read)
     */
    Resumed resume(String ref, AutoAssignDetector model, Optimizer optimizer, boolean iterLoop) {
        return resume(ref, model, optimizer, iterLoop, System.err::println);
    }

    /** {@link #resume}, with warnings (an MMEngine checkpoint without the EMA's state) going to {@code warn}. */
    Resumed resume(String ref, AutoAssignDetector model, Optimizer optimizer, boolean iterLoop, java.util.function.Consumer<String> warn) {
        Path file;
        if ("auto".equals(ref)) {
            file = latest();
            if (file == null) throw new UserError(dir + ": --resume auto found no checkpoint to resume from");
        } else {
            file = Path.of(ref);
        }
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no such checkpoint");
        if (!autoassign.io.Checkpoints.isSafetensors(file)) return MmengineResume.load(file, model, optimizer, ema, iterLoop, warn);
        Path state = stateOf(file);
        if (!Files.isRegularFile(state))
            throw new UserError(file + ": no optimizer state beside it (" + state.getFileName() + "); use --load-from to start from weights only");
        try {
            ModelWeights.load(file, model, true);
            Safetensors.Contents c = Safetensors.read(state);
            Map<String, Tensor> buffers = new LinkedHashMap<>(), sources = new LinkedHashMap<>();
            c.tensors().forEach((k, r) -> (k.startsWith(EMA_SOURCE) ? sources : buffers)
                    .put(k.startsWith(EMA_SOURCE) ? k.substring(EMA_SOURCE.length()) : k, Tensor.of(r.toFloatArray(), r.intShape())));
            try {
                optimizer.loadState(buffers);
            } catch (IllegalArgumentException e) { // a state of another optimizer or model: not a damaged file
                throw new UserError(state + ": " + e.getMessage(), e);
            }
            Map<String, String> m = c.metadata();
            // AmpOptimWrapper.load_state_dict: a state without loss_scaler (a run without AMP) keeps the fresh scaler
            if (optimizer.lossScaler() != null && m.containsKey(LOSS_SCALER)) {
                try {
                    optimizer.lossScaler().restore(m.get(LOSS_SCALER));
                } catch (IllegalArgumentException e) {
                    throw new UserError(state + ": " + e.getMessage(), e);
                }
            }
            kept.clear(); // runner.resume: keep_ckpt_ids of the message hub; trimmed to max_keep_ckpts at the next save
            String keptNames = m.get(KEEP_CKPTS);
            if (keptNames != null && !keptNames.isEmpty()) kept.addAll(List.of(keptNames.split(",")));
            if (ema != null)
                ema.resume(sources.isEmpty() ? null : sources, Long.parseLong(m.getOrDefault("ema_steps", "0")));
            return new Resumed(file, Integer.parseInt(m.get("epoch")), Integer.parseInt(m.get("iter_in_epoch")),
                    Long.parseLong(m.get("global_iter")), false, m.containsKey("seed") ? Long.valueOf(m.get("seed")) : null, null,
                    m.get(LOG_WINDOW), m.get(PARAM_SCHEDULERS));
        } catch (CheckpointException e) {
            throw new UserError(e.getMessage(), e);
        } catch (UserError e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UserError(state + ": not a training state file: " + e.getMessage(), e);
        }
    }
}
