package autoassign.train.dist;

import autoassign.backend.cuda.CudaInterop;
import autoassign.backend.cuda.CudaProbe;
import autoassign.backend.cuda.CudaStatus;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One GPU's member of an NCCL communicator. Collectives run on a communication stream of the GPU, ordered
 * after the work already enqueued on the backend's compute stream (an event), and the compute stream waits for
 * their result (another event) — the host never blocks for a gradient all-reduce, and the all-reduce of one
 * bucket overlaps with the backward kernels of the next layers. Host values ({@link #allReduceSum(double[])})
 * go through a fixed device buffer (and a page-locked host one) made with the communicator, in chunks of its size:
 * nothing is allocated or freed on the device while collectives may run, since a {@code cudaFree} (or
 * {@code cudaMalloc}) in one thread while another GPU's NCCL kernel waits for its peers can hang them all (NCCL's
 * known issue with several GPUs in one process); those calls block, polling for NCCL's asynchronous errors up to a
 * timeout. {@link #abort} may come from another thread (a failed worker): every use of the NCCL communicator happens
 * under one lock and checks first that it was not aborted, so none touches it after {@code ncclCommAbort} freed it.
 *
 * <p>Creation: {@link #initAll} for the GPUs of one process ({@code ncclCommInitAll}), {@link #initRank} with a
 * unique id from {@link #newUniqueId} exchanged by {@link Rendezvous} for several machines.
 */
public final class NcclCommunicator implements Communicator {
    private final ncclComm comm;
    private final int rank, world;
    private final Device device;
    private final CUstream_st stream = new CUstream_st();
    private final Duration timeout;
    /** Doubles per chunk of {@link #allReduceSum(double[])}: its buffers, 4 MiB each, live as long as the communicator. */
    static final int SCRATCH_DOUBLES = 1 << 19;
    private final Pointer scratch = new Pointer();
    /**
     * The host side of {@link #allReduceSum(double[])}, page-locked: a copy from pageable memory would block inside
     * cudaMemcpyAsync until the all-reduce ends, out of reach of {@link #waitStream}'s timeout and error polling.
     */
    private final DoublePointer hostScratch;
    /** Guards every use of {@link #comm} against {@link #abort} from another thread. */
    private final Object lock = new Object();
    private volatile boolean aborted, closed;
    /** Why the communicator was aborted (the watchdog's reason), for the message of the next collective. */
    private volatile String abortReason;
    /** Watches the gradient all-reduces, which no host call waits for (null with one rank: no peer to lose). */
    private final CollectiveWatchdog<CUevent_st> watchdog;
    /** How often the watchdog polls the oldest pending all-reduce. */
    static final long WATCHDOG_POLL_MILLIS = 100;

    /** Made before any collective runs (right after the NCCL init), so its allocations cannot meet an NCCL kernel. */
    private NcclCommunicator(ncclComm comm, int rank, int world, Device device, Duration timeout) {
        this.comm = comm;
        this.rank = rank;
        this.world = world;
        this.device = device;
        this.timeout = timeout;
        CudaInterop.makeCurrent(device);
        check(cudart.cudaStreamCreateWithFlags(stream, cudart.cudaStreamNonBlocking), "cudaStreamCreate (NCCL stream)");
        long bytes = 8L * SCRATCH_DOUBLES;
        Pointer pinned = new Pointer();
        int rc = cudart.cudaMalloc(scratch, bytes);
        if (rc == 0) {
            rc = cudart.cudaMallocHost(pinned, bytes);
            if (rc != 0) cudart.cudaFree(scratch);
        }
        if (rc != 0) cudart.cudaStreamDestroy(stream); // nothing of this communicator is left behind
        check(rc, "cudaMalloc / cudaMallocHost(" + bytes + ") (NCCL scratch)");
        hostScratch = new DoublePointer(pinned).capacity(SCRATCH_DOUBLES);
        if (world > 1) CudaInterop.collectivesOpened(); // until close(): no device frees in this process
        watchdog = world > 1 ? new CollectiveWatchdog<>("nccl-watchdog-rank-" + rank, new WatchdogProbe(), timeout,
                WATCHDOG_POLL_MILLIS) : null;
    }

    /** The watchdog's view of this communicator: its all-reduces' events, NCCL's asynchronous error, abort. */
    private final class WatchdogProbe implements CollectiveWatchdog.Probe<CUevent_st> {
        @Override public boolean finished(CUevent_st done) {
            CudaInterop.makeCurrent(device);
            return cudart.cudaEventQuery(done) != cudart.cudaErrorNotReady; // an error: not ours to report, stop watching it
        }

        @Override public String asyncError() {
            synchronized (lock) {
                if (aborted || closed) return null;
                int[] async = new int[1];
                if (nccl.ncclCommGetAsyncError(comm, async) == nccl.ncclSuccess && async[0] != nccl.ncclSuccess
                        && async[0] != nccl.ncclInProgress)
                    return ncclError(async[0], comm);
                return null;
            }
        }

        @Override public void abort(String reason) {
            abortReason = reason;
            NcclCommunicator.this.abort(null);
        }

        @Override public void release(CUevent_st done) {
            CudaInterop.makeCurrent(device);
            cudart.cudaEventDestroy(done);
        }
    }

    /** Null when NCCL can be used (CUDA usable and libnccl loads), else the reason in one line. Never throws. */
    public static String unavailableReason() {
        CudaStatus st = CudaProbe.status();
        if (!st.usable()) return "CUDA is not available: " + st.reason();
        try {
            Loader.load(nccl.class);
            int[] v = new int[1];
            int err = nccl.ncclGetVersion(v);
            if (err != nccl.ncclSuccess) return "NCCL does not answer (ncclGetVersion returned " + err + ")";
            return null;
        } catch (Throwable t) {
            String msg = null;
            for (Throwable c = t; c != null; c = c.getCause()) if (c.getMessage() != null) msg = c.getMessage();
            if (msg == null) msg = t.getClass().getSimpleName();
            msg = msg.replace('\n', ' ').trim();
            if (msg.startsWith("/") && msg.indexOf(": ") > 0) msg = msg.substring(msg.indexOf(": ") + 2);
            return "NCCL could not be loaded (" + msg + "); install NCCL 2 (libnccl.so.2) where the CUDA libraries are";
        }
    }

    /** "2.29.3" (the loaded library's version). */
    public static String version() {
        int[] v = new int[1];
        checkNccl(nccl.ncclGetVersion(v), "ncclGetVersion", null);
        int code = v[0];
        return code >= 10000 ? (code / 10000) + "." + (code % 10000) / 100 + "." + code % 100
                : (code / 1000) + "." + (code % 1000) / 100 + "." + code % 100;
    }

    /** One communicator per device of this process (ranks in list order), by {@code ncclCommInitAll}. */
    public static List<NcclCommunicator> initAll(List<Device> devices, Duration timeout) {
        int n = devices.size();
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            if (!devices.get(i).isCuda()) throw new IllegalArgumentException("not a CUDA device: " + devices.get(i));
            ids[i] = devices.get(i).index();
            CudaInterop.makeCurrent(devices.get(i)); // the backend's context exists before NCCL's
        }
        List<NcclCommunicator> out = new ArrayList<>(n);
        try (PointerPointer<ncclComm> pp = new PointerPointer<>(n)) {
            checkNccl(nccl.ncclCommInitAll(pp, n, ids), "ncclCommInitAll(" + n + " GPUs)", null);
            for (int i = 0; i < n; i++) out.add(new NcclCommunicator(new ncclComm(pp.get(i)), i, n, devices.get(i), timeout));
        }
        return out;
    }

    /** A new NCCL unique id (on the process of global rank 0), as the 128 bytes to send to the other processes. */
    public static byte[] newUniqueId() {
        ncclUniqueId id = new ncclUniqueId();
        checkNccl(nccl.ncclGetUniqueId(id), "ncclGetUniqueId", null);
        byte[] b = new byte[nccl.NCCL_UNIQUE_ID_BYTES];
        for (int i = 0; i < b.length; i++) b[i] = id.internal(i);
        id.close();
        return b;
    }

    /**
     * Joins the communicator of {@code uniqueId} as {@code rank} of {@code world} on {@code device} (blocks until
     * every rank has joined; call it from each worker's own thread).
     */
    public static NcclCommunicator initRank(byte[] uniqueId, int world, int rank, Device device, Duration timeout) {
        if (uniqueId.length != nccl.NCCL_UNIQUE_ID_BYTES)
            throw new IllegalArgumentException("NCCL unique id must have " + nccl.NCCL_UNIQUE_ID_BYTES + " bytes, got " + uniqueId.length);
        CudaInterop.makeCurrent(device);
        ncclUniqueId id = new ncclUniqueId();
        for (int i = 0; i < uniqueId.length; i++) id.internal(i, uniqueId[i]);
        ncclComm c = new ncclComm();
        checkNccl(nccl.ncclCommInitRank(c, world, id, rank), "ncclCommInitRank(rank " + rank + " of " + world + ")", null);
        id.close();
        return new NcclCommunicator(c, rank, world, device, timeout);
    }

    @Override public int rank() { return rank; }

    @Override public int worldSize() { return world; }

    @Override public Device device() { return device; }

    private CUevent_st recordOn(CUstream_st s) {
        CUevent_st e = new CUevent_st();
        check(cudart.cudaEventCreateWithFlags(e, cudart.cudaEventDisableTiming), "cudaEventCreate");
        check(cudart.cudaEventRecord(e, s), "cudaEventRecord");
        return e;
    }

    /** Orders the communication stream after everything enqueued so far on the compute stream. */
    private void afterCompute() {
        CudaInterop.makeCurrent(device);
        CUevent_st ready = recordOn(CudaInterop.computeStream(device));
        check(cudart.cudaStreamWaitEvent(stream, ready, 0), "cudaStreamWaitEvent (NCCL stream)");
        check(cudart.cudaEventDestroy(ready), "cudaEventDestroy"); // released once it has completed
    }

    /** Orders the compute stream after everything enqueued so far on the communication stream. */
    private Pending beforeCompute() {
        CUevent_st done = recordOn(stream);
        return () -> {
            CudaInterop.makeCurrent(device);
            check(cudart.cudaStreamWaitEvent(CudaInterop.computeStream(device), done, 0), "cudaStreamWaitEvent (compute stream)");
            check(cudart.cudaEventDestroy(done), "cudaEventDestroy");
        };
    }

    private void checkTensor(Tensor t) {
        if (!t.device().equals(device)) throw new IllegalArgumentException("tensor on " + t.device() + ", NCCL rank " + rank + " on " + device);
    }

    @Override public Pending allReduceSumAsync(Tensor t) {
        checkTensor(t);
        String what = "ncclAllReduce(" + t.numel() + " floats)";
        Pending ordered;
        CUevent_st watched = null;
        synchronized (lock) {
            checkOpen();
            afterCompute();
            Pointer p = CudaInterop.pointer(t, 0);
            checkNccl(nccl.ncclAllReduce(p, p, t.numel(), nccl.ncclFloat32, nccl.ncclSum, comm, stream), what, comm);
            ordered = beforeCompute();
            if (watchdog != null) watched = recordOn(stream);
        }
        if (watched != null) watchdog.started(watched, what); // outside the lock: the watchdog's probe takes it
        return ordered;
    }

    @Override public double[] allReduceSum(double[] values) {
        checkOpen();
        double[] out = new double[values.length];
        // every rank has as many values, so every rank runs the same chunks in the same order
        for (int from = 0; from < values.length; from += SCRATCH_DOUBLES) {
            int n = Math.min(SCRATCH_DOUBLES, values.length - from);
            long bytes = 8L * n;
            String what = "ncclAllReduce(" + n + " doubles)";
            synchronized (lock) {
                checkOpen();
                CudaInterop.makeCurrent(device);
                hostScratch.position(0).put(values, from, n);
                check(cudart.cudaMemcpyAsync(scratch, hostScratch, bytes, cudart.cudaMemcpyHostToDevice, stream),
                        "cudaMemcpyAsync (NCCL scratch)");
                checkNccl(nccl.ncclAllReduce(scratch, scratch, n, nccl.ncclFloat64, nccl.ncclSum, comm, stream), what, comm);
                check(cudart.cudaMemcpyAsync(hostScratch, scratch, bytes, cudart.cudaMemcpyDeviceToHost, stream),
                        "cudaMemcpyAsync (NCCL scratch)");
            }
            waitStream(what);
            checkOpen(); // aborted by another thread while waiting: the buffer holds no sum
            hostScratch.position(0).get(out, from, n);
        }
        return out;
    }

    @Override public void broadcast(Tensor t, int root) {
        checkTensor(t);
        synchronized (lock) {
            checkOpen();
            afterCompute();
            Pointer p = CudaInterop.pointer(t, 0);
            checkNccl(nccl.ncclBroadcast(p, p, t.numel(), nccl.ncclFloat32, root, comm, stream),
                    "ncclBroadcast(" + t.numel() + " floats, root " + root + ")", comm);
            beforeCompute().await();
        }
        waitStream("ncclBroadcast");
    }

    /** Waits for the communication stream, failing on NCCL's asynchronous errors and after the timeout. */
    private void waitStream(String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int[] async = new int[1];
        for (long spins = 0; ; spins++) {
            synchronized (lock) { // one poll; abort() may take the lock between two
                checkOpen();
                int st = cudart.cudaStreamQuery(stream);
                if (st == 0) return;
                if (st != cudart.cudaErrorNotReady) check(st, what);
                if (nccl.ncclCommGetAsyncError(comm, async) == nccl.ncclSuccess && async[0] != nccl.ncclSuccess
                        && async[0] != nccl.ncclInProgress)
                    throw new IllegalStateException("NCCL rank " + rank + ": " + what + " failed: " + ncclError(async[0], comm));
            }
            if (System.nanoTime() > deadline) {
                abort(null);
                throw new IllegalStateException("NCCL rank " + rank + ": " + what + " did not finish within "
                        + timeout.toSeconds() + " s (a worker stopped or the network is down); communicator aborted");
            }
            if (spins < 2000) Thread.onSpinWait();
            else {
                try {
                    Thread.sleep(0, 200_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted in " + what, e);
                }
            }
        }
    }

    @Override public void checkHealthy() {
        CudaInterop.synchronize(device); // returns once the all-reduces ended, or the watchdog aborted them
        checkOpen();
    }

    /** Waits for every collective started so far (for timings). */
    public void synchronize() { waitStream("synchronize"); }

    private void checkOpen() {
        if (aborted) throw new IllegalStateException("NCCL rank " + rank + ": communicator was aborted"
                + (abortReason != null ? ": " + abortReason : ""));
        if (closed) throw new IllegalStateException("NCCL rank " + rank + ": communicator is closed");
    }

    @Override public void abort(Throwable cause) {
        synchronized (lock) { // once, and never while another thread is inside an NCCL call on this communicator
            if (aborted || closed) return;
            aborted = true;
            nccl.ncclCommAbort(comm); // pending collectives of this rank end; peers see the failure
        }
    }

    @Override public void close() {
        if (watchdog != null) watchdog.close(); // first, and outside the lock its probe takes
        synchronized (lock) {
            if (closed) return;
            closed = true;
            CudaInterop.makeCurrent(device);
            if (!aborted) nccl.ncclCommDestroy(comm);
            cudart.cudaFree(scratch);
            cudart.cudaFreeHost(hostScratch);
            cudart.cudaStreamDestroy(stream);
            if (world > 1) CudaInterop.collectivesClosed();
        }
    }

    private static String ncclError(int err, ncclComm comm) {
        String s = "NCCL error " + err;
        try {
            s = nccl.ncclGetErrorString(err).getString();
            if (comm != null) {
                String last = nccl.ncclGetLastError(comm).getString();
                if (last != null && !last.isBlank()) s += ": " + last.trim();
            }
        } catch (Throwable ignored) {
            // keep the number
        }
        return s;
    }

    private static void checkNccl(int err, String what, ncclComm comm) {
        if (err != nccl.ncclSuccess) throw new IllegalStateException(what + " failed: " + ncclError(err, comm));
    }

    private static void check(int err, String what) {
        if (err != 0) {
            cudart.cudaGetLastError();
            String name;
            try {
                name = cudart.cudaGetErrorName(err).getString();
            } catch (Throwable t) {
                name = "CUDA error " + err;
            }
            throw new IllegalStateException(what + " failed: " + name);
        }
    }

    @Override public String toString() { return "NCCL rank " + rank + " of " + world + " on " + device; }
}
