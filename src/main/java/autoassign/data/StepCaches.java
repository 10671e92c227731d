package autoassign.data;

import java.util.List;

/**
 * One virtual worker's copy of a pipeline's state: the {@link ResultsCache} of each cached step, by the step's position
 * in {@link PipelineOptions#transforms()} (null for the other steps).
 */
final class StepCaches implements AutoCloseable {
    private final ResultsCache[] caches;

    StepCaches(List<Transform> steps) {
        caches = new ResultsCache[steps.size()];
        for (int i = 0; i < caches.length; i++)
            if (isCached(steps.get(i))) caches[i] = new ResultsCache();
    }

    /** A step with a {@code results_cache}. */
    static boolean isCached(Transform t) { return t instanceof CachedMosaic || t instanceof CachedMixUp; }

    /** The cache of the step at {@code position}. */
    ResultsCache at(int position) {
        ResultsCache c = caches[position];
        if (c == null) throw new IllegalStateException("step " + position + " has no cache");
        return c;
    }

    @Override public void close() {
        for (ResultsCache c : caches) if (c != null) c.close();
    }
}
