package autoassign.backend.cuda;

import autoassign.backend.ConvParams;
import autoassign.backend.FusedAutoAssignLoss;
import autoassign.backend.FusedPostProcess;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.global.cudart;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Optional per-op GPU time profile of the CUDA backend ({@code -Dautoassign.cuda.profile=true}), the twin of
 * the CPU backend's OpProfile. Every public op of {@link CudaBackend} is bracketed by two CUDA events recorded on
 * the device's stream; their elapsed times are read later (from finished events when the event pool runs dry,
 * and at exit), so the profile does not make the host wait for the GPU inside a step. The host time of each
 * call (nanoTime around it) is counted too. At JVM exit a table sorted by GPU time goes to stderr.
 *
 * <p>Reading it: an op's GPU time runs from the moment the stream reaches its start event to its stop event.
 * When the GPU has caught up with the host (launch-bound), that includes waiting for the host to enqueue the
 * op's kernels, so GPU and host times of small ops come out alike; the header's "busy" vs "span" shows how long
 * the device sat idle between ops. An op called by another op (zeros inside maxPool2dBackward, the backend ops
 * of the fused loss) is counted in its caller only.
 *
 * <p>{@code -Dautoassign.cuda.profile.afterMs=N}: ops that start less than N ms after the first profiled op are
 * not counted (warm-up). {@link #reset} (called by {@link CudaBackend#resetPeakMemory}, which the bench calls
 * where its timed runs begin) starts the table afresh. Off by default, and then costs one static boolean test
 * per op (CudaBackend tests {@link #ENABLED}).
 *
 * @param <E> the event type: CUDA events on the device, stand-ins in the unit test
 */
final class CudaOpProfile<E> {
    static final boolean ENABLED = Boolean.getBoolean("autoassign.cuda.profile");
    private static final long AFTER_NS = Long.getLong("autoassign.cuda.profile.afterMs", 0L) * 1_000_000L;
    /** Events per device (two per op): with all of them in flight, the host waits for the oldest op to finish. */
    private static final int MAX_EVENTS = 1 << 14;
    private static final Map<Integer, CudaOpProfile<?>> BY_DEVICE = new TreeMap<>();

    static {
        if (ENABLED) Runtime.getRuntime().addShutdownHook(new Thread(CudaOpProfile::printAll, "cuda-op-profile"));
    }

    /** What the profile needs of the device; an interface so that the bookkeeping is testable without a GPU. */
    interface Events<E> {
        E create();

        /** Enqueues {@code e} on the stream. */
        void record(E e);

        /** Whether the stream has passed {@code e} (never waits). */
        boolean done(E e);

        /** Waits until the stream has passed {@code e}. */
        void await(E e);

        /** Milliseconds between two passed events. */
        float ms(E from, E to);
    }

    private record Pending<E>(String key, E start, E stop, long hostNs) {}

    private final String device;
    private final Events<E> events;
    private final LongSupplier clock;
    private final long afterNs;
    private final int maxEvents;
    private final ArrayDeque<E> free = new ArrayDeque<>();
    private final ArrayDeque<Pending<E>> pending = new ArrayDeque<>();
    /** Nesting depth of profiled calls on this thread: only the outermost op is timed. */
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
    private int created;
    private long origin = Long.MIN_VALUE;
    private E anchor; // recorded before the first counted op: the start of the GPU span
    private boolean anchored;
    private long windowStart, windowEnd;
    private float spanMs;
    private Table table = new Table();

    CudaOpProfile(String device, Events<E> events, LongSupplier clock, long afterNs, int maxEvents) {
        this.device = device;
        this.events = events;
        this.clock = clock;
        this.afterNs = afterNs;
        this.maxEvents = maxEvents;
    }

    /** The profile of a device (one per device, shared by its backends). */
    static CudaOpProfile<?> of(CudaContext ctx) {
        synchronized (BY_DEVICE) {
            return BY_DEVICE.computeIfAbsent(ctx.index, i ->
                    new CudaOpProfile<>(ctx.device().toString(), new CudaEvents(ctx), System::nanoTime, AFTER_NS, MAX_EVENTS));
        }
    }

    /** Runs {@code op}, timing it under {@code key} unless it is nested in another timed op. */
    <T> T time(String key, Supplier<T> op) {
        int[] d = depth.get();
        if (d[0] > 0) {
            d[0]++;
            try {
                return op.get();
            } finally {
                d[0]--;
            }
        }
        E start = begin();
        long h0 = clock.getAsLong(); // after the event record: host time is the op's own
        d[0] = 1;
        T result;
        try {
            result = op.get();
        } catch (RuntimeException | Error e) {
            d[0] = 0;
            // timed all the same; after a sticky CUDA error the closing event throws too: that must not hide the op's own
            try {
                if (start != null) end(key, start, clock.getAsLong() - h0);
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        long h1 = clock.getAsLong();
        d[0] = 0;
        if (start != null) end(key, start, h1 - h0);
        return result;
    }

    void run(String key, Runnable op) {
        time(key, () -> {
            op.run();
            return null;
        });
    }

    /** {@code op} with forward and backward timed ("autoAssignLoss fwd", "autoAssignLoss bwd"). */
    FusedAutoAssignLoss timed(FusedAutoAssignLoss op) {
        return new FusedAutoAssignLoss() {
            @Override public int maxClasses() { return op.maxClasses(); }

            @Override
            public Forward forward(Tensor[] cls, Tensor[] dist, Tensor[] obj, Tensor mean, Tensor sigma, float[] points,
                                   float[][] gtBoxes, int[][] gtLabels) {
                return time("autoAssignLoss fwd", () -> op.forward(cls, dist, obj, mean, sigma, points, gtBoxes, gtLabels));
            }

            @Override
            public Tensor[] backward(Forward f, float wpos, float wneg, float wctr, boolean[] wanted) {
                return time("autoAssignLoss bwd", () -> op.backward(f, wpos, wneg, wctr, wanted));
            }
        };
    }

    /** {@code op} with each run timed as one op ("postprocess (fused)"). */
    FusedPostProcess timed(FusedPostProcess op) {
        return new FusedPostProcess() {
            @Override public boolean supports(int levels, int nmsPre, float minBboxSize) {
                return op.supports(levels, nmsPre, minBboxSize);
            }

            @Override
            public Result[] run(Tensor[] cls, Tensor[] dist, Tensor[] obj, float[] points, float[][] geometry, int nmsPre,
                                float scoreThr, float iouThr, int maxPerImg) {
                return time(CudaPostProcess.OP, () -> op.run(cls, dist, obj, points, geometry, nmsPre, scoreThr, iouThr, maxPerImg));
            }
        };
    }

    /** Records the start event of an op, or returns null when the op is too early to count. */
    private synchronized E begin() {
        long now = clock.getAsLong();
        if (origin == Long.MIN_VALUE) origin = now;
        if (now - origin < afterNs) return null;
        if (!anchored) {
            if (anchor == null) anchor = events.create();
            events.record(anchor);
            anchored = true;
            windowStart = now;
        }
        E start = take();
        events.record(start);
        return start;
    }

    private synchronized void end(String key, E start, long hostNs) {
        E stop = take();
        events.record(stop);
        pending.addLast(new Pending<>(key, start, stop, hostNs));
        windowEnd = clock.getAsLong();
    }

    /** A free event: a recycled one, a new one while under the cap, else one freed by waiting for the oldest op. */
    private E take() {
        if (free.isEmpty()) collect(false);
        if (free.isEmpty()) {
            if (created < maxEvents || pending.isEmpty()) {
                created++;
                return events.create();
            }
            events.await(pending.peekFirst().stop());
            collect(false);
        }
        return free.pop();
    }

    /** Adds the finished ops to the table, oldest first (with {@code all}: waits for every pending op). */
    private void collect(boolean all) {
        if (all && !pending.isEmpty()) events.await(pending.peekLast().stop());
        while (!pending.isEmpty()) {
            Pending<E> p = pending.peekFirst();
            if (!all && !events.done(p.stop())) break; // the stream runs in order: later ops are not done either
            pending.pollFirst();
            table.add(p.key(), events.ms(p.start(), p.stop()), p.hostNs());
            spanMs = Math.max(spanMs, events.ms(anchor, p.stop()));
            free.push(p.start());
            free.push(p.stop());
        }
    }

    /** Drops what was counted so far (waits for the pending ops first so that their events can be reused). */
    synchronized void reset() {
        collect(true);
        table = new Table();
        anchored = false;
        spanMs = 0;
    }

    /** Events created so far (the anchor excluded). */
    synchronized int eventsCreated() { return created; }

    /** The table of everything counted so far (waits for the pending ops). */
    synchronized String report() {
        String lost = "";
        try {
            collect(true);
        } catch (RuntimeException e) {
            lost = "\n  (" + pending.size() + " pending ops lost: " + e.getMessage() + ")";
            pending.clear();
        }
        if (table.rows.isEmpty())
            return "cuda op profile, " + device + ": no op counted (afterMs=" + afterNs / 1_000_000 + ")" + lost + "\n";
        String head = String.format(Locale.ROOT, "cuda op profile, %s: %d calls in %.1f ms (host, first to last counted op)%n"
                        + "  GPU: %.1f ms busy in ops, %.1f ms span (busy: each op from its start to its stop event on the "
                        + "stream; span: first op's start to last op's end; span - busy = device idle between ops)%n"
                        + "  host: %.1f ms inside op calls (nested ops are counted in their caller)%s",
                device, table.calls, (windowEnd - windowStart) / 1e6, table.gpuMs, spanMs, table.hostNs / 1e6, lost);
        return table.format(head);
    }

    private static void printAll() {
        List<CudaOpProfile<?>> all;
        synchronized (BY_DEVICE) {
            all = new ArrayList<>(BY_DEVICE.values());
        }
        for (CudaOpProfile<?> p : all) System.err.print(p.report());
    }

    /** "conv fwd 3x3 s1 256->256 in [2,256,200,304]", as the CPU profile names convolutions. */
    static String convKey(String dir, int[] xs, int[] ws, ConvParams p) {
        if (ws == null || ws.length != 4 || p == null) return dir + " " + Shape.str(xs) + " " + Shape.str(ws); // the op reports it
        return dir + " " + ws[2] + "x" + ws[3] + " s" + p.strideH() + " " + ws[1] * p.groups() + "->" + ws[0]
                + (p.grouped() ? " g" + p.groups() : "") + " in " + Shape.str(xs);
    }

    /** Per-key totals and the table's text (pure Java). */
    static final class Table {
        private final Map<String, double[]> rows = new HashMap<>(); // key -> {calls, GPU ms, host ns}
        private long calls;
        private double gpuMs;
        private long hostNs;

        void add(String key, double ms, long host) {
            double[] r = rows.computeIfAbsent(key, k -> new double[3]);
            r[0]++;
            r[1] += ms;
            r[2] += host;
            calls++;
            gpuMs += ms;
            hostNs += host;
        }

        /** {@code head}, then one row per key, largest GPU time first. */
        String format(String head) {
            List<Map.Entry<String, double[]>> sorted = new ArrayList<>(rows.entrySet());
            sorted.sort(Map.Entry.<String, double[]>comparingByValue((a, b) -> Double.compare(b[1], a[1]))
                    .thenComparing(Map.Entry.comparingByKey()));
            StringBuilder sb = new StringBuilder(head).append('\n');
            sb.append(String.format(Locale.ROOT, "%10s %6s %9s %9s %7s  %s%n", "GPU ms", "%", "mean ms", "host ms", "calls", "op"));
            for (Map.Entry<String, double[]> e : sorted) {
                double[] r = e.getValue();
                sb.append(String.format(Locale.ROOT, "%10.2f %6.1f %9.4f %9.2f %7d  %s%n", r[1], 100 * r[1] / Math.max(gpuMs, 1e-9),
                        r[1] / r[0], r[2] / 1e6, (long) r[0], e.getKey()));
            }
            return sb.toString();
        }
    }

    /** The device side: timing events on the device's compute stream. */
    private static final class CudaEvents implements Events<CUevent_st> {
        private final CudaContext ctx;
        private final float[] ms = new float[1]; // used under the profile's lock

        CudaEvents(CudaContext ctx) { this.ctx = ctx; }

        @Override public CUevent_st create() {
            ctx.makeCurrent();
            CUevent_st e = new CUevent_st();
            Cuda.check(cudart.cudaEventCreate(e), "cudaEventCreate"); // default flags: timing on, spin-wait
            return e;
        }

        @Override public void record(CUevent_st e) {
            ctx.makeCurrent();
            Cuda.check(cudart.cudaEventRecord(e, ctx.stream), "cudaEventRecord");
        }

        @Override public boolean done(CUevent_st e) {
            ctx.makeCurrent();
            int err = cudart.cudaEventQuery(e);
            if (err == cudart.cudaErrorNotReady) return false;
            Cuda.check(err, "cudaEventQuery");
            return true;
        }

        @Override public void await(CUevent_st e) {
            ctx.makeCurrent();
            Cuda.check(cudart.cudaEventSynchronize(e), "cudaEventSynchronize");
        }

        @Override public float ms(CUevent_st from, CUevent_st to) {
            ctx.makeCurrent();
            Cuda.check(cudart.cudaEventElapsedTime(ms, from, to), "cudaEventElapsedTime");
            return ms[0];
        }
    }
}
