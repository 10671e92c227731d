package autoassign.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Deterministic release of device memory (an "arena" per thread). A scope records every {@link DeviceBuffer}
 * that a device backend allocates on this thread while it is the innermost open scope; {@link #close()}
 * releases them all, except those {@linkplain #keep(Tensor) kept}. Without scopes, device buffers come back only
 * when the Java GC collects their tensors (tiny Java objects: the GC rarely runs, device memory grows).
 *
 * <pre>
 * try (MemoryScope s = MemoryScope.open()) {
 *     ... forward, loss, backward, optimizer step (new persistent state: MemoryScope.keep(t) / t.keep()) ...
 * }   // every other device buffer of the step is released here
 * </pre>
 *
 * <p>Rules: parameters and module buffers exist before the scope (not recorded). State created inside that must
 * outlive it (optimizer momentum, cached constants, communication buckets) is kept with {@link #keep}. A tensor
 * allocated inside must not be used after the scope closes (the device backend fails loudly on a released buffer).
 * Views share one buffer, which is released once; a buffer released early (e.g. by the backward) is skipped.
 * Inside a scope, {@code Graph.backward} releases each activation as soon as the last tape node naming it has run
 * (the loss it started from and leaves that require a gradient excepted): read forward results you need after
 * the backward before calling it.
 * On the CPU nothing is recorded (host arrays are left to the GC): the scope is a no-op.
 *
 * <p>Scopes nest; an allocation is recorded by the innermost one. Each thread has its own stack (data-parallel
 * workers run in their own threads). A scope must be closed on the thread that opened it.
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<MemoryScope>> SCOPES = ThreadLocal.withInitial(ArrayDeque::new);
    private static final ThreadLocal<List<Recorder>> RECORDERS = ThreadLocal.withInitial(ArrayList::new);

    private final Set<DeviceBuffer> owned = identitySet();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private MemoryScope() {}

    private static Set<DeviceBuffer> identitySet() { return Collections.newSetFromMap(new IdentityHashMap<>()); }

    /** Opens a scope on this thread (innermost from now on). */
    public static MemoryScope open() {
        MemoryScope s = new MemoryScope();
        SCOPES.get().push(s);
        return s;
    }

    /** True when this thread has an open scope. */
    public static boolean active() { return !SCOPES.get().isEmpty(); }

    /**
     * Called by device backends for every buffer they allocate: recorded by the innermost open scope of this
     * thread (none open: left to the GC) and by every open {@link Recorder}.
     */
    public static void track(DeviceBuffer buffer) {
        MemoryScope s = SCOPES.get().peek();
        if (s != null) s.owned.add(buffer);
        List<Recorder> rs = RECORDERS.get();
        for (int i = 0; i < rs.size(); i++) rs.get(i).born.add(buffer);
    }

    /**
     * Makes the storage of {@code t} outlive every scope open on this thread (a no-op for CPU tensors and
     * tensors allocated outside any scope). Returns {@code t}.
     */
    public static Tensor keep(Tensor t) {
        DeviceBuffer b = t.storageBuffer();
        if (b == null) return t;
        for (MemoryScope s : SCOPES.get()) s.owned.remove(b);
        for (Recorder r : RECORDERS.get()) r.born.remove(b);
        return t;
    }

    /**
     * Releases the device storage of an intermediate now, when no tape node references it (ops that ran without
     * recording: frozen layers, inference), instead of at the end of the scope. The caller guarantees that it no
     * longer uses {@code t} and that no other tensor shares its storage (no view of it). A no-op for CPU tensors,
     * taped tensors (a backward closure may read them) and storage already released. Returns nothing on purpose:
     * {@code t} is dead afterwards.
     */
    public static void dispose(Tensor t) {
        if (t == null || t.taped()) return;
        DeviceBuffer b = t.storageBuffer();
        if (b == null || b.released()) return;
        for (MemoryScope s : SCOPES.get()) s.owned.remove(b);
        b.release();
    }

    /**
     * Releases {@code b} now if an open scope of this thread recorded it (an intermediate of the current step that
     * nobody kept); returns whether it did. The backward calls it for activations that no remaining tape node
     * references.
     */
    public static boolean releaseIfOwned(DeviceBuffer b) {
        for (MemoryScope s : SCOPES.get()) {
            if (s.owned.remove(b)) {
                if (!b.released()) b.release();
                return true;
            }
        }
        return false;
    }

    /** Buffers this scope would release now (for tests and diagnostics). */
    public int size() { return owned.size(); }

    /** Releases every recorded buffer not kept and not released yet; closing twice has no further effect. */
    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread)
            throw new IllegalStateException("MemoryScope closed on " + Thread.currentThread().getName() + ", opened on " + thread.getName());
        closed = true;
        ArrayDeque<MemoryScope> stack = SCOPES.get();
        stack.removeFirstOccurrence(this);
        RuntimeException first = null;
        for (Iterator<DeviceBuffer> it = owned.iterator(); it.hasNext(); ) {
            DeviceBuffer b = it.next();
            it.remove();
            try {
                if (!b.released()) b.release();
            } catch (RuntimeException e) {
                if (first == null) first = e; // release the rest anyway
            }
        }
        if (first != null) throw first;
    }

    /**
     * Records the buffers allocated on this thread while open, without owning them (they stay with the scope
     * that records them, or the GC): the backward uses it to know which gradients it created itself and may
     * release early.
     */
    public static Recorder recordAllocations() {
        Recorder r = new Recorder();
        RECORDERS.get().add(r);
        return r;
    }

    /** See {@link #recordAllocations()}. */
    public static final class Recorder implements AutoCloseable {
        private final Set<DeviceBuffer> born = identitySet();
        private boolean closed;

        private Recorder() {}

        /** True when {@code b} was allocated on this thread while this recorder was open (or adopted). */
        public boolean recorded(DeviceBuffer b) { return born.contains(b); }

        /** Counts {@code t}'s storage as recorded (e.g. a seed gradient made just before opening). */
        public void adopt(Tensor t) {
            DeviceBuffer b = t.storageBuffer();
            if (b != null) born.add(b);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            List<Recorder> rs = RECORDERS.get();
            for (int i = rs.size() - 1; i >= 0; i--) if (rs.get(i) == this) { rs.remove(i); break; }
            born.clear();
        }
    }
}
