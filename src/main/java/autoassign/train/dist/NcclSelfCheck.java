package autoassign.train.dist;

import autoassign.backend.Backends;
import autoassign.backend.DeviceSelector;
import autoassign.backend.cuda.CudaInterop;
import autoassign.backend.cuda.CudaProbe;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;
import autoassign.train.TrainOptions;
import autoassign.train.Trainer;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The data-parallel GPU path with one rank (the only multi-GPU check a one-GPU machine allows):
 * <ol>
 *   <li>NCCL loads; a communicator by {@code ncclCommInitAll}; all-reduce / double all-reduce / all-gather /
 *       broadcast give the expected values;</li>
 *   <li>the NCCL unique id travels through the TCP {@link Rendezvous} (loopback, a second "node" thread) and
 *       {@code ncclCommInitRank} accepts it;</li>
 *   <li>timings, median of {@code --reps}: one all-reduce of a buffer the size of the R50 gradient set
 *       (36,150,938 floats = 145 MB), and the bucketed path of a step ({@link GradientBuckets} over the real
 *       R50 trainable tensors: copy into 25 MiB buckets, all-reduce, average, copy back);</li>
 *   <li>unless {@code --no-train}: one epoch of {@code train --gpus 1} on the tiny synthetic config through
 *       {@link DataParallelTrainer} (NCCL communicator, reduced normalisers, bucketed gradients, sharded
 *       evaluation gathered over NCCL).</li>
 * </ol>
 * Exit 0 when every check passes, 1 when one fails, 2 when CUDA or NCCL is not usable (one line says why).
 *
 * <pre>java -cp 'lib/*' autoassign.train.dist.NcclSelfCheck [--reps N] [--floats N] [--no-train] [--work DIR]</pre>
 */
public final class NcclSelfCheck {
    private NcclSelfCheck() {}

    /** Trainable floats of the R50 COCO model (docs/cuda.md, SGD row). */
    public static final int R50_GRADIENT_FLOATS = 36_150_938;

    public static void main(String[] args) { System.exit(run(args, System.out)); }

    public static int run(String[] args, PrintStream out) {
        int reps = 20, floats = R50_GRADIENT_FLOATS;
        boolean train = true;
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "nccl-self-check");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--floats" -> floats = Integer.parseInt(args[++i]);
                case "--no-train" -> train = false;
                case "--work" -> work = Path.of(args[++i]);
                default -> {
                    out.println("usage: NcclSelfCheck [--reps N] [--floats N] [--no-train] [--work DIR]");
                    return 2;
                }
            }
        }
        String why = NcclCommunicator.unavailableReason();
        if (why != null) {
            out.println("NCCL self-check: " + why);
            return 2;
        }
        Device dev = DeviceSelector.select("cuda:0", out::println);
        out.println("NCCL " + NcclCommunicator.version() + ", " + CudaProbe.status().deviceCount() + " CUDA device(s)");
        List<String> failed = new ArrayList<>();
        try {
            checkInitAll(dev, out, failed);
            checkRendezvousInit(dev, out, failed);
            timeAllReduce(dev, floats, reps, out);
            timeBuckets(dev, reps, out, failed);
            if (train) trainOneEpoch(work, out, failed);
        } catch (RuntimeException | Error e) {
            e.printStackTrace(out);
            failed.add("exception: " + e);
        } catch (Exception e) {
            e.printStackTrace(out);
            failed.add("exception: " + e);
        }
        out.println(failed.isEmpty() ? "NCCL self-check: ALL PASSED" : "NCCL self-check: FAILED " + failed);
        return failed.isEmpty() ? 0 : 1;
    }

    private static void check(boolean ok, String what, PrintStream out, List<String> failed) {
        out.println((ok ? "PASS " : "FAIL ") + what);
        if (!ok) failed.add(what);
    }

    private static Tensor onDevice(Device dev, float[] v) { return Backends.of(dev).fromHost(v, v.length); }

    private static void checkInitAll(Device dev, PrintStream out, List<String> failed) {
        List<NcclCommunicator> comms = NcclCommunicator.initAll(List.of(dev), Duration.ofMinutes(2));
        try (NcclCommunicator c = comms.get(0)) {
            float[] v = new float[1000];
            for (int i = 0; i < v.length; i++) v[i] = i * 0.5f - 7;
            Tensor t = onDevice(dev, v);
            c.allReduceSum(t);
            check(Arrays.equals(v, t.toFloatArray()), "ncclCommInitAll(1 GPU): float all-reduce of 1 rank is the identity", out, failed);
            double[] d = c.allReduceSum(new double[] {1.5, -2, 1e300});
            check(Arrays.equals(new double[] {1.5, -2, 1e300}, d), "double all-reduce (loss normalisers) through the device", out, failed);
            double[][] g = c.allGather(new double[] {3, 4, 5});
            check(g.length == 1 && Arrays.equals(g[0], new double[] {3, 4, 5}), "all-gather (evaluation) built on the all-reduce", out, failed);
            Tensor b = onDevice(dev, new float[] {9, 8, 7});
            c.broadcast(b, 0);
            check(Arrays.equals(new float[] {9, 8, 7}, b.toFloatArray()), "broadcast from rank 0", out, failed);
            c.barrier();
        }
    }

    private static void checkRendezvousInit(Device dev, PrintStream out, List<String> failed) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        InetSocketAddress master = Rendezvous.parseMaster("127.0.0.1:" + port);
        byte[] id = NcclCommunicator.newUniqueId();
        CompletableFuture<byte[]> node1 = CompletableFuture.supplyAsync(
                () -> Rendezvous.exchange(master, 2, 1, 1, () -> null, Duration.ofSeconds(30)));
        byte[] atNode0 = Rendezvous.exchange(master, 2, 0, 1, () -> id, Duration.ofSeconds(30));
        byte[] received = node1.get();
        check(Arrays.equals(atNode0, received) && Arrays.equals(id, received), "rendezvous: the 128-byte NCCL unique id reached node 1 intact",
                out, failed);
        try (NcclCommunicator c = NcclCommunicator.initRank(received, 1, 0, dev, Duration.ofMinutes(2))) {
            Tensor t = onDevice(dev, new float[] {1, 2, 3});
            c.allReduceSum(t);
            check(Arrays.equals(new float[] {1, 2, 3}, t.toFloatArray()), "ncclCommInitRank with the exchanged id: all-reduce works", out, failed);
        }
    }

    private static double median(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void timeAllReduce(Device dev, int floats, int reps, PrintStream out) {
        List<NcclCommunicator> comms = NcclCommunicator.initAll(List.of(dev), Duration.ofMinutes(2));
        try (NcclCommunicator c = comms.get(0)) {
            Tensor t = Tensor.zeros(dev, floats);
            double[] ms = new double[reps];
            for (int r = -3; r < reps; r++) {
                CudaInterop.synchronize(dev);
                long t0 = System.nanoTime();
                c.allReduceSumAsync(t).await();
                c.synchronize();
                CudaInterop.synchronize(dev);
                if (r >= 0) ms[r] = (System.nanoTime() - t0) / 1e6;
            }
            double med = median(ms);
            out.printf(Locale.ROOT, "TIME all-reduce of %,d floats (%.1f MB), 1 rank: median %.3f ms (min %.3f, max %.3f) over %d reps"
                            + " = %.1f GB/s of buffer%n", floats, floats * 4e-6, med, Arrays.stream(ms).min().orElse(0),
                    Arrays.stream(ms).max().orElse(0), reps, floats * 4e-6 / med);
        }
    }

    private static void timeBuckets(Device dev, int reps, PrintStream out, List<String> failed) {
        Config cfg = ConfigLoader.loadNamed("autoassign_r50-caffe_fpn_1x_coco", List.of());
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        model.to(dev);
        List<Tensor> params = new ArrayList<>();
        long total = 0;
        for (Tensor t : model.namedParameters().values()) {
            if (t.requiresGrad()) {
                params.add(t);
                total += t.numel();
            }
        }
        out.printf(Locale.ROOT, "R50 model: %,d trainable tensors, %,d floats (%.1f MB of gradients)%n", params.size(), total, total * 4e-6);
        check(total == R50_GRADIENT_FLOATS, "R50 trainable floats = " + R50_GRADIENT_FLOATS, out, failed);
        List<NcclCommunicator> comms = NcclCommunicator.initAll(List.of(dev), Duration.ofMinutes(2));
        try (NcclCommunicator c = comms.get(0)) {
            GradientBuckets buckets = new GradientBuckets(c, params, GradientBuckets.DEFAULT_BUCKET_BYTES);
            out.println("buckets (floats, all-reduced in this order): " + Arrays.toString(buckets.bucketSizes()));
            List<Tensor> grads = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                float[] g = new float[params.get(i).numel()];
                for (int k = 0; k < g.length; k++) g[k] = (float) Math.sin(0.001 * k + i);
                grads.add(Backends.of(dev).fromHost(g, params.get(i).shape()));
            }
            double[] ms = new double[reps];
            for (int r = -3; r < reps; r++) {
                for (int i = 0; i < params.size(); i++) params.get(i).setGrad(grads.get(i));
                CudaInterop.synchronize(dev);
                long t0 = System.nanoTime();
                buckets.beginStep();
                for (int i = params.size() - 1; i >= 0; i--) buckets.onGradReady(params.get(i)); // as the backward does
                buckets.finish();
                CudaInterop.synchronize(dev);
                if (r >= 0) ms[r] = (System.nanoTime() - t0) / 1e6;
            }
            boolean same = true;
            for (int i = 0; i < params.size() && same; i += 7)
                same = Arrays.equals(grads.get(i).toFloatArray(), params.get(i).grad().toFloatArray());
            check(same, "bucketed gradient average of 1 rank returns the gradients unchanged", out, failed);
            out.printf(Locale.ROOT, "TIME bucketed gradient all-reduce of a step (%d buckets, copy in + NCCL + average + copy out), 1 rank:"
                    + " median %.3f ms over %d reps%n", buckets.bucketCount(), median(ms), reps);
        }
        for (Tensor t : model.stateDict().values()) t.releaseStorage();
    }

    private static void trainOneEpoch(Path work, PrintStream out, List<String> failed) throws Exception {
        Files.createDirectories(work);
        Config cfg = ConfigLoader.loadNamed("autoassign_tiny_synthetic", List.of());
        TrainOptions opt = new TrainOptions(work.resolve("data").toString(), 1, null, null, work.resolve("run"), 0L, "cuda",
                null, null, false, null, 2);
        long t0 = System.nanoTime();
        Trainer.Result r = DataParallelTrainer.run(cfg, opt, DistOptions.gpus(1), out);
        double s = (System.nanoTime() - t0) / 1e9;
        check(!r.stoppedEarly() && r.epochsDone() == 1 && Double.isFinite(r.lastLoss()) && r.lastEval() != null
                        && Files.isRegularFile(work.resolve("run/epoch_1.safetensors")),
                String.format(Locale.ROOT, "train --gpus 1 (NCCL), tiny config, 1 epoch: %d iterations, last loss %.4f, mAP %.3f, %.1f s",
                        r.iterations(), r.lastLoss(), r.lastEval() == null || r.lastEval().metrics().isEmpty() ? Double.NaN : r.lastEval().metrics().values().iterator().next(), s), out, failed);
    }
}
