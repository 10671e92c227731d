package autoassign.train;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * MMDetection's {@code MemoryProfilerHook} (mmdet/engine/hooks/memory_profiler_hook.py): every {@code interval}
 * training, val or test iterations ({@link MemoryHooks} calls it) one log line with the machine's memory, its swap and
 * this process's resident memory, the numbers psutil gives on Linux: {@code virtual_memory()} (available = MemAvailable,
 * used = MemTotal − MemFree − Buffers − Cached − SReclaimable, percent = (total − available) / total),
 * {@code swap_memory()}, and memory_profiler's {@code memory_usage()[0]}, which with its default {@code psutil} backend is
 * {@code memory_info().rss} in MiB (VmRSS), logged as {@code round()} makes it: a whole number. From {@code /proc}.
 */
public final class MemoryProfiler {
    private static final double MB = 1024.0 * 1024.0;
    private final int interval;

    public MemoryProfiler(int interval) {
        if (interval <= 0) throw new IllegalArgumentException("MemoryProfilerHook interval must be positive, got " + interval);
        this.interval = interval;
    }

    /** {@code every_n_inner_iters(batch_idx, interval)}: after the iteration with this 0-based index. */
    public boolean due(long batchIndex) {
        return (batchIndex + 1) % interval == 0;
    }

    /** The hook's line for this machine now, or why it cannot be read (no {@code /proc}). */
    public static String line() {
        try {
            return line(Files.readString(Path.of("/proc/meminfo")), Files.readString(Path.of("/proc/self/status")));
        } catch (IOException | RuntimeException e) {
            return "Memory information unavailable: " + e.getMessage();
        }
    }

    /** The line from the text of {@code /proc/meminfo} and {@code /proc/self/status}. */
    static String line(String meminfo, String status) {
        Map<String, Long> m = kilobytes(meminfo), p = kilobytes(status);
        long total = get(m, "MemTotal"), avail = get(m, "MemAvailable"), used = usedKb(m);
        long swapTotal = m.getOrDefault("SwapTotal", 0L), swapUsed = swapTotal - m.getOrDefault("SwapFree", 0L);
        long rss = get(p, "VmRSS");
        return "Memory information available_memory: " + mb(avail) + " MB, used_memory: " + mb(used) + " MB, memory_utilization: "
                + percent(total - avail, total) + " %, available_swap_memory: " + mb(swapTotal - swapUsed)
                + " MB, used_swap_memory: " + mb(swapUsed) + " MB, swap_memory_utilization: " + percent(swapUsed, swapTotal)
                + " %, current_process_memory: " + mb(rss) + " MB";
    }

    /**
     * MMDetection's {@code print_process_memory} (mmdet/utils/benchmark.py): {@code (GB) mem_used: … | uss: … | pss: … |
     * total_proc: 1}, psutil's {@code virtual_memory().used} and this process's {@code memory_full_info()} USS (private
     * pages) and PSS from {@code /proc/self/smaps_rollup}, each {@code round(bytes / 1024**3, 2)}; the engine runs one
     * process (loader threads, not worker processes). Or why it cannot be read.
     */
    public static String processLine() {
        try {
            Map<String, Long> m = kilobytes(Files.readString(Path.of("/proc/meminfo")));
            Map<String, Long> r = kilobytes(Files.readString(Path.of("/proc/self/smaps_rollup")));
            long used = usedKb(m), uss = get(r, "Private_Clean") + get(r, "Private_Dirty") + r.getOrDefault("Private_Hugetlb", 0L);
            return String.format(java.util.Locale.ROOT, "(GB) mem_used: %.2f | uss: %.2f | pss: %.2f | total_proc: 1",
                    gb(used), gb(uss), gb(get(r, "Pss")));
        } catch (IOException | RuntimeException e) {
            return "(GB) process memory unavailable: " + e.getMessage();
        }
    }

    /** psutil's {@code virtual_memory().used} in kB: MemTotal − MemFree − Cached − SReclaimable − Buffers. */
    private static long usedKb(Map<String, Long> meminfo) {
        long total = get(meminfo, "MemTotal"), free = get(meminfo, "MemFree");
        long used = total - free - get(meminfo, "Cached") - meminfo.getOrDefault("SReclaimable", 0L) - meminfo.getOrDefault("Buffers", 0L);
        return used < 0 ? total - free : used; // psutil's fallback (e.g. in containers)
    }

    /** {@code round(bytes / 1024**3, 2)} of a kB count. */
    private static double gb(long kb) {
        return round(kb * 1024.0 / (1024.0 * 1024 * 1024), 2);
    }

    /** "Key:   123 kB" lines → values in kB. */
    private static Map<String, Long> kilobytes(String text) {
        Map<String, Long> out = new HashMap<>();
        for (String l : text.split("\n")) {
            int colon = l.indexOf(':');
            if (colon < 0) continue;
            String[] v = l.substring(colon + 1).trim().split("\\s+");
            if (v.length >= 1 && v[0].matches("\\d+")) out.put(l.substring(0, colon).trim(), Long.parseLong(v[0]));
        }
        return out;
    }

    private static long get(Map<String, Long> m, String key) {
        Long v = m.get(key);
        if (v == null) throw new IllegalArgumentException("no " + key + " in /proc");
        return v;
    }

    /** Python's {@code round(bytes / 2**20)}: an int, halves to even. */
    private static long mb(long kb) {
        return new BigDecimal(kb * 1024.0 / MB).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
    }

    /** psutil's {@code usage_percent(used, total, round_=1)} (0.0 for a zero total), printed as Python prints a float. */
    private static double percent(long used, long total) {
        return total == 0 ? 0.0 : round((double) used / total * 100, 1);
    }

    /** Python's {@code round(x, digits)}: the exact binary value rounded half to even. */
    private static double round(double x, int digits) {
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).doubleValue();
    }
}
