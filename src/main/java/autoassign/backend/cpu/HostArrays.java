package autoassign.backend.cpu;

import autoassign.tensor.HostStorage;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CPU side of the caching allocator: large op outputs made inside a {@link MemoryScope} take their array from
 * a pool and give it back when the scope closes (or when the backward frees a gradient early), so the next op or
 * step writes into memory that is already mapped and in cache.
 *
 * <p>Why: a fresh 30–60 MB array per op is a G1 humongous object; the JVM zeroes it and, whenever the heap had
 * shrunk or grown, the OS maps new pages on first touch. In the R50 training step that made `add`, `clampMin`,
 * `channelAffine` … 5–10× slower than the arithmetic (52 ms for one 31 MB `add` whose loop takes 5 ms) and the
 * step time swing by ±30 % (docs/performance.md, "Host array pool").
 *
 * <p>Arrays are matched by exact length (a step repeats its shapes; tensors require data.length == numel). Idle
 * arrays are held by soft references, so the GC still reclaims them before running out of heap; at most
 * {@link #capFloats} idle floats are kept (least recently used lengths go first), and a new allocation first
 * drops the idle arrays of lengths unused for 20 s, so that a stream of new shapes (training on images of many
 * sizes) does not pile up idle arrays beside the live ones. Outside a scope, and below
 * {@link #MIN_POOLED} floats, ops allocate plain arrays as before.
 */
public final class HostArrays {
    /** Smaller arrays come from the thread-local allocation buffers, cheaply. */
    static final int MIN_POOLED = 1 << 16;
    /** Off: every op allocates a plain array (A/B timing: {@code -Dautoassign.cpu.noPool=true}; tests). */
    private static volatile boolean enabled = !Boolean.getBoolean("autoassign.cpu.noPool");
    /** A step's recycled outputs must all fit (R50 at 800×1216: ≈ 3.8 GB); soft references guard the heap. */
    private static final long capFloats = Runtime.getRuntime().maxMemory() / 4 * 3 / Float.BYTES;
    /** Tests: fill every array given back with NaN, so that an op reading its output before writing it shows. */
    private static volatile boolean poison;

    /** Idle arrays of a length that nobody asked for or gave back for this long are dropped at the next new allocation. */
    private static volatile long staleNanos = 20_000_000_000L;

    /** The idle arrays of one length, and when that length was last taken or given back. */
    private static final class Slot {
        final ArrayDeque<SoftReference<float[]>> arrays = new ArrayDeque<>();
        long lastUse;
    }

    /** Keyed by length, in access order: the least recently used lengths come first. */
    private static final LinkedHashMap<Integer, Slot> idle = new LinkedHashMap<>(16, 0.75f, true);
    private static long idleFloats;
    private static long reused, allocated;

    private HostArrays() {}

    /** A CPU tensor of {@code shape} with unspecified contents: the op must write every element. */
    public static Tensor empty(int... shape) {
        int n = Math.toIntExact(Shape.numel("tensor", shape));
        if (!enabled || n < MIN_POOLED || !MemoryScope.active()) return Tensor.of(new float[n], shape);
        HostStorage s = new HostStorage(take(n), HostArrays::give);
        MemoryScope.track(s);
        return Tensor.ofBuffer(s, shape);
    }

    /** A CPU tensor of {@code shape} filled with zeros (for ops that accumulate into their output). */
    public static Tensor zeros(int... shape) {
        Tensor t = empty(shape);
        if (t.storageBuffer() != null) {
            float[] a = t.data();
            Parallel.range(a.length, 1 << 16, (s, e) -> Arrays.fill(a, s, e, 0f));
        }
        return t;
    }

    /**
     * A scratch array of exactly {@code n} floats with unspecified contents, for a temporary whose end the caller
     * knows: hand it back with {@link #giveBack} (no scope needed; small ones are plain arrays).
     */
    static float[] borrow(int n) {
        return enabled && n >= MIN_POOLED ? take(n) : new float[n];
    }

    /** Returns a {@link #borrow}ed array (the caller must not touch it afterwards). */
    static void giveBack(float[] a) {
        if (enabled && a.length >= MIN_POOLED) give(a);
    }

    private static synchronized float[] take(int n) {
        long now = System.nanoTime();
        Slot slot = idle.get(n);
        if (slot != null) {
            slot.lastUse = now;
            while (!slot.arrays.isEmpty()) {
                float[] a = slot.arrays.pop().get();
                idleFloats -= n;
                if (a != null) { reused++; return a; }
            }
        }
        allocated++;
        dropStale(now); // a new shape (e.g. another image size): idle arrays of shapes no longer used make room
        return new float[n];
    }

    /** Drops the lengths nobody took or gave back for {@link #staleNanos}, with their idle arrays. */
    private static void dropStale(long now) {
        for (Iterator<Map.Entry<Integer, Slot>> it = idle.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Slot> e = it.next();
            if (now - e.getValue().lastUse < staleNanos) break; // the rest were used more recently
            idleFloats -= (long) e.getKey() * e.getValue().arrays.size();
            it.remove();
        }
    }

    /** Hands at least {@code floats} idle floats (if there are) to the GC, least recently used lengths first. */
    private static void dropIdle(long floats) {
        long dropped = 0;
        for (Iterator<Map.Entry<Integer, Slot>> it = idle.entrySet().iterator(); dropped < floats && it.hasNext(); ) {
            Map.Entry<Integer, Slot> e = it.next();
            ArrayDeque<SoftReference<float[]>> q = e.getValue().arrays;
            while (dropped < floats && !q.isEmpty()) {
                q.pollLast(); // the oldest array of this length
                dropped += e.getKey();
                idleFloats -= e.getKey();
            }
            if (q.isEmpty()) it.remove();
        }
    }

    private static synchronized void give(float[] a) {
        if (poison) Arrays.fill(a, Float.NaN);
        Slot slot = idle.computeIfAbsent(a.length, k -> new Slot());
        slot.arrays.push(new SoftReference<>(a));
        slot.lastUse = System.nanoTime();
        idleFloats += a.length;
        if (idleFloats > capFloats) dropIdle(idleFloats - capFloats);
    }

    /** Tests: how long a length may go unused before its idle arrays are dropped. */
    static void setStaleMillis(long ms) { staleNanos = ms * 1_000_000L; }

    /** Turns pooling on or off (A/B timing, tests); returns the previous setting. */
    public static boolean setEnabled(boolean on) { boolean was = enabled; enabled = on; return was; }

    /** Tests: NaN-fill arrays as they come back, so that an op reading its output before writing it shows. */
    public static void setPoison(boolean on) { poison = on; }

    /** {arrays handed out again, arrays newly allocated} since start (diagnostics and tests). */
    public static synchronized long[] counts() { return new long[] {reused, allocated}; }

    /** Drops every idle array to the GC. */
    public static synchronized void clear() { idle.clear(); idleFloats = 0; }

    /** Idle floats held now (tests). */
    static synchronized long idleFloats() { return idleFloats; }
}
