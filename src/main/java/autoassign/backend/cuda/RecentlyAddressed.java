package autoassign.backend.cuda;

/**
 * Strong references, per thread, to the last {@link #CAPACITY} buffers whose device address was taken.
 *
 * <p>Why: an op reads {@code ptr(x)} and then allocates its output and enqueues its kernels. Once the address is
 * read, the JIT may consider {@code x} dead; if {@code x}'s buffer was never released (no memory scope open), the GC
 * could then enqueue its phantom reference, the output's allocation would drain it and hand the same block back, and
 * the kernel would read and write one block. Holding the recently addressed buffers closes that window without a
 * {@code reachabilityFence} in every op: no op takes anywhere near this many addresses before its last launch.
 * Released buffers are unaffected (their block went back at {@code release()}); an unreleased, unreachable buffer is
 * collected at most {@link #CAPACITY} address reads later.
 */
final class RecentlyAddressed {
    static final int CAPACITY = 256;

    private static final ThreadLocal<RecentlyAddressed> PER_THREAD = ThreadLocal.withInitial(RecentlyAddressed::new);

    private final Object[] ring = new Object[CAPACITY];
    private int next;

    /** Keeps {@code o} reachable until {@link #CAPACITY} more objects were held by this thread. */
    static void hold(Object o) { PER_THREAD.get().add(o); }

    /** Whether this thread still holds {@code o} (for tests). */
    static boolean holds(Object o) {
        for (Object x : PER_THREAD.get().ring) if (x == o) return true;
        return false;
    }

    private void add(Object o) {
        ring[next] = o;
        next = (next + 1) % CAPACITY;
    }
}
