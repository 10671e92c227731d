package autoassign.model;

import autoassign.backend.GatherIndex;

import java.util.LinkedHashMap;
import java.util.function.Supplier;

/**
 * A least-recently-used cache of the host-built indices (and small float tables) a backbone's shape-dependent
 * reshuffles use, bounded by the elements it holds; built once per key, so an index keeps its identity and the CUDA
 * backend's device copies of it stay valid. Thread-safe (data-parallel workers share it).
 */
final class IndexCache {
    private final long capacity;
    private long held;
    private final LinkedHashMap<String, Object> entries = new LinkedHashMap<>(64, 0.75f, true);

    /** @param capacity elements (ints or floats) it may hold */
    IndexCache(long capacity) { this.capacity = capacity; }

    /** A cached value's size in elements: an index counts its rows and, roughly, its inverse (built on first backward). */
    private static long weight(Object v) {
        return v instanceof GatherIndex g ? 3L * g.outRows() : ((float[]) v).length;
    }

    /** The value of {@code key}, built (outside the lock) when absent; the least recently used others go past capacity. */
    @SuppressWarnings("unchecked")
    <T> T get(String key, Supplier<T> build) {
        synchronized (entries) {
            Object v = entries.get(key);
            if (v != null) return (T) v;
        }
        T v = build.get();
        synchronized (entries) {
            Object old = entries.put(key, v);
            if (old != null) held -= weight(old);
            held += weight(v);
            var it = entries.entrySet().iterator();
            while (held > capacity && it.hasNext()) { // least recently used first; the new entry stays
                var e = it.next();
                if (e.getKey().equals(key)) continue;
                held -= weight(e.getValue());
                it.remove();
            }
        }
        return v;
    }
}
