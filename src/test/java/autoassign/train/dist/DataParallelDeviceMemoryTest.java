package autoassign.train.dist;

import autoassign.backend.CheckedDeviceBackend;
import autoassign.config.Config;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.model.AutoAssignDetector;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.Module;
import autoassign.tensor.Device;
import autoassign.tensor.DeviceBuffer;
import autoassign.tensor.Tensor;
import autoassign.train.DataSources;
import autoassign.train.DistTestSupport;
import autoassign.train.Optimizer;
import autoassign.train.Sgd;
import autoassign.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-parallel steps (2 in-process workers, gradients averaged in buckets during the backward) on checked
 * stand-in devices ({@link CheckedDeviceBackend}) equal the same run on the CPU exactly, use no released buffer,
 * and leave only persistent device buffers: model state, momentum, frozen-BN caches and the gradient buckets.
 */
class DataParallelDeviceMemoryTest {
    @TempDir Path tmp;
    static final int STEPS = 2;
    static final long BUCKET_BYTES = 64 << 10;

    /** An in-process communicator whose tensors live on {@code device} (it moves values through host copies). */
    static Communicator on(Device device, InProcessCommunicator c) {
        return new Communicator() {
            @Override public int rank() { return c.rank(); }
            @Override public int worldSize() { return c.worldSize(); }
            @Override public Device device() { return device; }
            @Override public Pending allReduceSumAsync(Tensor t) { return c.allReduceSumAsync(t); }
            @Override public double[] allReduceSum(double[] values) { return c.allReduceSum(values); }
            @Override public void broadcast(Tensor t, int root) { c.broadcast(t, root); }
            @Override public void abort(Throwable cause) { c.abort(cause); }
            @Override public void close() { c.close(); }
        };
    }

    record Run(List<Trainer.StepLosses> losses, Map<String, Tensor> state, int live, int persistent) {}

    static int frozenBns(Module m) {
        int n = m instanceof BatchNorm2d ? 1 : 0;
        for (Module c : m.children().values()) n += frozenBns(c);
        return n;
    }

    private static List<Run> run(Config cfg, List<Batch[]> batches, CheckedDeviceBackend[] devs) throws Exception {
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofSeconds(60));
        return InProcessCommunicatorTest.onRanks(comms, r -> () -> {
            Device d = devs == null ? Device.CPU : devs[r].device();
            Communicator c = devs == null ? comms.get(r) : on(d, comms.get(r));
            AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
            m.to(d);
            List<Optimizer.Group> groups = new ArrayList<>();
            m.namedParameters().forEach((n, t) -> { if (t.requiresGrad()) groups.add(new Optimizer.Group(n, t, 1e-4f)); });
            Sgd sgd = new Sgd(groups, 0.9f);
            List<Tensor> trainable = new ArrayList<>();
            for (Optimizer.Group g : groups) trainable.add(g.param());
            GradientBuckets buckets = new GradientBuckets(c, trainable, BUCKET_BYTES);
            List<Trainer.StepLosses> ls = new ArrayList<>();
            for (Batch[] b : batches) ls.add(Trainer.step(m, sgd, b[r], d, 0.01f, c, buckets));
            Set<DeviceBuffer> persistent = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Tensor t : m.stateDict().values()) if (t.storageBuffer() != null) persistent.add(t.storageBuffer());
            for (Tensor t : sgd.state().values()) if (t.storageBuffer() != null) persistent.add(t.storageBuffer());
            int expected = devs == null ? 0 : persistent.size() + 2 * frozenBns(m) + buckets.bucketCount();
            Map<String, Tensor> state = new java.util.LinkedHashMap<>(m.stateDict());
            sgd.state().forEach((k, t) -> state.put("momentum." + k, t));
            return new Run(ls, state, devs == null ? 0 : devs[r].liveBuffers(), expected);
        });
    }

    @Test
    void twoWorkersOnDevicesEqualTwoWorkersOnTheCpu() throws Exception {
        Config cfg = DistTestSupport.tinyFixedSize(tmp, 2);
        CocoDataset ds = DataSources.load(cfg, true, tmp.resolve("data").toString(), new DataIssues("test", s -> {}, 0));
        List<Batch[]> batches = new ArrayList<>();
        List<List<Batch>> perRank = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            List<Batch> mine = new ArrayList<>();
            try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(1, 3, 0).withShard(r, 2));
                 DataLoader.Epoch e = dl.epoch(0)) {
                for (int k = 0; k < STEPS; k++) mine.add(e.next());
            }
            perRank.add(mine);
        }
        for (int k = 0; k < STEPS; k++) batches.add(new Batch[] {perRank.get(0).get(k), perRank.get(1).get(k)});

        List<Run> cpu = run(cfg, batches, null);
        CheckedDeviceBackend[] devs = {CheckedDeviceBackend.install(95), CheckedDeviceBackend.install(96)};
        try {
            List<Run> dev = run(cfg, batches, devs);
            for (int r = 0; r < 2; r++) {
                assertTrue(devs[r].violations().isEmpty(), "rank " + r + ": " + devs[r].violations());
                assertEquals(dev.get(r).persistent(), dev.get(r).live(), "rank " + r + ": live device buffers after the steps");
                for (int k = 0; k < STEPS; k++) {
                    Trainer.StepLosses a = cpu.get(r).losses().get(k), b = dev.get(r).losses().get(k);
                    assertNull(b.badTerm());
                    assertEquals(a.pos(), b.pos(), 1e-6 * Math.max(1e-3, Math.abs(a.pos())), "loss_pos rank " + r + " step " + k);
                    assertEquals(a.neg(), b.neg(), 1e-6 * Math.max(1e-3, Math.abs(a.neg())), "loss_neg rank " + r + " step " + k);
                    assertEquals(a.center(), b.center(), 1e-6 * Math.max(1e-3, Math.abs(a.center())), "loss_center rank " + r + " step " + k);
                }
                Map<String, Tensor> want = cpu.get(r).state(), got = dev.get(r).state();
                assertEquals(want.keySet(), got.keySet());
                for (String n : want.keySet())
                    close(want.get(n).toFloatArray(), got.get(n).toFloatArray(), "rank " + r + " " + n);
            }
        } finally {
            for (CheckedDeviceBackend d : devs) d.close();
        }
    }

    /**
     * Equal up to float rounding: the CPU backend's vectorised reductions may round differently once the JIT
     * has compiled them (the same math on the same values otherwise); a released buffer reused would differ grossly.
     */
    static void close(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], got[i], 1e-6f + 1e-5f * Math.abs(want[i]), what + " [" + i + "]");
    }
}
