package autoassign.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Behaviour beyond the goldens: write order, borders, tiny GTs, crowd, bad input, the reducer. */
class AutoAssignLossEdgeCaseTest {

    /** A 64×64 padded batch of {@code n} images with AA_8 §6.1's synthetic inputs, μ = 0, σ = 1. */
    static AutoAssignLossOp.Batch synthetic(int height, int width, int numClasses, GroundTruth... gts) {
        PointGrid grid = PointGrid.forPaddedImage(height, width, PointGrid.DEFAULT_STRIDES);
        int n = gts.length, nP = grid.numPoints();
        float[][] cls = new float[n][nP * numClasses], dist = new float[n][nP * 4], obj = new float[n][nP];
        for (int b = 0; b < n; b++)
            for (int p = 0; p < nP; p++) {
                for (int c = 0; c < numClasses; c++)
                    cls[b][p * numClasses + c] = (float) (2 * Math.sin(0.37 * p + 0.11 * c + 0.5 * b) - 2);
                obj[b][p] = (float) (1.5 * Math.cos(0.23 * p + 0.7 * b));
                double s = grid.pointStride(p);
                for (int k = 0; k < 4; k++)
                    dist[b][4 * p + k] = (float) (s * (1 + 3 * (1 + Math.sin(0.5 * p + 1.3 * k + 0.3 * b)) / 2));
            }
        float[] mean = new float[numClasses * 2], sigma = new float[numClasses * 2];
        java.util.Arrays.fill(sigma, 1f);
        return new AutoAssignLossOp.Batch(grid, numClasses, cls, dist, obj, mean, sigma, gts);
    }

    static GroundTruth gt(float[][] boxes, int... labels) {
        float[] b = new float[boxes.length * 4];
        for (int g = 0; g < boxes.length; g++) System.arraycopy(boxes[g], 0, b, 4 * g, 4);
        return new GroundTruth(b, labels);
    }

    static AutoAssignLossOp.Result fused(AutoAssignLossOp.Batch b) {
        return AutoAssignLossOp.forwardBackward(b, LossReducer.IDENTITY, 1, 1, 1);
    }

    /** Fused and unfused agree on losses (1e-5 rel) and gradients (1e-4 of the norm). */
    static void assertSameAsUnfused(AutoAssignLossOp.Batch b, double gPos, double gNeg, double gCenter) {
        AutoAssignLossOp.Result f = AutoAssignLossOp.forwardBackward(b, LossReducer.IDENTITY, gPos, gNeg, gCenter);
        AutoAssignLossOp.Result u = UnfusedAutoAssignLoss.forwardBackward(b, LossReducer.IDENTITY, gPos, gNeg, gCenter, true);
        assertEquals(u.lossPos, f.lossPos, 1e-5 * Math.abs(u.lossPos) + 1e-9, "loss_pos");
        assertEquals(u.lossNeg, f.lossNeg, 1e-5 * Math.abs(u.lossNeg) + 1e-9, "loss_neg");
        assertEquals(u.lossCenter, f.lossCenter, 1e-5 * Math.abs(u.lossCenter) + 1e-9, "loss_center");
        for (int i = 0; i < b.batchSize(); i++) {
            assertClose("cls", f.gradCls[i], u.gradCls[i]);
            assertClose("dist", f.gradDist[i], u.gradDist[i]);
            assertClose("obj", f.gradObj[i], u.gradObj[i]);
        }
        assertClose("mean", f.gradMean, u.gradMean);
        assertClose("sigma", f.gradSigma, u.gradSigma);
    }

    static void assertClose(String what, float[] got, float[] want) {
        double[] w = new double[want.length];
        for (int i = 0; i < w.length; i++) w[i] = want[i];
        double d = 0, r = 0;
        for (int i = 0; i < w.length; i++) {
            d += (got[i] - w[i]) * (got[i] - w[i]);
            r += w[i] * w[i];
        }
        assertTrue(Math.sqrt(d) <= 1e-4 * Math.sqrt(r) + 1e-7, what + ": |diff| " + Math.sqrt(d) + " |ref| " + Math.sqrt(r));
    }

    // ------------------------------------------------------------------ AA_8 §6 synthetic table

    @Test
    void aa8SyntheticCasesMatchSpecTable() {
        GroundTruth a = gt(new float[][] {{10, 12, 41, 30}}, 3);
        check(synthetic(64, 64, 80, a), 1.5658044, 6.5291133, 0.12782776);
        check(synthetic(96, 128, 80,
                gt(new float[][] {{4, 6, 70, 60}, {20, 10, 100, 90}, {50.5f, 40.25f, 60, 47}}, 0, 0, 7),
                gt(new float[][] {{0, 0, 128, 96}}, 79)), 7.3484583, 4.3887725, 0.058360364);
        check(synthetic(64, 64, 80, GroundTruth.empty(), GroundTruth.empty()), 0, 74.363182, 0);
        check(synthetic(64, 64, 80, gt(new float[][] {{1, 1, 7, 7}, {8, 8, 40, 40}}, 5, 5)), 13.141641, 4.2788939, 0.16755551);
        check(synthetic(64, 64, 80, a, GroundTruth.empty()), 1.5658044, 12.672134, 0.063913882);
        AutoAssignLossOp.Batch f = synthetic(64, 64, 80, a);
        f.mean()[6] = 0.3f;
        f.mean()[7] = -0.2f;
        f.sigma()[6] = 1.5f;
        f.sigma()[7] = 0.7f;
        AutoAssignLossOp.Result rf = check(f, 1.5720795, 5.7959976, 0.11347473);
        assertEquals(6.609401, rf.sumCenterPrior[0], 1e-5);
        // case A: Σ C and ∂/∂μ[3], ∂/∂σ[3] of the total
        AutoAssignLossOp.Result ra = check(synthetic(64, 64, 80, a), 1.5658044, 6.5291133, 0.12782776);
        assertEquals(5.86727, ra.sumCenterPrior[0], 1e-5);
        assertEquals(10, ra.insidePairs[0]);
        assertEquals(-0.0086687822, ra.gradMean[6], 1e-6);
        assertEquals(0.091894299, ra.gradMean[7], 1e-6);
        assertEquals(-0.017449494, ra.gradSigma[6], 1e-6);
        assertEquals(-0.053270016, ra.gradSigma[7], 1e-6);
        double sumCls = 0, sumObj = 0;
        for (float v : ra.gradCls[0]) sumCls += v;
        for (float v : ra.gradObj[0]) sumObj += v;
        assertEquals(11.654199, sumCls, 1e-4 * 11.654199);
        assertEquals(5.4289848, sumObj, 1e-4 * 5.4289848);
    }

    static AutoAssignLossOp.Result check(AutoAssignLossOp.Batch b, double pos, double neg, double center) {
        AutoAssignLossOp.Result r = fused(b);
        assertEquals(pos, r.lossPos, 1e-4 * pos + 1e-9, "loss_pos");
        assertEquals(neg, r.lossNeg, 1e-4 * neg, "loss_neg");
        assertEquals(center, r.lossCenter, 1e-4 * center + 1e-9, "loss_center");
        return r;
    }

    // ------------------------------------------------------------------ negative-weight write order

    @Test
    void aa8NegativeWeightWriteOrderLastGtWins() {
        boolean[][] inside = {{true, false}, {true, true}, {true, true}, {false, true}, {false, false}, {true, false}};
        float[] m = {0.1f, 0.5f, 0.3f, 0.8f, 0.0f, 0.2f};
        float[] w = AutoAssignLossOp.denseNegativeWeights(inside, m, new int[] {2, 2}, 4);
        float[] col2 = new float[6];
        for (int p = 0; p < 6; p++) {
            col2[p] = w[p * 4 + 2];
            for (int c : new int[] {0, 1, 3}) assertEquals(1f, w[p * 4 + c]);
        }
        assertArrayEquals(new float[] {1.0f, 0.84f, 1.0f, 0.0f, 1.0f, 0.84375f}, col2, 1e-6f);
    }

    @Test
    void pointInsideTwoSameClassGtsTakesTheLastGtsWeight() {
        // two overlapping class-1 GTs: points of the overlap get two writes to (p, class 1)
        float[] g0 = {4, 6, 40, 44}, g1 = {20, 18, 60, 58};
        AutoAssignLossOp.Batch ab = synthetic(64, 64, 3, gt(new float[][] {g0, g1}, 1, 1));
        AutoAssignLossOp.Batch ba = synthetic(64, 64, 3, gt(new float[][] {g1, g0}, 1, 1));
        assertSameAsUnfused(ab, 1, 1, 1);
        assertSameAsUnfused(ba, 1, 1, 1);
        assertSameAsUnfused(ab, 0, 1, 0);
        // the write order is observable: swapping the GTs changes loss_neg, not loss_pos / loss_center
        AutoAssignLossOp.Result rab = fused(ab), rba = fused(ba);
        assertNotEquals(rab.lossNeg, rba.lossNeg);
        assertEquals(rab.lossPos, rba.lossPos, 1e-6 * rab.lossPos);
        assertEquals(rab.lossCenter, rba.lossCenter, 1e-6 * rab.lossCenter);
        // different classes: one write each, order irrelevant
        AutoAssignLossOp.Result d1 = fused(synthetic(64, 64, 3, gt(new float[][] {g0, g1}, 1, 2)));
        AutoAssignLossOp.Result d2 = fused(synthetic(64, 64, 3, gt(new float[][] {g1, g0}, 2, 1)));
        assertEquals(d1.lossNeg, d2.lossNeg, 1e-6 * d1.lossNeg);
    }

    // ------------------------------------------------------------------ borders and tiny GTs

    @Test
    void gtOnTheImageBorderExcludesBorderPoints() {
        AutoAssignLossOp.Batch b = synthetic(64, 64, 3, gt(new float[][] {{0, 0, 64, 64}}, 0));
        AutoAssignLossOp.Result r = fused(b);
        // strict inside: P3 7×7 (x,y in 8..56), P4 3×3, P5 1 (32,32), P6/P7 only (0,0) → none
        assertEquals(49 + 9 + 1, r.insidePairs[0]);
        assertSameAsUnfused(b, 1, 1, 1);
        // a GT touching the left/top border and one touching right/bottom
        assertSameAsUnfused(synthetic(64, 64, 3, gt(new float[][] {{0, 0, 20.5f, 33}, {40, 24, 64, 64}}, 2, 0)), 1, 1, 1);
    }

    @Test
    void gtSmallerThanTheStrideWithoutInsidePointAddsExactly25() {
        AutoAssignLossOp.Batch b = synthetic(64, 64, 3, gt(new float[][] {{9, 9, 15, 15}}, 1));
        AutoAssignLossOp.Result r = fused(b);
        assertEquals(0, r.insidePairs[0]);
        assertEquals(25.0, r.lossPos, 1e-6);     // BCE(0,1) = 100, × 0.25, pos_norm 1
        assertEquals(0.0, r.lossCenter);         // no inside pair: graph-connected zero
        assertEquals(1.0, r.negNorm);            // Σ C = 0 → clamp at 1
        AutoAssignLossOp.Result pc = AutoAssignLossOp.forwardBackward(b, LossReducer.IDENTITY, 1, 0, 1);
        for (float v : pc.gradDist[0]) assertEquals(0f, v);
        for (float v : pc.gradCls[0]) assertEquals(0f, v);
        for (float v : pc.gradMean) assertEquals(0f, v);
        for (float v : pc.gradSigma) assertEquals(0f, v);
        assertSameAsUnfused(b, 1, 1, 1);
    }

    @Test
    void gtSmallerThanTheStrideWithOneInsidePoint() {
        // only P3 point (24,24) is strictly inside
        AutoAssignLossOp.Batch b = synthetic(64, 64, 3, gt(new float[][] {{23, 23, 25, 25}}, 2));
        AutoAssignLossOp.Result r = fused(b);
        assertEquals(1, r.insidePairs[0]);
        int p = 3 * 8 + 3;
        float px = 24, py = 24;
        float[] d = b.dist()[0];
        float reg = LossKernels.giouLoss(px - d[4 * p], py - d[4 * p + 1], px + d[4 * p + 2], py + d[4 * p + 3], 23, 23, 25, 25);
        float s = LossKernels.sigmoid(b.cls()[0][p * 3 + 2]) * LossKernels.sigmoid(b.obj()[0][p]) * (float) Math.exp(-reg);
        assertEquals(0.25 * LossKernels.bceOne(s), r.lossPos, 1e-6 * r.lossPos);   // w = 1, R = S[p*]
        // negative weight 0 at (p*, class 2): no negative gradient on that cell, others untouched
        AutoAssignLossOp.Result neg = AutoAssignLossOp.forwardBackward(b, LossReducer.IDENTITY, 0, 1, 0);
        assertEquals(0f, neg.gradCls[0][p * 3 + 2]);
        assertTrue(neg.gradCls[0][p * 3 + 1] > 0f);
        assertSameAsUnfused(b, 1, 1, 1);
    }

    // ------------------------------------------------------------------ crowd

    @Test
    void crowdBoxesAreNotTargets() {
        float[][] boxes = {{10, 12, 41, 30}, {0, 0, 60, 60}, {30, 20, 60, 50}};
        GroundTruth withCrowd = new GroundTruth(gt(boxes, 1, 0, 2).boxes(), new int[] {1, 0, 2}, new boolean[] {false, true, false});
        GroundTruth without = gt(new float[][] {boxes[0], boxes[2]}, 1, 2);
        AutoAssignLossOp.Result a = fused(synthetic(64, 64, 3, withCrowd));
        AutoAssignLossOp.Result b = fused(synthetic(64, 64, 3, without));
        assertEquals(b.lossPos, a.lossPos);
        assertEquals(b.lossNeg, a.lossNeg);
        assertEquals(b.lossCenter, a.lossCenter);
        assertArrayEquals(b.gradCls[0], a.gradCls[0]);
        assertArrayEquals(b.gradSigma, a.gradSigma);
        // only crowd boxes: the image counts as having no GT (zero-GT path)
        GroundTruth onlyCrowd = new GroundTruth(new float[] {0, 0, 60, 60}, new int[] {0}, new boolean[] {true});
        AutoAssignLossOp.Result c = fused(synthetic(64, 64, 3, onlyCrowd));
        assertEquals(0.0, c.lossPos);
        assertEquals(0.0, c.lossCenter);
        assertEquals(1.0, c.negNorm);
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void nonFiniteInputsFailWithTheTensorName() {
        AutoAssignLossOp.Batch b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}}, 1));
        b.cls()[0][7 * 3 + 2] = Float.NaN;
        assertMessage(b, "cls_scores", "class 2");
        b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}}, 1));
        b.cls()[0][70 * 3] = Float.NEGATIVE_INFINITY;   // P4: an Inf that would not poison the loss
        assertMessage(b, "cls_scores", "level 1");
        b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}}, 1));
        b.dist()[0][4 * 5 + 2] = Float.POSITIVE_INFINITY;
        assertMessage(b, "bbox_preds", "channel r");
        b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}}, 1));
        b.obj()[0][3] = Float.NaN;
        assertMessage(b, "objectnesses", "col 3");
        b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}}, 1));
        b.sigma()[3] = Float.NaN;
        assertMessage(b, "center_prior_sigma", "[1,1]");
        b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}}, 1));
        b.mean()[0] = Float.POSITIVE_INFINITY;
        assertMessage(b, "center_prior_mean", "[0,0]");
        b = synthetic(64, 64, 3, gt(new float[][] {{10, Float.NaN, 41, 30}}, 1));
        assertMessage(b, "gt_bboxes", "box 0");
        b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}}, 3));
        assertMessage(b, "gt_labels", "label 3");
    }

    static void assertMessage(AutoAssignLossOp.Batch b, String... parts) {
        for (boolean grads : new boolean[] {false, true}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AutoAssignLossOp.forwardBackward(b, LossReducer.IDENTITY, 1, 1, 1));
            if (!grads) e = assertThrows(IllegalArgumentException.class, () -> AutoAssignLossOp.forward(b, LossReducer.IDENTITY));
            for (String part : parts) assertTrue(e.getMessage().contains(part), e.getMessage() + " should mention " + part);
        }
    }

    // ------------------------------------------------------------------ reducer

    @Test
    void normalisersGoThroughTheReducer() {
        AutoAssignLossOp.Batch b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}, {30, 20, 60, 50}}, 1, 2));
        AutoAssignLossOp.Result one = fused(b);
        // a second worker with 6 GTs and Σ C = 40
        LossReducer two = new LossReducer() {
            @Override public double[] sum(double... v) { return new double[] {v[0] + 6, v[1] + 40}; }
            @Override public int worldSize() { return 2; }
        };
        AutoAssignLossOp.Result r = AutoAssignLossOp.forwardBackward(b, two, 1, 1, 1);
        assertEquals((2 + 6) / 2.0, r.posNorm, 1e-12);
        assertEquals((one.sumCenterPrior[0] + 40) / 2.0, r.negNorm, 1e-9);
        assertEquals(one.lossPos * 2 / r.posNorm, r.lossPos, 1e-6 * r.lossPos);
        assertEquals(one.lossNeg * one.negNorm / r.negNorm, r.lossNeg, 1e-6 * r.lossNeg);
        assertEquals(one.lossCenter, r.lossCenter, 1e-12);   // per-worker mean over its own images
        float ratio = (float) (one.negNorm / r.negNorm);
        AutoAssignLossOp.Result n1 = AutoAssignLossOp.forwardBackward(b, LossReducer.IDENTITY, 0, 1, 0);
        AutoAssignLossOp.Result n2 = AutoAssignLossOp.forwardBackward(b, two, 0, 1, 0);
        for (int k = 0; k < n1.gradCls[0].length; k += 97) assertEquals(n1.gradCls[0][k] * ratio, n2.gradCls[0][k], 1e-6f * Math.abs(n1.gradCls[0][k]) + 1e-12f);
    }

    // ------------------------------------------------------------------ layout and finite differences

    @Test
    void levelImageRoundTrip() {
        PointGrid grid = PointGrid.forPaddedImage(800, 1216, PointGrid.DEFAULT_STRIDES);
        assertEquals(20267, grid.numPoints());
        assertEquals(22400, PointGrid.forPaddedImage(800, 1344, PointGrid.DEFAULT_STRIDES).numPoints());
        PointGrid small = PointGrid.forPaddedImage(96, 160, PointGrid.DEFAULT_STRIDES);
        Random rnd = new Random(1);
        float[][] levels = new float[small.numLevels()][];
        for (int l = 0; l < levels.length; l++) {
            levels[l] = new float[2 * 5 * small.levelSize(l)];
            for (int k = 0; k < levels[l].length; k++) levels[l][k] = rnd.nextFloat();
        }
        float[][] imgs = small.levelsToImages(levels, 2, 5);
        // point (level 1, row 2, col 3) of image 1, channel 4
        int p = small.offset(1) + 2 * small.width(1) + 3;
        assertEquals(levels[1][((1 * 5 + 4) * small.height(1) + 2) * small.width(1) + 3], imgs[1][p * 5 + 4]);
        assertEquals(3 * 16f, small.x(p));
        assertEquals(2 * 16f, small.y(p));
        float[][] back = small.imagesToLevels(imgs, 5);
        for (int l = 0; l < levels.length; l++) assertArrayEquals(levels[l], back[l]);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        AutoAssignLossOp.Batch b = synthetic(64, 64, 3, gt(new float[][] {{10, 12, 41, 30}, {4, 6, 40, 44}}, 1, 1));
        AutoAssignLossOp.Result r = fused(b);
        AutoAssignLossOp.Result pc = AutoAssignLossOp.forwardBackward(b, LossReducer.IDENTITY, 1, 0, 1);
        float h = 1e-2f;
        // cls / obj: W and the normalisers do not depend on them → FD of the total
        int[] cells = {19 * 3 + 1, 20 * 3 + 1, 27 * 3 + 0, 69 * 3 + 1, 5 * 3 + 2};
        for (int k : cells) fd(b.cls()[0], k, h, r.gradCls[0][k], () -> total(b));
        for (int p : new int[] {19, 27, 69, 3}) fd(b.obj()[0], p, h, r.gradObj[0][p], () -> total(b));
        // μ, σ: the negative normaliser (detached) moves with them → FD of loss_pos + loss_center
        for (int k : new int[] {2, 3}) {
            fd(b.mean(), k, h, pc.gradMean[k], () -> posCenter(b));
            fd(b.sigma(), k, h, pc.gradSigma[k], () -> posCenter(b));
        }
        // distances: the no-grad IoU moves W → FD of loss_pos + loss_center
        for (int k : new int[] {4 * 19, 4 * 19 + 1, 4 * 27 + 2, 4 * 69 + 3}) fd(b.dist()[0], k, 0.05f, pc.gradDist[0][k], () -> posCenter(b));
    }

    static double total(AutoAssignLossOp.Batch b) {
        return AutoAssignLossOp.forward(b, LossReducer.IDENTITY).total();
    }

    static double posCenter(AutoAssignLossOp.Batch b) {
        AutoAssignLossOp.Result r = AutoAssignLossOp.forward(b, LossReducer.IDENTITY);
        return r.lossPos + r.lossCenter;
    }

    static void fd(float[] a, int k, float h, float analytic, java.util.function.DoubleSupplier f) {
        float v = a[k];
        a[k] = v + h;
        double up = f.getAsDouble();
        a[k] = v - h;
        double down = f.getAsDouble();
        a[k] = v;
        double num = (up - down) / (2 * h);
        assertEquals(num, analytic, 2e-2 * Math.abs(num) + 2e-4, "index " + k + ": fd " + num + " vs " + analytic);
    }
}
