package autoassign.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Transformed forward weights (the U_k of a Winograd variant) kept while a conv's weights do not change, so that
 * inference transforms each conv's weights once instead of on every call (for the tiny model that transform was
 * about a tenth of an inference).
 *
 * <p>An entry is keyed by the weight array (weakly: it goes when the model goes) and checked against a 64-bit hash
 * of the array's contents on every call, so in-place updates (SGD, loading a checkpoint) are seen without relying
 * on any version counter. A transform is kept only when the same contents come a second time, so training, whose
 * weights change every step, keeps none; and only while the kept transforms of this cache stay within
 * {@link #BUDGET_FLOATS}. {@code -Dautoassign.conv.noWeightCache=true} turns it off.
 */
final class WinogradWeightCache {
    static volatile boolean enabled = !Boolean.getBoolean("autoassign.conv.noWeightCache");
    /**
     * Largest total size of the kept transforms of one cache (one per Winograd variant): 64 MiB. The tiny model needs
     * about 6 MiB; R50 would need ≈ 250 MiB, so only its first convs are kept (its transforms are ≈ 3 % of an
     * inference on the CPU, against ≈ 10 % for the tiny model).
     */
    static final long BUDGET_FLOATS = 16L << 20;

    private static final class Entry {
        final long hash;
        final int cout, cin;
        OffHeap.Buf kept; // null until the same contents came twice

        Entry(long hash, int cout, int cin) {
            this.hash = hash;
            this.cout = cout;
            this.cin = cin;
        }

        boolean matches(long h, int co, int ci) { return hash == h && cout == co && cin == ci; }
    }

    private final Map<float[], Entry> entries = new WeakHashMap<>(); // float[] has identity equality
    private final long budget;

    WinogradWeightCache(long budgetFloats) { this.budget = budgetFloats; }

    /**
     * The transform of {@code w} ({@code cout × cin} kernels, {@code floats} values of U): the kept copy when {@code w}
     * holds the contents it was made from, else {@code transform.get()} (into the calling thread's scratch), kept
     * when these contents were seen before and the budget allows.
     */
    OffHeap.Buf get(float[] w, int cout, int cin, long floats, Supplier<OffHeap.Buf> transform) {
        if (!enabled) return transform.get();
        long h = hash(w);
        synchronized (this) {
            Entry e = entries.get(w);
            if (e != null && e.matches(h, cout, cin) && e.kept != null) return e.kept;
        }
        OffHeap.Buf u = transform.get();
        synchronized (this) {
            Entry e = entries.get(w);
            if (e == null || !e.matches(h, cout, cin)) entries.put(w, new Entry(h, cout, cin));
            else if (e.kept == null && keptFloats() + floats <= budget) e.kept = copy(u, floats);
        }
        return u;
    }

    private long keptFloats() {
        long s = 0;
        for (Entry e : entries.values()) if (e.kept != null) s += e.kept.capacity();
        return s;
    }

    private static OffHeap.Buf copy(OffHeap.Buf u, long n) {
        FloatPointer p = new FloatPointer(n);
        java.nio.FloatBuffer dst = p.asBuffer();
        dst.put(u.buf().duplicate().position(0).limit(Math.toIntExact(n)));
        return new OffHeap.Buf(p, p.asBuffer(), n);
    }

    /** Transforms kept now (for tests). */
    synchronized int keptEntries() {
        int k = 0;
        for (Entry e : entries.values()) if (e.kept != null) k++;
        return k;
    }

    /** A 64-bit hash of the float bits (four interleaved multiply-xor lanes, then mixed with the length). */
    static long hash(float[] w) {
        final long m = 0x9E3779B97F4A7C15L;
        long h0 = 0x243F6A8885A308D3L, h1 = 0x13198A2E03707344L, h2 = 0xA4093822299F31D0L, h3 = 0x082EFA98EC4E6C89L;
        int i = 0, n = w.length;
        for (; i + 3 < n; i += 4) {
            h0 = (h0 ^ Float.floatToRawIntBits(w[i])) * m;
            h1 = (h1 ^ Float.floatToRawIntBits(w[i + 1])) * m;
            h2 = (h2 ^ Float.floatToRawIntBits(w[i + 2])) * m;
            h3 = (h3 ^ Float.floatToRawIntBits(w[i + 3])) * m;
        }
        for (; i < n; i++) h0 = (h0 ^ Float.floatToRawIntBits(w[i])) * m;
        long h = h0 ^ Long.rotateLeft(h1, 17) ^ Long.rotateLeft(h2, 31) ^ Long.rotateLeft(h3, 47) ^ n;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return h;
    }
}
