package autoassign.loss;

import static autoassign.loss.LossKernels.CENTER_WEIGHT;
import static autoassign.loss.LossKernels.EPS;
import static autoassign.loss.LossKernels.GIOU_WEIGHT;
import static autoassign.loss.LossKernels.NEG_WEIGHT;
import static autoassign.loss.LossKernels.POS_WEIGHT;

import java.util.Arrays;

/**
 * A straightforward, unfused implementation of the same loss, written like MMDetection's
 * {@code AutoAssignHead.loss_by_feat}: every intermediate is a dense {@code [P,G]} or {@code [P,C]}
 * array (inside mask, center prior, GIoU loss and IoU for all pairs, p_pos, weights, negative weights,
 * joint confidence, …) and the backward walks those arrays op by op. It is the second reference of
 * the tests and the baseline of the benchmarks; use {@link AutoAssignLossOp} for work.
 */
public final class UnfusedAutoAssignLoss {
    private UnfusedAutoAssignLoss() {}

    public static AutoAssignLossOp.Result forwardBackward(AutoAssignLossOp.Batch b, LossReducer reducer,
                                                          double gPos, double gNeg, double gCenter, boolean grads) {
        AutoAssignLossOp.validate(b);
        PointGrid grid = b.points();
        int nImg = b.batchSize(), nc = b.numClasses(), nP = grid.numPoints();
        float[] px = grid.xs(), py = grid.ys(), ps = grid.strideOfPoint();
        Img[] imgs = new Img[nImg];
        int localGt = 0;
        double localC = 0;
        for (int i = 0; i < nImg; i++) {
            imgs[i] = forwardImage(grid, b.gts()[i].targets(), b.cls()[i], b.obj()[i], b.dist()[i], b.mean(), b.sigma(), nc);
            localGt += imgs[i].numGt;
            localC += imgs[i].sumC;
        }
        double[] red = reducer.mean(localGt, localC);
        double posNorm = Math.max(red[0], 1.0), negNorm = Math.max(red[1], 1.0);
        boolean noGt = localGt == 0;
        AutoAssignLossOp.Result r = new AutoAssignLossOp.Result();
        r.posNorm = posNorm;
        r.negNorm = negNorm;
        r.sumCenterPrior = new double[nImg];
        r.insidePairs = new int[nImg];
        r.numGts = new int[nImg];
        double sumPos = 0, sumNeg = 0, sumCenter = 0;
        for (int i = 0; i < nImg; i++) {
            Img im = imgs[i];
            r.sumCenterPrior[i] = im.sumC;
            r.insidePairs[i] = im.numInside;
            r.numGts[i] = im.numGt;
            sumNeg += im.lneg;
            if (!noGt) {
                sumPos += im.lpos;
                sumCenter += im.z;
            }
        }
        r.lossPos = noGt ? 0 : sumPos / posNorm;
        r.lossNeg = sumNeg / negNorm;
        r.lossCenter = noGt ? 0 : CENTER_WEIGHT * sumCenter / nImg;
        if (!grads) return r;

        r.gradCls = new float[nImg][];
        r.gradDist = new float[nImg][];
        r.gradObj = new float[nImg][];
        double[] gMean = new double[nc * 2], gSigma = new double[nc * 2];
        float[] tmp = new float[4];
        for (int i = 0; i < nImg; i++) {
            Img im = imgs[i];
            int nG = im.numGt;
            float[] dSc = new float[nP * nc];     // d/d sigmoid(cls)
            float[] dSo = new float[nP];          // d/d sigmoid(obj)
            float[] dDist = new float[nP * 4];
            // ---- negative: q = J·W, f = q²·BCE(q,0)
            float negScale = (float) (gNeg * NEG_WEIGHT / negNorm);
            for (int k = 0; k < nP * nc; k++) {
                float dJ = negScale * LossKernels.negCellGrad(im.q[k]) * im.wNeg[k];
                int p = k / nc;
                dSc[k] += dJ * im.so[p];
                dSo[p] += dJ * im.sc[k];
            }
            if (!noGt && nG > 0) {
                // ---- positive
                float posScale = (float) (gPos / posNorm);
                float[] dS = new float[nP * nG], dC = new float[nP * nG];
                for (int g = 0; g < nG; g++) {
                    float dR = posScale * POS_WEIGHT * LossKernels.bceOneGrad(im.rg[g]);
                    float z = (float) Math.max(im.sumA[g], EPS);
                    float rSub = im.sumA[g] >= EPS ? im.rg[g] : 0f;
                    for (int p = 0; p < nP; p++) {
                        int k = p * nG + g;
                        dS[k] = dR * im.w[k] * (1f + 3f * (im.s[k] - rSub));
                        dC[k] = dR * im.conf[k] / z * (im.s[k] - rSub);
                    }
                }
                // ---- center loss: z_i = G / clamp(ΣC, EPS)
                if (im.numInside > 0 && im.sumC >= EPS) {
                    float dcc = (float) (-gCenter * CENTER_WEIGHT / nImg * nG / (im.sumC * im.sumC));
                    for (int k = 0; k < nP * nG; k++) dC[k] += dcc;
                }
                for (int p = 0; p < nP; p++) {
                    for (int g = 0; g < nG; g++) {
                        int k = p * nG + g, c = im.labels[g];
                        // S = Pcls·Ploc, Pcls = sc[p,c]·so[p]
                        float dPcls = dS[k] * im.ploc[k];
                        float dPloc = dS[k] * im.pcls[k];
                        dSc[p * nc + c] += dPcls * im.so[p];
                        dSo[p] += dPcls * im.sc[p * nc + c];
                        float dGiou = GIOU_WEIGHT * im.ploc[k] * dPloc;
                        float[] bx = im.boxes;
                        LossKernels.giouBackward(px[p] - b.dist()[i][4 * p], py[p] - b.dist()[i][4 * p + 1],
                                px[p] + b.dist()[i][4 * p + 2], py[p] + b.dist()[i][4 * p + 3],
                                LossKernels.decodeLow(px[p], bx[4 * g]), LossKernels.decodeLow(py[p], bx[4 * g + 1]),
                                LossKernels.decodeHigh(px[p], bx[4 * g + 2]), LossKernels.decodeHigh(py[p], bx[4 * g + 3]),
                                dGiou, tmp);
                        dDist[4 * p] -= tmp[0];
                        dDist[4 * p + 1] -= tmp[1];
                        dDist[4 * p + 2] += tmp[2];
                        dDist[4 * p + 3] += tmp[3];
                        if (im.inside[k]) {   // masked overwrite: no gradient from outside entries
                            float cx = (bx[4 * g] + bx[4 * g + 2]) / 2f, cy = (bx[4 * g + 1] + bx[4 * g + 3]) / 2f;
                            LossKernels.centerPriorBackward(px[p], py[p], ps[p], cx, cy, b.mean()[2 * c],
                                    b.mean()[2 * c + 1], b.sigma()[2 * c], b.sigma()[2 * c + 1], im.c[k], dC[k], tmp);
                            gMean[2 * c] += tmp[0];
                            gMean[2 * c + 1] += tmp[1];
                            gSigma[2 * c] += tmp[2];
                            gSigma[2 * c + 1] += tmp[3];
                        }
                    }
                }
            }
            // ---- through the sigmoids
            float[] gCls = new float[nP * nc];
            for (int k = 0; k < nP * nc; k++) gCls[k] = dSc[k] * im.sc[k] * (1f - im.sc[k]);
            float[] gObj = new float[nP];
            for (int p = 0; p < nP; p++) gObj[p] = dSo[p] * im.so[p] * (1f - im.so[p]);
            r.gradCls[i] = gCls;
            r.gradObj[i] = gObj;
            r.gradDist[i] = dDist;
        }
        r.gradMean = new float[nc * 2];
        r.gradSigma = new float[nc * 2];
        for (int k = 0; k < nc * 2; k++) {
            r.gradMean[k] = (float) gMean[k];
            r.gradSigma[k] = (float) gSigma[k];
        }
        return r;
    }

    /** Dense per-image intermediates ([P,G] arrays are point-major: k = p*G + g). */
    private static final class Img {
        int numGt, numInside;
        float[] boxes;
        int[] labels;
        boolean[] inside;
        float[] c, ploc, pcls, s, conf, w;   // [P,G]
        float[] sc, so, wNeg, q;             // [P,C], [P], [P,C], [P,C]
        double[] sumA;
        float[] rg;
        double sumC, lpos, lneg, z;
    }

    private static Img forwardImage(PointGrid grid, GroundTruth gt, float[] cls, float[] obj, float[] dist,
                                    float[] mean, float[] sigma, int nc) {
        int nP = grid.numPoints(), nG = gt.size();
        float[] px = grid.xs(), py = grid.ys(), ps = grid.strideOfPoint();
        float[] bx = gt.boxes();
        Img im = new Img();
        im.numGt = nG;
        im.boxes = bx;
        im.labels = gt.labels();
        // sigmoids
        im.sc = new float[nP * nc];
        for (int k = 0; k < nP * nc; k++) im.sc[k] = LossKernels.sigmoid(cls[k]);
        im.so = new float[nP];
        for (int p = 0; p < nP; p++) im.so[p] = LossKernels.sigmoid(obj[p]);
        // targets, inside mask, center prior, GIoU loss and IoU for all pairs
        im.inside = new boolean[nP * nG];
        im.c = new float[nP * nG];
        float[] reg = new float[nP * nG], iou = new float[nP * nG];
        for (int p = 0; p < nP; p++) {
            float x1 = px[p] - dist[4 * p], y1 = py[p] - dist[4 * p + 1];
            float x2 = px[p] + dist[4 * p + 2], y2 = py[p] + dist[4 * p + 3];
            for (int g = 0; g < nG; g++) {
                int k = p * nG + g, cl = im.labels[g];
                im.inside[k] = LossKernels.inside(px[p], py[p], bx[4 * g], bx[4 * g + 1], bx[4 * g + 2], bx[4 * g + 3]);
                float cx = (bx[4 * g] + bx[4 * g + 2]) / 2f, cy = (bx[4 * g + 1] + bx[4 * g + 3]) / 2f;
                float cp = LossKernels.centerPrior(px[p], py[p], ps[p], cx, cy, mean[2 * cl], mean[2 * cl + 1],
                        sigma[2 * cl], sigma[2 * cl + 1]);
                im.c[k] = im.inside[k] ? cp : 0f;
                float tx1 = LossKernels.decodeLow(px[p], bx[4 * g]), ty1 = LossKernels.decodeLow(py[p], bx[4 * g + 1]);
                float tx2 = LossKernels.decodeHigh(px[p], bx[4 * g + 2]), ty2 = LossKernels.decodeHigh(py[p], bx[4 * g + 3]);
                reg[k] = LossKernels.giouLoss(x1, y1, x2, y2, tx1, ty1, tx2, ty2);
                iou[k] = LossKernels.iou(x1, y1, x2, y2, tx1, ty1, tx2, ty2);
            }
        }
        for (int k = 0; k < nP * nG; k++) {
            im.sumC += im.c[k];
            if (im.inside[k]) im.numInside++;
        }
        // IoU for the negative weights: max over all GTs, zeroed outside
        float[] iouW = new float[nP * nG];
        for (int p = 0; p < nP; p++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int g = 0; g < nG; g++) m = Math.max(m, iou[p * nG + g]);
            for (int g = 0; g < nG; g++) iouW[p * nG + g] = im.inside[p * nG + g] ? m : 0f;
        }
        // positive loss
        im.ploc = new float[nP * nG];
        im.pcls = new float[nP * nG];
        im.s = new float[nP * nG];
        im.conf = new float[nP * nG];
        im.w = new float[nP * nG];
        float[] a = new float[nP * nG];
        im.sumA = new double[nG];
        for (int p = 0; p < nP; p++)
            for (int g = 0; g < nG; g++) {
                int k = p * nG + g;
                im.ploc[k] = (float) Math.exp(-reg[k]);
                im.pcls[k] = im.sc[p * nc + im.labels[g]] * im.so[p];
                im.s[k] = im.pcls[k] * im.ploc[k];
                im.conf[k] = (float) Math.exp(3f * im.s[k]);
                a[k] = im.conf[k] * im.c[k];
                im.sumA[g] += a[k];
            }
        im.rg = new float[nG];
        double[] rsum = new double[nG];
        for (int p = 0; p < nP; p++)
            for (int g = 0; g < nG; g++) {
                int k = p * nG + g;
                im.w[k] = a[k] / (float) Math.max(im.sumA[g], EPS);
                rsum[g] += (double) im.s[k] * im.w[k];
            }
        for (int g = 0; g < nG; g++) {
            im.rg[g] = (float) rsum[g];
            im.lpos += POS_WEIGHT * LossKernels.bceOne(im.rg[g]);
        }
        im.z = im.numInside > 0 ? nG / Math.max(im.sumC, EPS) : 0;
        // negative weights: foreground pairs GT-major, min-max per GT, sequential writes
        im.wNeg = new float[nP * nc];
        Arrays.fill(im.wNeg, 1f);
        for (int g = 0; g < nG; g++) {
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            int count = 0;
            for (int p = 0; p < nP; p++) {
                if (!im.inside[p * nG + g]) continue;
                float u = 1f / Math.max(1f - iouW[p * nG + g], EPS);
                lo = Math.min(lo, u);
                hi = Math.max(hi, u);
                count++;
            }
            if (count == 0) continue;
            for (int p = 0; p < nP; p++) {
                if (!im.inside[p * nG + g]) continue;
                float u = 1f / Math.max(1f - iouW[p * nG + g], EPS);
                float v = (u - lo + EPS) / (hi - lo + EPS);
                im.wNeg[p * nc + im.labels[g]] = 1f - v;
            }
        }
        im.q = new float[nP * nc];
        double lneg = 0;
        for (int k = 0; k < nP * nc; k++) {
            im.q[k] = im.sc[k] * im.so[k / nc] * im.wNeg[k];
            lneg += LossKernels.negCell(im.q[k]);
        }
        im.lneg = NEG_WEIGHT * lneg;
        return im;
    }
}
