package autoassign.train;

import autoassign.config.RuntimeConfig;
import autoassign.eval.DatasetEvaluation;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The memory hooks of a config's {@code custom_hooks} at the points of one loop where MMEngine calls them: MMDetection's
 * {@code MemoryProfilerHook} ({@code after_train_iter}, {@code after_val_iter} and {@code after_test_iter} alike: its
 * line after each iteration whose 0-based {@code batch_idx} + 1 is a multiple of {@code interval}; a val or test loop
 * counts its batches from 0 at each run) and MMEngine's {@code EmptyCacheHook} (its {@code _before_epoch},
 * {@code _after_iter} and {@code _after_epoch}, which the base {@code Hook} calls for train, val and test alike: the
 * device's caching allocator returns its free blocks to the driver, as {@code torch.cuda.empty_cache()}; nothing on the
 * CPU). One instance serves one loop (training, a validation, a test run); each worker of a data-parallel run has its
 * own, with its own device, as each MMEngine rank runs its hooks (only rank 0's log reaches the console).
 */
public final class MemoryHooks {
    private final MemoryProfiler profiler; // null without MemoryProfilerHook
    private final RuntimeConfig.EmptyCache emptyCache; // null without EmptyCacheHook
    private final Runnable emptyCacheAction;
    private final Supplier<String> line;
    private final Consumer<String> log;

    /**
     * @param interval         MemoryProfilerHook's interval, 0 without the hook
     * @param emptyCache       EmptyCacheHook's settings, null without the hook
     * @param emptyCacheAction what emptying the cache does (the device backend's {@code emptyCache})
     * @param line             the profiler's line now ({@link MemoryProfiler#line()})
     * @param log              where the line goes (the run's log)
     */
    public MemoryHooks(int interval, RuntimeConfig.EmptyCache emptyCache, Runnable emptyCacheAction, Supplier<String> line,
                       Consumer<String> log) {
        this.profiler = interval > 0 ? new MemoryProfiler(interval) : null;
        this.emptyCache = emptyCache;
        this.emptyCacheAction = emptyCacheAction;
        this.line = line;
        this.log = log;
    }

    /** The config's hooks for a loop on {@code device}, logging to {@code log}. */
    public static MemoryHooks of(RuntimeConfig rt, autoassign.tensor.Device device, Consumer<String> log) {
        return new MemoryHooks(rt.memoryProfilerInterval(), rt.emptyCache(), () -> autoassign.backend.Backends.of(device).emptyCache(),
                MemoryProfiler::line, log);
    }

    /** True when the config has neither hook (then every call does nothing). */
    public boolean none() {
        return profiler == null && emptyCache == null;
    }

    /** {@code before_{train,val,test}_epoch}: EmptyCacheHook's {@code before_epoch}. */
    public void beforeEpoch() {
        if (emptyCache != null && emptyCache.beforeEpoch()) emptyCacheAction.run();
    }

    /**
     * {@code after_{train,val,test}_iter} of the iteration with this 0-based {@code batch_idx} (the epoch's in a training
     * epoch loop, the global one in an iteration loop, the run's batch in a val / test loop): EmptyCacheHook's
     * {@code after_iter}, then MemoryProfilerHook's line when it is due (custom hooks of the same NORMAL priority run in
     * the config's order; the two do not interact).
     */
    public void afterIter(long batchIdx) {
        if (emptyCache != null && emptyCache.afterIter()) emptyCacheAction.run();
        if (profiler != null && profiler.due(batchIdx)) log.accept(line.get());
    }

    /** {@code after_{train,val,test}_epoch}: EmptyCacheHook's {@code after_epoch}. */
    public void afterEpoch() {
        if (emptyCache != null && emptyCache.afterEpoch()) emptyCacheAction.run();
    }

    /**
     * A detection loop's progress callback that runs {@link #afterIter} after each batch (the callback runs once per
     * batch: its call count is the batch index + 1), then {@code inner} (may be null). Null when there are no hooks and
     * no {@code inner}.
     */
    public DatasetEvaluation.Progress afterEachBatch(DatasetEvaluation.Progress inner) {
        if (none()) return inner;
        long[] batches = {0};
        return (done, total) -> {
            afterIter(batches[0]++);
            if (inner != null) inner.update(done, total);
        };
    }
}
