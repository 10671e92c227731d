package autoassign.loss;

import static autoassign.loss.LossKernels.CENTER_WEIGHT;
import static autoassign.loss.LossKernels.EPS;
import static autoassign.loss.LossKernels.GIOU_WEIGHT;
import static autoassign.loss.LossKernels.NEG_WEIGHT;
import static autoassign.loss.LossKernels.POS_WEIGHT;

import java.util.Arrays;

/**
 * The fused AutoAssign loss (spec AA_3) on plain float arrays, forward and hand-written backward.
 *
 * <p>Layout (image-major, see {@link PointGrid}): per image {@code cls [P,C]} logits,
 * {@code dist [P,4]} distances l,t,r,b in pixels (already {@code max(raw·scale,0)·stride}),
 * {@code obj [P]} logits; {@code mean}, {@code sigma} {@code [C,2]}; per image a {@link GroundTruth}
 * (crowd boxes are dropped). Outputs: {@code loss_pos, loss_neg, loss_center} and, on request, the
 * gradients of {@code gPos·loss_pos + gNeg·loss_neg + gCenter·loss_center} w.r.t. the five inputs.
 *
 * <p>Passes per image (the model of the CUDA kernel):
 * <ol>
 *   <li><b>assign</b>, per (GT, point) over the grid cells that can lie inside the box only:
 *       inside mask, center prior {@code C}; per inside point the max IoU over all GTs (no grad);
 *   <li>normalisers through the {@link LossReducer} (one all-reduce for the batch);
 *   <li><b>negative</b>, one pass over {@code [P,C]}: σ, {@code J}, {@code q = J·W}, {@code q²·BCE(q,0)}
 *       and, in the same pass, its gradient (written, not added);
 *   <li><b>positive</b>, per inside (GT, point) pair: GIoU, {@code S}, confidence weights, {@code R_g},
 *       then the closed-form backward into cls, obj, dist, μ, σ (added).
 * </ol>
 * The {@code P×C} work (pass 3) dominates; passes 1 and 4 touch only inside pairs (and IoU against all
 * GTs for inside points). Sums over points use double accumulators; per-element math is float32 in
 * {@link LossKernels}.
 */
public final class AutoAssignLossOp {
    private AutoAssignLossOp() {}

    /** The loss inputs of one batch (one data-parallel worker). */
    public record Batch(PointGrid points, int numClasses, float[][] cls, float[][] dist, float[][] obj,
                        float[] mean, float[] sigma, GroundTruth[] gts) {
        public int batchSize() {
            return gts.length;
        }
    }

    /** Losses, normalisers and (when requested) gradients. */
    public static final class Result {
        public double lossPos, lossNeg, lossCenter;
        /** Normalisers after the all-reduce and the clamp at 1. */
        public double posNorm, negNorm;
        /** Per image: Σ C (detached), number of inside (point, GT) pairs, number of GTs used. */
        public double[] sumCenterPrior;
        public int[] insidePairs, numGts;
        /** Gradients, image-major like the inputs; null after {@link #forward}. */
        public float[][] gradCls, gradDist, gradObj;
        public float[] gradMean, gradSigma;

        public double total() {
            return lossPos + lossNeg + lossCenter;
        }

        @Override public String toString() {
            return String.format("loss_pos=%.8g loss_neg=%.8g loss_center=%.8g", lossPos, lossNeg, lossCenter);
        }
    }

    /** Losses only. */
    public static Result forward(Batch batch, LossReducer reducer) {
        return run(batch, reducer, false, 0, 0, 0);
    }

    /**
     * Losses and the gradients of {@code gPos·loss_pos + gNeg·loss_neg + gCenter·loss_center}, in one
     * fused pass.
     */
    public static Result forwardBackward(Batch batch, LossReducer reducer, double gPos, double gNeg, double gCenter) {
        return run(batch, reducer, true, gPos, gNeg, gCenter);
    }

    // ======================================================================================= impl

    /** Per-image state of the assign pass. */
    private static final class Assigned {
        int numGt;
        float[] boxes;
        int[] labels;
        /** Pairs GT-major: pairs of GT g are {@code [pairStart[g], pairStart[g+1])}, points ascending. */
        int[] pairStart;
        int[] pairP, pairG;
        float[] pairC;
        int numPairs;
        /** Per point CSR of its pairs (GT ascending): {@code ptPairs[ptStart[p] .. ptStart[p+1])}. */
        int[] ptStart, ptPairs;
        /** Max IoU over all GTs, per pair (same value for all pairs of one point). */
        float[] pairIou;
        double sumC;
    }

    private static Result run(Batch b, LossReducer reducer, boolean grads, double gPos, double gNeg, double gCenter) {
        validate(b);
        PointGrid grid = b.points();
        int nImg = b.batchSize(), numClasses = b.numClasses();
        Assigned[] as = new Assigned[nImg];
        int localGt = 0;
        double localC = 0;
        for (int i = 0; i < nImg; i++) {
            as[i] = assign(grid, b.gts()[i].targets(), b.dist()[i], b.mean(), b.sigma(), numClasses);
            localGt += as[i].numGt;
            localC += as[i].sumC;
        }
        double[] red = reducer.mean(localGt, localC);
        double posNorm = Math.max(red[0], 1.0);
        double negNorm = Math.max(red[1], 1.0);
        boolean noGt = localGt == 0;

        Result r = new Result();
        r.posNorm = posNorm;
        r.negNorm = negNorm;
        r.sumCenterPrior = new double[nImg];
        r.insidePairs = new int[nImg];
        r.numGts = new int[nImg];
        int nPts = grid.numPoints();
        double[] gMean = null, gSigma = null;
        if (grads) {
            r.gradCls = new float[nImg][];
            r.gradDist = new float[nImg][];
            r.gradObj = new float[nImg][];
            gMean = new double[numClasses * 2];
            gSigma = new double[numClasses * 2];
        }
        float negScale = (float) (gNeg * NEG_WEIGHT / negNorm);
        float posScale = (float) (gPos / posNorm);
        double sumPos = 0, sumNeg = 0, sumCenter = 0;
        float[] wRow = new float[numClasses];
        Arrays.fill(wRow, 1f);
        for (int i = 0; i < nImg; i++) {
            Assigned a = as[i];
            r.sumCenterPrior[i] = a.sumC;
            r.insidePairs[i] = a.numPairs;
            r.numGts[i] = a.numGt;
            float[] gCls = null, gObj = null, gDist = null;
            if (grads) {
                gCls = r.gradCls[i] = new float[nPts * numClasses];
                gObj = r.gradObj[i] = new float[nPts];
                gDist = r.gradDist[i] = new float[nPts * 4];
            }
            float[] wneg = negativeWeights(a);
            sumNeg += negativePass(grid, b.cls()[i], b.obj()[i], numClasses, a, wneg, wRow, gCls, gObj, negScale, i);
            if (noGt) continue;   // AA_3 §8: loss_pos, loss_center are graph-connected zeros
            boolean anyInside = a.numPairs > 0;
            double z = 0;
            float dCcenter = 0f;
            if (anyInside) {
                double den = Math.max(a.sumC, EPS);
                z = a.numGt / den;
                if (a.sumC >= EPS)
                    dCcenter = (float) (-gCenter * CENTER_WEIGHT / nImg * a.numGt / (a.sumC * a.sumC));
            }
            sumCenter += z;
            sumPos += positivePass(grid, b.cls()[i], b.obj()[i], b.dist()[i], b.mean(), b.sigma(), numClasses, a,
                    grads, posScale, dCcenter, gCls, gObj, gDist, gMean, gSigma);
        }
        r.lossPos = sumPos / posNorm;
        r.lossNeg = sumNeg / negNorm;
        r.lossCenter = noGt ? 0.0 : CENTER_WEIGHT * sumCenter / nImg;
        if (grads) {
            r.gradMean = toFloat(gMean);
            r.gradSigma = toFloat(gSigma);
        }
        return r;
    }

    // ------------------------------------------------------------------------------ pass 1: assign

    private static Assigned assign(PointGrid grid, GroundTruth gt, float[] dist, float[] mean, float[] sigma,
                                   int numClasses) {
        Assigned a = new Assigned();
        int numGt = gt.size();
        a.numGt = numGt;
        a.boxes = gt.boxes();
        a.labels = gt.labels();
        a.pairStart = new int[numGt + 1];
        float[] px = grid.xs(), py = grid.ys(), ps = grid.strideOfPoint();
        int cap = 64;
        int[] pairP = new int[cap];
        float[] pairC = new float[cap];
        int n = 0;
        double sumC = 0;
        for (int g = 0; g < numGt; g++) {
            float x1 = a.boxes[4 * g], y1 = a.boxes[4 * g + 1], x2 = a.boxes[4 * g + 2], y2 = a.boxes[4 * g + 3];
            float cx = (x1 + x2) / 2f, cy = (y1 + y2) / 2f;
            int c = a.labels[g];
            float mux = mean[2 * c], muy = mean[2 * c + 1], sx = sigma[2 * c], sy = sigma[2 * c + 1];
            for (int l = 0; l < grid.numLevels(); l++) {
                int s = grid.stride(l), h = grid.height(l), w = grid.width(l), off = grid.offset(l);
                // candidate cells: a superset of the strict-inside ones, filtered exactly below
                int j0 = Math.max(0, (int) Math.floor(x1 / s)), j1 = Math.min(w - 1, (int) Math.ceil(x2 / s));
                int i0 = Math.max(0, (int) Math.floor(y1 / s)), i1 = Math.min(h - 1, (int) Math.ceil(y2 / s));
                for (int ii = i0; ii <= i1; ii++) {
                    for (int jj = j0; jj <= j1; jj++) {
                        int p = off + ii * w + jj;
                        if (!LossKernels.inside(px[p], py[p], x1, y1, x2, y2)) continue;
                        float cp = LossKernels.centerPrior(px[p], py[p], ps[p], cx, cy, mux, muy, sx, sy);
                        if (n == cap) {
                            cap *= 2;
                            pairP = Arrays.copyOf(pairP, cap);
                            pairC = Arrays.copyOf(pairC, cap);
                        }
                        pairP[n] = p;
                        pairC[n] = cp;
                        n++;
                        sumC += cp;
                    }
                }
            }
            // levels were visited in order and cells row-major: points of one GT are ascending
            a.pairStart[g + 1] = n;
        }
        a.numPairs = n;
        a.pairP = pairP;
        a.pairC = pairC;
        a.pairG = new int[n];
        for (int g = 0; g < numGt; g++) Arrays.fill(a.pairG, a.pairStart[g], a.pairStart[g + 1], g);
        a.sumC = sumC;
        // per point CSR (GT ascending because pairs are GT-major)
        int nPts = grid.numPoints();
        int[] ptStart = new int[nPts + 1];
        for (int k = 0; k < n; k++) ptStart[pairP[k] + 1]++;
        for (int p = 0; p < nPts; p++) ptStart[p + 1] += ptStart[p];
        int[] fill = new int[nPts];
        int[] ptPairs = new int[n];
        for (int k = 0; k < n; k++) {
            int p = pairP[k];
            ptPairs[ptStart[p] + fill[p]++] = k;
        }
        a.ptStart = ptStart;
        a.ptPairs = ptPairs;
        // no-grad max IoU over ALL GTs for points inside at least one GT
        float[] pairIou = new float[n];
        for (int p = 0; p < nPts; p++) {
            int k0 = ptStart[p], k1 = ptStart[p + 1];
            if (k0 == k1) continue;
            float m = maxIou(px[p], py[p], dist, p, a.boxes, numGt);
            for (int k = k0; k < k1; k++) pairIou[ptPairs[k]] = m;
        }
        a.pairIou = pairIou;
        return a;
    }

    /** {@code max_g IoU(b_p, B_g)} over all GTs (AA_3 §4). */
    static float maxIou(float px, float py, float[] dist, int p, float[] boxes, int numGt) {
        float x1 = px - dist[4 * p], y1 = py - dist[4 * p + 1], x2 = px + dist[4 * p + 2], y2 = py + dist[4 * p + 3];
        float m = Float.NEGATIVE_INFINITY;
        for (int g = 0; g < numGt; g++) {
            float v = LossKernels.iou(x1, y1, x2, y2,
                    LossKernels.decodeLow(px, boxes[4 * g]), LossKernels.decodeLow(py, boxes[4 * g + 1]),
                    LossKernels.decodeHigh(px, boxes[4 * g + 2]), LossKernels.decodeHigh(py, boxes[4 * g + 3]));
            if (v > m || Float.isNaN(v)) m = v;
        }
        return m;
    }

    // ------------------------------------------------------------------------------ negative weights

    private static float[] negativeWeights(Assigned a) {
        return a.numPairs == 0 ? null : negativeWeights(a.numGt, a.pairStart, a.pairIou);
    }

    /**
     * Per pair {@code 1 - v[g,p]} (AA_3 §6): {@code u = 1/max(1 - iou, EPS)} min-max normalised over the
     * pairs of each GT, pairs GT-major ({@code pairStart[g] .. pairStart[g+1]}).
     */
    static float[] negativeWeights(int numGt, int[] pairStart, float[] pairIou) {
        float[] out = new float[pairStart[numGt]];
        for (int g = 0; g < numGt; g++) {
            int k0 = pairStart[g], k1 = pairStart[g + 1];
            if (k0 == k1) continue;
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (int k = k0; k < k1; k++) {
                float u = 1f / Math.max(1f - pairIou[k], EPS);
                out[k] = u;
                lo = Math.min(lo, u);
                hi = Math.max(hi, u);
            }
            float range = hi - lo + EPS;
            for (int k = k0; k < k1; k++) out[k] = 1f - (out[k] - lo + EPS) / range;
        }
        return out;
    }

    /**
     * The dense negative weight matrix {@code W [P,C]} built the way the fused pass builds it (pair lists,
     * per-pair weights, per-point writes in GT order): for tests of the write order (AA_8 §4).
     *
     * @param inside {@code [P][G]}
     * @param maxIou per point, the max IoU over all GTs
     */
    static float[] denseNegativeWeights(boolean[][] inside, float[] maxIou, int[] labels, int numClasses) {
        int nPts = inside.length, numGt = labels.length;
        int[] pairStart = new int[numGt + 1];
        int n = 0;
        for (int g = 0; g < numGt; g++) {
            for (int p = 0; p < nPts; p++) if (inside[p][g]) n++;
            pairStart[g + 1] = n;
        }
        int[] pairP = new int[n], pairG = new int[n];
        float[] pairIou = new float[n];
        int k = 0;
        for (int g = 0; g < numGt; g++)
            for (int p = 0; p < nPts; p++)
                if (inside[p][g]) {
                    pairP[k] = p;
                    pairG[k] = g;
                    pairIou[k++] = maxIou[p];
                }
        float[] wneg = negativeWeights(numGt, pairStart, pairIou);
        float[] w = new float[nPts * numClasses];
        java.util.Arrays.fill(w, 1f);
        for (int pair = 0; pair < n; pair++) w[pairP[pair] * numClasses + labels[pairG[pair]]] = wneg[pair];
        return w;
    }

    // ------------------------------------------------------------------------------ pass 3: negative

    /**
     * Σ over the image's {@code [P,C]} cells of {@code 0.75·q²·BCE(q,0)}; with gradients, writes (not adds)
     * {@code negScale·∂/∂cls} into gCls and {@code negScale·∂/∂obj} into gObj. The per-point weight row
     * {@code wRow} is all ones on entry and on exit; a point's overrides are applied in GT order so the
     * last write (largest GT index) wins, like PyTorch's serial index_put.
     */
    private static double negativePass(PointGrid grid, float[] cls, float[] obj, int numClasses, Assigned a,
                                       float[] wneg, float[] wRow, float[] gCls, float[] gObj, float negScale,
                                       int image) {
        int nPts = grid.numPoints();
        double total = 0;
        float check = 0f;   // x·0 is NaN exactly when some x is NaN or ±Inf
        boolean grads = gCls != null;
        for (int p = 0; p < nPts; p++) {
            int k0 = a.ptStart[p], k1 = a.ptStart[p + 1];
            for (int k = k0; k < k1; k++) {
                int pair = a.ptPairs[k];
                wRow[a.labels[a.pairG[pair]]] = wneg[pair];
            }
            float so = LossKernels.sigmoid(obj[p]);
            int base = p * numClasses;
            double rowSum = 0;
            if (!grads) {
                for (int c = 0; c < numClasses; c++) {
                    float x = cls[base + c];
                    check += x * 0f;
                    float q = LossKernels.sigmoid(x) * so * wRow[c];
                    rowSum += q * q * LossKernels.bceZeroFast(q);
                }
            } else {
                float dObj = 0f;
                for (int c = 0; c < numClasses; c++) {
                    float x = cls[base + c];
                    check += x * 0f;
                    float sc = LossKernels.sigmoid(x);
                    float w = wRow[c];
                    float q = sc * so * w;
                    float bce = LossKernels.bceZeroFast(q);
                    rowSum += q * q * bce;
                    float dJ = negScale * LossKernels.negCellGrad(q, bce) * w;
                    gCls[base + c] = dJ * so * sc * (1f - sc);
                    dObj += dJ * sc;
                }
                gObj[p] = dObj * so * (1f - so);
            }
            total += rowSum;
            for (int k = k0; k < k1; k++) wRow[a.labels[a.pairG[a.ptPairs[k]]]] = 1f;
        }
        if (check != 0f) throw nonFinite("cls_scores", cls, numClasses, grid, image);
        return NEG_WEIGHT * total;
    }

    // ------------------------------------------------------------------------------ pass 4: positive

    /**
     * Positive loss {@code Σ_g 0.25·BCE(R_g,1)} of one image (not normalised); with gradients, adds the
     * positive and center-loss contributions ({@code dCcenter} per inside pair) to the gradient arrays.
     */
    private static double positivePass(PointGrid grid, float[] cls, float[] obj, float[] dist, float[] mean,
                                       float[] sigma, int numClasses, Assigned a, boolean grads, float posScale,
                                       float dCcenter, float[] gCls, float[] gObj, float[] gDist,
                                       double[] gMean, double[] gSigma) {
        float[] px = grid.xs(), py = grid.ys(), ps = grid.strideOfPoint();
        float[] sArr = null, e3Arr = null, plocArr = null;
        if (grads && a.numPairs > 0) {
            sArr = new float[a.numPairs];
            e3Arr = new float[a.numPairs];
            plocArr = new float[a.numPairs];
        }
        float[] tmp = new float[4];
        double total = 0;
        for (int g = 0; g < a.numGt; g++) {
            int k0 = a.pairStart[g], k1 = a.pairStart[g + 1];
            if (k0 == k1) {   // no inside point: R = 0, BCE(0,1) = 100, no gradient
                total += POS_WEIGHT * LossKernels.bceOne(0f);
                continue;
            }
            float bx1 = a.boxes[4 * g], by1 = a.boxes[4 * g + 1], bx2 = a.boxes[4 * g + 2], by2 = a.boxes[4 * g + 3];
            int c = a.labels[g];
            double sumA = 0, sumSA = 0;
            for (int k = k0; k < k1; k++) {
                int p = a.pairP[k];
                float reg = pairReg(px[p], py[p], dist, p, bx1, by1, bx2, by2);
                float ploc = (float) Math.exp(-reg);
                float pcls = LossKernels.sigmoid(cls[p * numClasses + c]) * LossKernels.sigmoid(obj[p]);
                float s = pcls * ploc;
                float e3 = (float) Math.exp(3f * s);
                float aw = e3 * a.pairC[k];
                sumA += aw;
                sumSA += (double) s * aw;
                if (sArr != null) {
                    sArr[k] = s;
                    e3Arr[k] = e3;
                    plocArr[k] = ploc;
                }
            }
            float z = (float) Math.max(sumA, EPS);
            float rg = (float) (sumSA / z);
            total += POS_WEIGHT * LossKernels.bceOne(rg);
            if (!grads) continue;
            float dR = posScale * POS_WEIGHT * LossKernels.bceOneGrad(rg);
            float rSub = sumA >= EPS ? rg : 0f;   // the clamp blocks the gradient through the sum
            float cx = (bx1 + bx2) / 2f, cy = (by1 + by2) / 2f;
            float mux = mean[2 * c], muy = mean[2 * c + 1], sx = sigma[2 * c], sy = sigma[2 * c + 1];
            double gmx = 0, gmy = 0, gsx = 0, gsy = 0;
            for (int k = k0; k < k1; k++) {
                int p = a.pairP[k];
                float s = sArr[k], e3 = e3Arr[k], ploc = plocArr[k], cp = a.pairC[k];
                float w = e3 * cp / z;
                float dS = dR * w * (1f + 3f * (s - rSub));
                float dC = dR * e3 / z * (s - rSub) + dCcenter;
                // S = Pcls · Ploc
                float sc = LossKernels.sigmoid(cls[p * numClasses + c]);
                float so = LossKernels.sigmoid(obj[p]);
                float dPcls = dS * ploc;
                float dPloc = dS * sc * so;
                gCls[p * numClasses + c] += dPcls * so * sc * (1f - sc);
                gObj[p] += dPcls * sc * so * (1f - so);
                // Ploc = exp(-reg), reg = 5(1 - GIoU)  =>  dGIoU = 5 · Ploc · dPloc
                float dGiou = GIOU_WEIGHT * ploc * dPloc;
                if (dGiou != 0f) {
                    pairGiouBackward(px[p], py[p], dist, p, bx1, by1, bx2, by2, dGiou, tmp);
                    gDist[4 * p] -= tmp[0];
                    gDist[4 * p + 1] -= tmp[1];
                    gDist[4 * p + 2] += tmp[2];
                    gDist[4 * p + 3] += tmp[3];
                }
                if (dC != 0f) {
                    LossKernels.centerPriorBackward(px[p], py[p], ps[p], cx, cy, mux, muy, sx, sy, cp, dC, tmp);
                    gmx += tmp[0];
                    gmy += tmp[1];
                    gsx += tmp[2];
                    gsy += tmp[3];
                }
            }
            gMean[2 * c] += gmx;
            gMean[2 * c + 1] += gmy;
            gSigma[2 * c] += gsx;
            gSigma[2 * c + 1] += gsy;
        }
        return total;
    }

    /** {@code reg[p,g] = 5(1 - GIoU(b_p, decoded B_g))}. */
    static float pairReg(float px, float py, float[] dist, int p, float bx1, float by1, float bx2, float by2) {
        return LossKernels.giouLoss(px - dist[4 * p], py - dist[4 * p + 1], px + dist[4 * p + 2], py + dist[4 * p + 3],
                LossKernels.decodeLow(px, bx1), LossKernels.decodeLow(py, by1),
                LossKernels.decodeHigh(px, bx2), LossKernels.decodeHigh(py, by2));
    }

    private static void pairGiouBackward(float px, float py, float[] dist, int p, float bx1, float by1, float bx2,
                                         float by2, float dGiou, float[] out) {
        LossKernels.giouBackward(px - dist[4 * p], py - dist[4 * p + 1], px + dist[4 * p + 2], py + dist[4 * p + 3],
                LossKernels.decodeLow(px, bx1), LossKernels.decodeLow(py, by1),
                LossKernels.decodeHigh(px, bx2), LossKernels.decodeHigh(py, by2), dGiou, out);
    }

    // ------------------------------------------------------------------------------ validation

    static void validate(Batch b) {
        if (b.points() == null) throw new IllegalArgumentException("points must not be null");
        int n = b.batchSize(), numClasses = b.numClasses(), nPts = b.points().numPoints();
        if (numClasses <= 0) throw new IllegalArgumentException("num_classes must be positive: " + numClasses);
        if (b.cls().length != n || b.dist().length != n || b.obj().length != n)
            throw new IllegalArgumentException("batch of " + n + " gt lists but " + b.cls().length + " cls_scores, "
                    + b.dist().length + " bbox_preds, " + b.obj().length + " objectnesses images");
        checkLen("center_prior_mean", b.mean(), numClasses * 2);
        checkLen("center_prior_sigma", b.sigma(), numClasses * 2);
        checkFinite("center_prior_mean", b.mean());
        checkFinite("center_prior_sigma", b.sigma());
        for (int k = 0; k < b.sigma().length; k++)
            if (b.sigma()[k] == 0f)
                throw new IllegalArgumentException("center_prior_sigma[" + k / 2 + "," + k % 2 + "] is 0");
        for (int i = 0; i < n; i++) {
            checkLen("cls_scores image " + i, b.cls()[i], (long) nPts * numClasses);
            checkLen("bbox_preds image " + i, b.dist()[i], (long) nPts * 4);
            checkLen("objectnesses image " + i, b.obj()[i], nPts);
            float[] d = b.dist()[i];
            for (int k = 0; k < d.length; k++)
                if (!Float.isFinite(d[k]))
                    throw new IllegalArgumentException("bbox_preds: image " + i + " " + b.points().describePoint(k / 4)
                            + " channel " + "ltrb".charAt(k % 4) + " is " + d[k]);
            float[] o = b.obj()[i];
            for (int p = 0; p < o.length; p++)
                if (!Float.isFinite(o[p]))
                    throw new IllegalArgumentException("objectnesses: image " + i + " " + b.points().describePoint(p)
                            + " is " + o[p]);
            GroundTruth gt = b.gts()[i];
            if (gt == null) throw new IllegalArgumentException("gt of image " + i + " is null (use GroundTruth.empty())");
            float[] bx = gt.boxes();
            for (int k = 0; k < bx.length; k++)
                if (!Float.isFinite(bx[k]))
                    throw new IllegalArgumentException("gt_bboxes: image " + i + " box " + k / 4 + " coordinate "
                            + k % 4 + " is " + bx[k]);
            for (int g = 0; g < gt.size(); g++)
                if (gt.labels()[g] < 0 || gt.labels()[g] >= numClasses)
                    throw new IllegalArgumentException("gt_labels: image " + i + " box " + g + " has label "
                            + gt.labels()[g] + " outside 0.." + (numClasses - 1));
        }
    }

    private static void checkLen(String what, float[] a, long want) {
        if (a == null) throw new IllegalArgumentException(what + " is null");
        if (a.length != want) throw new IllegalArgumentException(what + ": " + a.length + " values, expected " + want);
    }

    private static void checkFinite(String what, float[] a) {
        for (int k = 0; k < a.length; k++)
            if (!Float.isFinite(a[k])) throw new IllegalArgumentException(what + "[" + k / 2 + "," + k % 2 + "] is " + a[k]);
    }

    private static IllegalArgumentException nonFinite(String what, float[] cls, int numClasses, PointGrid grid, int image) {
        for (int k = 0; k < cls.length; k++)
            if (!Float.isFinite(cls[k]))
                return new IllegalArgumentException(what + ": image " + image + " " + grid.describePoint(k / numClasses)
                        + " class " + k % numClasses + " is " + cls[k]);
        return new IllegalArgumentException(what + ": image " + image + " holds a non-finite value");
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int k = 0; k < a.length; k++) f[k] = (float) a[k];
        return f;
    }
}
