package autoassign.train.dist;

import java.time.Duration;

/**
 * How a {@code train} run is spread over workers.
 *
 * @param gpus           GPUs (= workers) on this machine, NCCL between them; 0 when not on GPUs
 * @param nodes          machines; more than one needs {@code master}
 * @param nodeRank       this machine's index in {@code [0, nodes)}; node 0 hosts the rendezvous and global rank 0
 * @param master         {@code HOST:PORT} of node 0's rendezvous
 * @param cpuWorkers     worker threads on the CPU with the in-process all-reduce (the CPU check of {@code --gpus});
 *                       0 when not used
 * @param rendezvousTimeout how long the nodes wait for each other at the start
 * @param collectiveTimeout how long a worker waits in one collective before the run is aborted (rank 0 may
 *                       evaluate or write a checkpoint while the others wait)
 * @param bucketBytes    gradient bucket size (DDP's 25 MiB by default)
 */
public record DistOptions(int gpus, int nodes, int nodeRank, String master, int cpuWorkers, Duration rendezvousTimeout,
                          Duration collectiveTimeout, long bucketBytes) {
    public static final Duration DEFAULT_RENDEZVOUS_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_COLLECTIVE_TIMEOUT = Duration.ofMinutes(30);

    /** {@code --gpus N} on one machine. */
    public static DistOptions gpus(int n) {
        return new DistOptions(n, 1, 0, null, 0, DEFAULT_RENDEZVOUS_TIMEOUT, DEFAULT_COLLECTIVE_TIMEOUT, GradientBuckets.DEFAULT_BUCKET_BYTES);
    }

    /** {@code --cpu-workers N}. */
    public static DistOptions cpuWorkers(int n) {
        return new DistOptions(0, 1, 0, null, n, DEFAULT_RENDEZVOUS_TIMEOUT, DEFAULT_COLLECTIVE_TIMEOUT, GradientBuckets.DEFAULT_BUCKET_BYTES);
    }

    public DistOptions withBucketBytes(long b) {
        return new DistOptions(gpus, nodes, nodeRank, master, cpuWorkers, rendezvousTimeout, collectiveTimeout, b);
    }

    public DistOptions withNodes(int n, int rank, String masterAddress) {
        return new DistOptions(gpus, n, rank, masterAddress, cpuWorkers, rendezvousTimeout, collectiveTimeout, bucketBytes);
    }

    public DistOptions withTimeouts(Duration rendezvous, Duration collective) {
        return new DistOptions(gpus, nodes, nodeRank, master, cpuWorkers, rendezvous, collective, bucketBytes);
    }

    /** Workers on this machine. */
    public int localWorkers() { return cpuWorkers > 0 ? cpuWorkers : gpus; }

    /** Workers in the whole run. */
    public int worldSize() { return localWorkers() * nodes; }
}
