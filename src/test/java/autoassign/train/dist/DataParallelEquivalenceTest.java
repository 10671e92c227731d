package autoassign.train.dist;

import autoassign.config.Config;
import autoassign.data.Batch;
import autoassign.data.CocoDataset;
import autoassign.data.DataIssues;
import autoassign.data.DataLoader;
import autoassign.data.LoaderOptions;
import autoassign.loss.AutoAssignLoss;
import autoassign.loss.LossReducer;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HeadOutputs;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;
import autoassign.train.DataSources;
import autoassign.train.DistTestSupport;
import autoassign.train.Optimizer;
import autoassign.train.Sgd;
import autoassign.train.Trainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AA_3 §9: 2 workers × batch 1 (normalisers all-reduced, gradients averaged in buckets) compute the same
 * gradients, losses and — after a few SGD steps — the same weights as 1 worker × batch 2. The images all have
 * one size, so each batch is padded alike; GN is per image and the BN frozen, so nothing else couples images.
 */
class DataParallelEquivalenceTest {
    @TempDir static Path tmp;
    static Config cfg;
    /** Batch 2 of the single worker, step k; and the batch 1 of rank r at step k. */
    static List<Batch> pairs = new ArrayList<>();
    static List<Batch[]> singles = new ArrayList<>();
    static final int STEPS = 3;
    /** Tiny buckets: the tiny model's gradients spread over many, so several all-reduces overlap the backward. */
    static final long BUCKET_BYTES = 64 << 10;

    @BeforeAll
    static void data() throws Exception {
        cfg = DistTestSupport.tinyFixedSize(tmp, 2);
        CocoDataset ds = DataSources.load(cfg, true, tmp.resolve("data").toString(), new DataIssues("test", s -> {}, 0));
        long seed = 3;
        try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(2, seed, 0));
             DataLoader.Epoch e = dl.epoch(0)) {
            for (int k = 0; k < STEPS; k++) pairs.add(e.next());
        }
        List<List<Batch>> perRank = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            List<Batch> mine = new ArrayList<>();
            try (DataLoader dl = new DataLoader(ds, DataSources.trainPipeline(cfg), LoaderOptions.train(1, seed, 0).withShard(r, 2));
                 DataLoader.Epoch e = dl.epoch(0)) {
                for (int k = 0; k < STEPS; k++) mine.add(e.next());
            }
            perRank.add(mine);
        }
        for (int k = 0; k < STEPS; k++) {
            singles.add(new Batch[] {perRank.get(0).get(k), perRank.get(1).get(k)});
            // the shards interleave the single worker's order: rank r's k-th image is its batch k's image r
            Batch p = pairs.get(k);
            for (int r = 0; r < 2; r++) {
                assertEquals(p.metas().get(r).imageId(), singles.get(k)[r].metas().get(0).imageId(), "step " + k + " rank " + r);
                assertArrayEquals(slice(p.toTensor().data(), r, 2), singles.get(k)[r].toTensor().data(), 0f, "pixels, step " + k);
            }
        }
    }

    private static float[] slice(float[] batch, int i, int n) {
        int per = batch.length / n;
        return java.util.Arrays.copyOfRange(batch, i * per, (i + 1) * per);
    }

    /** Forward, loss with the given reducer, backward (through the buckets when given); the gradients by name. */
    static Map<String, float[]> gradients(AutoAssignDetector model, Batch batch, LossReducer reducer, GradientBuckets buckets) {
        HeadOutputs o = model.forward(batch.toTensor());
        AutoAssignLoss.Losses l = AutoAssignLoss.apply(o.clsLogitsArray(), o.distancesArray(), o.objLogitsArray(),
                model.centerPrior().mean, model.centerPrior().sigma, Trainer.targets(batch), o.strides(), reducer);
        Trainer.backward(l, buckets);
        Map<String, float[]> g = new LinkedHashMap<>();
        model.namedParameters().forEach((n, t) -> {
            if (t.requiresGrad()) {
                g.put(n, t.grad() == null ? null : t.grad().toFloatArray());
                t.setGrad(null);
            }
        });
        return g;
    }

    static List<Tensor> trainable(AutoAssignDetector m) {
        List<Tensor> out = new ArrayList<>();
        m.namedParameters().forEach((n, t) -> { if (t.requiresGrad()) out.add(t); });
        return out;
    }

    /** Runs {@code body} on 2 threads, rank r with its communicator; results by rank. */
    static <T> List<T> twoWorkers(java.util.function.BiFunction<Integer, InProcessCommunicator, T> body) throws Exception {
        List<InProcessCommunicator> comms = InProcessCommunicator.create(2, Duration.ofSeconds(60));
        return InProcessCommunicatorTest.onRanks(comms, r -> () -> body.apply(r, comms.get(r)));
    }

    /** max |a − b| / max(max |a|, 1e-3) over all tensors, and the name of the worst. */
    static double maxRelDiff(Map<String, float[]> a, Map<String, float[]> b, String[] worst) {
        assertEquals(a.keySet(), b.keySet());
        double maxRel = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k), y = b.get(k);
            assertTrue(x != null && y != null, k + " has no gradient");
            double scale = 1e-3, diff = 0;
            for (int i = 0; i < x.length; i++) {
                scale = Math.max(scale, Math.abs(x[i]));
                diff = Math.max(diff, Math.abs(x[i] - y[i]));
            }
            if (diff / scale > maxRel) {
                maxRel = diff / scale;
                worst[0] = k;
            }
        }
        return maxRel;
    }

    @Test
    void twoWorkersOfBatchOneGiveTheGradientsOfOneWorkerOfBatchTwo() throws Exception {
        AutoAssignDetector single = new AutoAssignDetector(cfg.model(), 0);
        Map<String, float[]> ref = gradients(single, pairs.get(0), LossReducer.IDENTITY, null);
        List<Map<String, float[]>> dist = twoWorkers((r, c) -> {
            AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
            GradientBuckets b = new GradientBuckets(c, trainable(m), BUCKET_BYTES);
            assertTrue(b.bucketCount() > 3, "buckets: " + b.bucketCount());
            return gradients(m, singles.get(0)[r], c.lossReducer(), b);
        });
        String[] worst = {null};
        // the same averaged gradient on both workers, bit for bit
        assertEquals(0.0, maxRelDiff(dist.get(0), dist.get(1), worst), "workers differ at " + worst[0]);
        double rel = maxRelDiff(ref, dist.get(0), worst);
        System.out.printf("2x1 vs 1x2 gradients: max rel. diff %.3g at %s%n", rel, worst[0]);
        assertTrue(rel < 2e-5, "2×1 vs 1×2 gradients: max rel. diff " + rel + " at " + worst[0]);

        // the check can fail: without the normalisers' all-reduce (each worker normalising by its own image),
        // the averaged gradient is a different one
        List<Map<String, float[]>> local = twoWorkers((r, c) -> {
            AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
            return gradients(m, singles.get(0)[r], LossReducer.IDENTITY, new GradientBuckets(c, trainable(m), BUCKET_BYTES));
        });
        double off = maxRelDiff(ref, local.get(0), worst);
        System.out.printf("control, normalisers not reduced: max rel. diff %.3g at %s%n", off, worst[0]);
        assertTrue(off > 1e-3, "local normalisers should change the gradient, max rel. diff " + off);
    }

    @Test
    void weightsAndLossesAfterThreeSgdStepsMatch() throws Exception {
        float lr = 0.01f;
        AutoAssignDetector single = new AutoAssignDetector(cfg.model(), 0);
        Sgd sgd = new Sgd(groups(single), 0.9f);
        List<Trainer.StepLosses> refLosses = new ArrayList<>();
        for (int k = 0; k < STEPS; k++) refLosses.add(Trainer.step(single, sgd, pairs.get(k), Device.CPU, lr, null, null));

        List<Object[]> dist = twoWorkers((r, c) -> {
            AutoAssignDetector m = new AutoAssignDetector(cfg.model(), 0);
            Sgd s = new Sgd(groups(m), 0.9f);
            GradientBuckets b = new GradientBuckets(c, trainable(m), BUCKET_BYTES);
            List<Trainer.StepLosses> ls = new ArrayList<>();
            for (int k = 0; k < STEPS; k++) ls.add(Trainer.step(m, s, singles.get(k)[r], Device.CPU, lr, c, b));
            return new Object[] {weights(m), ls};
        });
        String[] worst = {null};
        @SuppressWarnings("unchecked") Map<String, float[]> w0 = (Map<String, float[]>) dist.get(0)[0];
        @SuppressWarnings("unchecked") Map<String, float[]> w1 = (Map<String, float[]>) dist.get(1)[0];
        assertEquals(0.0, maxRelDiff(w0, w1, worst), "the replicas drifted apart at " + worst[0]);
        double rel = maxRelDiff(weights(single), w0, worst);
        System.out.printf("2x1 vs 1x2 weights after %d steps: max rel. diff %.3g at %s%n", STEPS, rel, worst[0]);
        assertTrue(rel < 1e-5, "weights after " + STEPS + " steps: max rel. diff " + rel + " at " + worst[0]);
        @SuppressWarnings("unchecked") List<Trainer.StepLosses> ls = (List<Trainer.StepLosses>) dist.get(0)[1];
        for (int k = 0; k < STEPS; k++) {
            Trainer.StepLosses a = refLosses.get(k), b = ls.get(k);
            assertNull(b.badTerm());
            assertEquals(a.pos(), b.pos(), 1e-5 * Math.abs(a.pos()) + 1e-7, "loss_pos step " + k);
            assertEquals(a.neg(), b.neg(), 1e-5 * Math.abs(a.neg()) + 1e-7, "loss_neg step " + k);
            assertEquals(a.center(), b.center(), 1e-5 * Math.abs(a.center()) + 1e-7, "loss_center step " + k);
        }
        assertTrue(refLosses.get(STEPS - 1).total() != refLosses.get(0).total(), "the steps must train");
    }

    private static List<Optimizer.Group> groups(AutoAssignDetector m) {
        List<Optimizer.Group> g = new ArrayList<>();
        m.namedParameters().forEach((n, t) -> { if (t.requiresGrad()) g.add(new Optimizer.Group(n, t, 1e-4f)); });
        return g;
    }

    private static Map<String, float[]> weights(AutoAssignDetector m) {
        Map<String, float[]> w = new LinkedHashMap<>();
        m.namedParameters().forEach((n, t) -> { if (t.requiresGrad()) w.put(n, t.toFloatArray()); });
        return w;
    }
}
