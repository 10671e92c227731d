package autoassign.loss;

import autoassign.autograd.Graph;
import autoassign.backend.FusedAutoAssignLoss;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The device path of {@link AutoAssignLoss} (per-image partial sums from a {@link FusedAutoAssignLoss}, normalisers
 * through the reducer on the host, backward with per-image weights) without a GPU: a CPU stand-in for the kernels
 * gives the per-image sums of {@link AutoAssignLossOp} run on one image at a time, and the losses, the reducer call
 * and every gradient must equal the host path's. The kernels themselves are compared with the CPU op on a GPU
 * (CudaSelfCheck, CudaAutoAssignLossGpuTest).
 */
class AutoAssignLossFusedPathTest {
    static final int C = 6;
    static final int[] STRIDES = PointGrid.DEFAULT_STRIDES;

    @AfterEach
    void clearTape() { Graph.clear(); }

    /** AutoAssignLossOp image by image on CPU tensors, in the contract of FusedAutoAssignLoss. */
    static final class PerImageOp implements FusedAutoAssignLoss {
        int forwards, backwards;

        final class State implements Forward {
            PointGrid grid;
            AutoAssignLossOp.Batch[] images;
            double[][] stats;
            double[] posNorm, negNorm;
            int[][] clsShape, distShape, objShape;
            int[] meanShape;
            boolean finite = true, released;

            @Override public int images() { return images.length; }
            @Override public double[] stats(int i) { return stats[i].clone(); }
            @Override public boolean inputsFinite() { return finite; }
            @Override public void release() { released = true; }
        }

        @Override public int maxClasses() { return 256; }

        @Override
        public Forward forward(Tensor[] cls, Tensor[] dist, Tensor[] obj, Tensor mean, Tensor sigma, float[] points,
                               float[][] gtBoxes, int[][] gtLabels) {
            forwards++;
            int levels = cls.length, batch = cls[0].dim(0), numClasses = cls[0].dim(1);
            int[][] sizes = new int[levels][];
            int[] strides = new int[levels];
            int off = 0;
            State s = new State();
            s.clsShape = new int[levels][];
            s.distShape = new int[levels][];
            s.objShape = new int[levels][];
            for (int l = 0; l < levels; l++) {
                sizes[l] = new int[] {cls[l].dim(2), cls[l].dim(3)};
                strides[l] = (int) points[3 * off + 2];
                off += sizes[l][0] * sizes[l][1];
                s.clsShape[l] = cls[l].shape();
                s.distShape[l] = dist[l].shape();
                s.objShape[l] = obj[l].shape();
            }
            s.meanShape = mean.shape();
            s.grid = PointGrid.of(sizes, strides);
            assertEquals(3 * s.grid.numPoints(), points.length);
            for (int p = 0; p < s.grid.numPoints(); p++) {
                assertEquals(s.grid.x(p), points[3 * p]);
                assertEquals(s.grid.y(p), points[3 * p + 1]);
                assertEquals(s.grid.pointStride(p), points[3 * p + 2]);
            }
            float[][] c = host(cls), d = host(dist), o = host(obj);
            float[] m = mean.toFloatArray(), sg = sigma.toFloatArray();
            for (float[][] arrs : new float[][][] {c, d, o, {m, sg}})
                for (float[] a : arrs) for (float v : a) s.finite &= Float.isFinite(v);
            for (float v : sg) s.finite &= v != 0f;
            s.images = new AutoAssignLossOp.Batch[batch];
            s.stats = new double[batch][];
            s.posNorm = new double[batch];
            s.negNorm = new double[batch];
            if (!s.finite) return s;
            for (int i = 0; i < batch; i++) {
                s.images[i] = new AutoAssignLossOp.Batch(s.grid, numClasses,
                        new float[][] {s.grid.levelsToImage(c, batch, numClasses, i)},
                        new float[][] {s.grid.levelsToImage(d, batch, 4, i)},
                        new float[][] {s.grid.levelsToImage(o, batch, 1, i)}, m, sg,
                        new GroundTruth[] {new GroundTruth(gtBoxes[i], gtLabels[i])});
                AutoAssignLossOp.Result r = AutoAssignLossOp.forward(s.images[i], LossReducer.IDENTITY);
                s.posNorm[i] = r.posNorm;
                s.negNorm[i] = r.negNorm;
                s.stats[i] = new double[] {r.lossPos * r.posNorm, r.lossNeg * r.negNorm, r.sumCenterPrior[0],
                        gtLabels[i].length, r.insidePairs[0], r.lossCenter / LossKernels.CENTER_WEIGHT, 0, 0};
            }
            return s;
        }

        @Override
        public Tensor[] backward(Forward f, float wpos, float wneg, float wctr, boolean[] wanted) {
            backwards++;
            State s = (State) f;
            assertFalse(s.released, "backward after release");
            int batch = s.images.length, levels = s.clsShape.length;
            float[][] gc = new float[batch][], gd = new float[batch][], go = new float[batch][];
            float[] gm = new float[2 * C], gs = new float[2 * C];
            for (int i = 0; i < batch; i++) {
                AutoAssignLossOp.Result r = AutoAssignLossOp.forwardBackward(s.images[i], LossReducer.IDENTITY,
                        wpos * s.posNorm[i], wneg * s.negNorm[i], wctr / LossKernels.CENTER_WEIGHT);
                gc[i] = r.gradCls[0];
                gd[i] = r.gradDist[0];
                go[i] = r.gradObj[0];
                for (int k = 0; k < 2 * C; k++) {
                    gm[k] += r.gradMean[k];
                    gs[k] += r.gradSigma[k];
                }
            }
            float[][] lc = s.grid.imagesToLevels(gc, C), ld = s.grid.imagesToLevels(gd, 4), lo = s.grid.imagesToLevels(go, 1);
            Tensor[] out = new Tensor[3 * levels + 2];
            for (int l = 0; l < levels; l++) {
                if (wanted[l]) out[l] = Tensor.of(lc[l], s.clsShape[l]);
                if (wanted[levels + l]) out[levels + l] = Tensor.of(ld[l], s.distShape[l]);
                if (wanted[2 * levels + l]) out[2 * levels + l] = Tensor.of(lo[l], s.objShape[l]);
            }
            if (wanted[3 * levels]) out[3 * levels] = Tensor.of(gm, s.meanShape);
            if (wanted[3 * levels + 1]) out[3 * levels + 1] = Tensor.of(gs, s.meanShape);
            s.release();
            return out;
        }

        private static float[][] host(Tensor[] ts) {
            float[][] out = new float[ts.length][];
            for (int i = 0; i < ts.length; i++) out[i] = ts[i].toFloatArray();
            return out;
        }
    }

    /** Sums over a fake second worker that adds fixed amounts; records each call. */
    static final class FakeWorld implements LossReducer {
        final List<double[]> calls = new ArrayList<>();

        @Override public double[] sum(double... v) {
            calls.add(v.clone());
            return new double[] {v[0] + 5, v[1] + 37.5};
        }

        @Override public int worldSize() { return 2; }
    }

    record Inputs(PointGrid grid, Tensor[] cls, Tensor[] bbox, Tensor[] obj, Tensor mean, Tensor sigma, GroundTruth[] gts) {
        Tensor[] all() {
            List<Tensor> l = new ArrayList<>(Arrays.asList(cls));
            l.addAll(Arrays.asList(bbox));
            l.addAll(Arrays.asList(obj));
            l.add(mean);
            l.add(sigma);
            return l.toArray(new Tensor[0]);
        }
    }

    static Inputs inputs(long seed, GroundTruth[] gts, boolean meanGrad) {
        Random r = new Random(seed);
        PointGrid grid = PointGrid.forPaddedImage(128, 160, STRIDES);
        int batch = gts.length, levels = grid.numLevels();
        Tensor[] cls = new Tensor[levels], bbox = new Tensor[levels], obj = new Tensor[levels];
        for (int l = 0; l < levels; l++) {
            int h = grid.height(l), w = grid.width(l), s = grid.stride(l);
            float[] c = new float[batch * C * h * w], d = new float[batch * 4 * h * w], o = new float[batch * h * w];
            for (int i = 0; i < c.length; i++) c[i] = (float) (r.nextGaussian() * 1.5 - 3);
            for (int i = 0; i < d.length; i++) d[i] = r.nextFloat() < 0.05f ? 0f : s * (0.5f + 4f * r.nextFloat());
            for (int i = 0; i < o.length; i++) o[i] = (float) r.nextGaussian();
            cls[l] = Tensor.of(c, batch, C, h, w).setRequiresGrad(true);
            bbox[l] = Tensor.of(d, batch, 4, h, w).setRequiresGrad(true);
            obj[l] = Tensor.of(o, batch, 1, h, w).setRequiresGrad(true);
        }
        float[] m = new float[2 * C], sg = new float[2 * C];
        for (int k = 0; k < 2 * C; k++) {
            m[k] = (float) (r.nextFloat() * 0.6 - 0.3);
            sg[k] = 0.7f + 0.8f * r.nextFloat();
        }
        return new Inputs(grid, cls, bbox, obj, Tensor.of(m, C, 2).setRequiresGrad(meanGrad),
                Tensor.of(sg, C, 2).setRequiresGrad(true), gts);
    }

    static GroundTruth[] someGts() {
        return new GroundTruth[] {
                new GroundTruth(new float[] {10, 12, 90, 70, 40, 30, 150, 120, 30, 20, 100, 80, 60, 60, 61, 61},
                        new int[] {1, 3, 1, 2}),   // two overlapping boxes of class 1; a 1-pixel box without inside points
                GroundTruth.empty(),
                new GroundTruth(new float[] {0, 0, 160, 128, 5, 5, 60, 50}, new int[] {5, 0}, new boolean[] {false, true}),
        };
    }

    record Outcome(double pos, double neg, double center, float[][] grads, AutoAssignLossOp.Result details) {}

    static Outcome run(Inputs in, boolean fused, PerImageOp op, LossReducer reducer) {
        Tensor[] all = in.all();
        for (Tensor t : all) t.setGrad(null);
        AutoAssignLoss.Losses l = fused
                ? AutoAssignLoss.applyFused(op, in.grid(), in.cls(), in.bbox(), in.obj(), in.mean(), in.sigma(), in.gts(), reducer)
                : AutoAssignLoss.apply(in.cls(), in.bbox(), in.obj(), in.mean(), in.sigma(), in.gts(), STRIDES, reducer);
        assertNotNull(l);
        Graph.backward(new Tensor[] {l.pos(), l.neg(), l.center()},
                new Tensor[] {Tensor.scalar(1f), Tensor.scalar(0.5f), Tensor.scalar(2f)});
        float[][] g = new float[all.length][];
        for (int i = 0; i < all.length; i++) g[i] = all[i].grad() == null ? null : all[i].grad().toFloatArray();
        return new Outcome(l.pos().item(), l.neg().item(), l.center().item(), g, l.details());
    }

    static void assertSame(Outcome want, Outcome got) {
        assertEquals(want.pos, got.pos, 1e-6 * Math.max(1, Math.abs(want.pos)), "loss_pos");
        assertEquals(want.neg, got.neg, 1e-6 * Math.max(1, Math.abs(want.neg)), "loss_neg");
        assertEquals(want.center, got.center, 1e-6 * Math.max(1, Math.abs(want.center)), "loss_center");
        assertEquals(want.details.posNorm, got.details.posNorm, 0);
        assertEquals(want.details.negNorm, got.details.negNorm, 1e-9 * want.details.negNorm);
        assertArrayEquals(want.details.insidePairs, got.details.insidePairs);
        assertArrayEquals(want.details.numGts, got.details.numGts);
        assertArrayEquals(want.details.sumCenterPrior, got.details.sumCenterPrior, 1e-9);
        for (int i = 0; i < want.grads.length; i++) {
            if (want.grads[i] == null) {
                assertNull(got.grads[i], "input " + i + " has no gradient on the host path");
                continue;
            }
            assertNotNull(got.grads[i], "input " + i);
            double num = 0, den = 0;
            for (int k = 0; k < want.grads[i].length; k++) {
                num = Math.max(num, Math.abs(want.grads[i][k] - got.grads[i][k]));
                den = Math.max(den, Math.abs(want.grads[i][k]));
            }
            assertTrue(num <= 1e-5 * Math.max(den, 1e-6), "gradient of input " + i + ": max diff " + num + " (max " + den + ")");
        }
    }

    @Test
    void deviceContractGivesTheHostPathsLossesAndGradients() {
        Inputs in = inputs(1, someGts(), true);
        PerImageOp op = new PerImageOp();
        Outcome host = run(in, false, null, LossReducer.IDENTITY);
        Outcome dev = run(in, true, op, LossReducer.IDENTITY);
        assertEquals(1, op.forwards);
        assertEquals(1, op.backwards);
        assertSame(host, dev);
        assertTrue(host.details.insidePairs[0] > 0 && host.details.numGts[2] == 1, "crowd box dropped, pairs present");
    }

    @Test
    void normalisersGoThroughTheReducerOnce() {
        Inputs in = inputs(2, someGts(), true);
        FakeWorld hostWorld = new FakeWorld(), devWorld = new FakeWorld();
        Outcome host = run(in, false, null, hostWorld);
        Outcome dev = run(in, true, new PerImageOp(), devWorld);
        assertSame(host, dev);
        // the host op calls the reducer in forward and again in its recomputing backward; the device path once
        assertEquals(1, devWorld.calls.size());
        assertEquals(hostWorld.calls.get(0)[0], devWorld.calls.get(0)[0], 0);
        assertEquals(hostWorld.calls.get(0)[1], devWorld.calls.get(0)[1], 1e-9 * hostWorld.calls.get(0)[1]);
    }

    @Test
    void batchWithoutGroundTruth() {
        Inputs in = inputs(3, new GroundTruth[] {GroundTruth.empty(), GroundTruth.empty()}, true);
        Outcome host = run(in, false, null, LossReducer.IDENTITY);
        Outcome dev = run(in, true, new PerImageOp(), LossReducer.IDENTITY);
        assertSame(host, dev);
        assertEquals(0.0, dev.pos);
        assertEquals(0.0, dev.center);
    }

    @Test
    void inputsWithoutGradientGetNone() {
        Inputs in = inputs(4, someGts(), false);   // mean does not require a gradient
        Outcome host = run(in, false, null, LossReducer.IDENTITY);
        Outcome dev = run(in, true, new PerImageOp(), LossReducer.IDENTITY);
        assertSame(host, dev);
        assertNull(dev.grads[3 * STRIDES.length]);
    }

    @Test
    void noTapeReleasesTheState() {
        Inputs in = inputs(5, someGts(), true);
        PerImageOp op = new PerImageOp();
        AutoAssignLoss.Losses l;
        try (var g = Graph.noGrad()) {
            l = AutoAssignLoss.applyFused(op, in.grid(), in.cls(), in.bbox(), in.obj(), in.mean(), in.sigma(), in.gts(),
                    LossReducer.IDENTITY);
        }
        assertEquals(0, Graph.size());
        assertEquals(run(in, false, null, LossReducer.IDENTITY).neg, l.neg().item(), 1e-5);
    }

    @Test
    void nonFiniteInputLeavesItToTheHostPath() {
        Inputs in = inputs(6, someGts(), true);
        float[] o = in.obj()[2].data();
        o[3] = Float.NaN;
        FakeWorld world = new FakeWorld();
        assertNull(AutoAssignLoss.applyFused(new PerImageOp(), in.grid(), in.cls(), in.bbox(), in.obj(), in.mean(),
                in.sigma(), in.gts(), world));
        assertEquals(0, world.calls.size(), "no reducer call before the host path");
        assertEquals(0, Graph.size());
        var e = assertThrows(IllegalArgumentException.class, () -> AutoAssignLoss.apply(in.cls(), in.bbox(), in.obj(),
                in.mean(), in.sigma(), in.gts(), STRIDES, world));
        assertTrue(e.getMessage().endsWith(" is NaN"), e.getMessage());
    }
}
