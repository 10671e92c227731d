package autoassign.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Optional per-op wall-clock profile of the CPU backend ({@code -Dautoassign.cpu.profile=true}): every timed op
 * adds its time (and FLOPs where known) under a key naming the op and its shape; the table is printed to
 * stderr at JVM exit, sorted by total time. Off by default, and then costs one static boolean test per op.
 */
final class OpProfile {
    static final boolean ENABLED = Boolean.getBoolean("autoassign.cpu.profile");
    private static final Map<String, long[]> STATS = new ConcurrentHashMap<>();
    private static final LongAdder TOTAL = new LongAdder();
    /** Ops that start earlier than this many ms after the first profiled op are not counted (JIT warm-up). */
    private static final long AFTER_NS = Long.getLong("autoassign.cpu.profile.afterMs", 0L) * 1_000_000L;
    private static final long ORIGIN = System.nanoTime();
    /** With {@code -Dautoassign.cpu.profile.marker=PREFIX}: each op whose key starts with PREFIX first prints and
     *  resets the table, so that each step (e.g. marker "conv fwd 7x7", the stem) gets its own profile. */
    private static final String MARKER = System.getProperty("autoassign.cpu.profile.marker");

    static {
        if (ENABLED) Runtime.getRuntime().addShutdownHook(new Thread(OpProfile::print, "cpu-op-profile"));
    }

    private OpProfile() {}

    static long start() { return ENABLED ? System.nanoTime() : 0L; }

    /** Adds the time since {@code t0} (from {@link #start}) under {@code key}; {@code flops} may be 0. */
    static void add(String key, long t0, long flops) {
        if (ENABLED) addSpan(key, t0, System.nanoTime(), flops);
    }

    /** Adds the time from {@code t0} to {@code t1} under {@code key}. */
    static void addSpan(String key, long t0, long t1, long flops) {
        if (!ENABLED || t0 - ORIGIN < AFTER_NS) return;
        if (MARKER != null && key.startsWith(MARKER)) {
            synchronized (OpProfile.class) {
                print();
                STATS.clear();
                TOTAL.reset();
            }
        }
        long dt = t1 - t0;
        if (!key.startsWith(" ")) TOTAL.add(dt);
        long[] s = STATS.computeIfAbsent(key, k -> new long[3]);
        synchronized (s) {
            s[0] += dt;
            s[1]++;
            s[2] += flops;
        }
    }

    static void print() {
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(STATS.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        double total = TOTAL.sum() / 1e6;
        long[] pool = HostArrays.counts();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "cpu op profile: %.1f ms in timed ops (host array pool so far: %d reused, %d allocated)%n%10s %6s %7s %8s  %s%n",
                total, pool[0], pool[1], "ms", "%", "calls", "GFLOP/s", "op"));
        for (Map.Entry<String, long[]> e : rows) {
            long[] s = e.getValue();
            double ms = s[0] / 1e6;
            sb.append(String.format(Locale.ROOT, "%10.1f %6.1f %7d %8s  %s%n", ms, 100 * ms / Math.max(total, 1e-9), s[1],
                    s[2] == 0 ? "" : String.format(Locale.ROOT, "%.1f", s[2] / (s[0] * 1.0)), e.getKey()));
        }
        System.err.print(sb);
    }
}
