package autoassign.data;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * Thread-safe collector of recoverable data problems. Each warning names the file / id and what was
 * skipped; the first {@code maxLoggedPerKind} of each kind are logged, all are counted, and
 * {@link #summarize()} logs one summary line with the counts that are new since the previous summary.
 */
public final class DataIssues {
    private final String source;
    private final Consumer<String> sink;
    private final int maxLoggedPerKind;
    private final AtomicLongArray counts = new AtomicLongArray(DataIssue.values().length);
    private final long[] summarized = new long[DataIssue.values().length];

    public DataIssues(String source, Consumer<String> sink, int maxLoggedPerKind) {
        this.source = source;
        this.sink = sink;
        this.maxLoggedPerKind = maxLoggedPerKind;
    }

    /** Warnings to standard error, at most 5 lines per kind. */
    public DataIssues(String source) { this(source, System.err::println, 5); }

    public String source() { return source; }

    public Consumer<String> sink() { return sink; }

    /** Records one problem; logs it if fewer than the limit of this kind were logged. */
    public void warn(DataIssue kind, String message) {
        long n = counts.incrementAndGet(kind.ordinal());
        if (n <= maxLoggedPerKind) {
            synchronized (this) { // loader threads warn concurrently; sinks need not be thread-safe
                sink.accept("WARN data: " + message);
                if (n == maxLoggedPerKind) sink.accept("WARN data: (further '" + kind.name().toLowerCase() + "' warnings are only counted)");
            }
        }
    }

    public long count(DataIssue kind) { return counts.get(kind.ordinal()); }

    public long total() {
        long t = 0;
        for (int i = 0; i < counts.length(); i++) t += counts.get(i);
        return t;
    }

    public Map<DataIssue, Long> counts() {
        Map<DataIssue, Long> m = new EnumMap<>(DataIssue.class);
        for (DataIssue k : DataIssue.values()) if (count(k) > 0) m.put(k, count(k));
        return m;
    }

    /**
     * Logs one line summarising the problems recorded since the last call (nothing when there are none)
     * and returns it, or null.
     */
    public synchronized String summarize() {
        StringBuilder sb = new StringBuilder();
        for (DataIssue k : DataIssue.values()) {
            long now = counts.get(k.ordinal());
            long delta = now - summarized[k.ordinal()];
            summarized[k.ordinal()] = now;
            if (delta > 0) sb.append(sb.length() == 0 ? "" : ", ").append(delta).append(' ').append(k.summary());
        }
        if (sb.length() == 0) return null;
        String line = "WARN data: " + source + ": " + sb;
        sink.accept(line);
        return line;
    }
}
