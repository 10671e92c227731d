package autoassign.train.dist;

import autoassign.tensor.Device;

/**
 * What makes a {@link autoassign.train.Trainer} one worker of a data-parallel run: its communicator (rank,
 * world size, collectives), its device, and the gradient bucket size.
 */
public record Replica(Communicator comm, Device device, long bucketBytes) {
    public Replica {
        if (comm == null || device == null) throw new IllegalArgumentException("replica needs a communicator and a device");
        if (!comm.device().equals(device))
            throw new IllegalArgumentException("communicator on " + comm.device() + ", replica on " + device);
    }

    public Replica(Communicator comm) { this(comm, comm.device(), GradientBuckets.DEFAULT_BUCKET_BYTES); }

    public int rank() { return comm.rank(); }

    public int worldSize() { return comm.worldSize(); }

    /** Rank 0 logs, evaluates, writes checkpoints and metrics. */
    public boolean isMain() { return comm.rank() == 0; }
}
