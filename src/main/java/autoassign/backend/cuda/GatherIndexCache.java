package autoassign.backend.cuda;

import autoassign.backend.GatherIndex;
import autoassign.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.function.Function;

/**
 * The device copies of {@link GatherIndex} arrays one CUDA backend's gather kernels read: the rows, and the inverse's
 * CSR offsets and list, uploaded once per index as int bits in float buffers (the kernels take {@code const int*}) and
 * kept beyond any memory scope, in an LRU bounded by size (an evicted index's buffers are released; every launch is on the
 * backend's one stream, so a queued kernel still reading them runs before any reuse of the memory).
 */
final class GatherIndexCache {
    /** Device floats the cache may hold (256 MB): the indices of a few input shapes of a full-size Swin-T. */
    private static final long CAPACITY = 64L << 20;
    private final Function<float[], Tensor> upload;
    private final LinkedHashMap<GatherIndex, Tensor[]> cache = new LinkedHashMap<>(64, 0.75f, true);
    private long held;

    /** @param upload a host array to a kept device tensor of this backend */
    GatherIndexCache(Function<float[], Tensor> upload) { this.upload = upload; }

    /** The rows on the device. */
    synchronized Tensor rows(GatherIndex idx) { return entry(idx)[0]; }

    /** {offsets, list} of the inverse on the device (the list holds one dummy entry when empty). */
    synchronized Tensor[] inverse(GatherIndex idx) {
        Tensor[] e = entry(idx);
        if (e[1] == null) {
            e[1] = upload.apply(bits(idx.inverseOffsets()));
            int[] list = idx.inverseRows();
            e[2] = upload.apply(bits(list.length == 0 ? new int[1] : list));
            held += e[1].numel() + e[2].numel();
            evict(idx);
        }
        return new Tensor[] {e[1], e[2]};
    }

    private Tensor[] entry(GatherIndex idx) {
        Tensor[] e = cache.get(idx);
        if (e == null) {
            int[] rows = idx.rows();
            e = new Tensor[] {upload.apply(bits(rows.length == 0 ? new int[1] : rows)), null, null};
            cache.put(idx, e);
            held += e[0].numel();
            evict(idx);
        }
        return e;
    }

    /** Releases the least recently used entries (never {@code keep}) while the cache holds more than its capacity. */
    private void evict(GatherIndex keep) {
        var it = cache.entrySet().iterator();
        while (held > CAPACITY && it.hasNext()) {
            var e = it.next();
            if (e.getKey() == keep) continue;
            for (Tensor t : e.getValue())
                if (t != null) {
                    held -= t.numel();
                    t.releaseStorage();
                }
            it.remove();
        }
    }

    static float[] bits(int[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = Float.intBitsToFloat(v[i]);
        return f;
    }
}
