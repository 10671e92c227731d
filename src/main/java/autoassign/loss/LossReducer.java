package autoassign.loss;

/**
 * All-reduce hook for the loss normalisers (AA_3 §7): MMDetection's {@code reduce_mean(x)} is
 * {@code all_reduce_sum(x) / world_size}. A data-parallel trainer supplies an implementation that
 * sums over its workers (NCCL / threads); a single worker uses {@link #IDENTITY}.
 */
public interface LossReducer {
    /**
     * Sum of each value over all data-parallel workers (one collective for all of them).
     * Must return a new array or the argument; it must not be called with different lengths on
     * different workers.
     */
    double[] sum(double... localValues);

    /** Number of data-parallel workers (1 when not distributed). */
    int worldSize();

    /** {@code reduce_mean}: sum over workers divided by the world size. */
    default double[] mean(double... localValues) {
        double[] s = sum(localValues.clone());
        int k = worldSize();
        for (int i = 0; i < s.length; i++) s[i] /= k;
        return s;
    }

    /** One worker: sums are the local values. */
    LossReducer IDENTITY = new LossReducer() {
        @Override public double[] sum(double... localValues) { return localValues; }
        @Override public int worldSize() { return 1; }
        @Override public String toString() { return "LossReducer.IDENTITY"; }
    };
}
