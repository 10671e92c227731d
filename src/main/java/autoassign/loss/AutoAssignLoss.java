package autoassign.loss;

import autoassign.autograd.Graph;
import autoassign.backend.Backends;
import autoassign.backend.FusedAutoAssignLoss;
import autoassign.tensor.Device;
import autoassign.tensor.Tensor;

/**
 * The AutoAssign loss as a differentiable op on the autograd tape: per-level head outputs in, the
 * three one-element losses out. The backward gives gradients for the five tensor inputs (cls logits,
 * distances, objectness logits, center-prior μ and σ), so the head and the center prior train
 * through it. The math is {@link AutoAssignLossOp} (spec AA_3).
 *
 * <p>Inputs per level {@code l}: {@code cls [B,C,h,w]}, {@code bbox [B,4,h,w]} (distances in pixels,
 * already {@code max(raw·scale,0)·stride}), {@code obj [B,1,h,w]}; {@code mean}, {@code sigma}
 * {@code [C,2]}.
 *
 * <p>Two paths, same values: when the inputs live on a device whose backend has a
 * {@link FusedAutoAssignLoss} (CUDA with the native loss kernels), forward and backward run there and only
 * per-image partial sums and the three upstream gradients cross to the host (the normalisers are formed
 * here, through the {@link LossReducer}); otherwise the head outputs are copied to the host and
 * {@link AutoAssignLossOp} runs, its backward recomputing the loss fused with its gradient (one extra
 * forward, cheaper than keeping the per-cell state alive between forward and backward). A non-finite input
 * on the device path falls back to the host path, which names it.
 */
public final class AutoAssignLoss {
    private AutoAssignLoss() {}

    /** The three losses (each a one-element tensor, {@code [1]}), recorded together on the tape. */
    public record Losses(Tensor pos, Tensor neg, Tensor center, AutoAssignLossOp.Result details) {
        public double total() {
            return posValue() + negValue() + centerValue();
        }

        /** {@code pos.item()} without reading the device: the value the loss formed on the host. */
        public double posValue() { return details != null ? (double) (float) details.lossPos : pos.item(); }

        /** {@code neg.item()}, read on the host (see {@link #posValue}). */
        public double negValue() { return details != null ? (double) (float) details.lossNeg : neg.item(); }

        /** {@code center.item()}, read on the host (see {@link #posValue}). */
        public double centerValue() { return details != null ? (double) (float) details.lossCenter : center.item(); }
    }

    /** Single worker. */
    public static Losses apply(Tensor[] cls, Tensor[] bbox, Tensor[] obj, Tensor mean, Tensor sigma,
                               GroundTruth[] gts, int[] strides) {
        return apply(cls, bbox, obj, mean, sigma, gts, strides, LossReducer.IDENTITY);
    }

    public static Losses apply(Tensor[] cls, Tensor[] bbox, Tensor[] obj, Tensor mean, Tensor sigma,
                               GroundTruth[] gts, int[] strides, LossReducer reducer) {
        int levels = strides.length;
        if (cls.length != levels || bbox.length != levels || obj.length != levels)
            throw new IllegalArgumentException("AutoAssignLoss: " + cls.length + " cls, " + bbox.length + " bbox, "
                    + obj.length + " objectness levels for " + levels + " strides");
        int batch = gts.length;
        int numClasses = cls[0].dim(1);
        int[][] sizes = new int[levels][];
        for (int l = 0; l < levels; l++) {
            checkShape("cls_scores", l, cls[l], batch, numClasses);
            int h = cls[l].dim(2), w = cls[l].dim(3);
            checkShape("bbox_preds", l, bbox[l], batch, 4, h, w);
            checkShape("objectnesses", l, obj[l], batch, 1, h, w);
            sizes[l] = new int[] {h, w};
        }
        if (mean.numel() != numClasses * 2 || sigma.numel() != numClasses * 2)
            throw new IllegalArgumentException("AutoAssignLoss: center prior mean/sigma must be [" + numClasses + ",2], got "
                    + mean + " / " + sigma);
        PointGrid grid = PointGrid.of(sizes, strides);
        FusedAutoAssignLoss fused = fusedOp(cls, bbox, obj, mean, sigma, gts, numClasses);
        if (fused != null) {
            Losses l = applyFused(fused, grid, cls, bbox, obj, mean, sigma, gts, reducer);
            if (l != null) return l;
        }
        return applyHost(grid, cls, bbox, obj, mean, sigma, gts, reducer);
    }

    /**
     * The device's fused loss when every input lives on one device that has it and the inputs suit it (C within
     * its limit, at least one image, well-formed ground truth); else null: the host path, which also names bad
     * ground truth exactly as the reference op does.
     */
    private static FusedAutoAssignLoss fusedOp(Tensor[] cls, Tensor[] bbox, Tensor[] obj, Tensor mean, Tensor sigma,
                                               GroundTruth[] gts, int numClasses) {
        Device dev = cls[0].device();
        if (dev.isCpu() || gts.length == 0) return null;
        for (Tensor[] ts : new Tensor[][] {cls, bbox, obj, {mean, sigma}})
            for (Tensor t : ts) if (!t.device().equals(dev)) return null;
        FusedAutoAssignLoss op = Backends.of(dev).fusedAutoAssignLoss();
        if (op == null || numClasses > op.maxClasses()) return null;
        for (GroundTruth gt : gts) {
            if (gt == null) return null;
            for (float v : gt.boxes()) if (!Float.isFinite(v)) return null;
            for (int lab : gt.labels()) if (lab < 0 || lab >= numClasses) return null;
        }
        return op;
    }

    /**
     * The loss with the device's fused op: per-image partial sums from the device, the normalisers through the
     * reducer on the host (AA_3 §7, the same values and the same single reducer call as
     * {@link AutoAssignLossOp}), the backward on the device. Returns null, having called nothing else, when an
     * input is not finite: the host path then fails with the reference op's message.
     */
    static Losses applyFused(FusedAutoAssignLoss op, PointGrid grid, Tensor[] cls, Tensor[] bbox, Tensor[] obj,
                             Tensor mean, Tensor sigma, GroundTruth[] gts, LossReducer reducer) {
        int nImg = gts.length;
        float[][] boxes = new float[nImg][];
        int[][] labels = new int[nImg][];
        for (int i = 0; i < nImg; i++) {
            GroundTruth t = gts[i].targets();   // crowd boxes are not targets
            boxes[i] = t.boxes();
            labels[i] = t.labels();
        }
        FusedAutoAssignLoss.Forward f = op.forward(cls, bbox, obj, mean, sigma, grid.packed(), boxes, labels);
        if (!f.inputsFinite()) {
            f.release();
            return null;
        }
        AutoAssignLossOp.Result r = new AutoAssignLossOp.Result();
        r.sumCenterPrior = new double[nImg];
        r.insidePairs = new int[nImg];
        r.numGts = new int[nImg];
        int localGt = 0;
        double localC = 0, sumPos = 0, sumNeg = 0, sumZ = 0;
        for (int i = 0; i < nImg; i++) {
            double[] st = f.stats(i);
            r.sumCenterPrior[i] = st[FusedAutoAssignLoss.SUM_CENTER_PRIOR];
            r.insidePairs[i] = (int) st[FusedAutoAssignLoss.INSIDE_PAIRS];
            r.numGts[i] = labels[i].length;
            localGt += labels[i].length;
            localC += st[FusedAutoAssignLoss.SUM_CENTER_PRIOR];
            sumPos += st[FusedAutoAssignLoss.LPOS];
            sumNeg += st[FusedAutoAssignLoss.LNEG];
            sumZ += st[FusedAutoAssignLoss.Z];
        }
        double[] red = reducer.mean(localGt, localC);
        double posNorm = Math.max(red[0], 1.0), negNorm = Math.max(red[1], 1.0);
        boolean noGt = localGt == 0;   // AA_3 §8: loss_pos, loss_center are graph-connected zeros
        r.posNorm = posNorm;
        r.negNorm = negNorm;
        r.lossPos = noGt ? 0.0 : sumPos / posNorm;
        r.lossNeg = sumNeg / negNorm;
        r.lossCenter = noGt ? 0.0 : LossKernels.CENTER_WEIGHT * sumZ / nImg;
        Tensor pos = Tensor.scalar((float) r.lossPos).to(mean.device());
        Tensor neg = Tensor.scalar((float) r.lossNeg).to(mean.device());
        Tensor center = Tensor.scalar((float) r.lossCenter).to(mean.device());

        Tensor[] inputs = inputs(cls, bbox, obj, mean, sigma);
        if (!Graph.needsGrad(inputs)) {
            f.release();
            return new Losses(pos, neg, center, r);
        }
        Graph.record(inputs, new Tensor[] {pos, neg, center}, g -> {
            double[] up = upstream(g);
            double gPos = up[0], gNeg = up[1], gCenter = up[2];
            // d total / d Lpos_i, d Lneg_i, d z_i (AA_3 §7; §8: no positive or center gradient without GTs)
            float wpos = noGt ? 0f : (float) (gPos / posNorm);
            float wneg = (float) (gNeg / negNorm);
            float wctr = noGt ? 0f : (float) (gCenter * LossKernels.CENTER_WEIGHT / nImg);
            boolean[] wanted = new boolean[inputs.length];
            for (int k = 0; k < inputs.length; k++) wanted[k] = inputs[k].requiresGrad();
            return op.backward(f, wpos, wneg, wctr, wanted);
        });
        return new Losses(pos, neg, center, r);
    }

    /** The three upstream gradients as host values; one device read per distinct tensor (one sync, not three). */
    private static double[] upstream(Tensor[] g) {
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            if (g[i] == null) continue;
            int same = -1;
            for (int k = 0; k < i; k++) if (g[k] == g[i]) same = k;
            v[i] = same >= 0 ? v[same] : g[i].item();
        }
        return v;
    }

    /** Inputs in the tape's order: cls per level, bbox per level, obj per level, mean, sigma. */
    private static Tensor[] inputs(Tensor[] cls, Tensor[] bbox, Tensor[] obj, Tensor mean, Tensor sigma) {
        int levels = cls.length;
        Tensor[] inputs = new Tensor[3 * levels + 2];
        System.arraycopy(cls, 0, inputs, 0, levels);
        System.arraycopy(bbox, 0, inputs, levels, levels);
        System.arraycopy(obj, 0, inputs, 2 * levels, levels);
        inputs[3 * levels] = mean;
        inputs[3 * levels + 1] = sigma;
        return inputs;
    }

    /** The reference path: host copies, {@link AutoAssignLossOp}, gradients copied back to the inputs' devices. */
    private static Losses applyHost(PointGrid grid, Tensor[] cls, Tensor[] bbox, Tensor[] obj, Tensor mean,
                                    Tensor sigma, GroundTruth[] gts, LossReducer reducer) {
        int levels = cls.length, batch = gts.length, numClasses = cls[0].dim(1);
        AutoAssignLossOp.Batch b = new AutoAssignLossOp.Batch(grid, numClasses,
                grid.levelsToImages(host(cls), batch, numClasses),
                grid.levelsToImages(host(bbox), batch, 4),
                grid.levelsToImages(host(obj), batch, 1),
                mean.toFloatArray(), sigma.toFloatArray(), gts);
        AutoAssignLossOp.Result r = AutoAssignLossOp.forward(b, reducer);
        Tensor pos = Tensor.scalar((float) r.lossPos).to(mean.device());
        Tensor neg = Tensor.scalar((float) r.lossNeg).to(mean.device());
        Tensor center = Tensor.scalar((float) r.lossCenter).to(mean.device());

        Tensor[] inputs = inputs(cls, bbox, obj, mean, sigma);
        Graph.record(inputs, new Tensor[] {pos, neg, center}, g -> {
            double[] up = upstream(g);
            double gPos = up[0], gNeg = up[1], gCenter = up[2];
            AutoAssignLossOp.Result rb = AutoAssignLossOp.forwardBackward(b, reducer, gPos, gNeg, gCenter);
            Tensor[] out = new Tensor[inputs.length];
            float[][] gc = grid.imagesToLevels(rb.gradCls, numClasses);
            float[][] gd = grid.imagesToLevels(rb.gradDist, 4);
            float[][] go = grid.imagesToLevels(rb.gradObj, 1);
            for (int l = 0; l < levels; l++) {
                out[l] = like(cls[l], gc[l]);
                out[levels + l] = like(bbox[l], gd[l]);
                out[2 * levels + l] = like(obj[l], go[l]);
            }
            out[3 * levels] = like(mean, rb.gradMean);
            out[3 * levels + 1] = like(sigma, rb.gradSigma);
            return out;
        });
        return new Losses(pos, neg, center, r);
    }

    private static Tensor like(Tensor t, float[] values) {
        return t.requiresGrad() ? Tensor.of(values, t.shape()).to(t.device()) : null;
    }

    private static float[][] host(Tensor[] ts) {
        float[][] out = new float[ts.length][];
        for (int l = 0; l < ts.length; l++) out[l] = ts[l].isCpu() ? ts[l].data() : ts[l].toFloatArray();
        return out;
    }

    private static void checkShape(String what, int level, Tensor t, int batch, int channels, int... hw) {
        int[] s = t.shape();
        boolean ok = s.length == 4 && s[0] == batch && s[1] == channels && (hw.length == 0 || (s[2] == hw[0] && s[3] == hw[1]));
        if (!ok) throw new IllegalArgumentException("AutoAssignLoss: " + what + " level " + level + " has shape " + t
                + ", expected [" + batch + "," + channels + (hw.length == 0 ? ",h,w]" : "," + hw[0] + "," + hw[1] + "]"));
    }
}
