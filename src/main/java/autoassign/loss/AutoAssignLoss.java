package autoassign.loss;

import autoassign.autograd.Graph;
import autoassign.tensor.Tensor;

/**
 * The AutoAssign loss as a differentiable op on the autograd tape: per-level head outputs in, the
 * three one-element losses out. The backward gives gradients for the five tensor inputs (cls logits,
 * distances, objectness logits, center-prior μ and σ), so the head and the center prior train
 * through it. The math is {@link AutoAssignLossOp} (spec AA_3).
 *
 * <p>Inputs per level {@code l}: {@code cls [B,C,h,w]}, {@code bbox [B,4,h,w]} (distances in pixels,
 * already {@code max(raw·scale,0)·stride}), {@code obj [B,1,h,w]}; {@code mean}, {@code sigma}
 * {@code [C,2]}. The backward recomputes the loss fused with its gradient (one extra forward, cheaper
 * than keeping the per-cell state alive between forward and backward).
 */
public final class AutoAssignLoss {
    private AutoAssignLoss() {}

    /** The three losses (each a one-element tensor, {@code [1]}), recorded together on the tape. */
    public record Losses(Tensor pos, Tensor neg, Tensor center, AutoAssignLossOp.Result details) {
        public double total() {
            return (double) pos.item() + neg.item() + center.item();
        }
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
        AutoAssignLossOp.Batch b = new AutoAssignLossOp.Batch(grid, numClasses,
                grid.levelsToImages(host(cls), batch, numClasses),
                grid.levelsToImages(host(bbox), batch, 4),
                grid.levelsToImages(host(obj), batch, 1),
                mean.toFloatArray(), sigma.toFloatArray(), gts);
        AutoAssignLossOp.Result r = AutoAssignLossOp.forward(b, reducer);
        Tensor pos = Tensor.scalar((float) r.lossPos).to(mean.device());
        Tensor neg = Tensor.scalar((float) r.lossNeg).to(mean.device());
        Tensor center = Tensor.scalar((float) r.lossCenter).to(mean.device());

        Tensor[] inputs = new Tensor[3 * levels + 2];
        System.arraycopy(cls, 0, inputs, 0, levels);
        System.arraycopy(bbox, 0, inputs, levels, levels);
        System.arraycopy(obj, 0, inputs, 2 * levels, levels);
        inputs[3 * levels] = mean;
        inputs[3 * levels + 1] = sigma;
        Graph.record(inputs, new Tensor[] {pos, neg, center}, g -> {
            double gPos = g[0] == null ? 0 : g[0].item();
            double gNeg = g[1] == null ? 0 : g[1].item();
            double gCenter = g[2] == null ? 0 : g[2].item();
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
