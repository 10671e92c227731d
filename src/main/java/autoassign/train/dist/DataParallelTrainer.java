package autoassign.train.dist;

import autoassign.backend.DeviceSelector;
import autoassign.backend.cuda.CudaProbe;
import autoassign.backend.cuda.CudaStatus;
import autoassign.cli.CliErrors.UserError;
import autoassign.config.Config;
import autoassign.tensor.Device;
import autoassign.train.TrainOptions;
import autoassign.train.Trainer;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code train --gpus N [--nodes M --node-rank R --master HOST:PORT]} and {@code train --cpu-workers N}: one
 * {@link Trainer} per worker, each in its own thread of this JVM with its own model copy on its own device,
 * its shard of the data and its communicator (see docs/distributed.md for why threads and not processes).
 * Global rank 0 (node 0, first GPU) logs to the console, writes the checkpoints and metrics and evaluates;
 * the other workers are silent. A worker that fails aborts the collectives, so the others stop too, and the
 * first error is what the command reports.
 */
public final class DataParallelTrainer {
    private DataParallelTrainer() {}

    private static final PrintStream SILENT = new PrintStream(OutputStream.nullOutputStream());

    /** Checks the options against this machine; a {@link UserError} with one line when they cannot be met. */
    public static void validate(DistOptions d, String deviceOption) {
        if (d.cpuWorkers() < 0) throw new UserError("--cpu-workers must be >= 1, got " + d.cpuWorkers());
        if (d.gpus() < 0) throw new UserError("--gpus must be >= 1, got " + d.gpus());
        if (d.nodes() < 1) throw new UserError("--nodes must be >= 1, got " + d.nodes());
        if (d.nodeRank() < 0 || d.nodeRank() >= d.nodes())
            throw new UserError("--node-rank must be in 0.." + (d.nodes() - 1) + " for --nodes " + d.nodes() + ", got " + d.nodeRank());
        if (d.cpuWorkers() > 0) {
            if (d.gpus() > 0) throw new UserError("--cpu-workers and --gpus exclude each other");
            if (d.nodes() > 1) throw new UserError("--cpu-workers runs on one machine (in-process all-reduce); several machines need --gpus");
            if (deviceOption != null && !deviceOption.trim().equalsIgnoreCase("cpu"))
                throw new UserError("--cpu-workers runs on the CPU; it cannot be combined with --device " + deviceOption);
            return;
        }
        if (d.gpus() == 0) throw new UserError(d.nodes() > 1 ? "--nodes needs --gpus N (the GPUs of each machine)" : "--gpus must be >= 1");
        if (deviceOption != null && !deviceOption.trim().toLowerCase(Locale.ROOT).startsWith("cuda") && !deviceOption.trim().equalsIgnoreCase("auto"))
            throw new UserError("--gpus " + d.gpus() + " trains on GPUs; it cannot be combined with --device " + deviceOption
                    + " (use --cpu-workers N for data parallel workers on the CPU)");
        if (d.nodes() > 1) {
            try {
                Rendezvous.parseMaster(d.master());
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
        }
        CudaStatus st = CudaProbe.status();
        if (!st.usable())
            throw new UserError("--gpus " + d.gpus() + ": CUDA is not available: " + st.reason()
                    + " (--cpu-workers N runs the data-parallel logic on the CPU)");
        if (st.deviceCount() < d.gpus())
            throw new UserError("--gpus " + d.gpus() + ": only " + st.deviceCount() + " CUDA device(s) on this machine");
        String nccl = NcclCommunicator.unavailableReason();
        if (nccl != null) throw new UserError("--gpus " + d.gpus() + ": " + nccl);
    }

    /** Trains; returns global rank 0's result (on another node: its first worker's, with no evaluation). */
    public static Trainer.Result run(Config cfg, TrainOptions opt, DistOptions d, PrintStream out) throws Exception {
        validate(d, opt.device());
        int local = d.localWorkers(), world = d.worldSize();
        List<Device> devices = new ArrayList<>();
        List<Communicator> comms = new ArrayList<>();
        byte[] ncclId = null;
        if (d.cpuWorkers() > 0) {
            for (int r = 0; r < local; r++) devices.add(Device.CPU);
            comms.addAll(InProcessCommunicator.create(local, d.collectiveTimeout()));
            out.println("data parallel: " + local + " CPU worker threads, in-process all-reduce");
        } else {
            DeviceSelector.select("cuda:0", out::println); // registers the CUDA backend, says which GPU
            for (int r = 0; r < local; r++) devices.add(Device.cuda(r));
            if (d.nodes() == 1) {
                comms.addAll(NcclCommunicator.initAll(devices, d.collectiveTimeout()));
                out.println("data parallel: " + local + " GPUs, NCCL " + NcclCommunicator.version() + " (ncclCommInitAll)");
            } else {
                InetSocketAddress master = Rendezvous.parseMaster(d.master());
                out.println("node " + d.nodeRank() + " of " + d.nodes() + ": rendezvous at " + d.master() + " (waiting up to "
                        + d.rendezvousTimeout().toSeconds() + " s for the other nodes)");
                try {
                    ncclId = Rendezvous.exchange(master, d.nodes(), d.nodeRank(), local, NcclCommunicator::newUniqueId,
                            d.rendezvousTimeout());
                } catch (Rendezvous.RendezvousException e) {
                    throw new UserError(e.getMessage(), e);
                }
                out.println("node " + d.nodeRank() + ": all " + d.nodes() + " nodes arrived; NCCL " + NcclCommunicator.version()
                        + " over " + world + " GPUs");
            }
        }

        int n = local;
        Trainer[] trainers = new Trainer[n];
        Trainer.Result[] results = new Trainer.Result[n];
        Communicator[] live = new Communicator[n];
        byte[] id = ncclId;
        WorkerThreads workers = new WorkerThreads(n, "train-rank-", d.nodeRank() * local, localRank -> {
            int globalRank = d.nodeRank() * local + localRank;
            Communicator c = comms.isEmpty()
                    ? NcclCommunicator.initRank(id, world, globalRank, devices.get(localRank), d.collectiveTimeout())
                    : comms.get(localRank);
            live[localRank] = c;
            Trainer t = new Trainer(cfg, opt, globalRank == 0 ? out : SILENT, new Replica(c, devices.get(localRank), d.bucketBytes()));
            synchronized (trainers) {
                trainers[localRank] = t;
            }
            results[localRank] = t.run();
        }, cause -> {
            for (Communicator c : live) if (c != null) c.abort(cause);
            for (Communicator c : comms) c.abort(cause);
        });
        // SIGINT / SIGTERM: every worker is asked to stop (they agree on the iteration), rank 0 writes the checkpoint
        Thread hook = new Thread(() -> {
            synchronized (trainers) {
                for (Trainer t : trainers) if (t != null) t.requestStop();
            }
            workers.awaitEach(120_000);
        }, "train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            workers.startAndJoin();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs: the JVM exits on a signal
            }
            for (Communicator c : live) if (c != null) c.close();
            for (Communicator c : comms) c.close();
        }
        workers.rethrowFirstFailure();
        return results[0];
    }
}
