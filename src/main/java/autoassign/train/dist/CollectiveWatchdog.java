package autoassign.train.dist;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Watches a rank's asynchronous collectives from a daemon thread, as PyTorch's NCCL watchdog does: the host never
 * waits for a gradient all-reduce itself (the compute stream does), so when a peer dies during one, the next host
 * synchronisation on the compute stream would block forever. Every {@code pollMillis} the thread asks the oldest
 * started collective whether it finished; when the communicator reports an asynchronous error, or the oldest has been
 * running longer than the timeout, it aborts the communicator (which ends the pending collectives and so unblocks the
 * host) and stops. The worker then fails at its next collective with the reason.
 *
 * <p>The collectives of one rank finish in the order they were started (one communication stream), so only the
 * oldest needs asking.
 *
 * @param <H> a started collective's handle (a CUDA event for {@link NcclCommunicator})
 */
final class CollectiveWatchdog<H> implements AutoCloseable {
    /** What the watchdog asks and does; called from its thread. */
    interface Probe<H> {
        /** Whether the collective behind {@code handle} has finished (false while it runs). */
        boolean finished(H handle);

        /** The communicator's asynchronous error in one line, or null. */
        String asyncError();

        /** Ends the communicator's collectives because of {@code reason}. */
        void abort(String reason);

        /** Frees a handle that is no longer watched (finished, or left when the watchdog closes). */
        void release(H handle);
    }

    private record Started<H>(H handle, long startNanos, String what) {}

    private final Probe<H> probe;
    private final long timeoutNanos;
    private final long pollMillis;
    private final ArrayDeque<Started<H>> pending = new ArrayDeque<>();
    private final Thread thread;
    private boolean closed;
    private volatile String abortReason;

    CollectiveWatchdog(String name, Probe<H> probe, Duration timeout, long pollMillis) {
        this.probe = probe;
        this.timeoutNanos = timeout.toNanos();
        this.pollMillis = pollMillis;
        this.thread = new Thread(this::watch, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** A collective was started ({@code what} names it in the abort reason). Never call it holding a lock the probe takes. */
    void started(H handle, String what) {
        synchronized (this) {
            if (!closed && abortReason == null) {
                pending.add(new Started<>(handle, System.nanoTime(), what));
                return;
            }
        }
        probe.release(handle);
    }

    /** Why the watchdog aborted the communicator, or null. */
    String abortReason() { return abortReason; }

    /** Collectives started and not yet seen finished (for tests). */
    synchronized int pending() { return pending.size(); }

    /** The probe is only called outside this object's lock: its calls take the communicator's lock, and so may started()'s callers. */
    private void watch() {
        try {
            while (true) {
                Started<H> oldest;
                synchronized (this) {
                    if (closed) return;
                    oldest = pending.peek();
                }
                if (oldest != null && probe.finished(oldest.handle())) {
                    synchronized (this) {
                        pending.poll(); // only this thread removes, until close() has joined it
                    }
                    probe.release(oldest.handle());
                    continue;
                }
                String error = probe.asyncError(), reason = null;
                if (error != null) reason = (oldest != null ? oldest.what() + " failed: " : "") + error;
                else if (oldest != null && System.nanoTime() - oldest.startNanos() > timeoutNanos)
                    reason = oldest.what() + " did not finish within " + Duration.ofNanos(timeoutNanos).toSeconds()
                            + " s (a worker stopped or the network is down)";
                if (reason != null) {
                    abortReason = reason;
                    probe.abort(reason);
                    return;
                }
                synchronized (this) {
                    if (closed) return;
                    wait(pollMillis);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the thread and releases the handles still watched (call before the communicator is destroyed). */
    @Override public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        java.util.List<Started<H>> left;
        synchronized (this) {
            left = new java.util.ArrayList<>(pending);
            pending.clear();
        }
        for (Started<H> st : left) probe.release(st.handle());
    }
}
