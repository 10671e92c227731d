package autoassign.data;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The {@code results_cache} of one cached step ({@link CachedMosaic}, {@link CachedMixUp}) in one virtual worker: deep
 * copies of the results the step received, oldest first. Not thread-safe: one worker's batches are prepared strictly one
 * after another ({@link CacheStreams}).
 */
final class ResultsCache implements AutoCloseable {
    private record Entry(int datasetIndex, TransformState state) {}

    private final List<Entry> entries = new ArrayList<>();

    /**
     * MMDetection's {@code results_cache.append(copy.deepcopy(results))}, then, over {@code maxCached} entries, the
     * {@code pop}: index {@code popIndex.applyAsInt(len − 1)}, i.e. {@code random.randint(0, len − 1)} (NumPy's exclusive
     * bound: never the entry just added), with {@code randomPop}, else 0 (first in, first out; no draw). The index popped,
     * or -1 when nothing was.
     */
    int add(int datasetIndex, TransformState s, int maxCached, boolean randomPop, IntUnaryOperator popIndex) {
        entries.add(new Entry(datasetIndex, s.snapshot()));
        if (entries.size() <= maxCached) return -1;
        int i = randomPop ? popIndex.applyAsInt(entries.size() - 1) : 0;
        if (i < 0 || i >= entries.size() - 1) throw new IllegalStateException("pop index " + i + " outside [0, " + (entries.size() - 1) + ")");
        entries.remove(i).state().close();
        return i;
    }

    int size() { return entries.size(); }

    /** Entry {@code i}'s results (only read them). */
    TransformState get(int i) { return entries.get(i).state(); }

    /** The dataset indexes of the cached results, oldest first (for tests and messages). */
    List<Integer> datasetIndexes() { return entries.stream().map(Entry::datasetIndex).toList(); }

    @Override public void close() {
        for (Entry e : entries) e.state().close();
        entries.clear();
    }
}
