package autoassign.train.dist;

import autoassign.loss.LossReducer;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;

import java.util.Arrays;

/**
 * The collectives a data-parallel worker needs: sum over all workers (float tensors on the worker's device,
 * host doubles), broadcast, barrier. One instance per worker ("rank"); every rank must call the same
 * collectives in the same order (as with NCCL and torch.distributed), and the collectives of one rank are
 * executed in the order they are started, the asynchronous ones included.
 *
 * <p>Implementations: {@link #single} (one worker: every collective is the identity), {@link InProcessCommunicator}
 * (worker threads of one JVM on the CPU: the CPU check of the distributed logic) and {@link NcclCommunicator}
 * (one GPU per worker, NCCL over NVLink / PCIe / network).
 */
public interface Communicator extends AutoCloseable {
    /** This worker's index in {@code [0, worldSize)}. */
    int rank();

    /** Number of workers. */
    int worldSize();

    /** The device the tensors given to this communicator live on. */
    Device device();

    /** A started collective. */
    interface Pending {
        /**
         * Makes the result usable by what this worker does next (CPU: waits for it; CUDA: orders the device's
         * compute stream after it, without blocking the host).
         */
        void await();
    }

    /**
     * Starts an in-place sum of {@code t} (all of its elements) over all workers; the result is there after
     * {@link Pending#await}. The caller must not write {@code t} before then.
     */
    Pending allReduceSumAsync(Tensor t);

    /** In-place sum of {@code t} over all workers. */
    default void allReduceSum(Tensor t) { allReduceSumAsync(t).await(); }

    /** Sums host values over all workers (same length everywhere); returns a new array. Blocking. */
    double[] allReduceSum(double[] values);

    /** Overwrites {@code t} on every worker with rank {@code root}'s values. Blocking. */
    void broadcast(Tensor t, int root);

    /** Returns when every worker has reached it. */
    default void barrier() { allReduceSum(new double[] {1}); }

    /**
     * Every worker's values, by rank (lengths may differ). Built on {@link #allReduceSum(double[])}: the lengths
     * are summed first, then each worker fills its own segment of a zero buffer (adding zeros is exact).
     */
    default double[][] allGather(double[] local) {
        int world = worldSize();
        double[] lens = new double[world];
        lens[rank()] = local.length;
        lens = allReduceSum(lens);
        int total = 0;
        int[] offsets = new int[world + 1];
        for (int r = 0; r < world; r++) offsets[r + 1] = offsets[r] + (int) lens[r];
        total = offsets[world];
        double[] buf = new double[total];
        System.arraycopy(local, 0, buf, offsets[rank()], local.length);
        buf = allReduceSum(buf);
        double[][] out = new double[world][];
        for (int r = 0; r < world; r++) out[r] = Arrays.copyOfRange(buf, offsets[r], offsets[r + 1]);
        return out;
    }

    /**
     * Ends the collectives of this group because this worker failed: workers blocked in (or entering) a
     * collective fail with a message naming the cause instead of waiting forever. Best effort; idempotent.
     */
    default void abort(Throwable cause) {}

    /**
     * Before saving what the collectives produced (a checkpoint): waits until this worker's device has finished them
     * and fails when the group was aborted meanwhile (e.g. by the NCCL watchdog's timeout, which ends a pending
     * all-reduce with a partial sum), so that no such weights are written. Nothing to do where collectives block.
     */
    default void checkHealthy() {}

    @Override void close();

    /** The loss normalisers' all-reduce (AA_3 §7 {@code reduce_mean}) over this communicator. */
    default LossReducer lossReducer() {
        Communicator self = this;
        return new LossReducer() {
            @Override public double[] sum(double... localValues) { return self.allReduceSum(localValues); }
            @Override public int worldSize() { return self.worldSize(); }
            @Override public String toString() { return "LossReducer over " + self; }
        };
    }

    /** One worker on {@code device}: every collective is the identity, no thread, nothing to close. */
    static Communicator single(Device device) {
        return new Communicator() {
            @Override public int rank() { return 0; }
            @Override public int worldSize() { return 1; }
            @Override public Device device() { return device; }
            @Override public Pending allReduceSumAsync(Tensor t) { return () -> {}; }
            @Override public double[] allReduceSum(double[] values) { return values.clone(); }
            @Override public void broadcast(Tensor t, int root) {}
            @Override public void barrier() {}
            @Override public LossReducer lossReducer() { return LossReducer.IDENTITY; }
            @Override public void close() {}
            @Override public String toString() { return "single worker on " + device; }
        };
    }
}
