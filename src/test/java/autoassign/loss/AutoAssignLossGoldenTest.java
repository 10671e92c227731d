package autoassign.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of the loss golden folder (MMDetection v3.3.0, float64): the fused array-level op in
 * float32 must give the three losses to 1e-4 relative and every gradient tensor (per level) to
 * {@code ‖g − g_ref‖₂ ≤ 1e-3·‖g_ref‖₂ + 1e-6}, for the total and for each loss separately.
 * Folder: {@code -Dgoldens.dir=<dir laid out like shared/goldens>}, default the test resources.
 */
class AutoAssignLossGoldenTest {
    static final double LOSS_RTOL = 1e-4, GRAD_RTOL = 1e-3, GRAD_ATOL = 1e-6;

    static Stream<String> cases() throws Exception {
        return LossGoldenCase.caseFiles();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fusedOpMatchesGolden(String file) throws Exception {
        LossGoldenCase gc = LossGoldenCase.load(file);
        AutoAssignLossOp.Batch batch = gc.toBatch();
        List<String> failures = new ArrayList<>();
        AutoAssignLossOp.Result total = AutoAssignLossOp.forwardBackward(batch, LossReducer.IDENTITY, 1, 1, 1);
        checkLosses(gc, total, failures);
        checkLosses(gc, AutoAssignLossOp.forward(batch, LossReducer.IDENTITY), failures);
        checkGrads(gc, "grads_total", total, failures);
        checkGrads(gc, "grads_pos", AutoAssignLossOp.forwardBackward(batch, LossReducer.IDENTITY, 1, 0, 0), failures);
        checkGrads(gc, "grads_neg", AutoAssignLossOp.forwardBackward(batch, LossReducer.IDENTITY, 0, 1, 0), failures);
        checkGrads(gc, "grads_center", AutoAssignLossOp.forwardBackward(batch, LossReducer.IDENTITY, 0, 0, 1), failures);
        System.out.printf("%s: worst loss rel err %.3g, worst grad rel err %.3g%n", file, WORST[0], WORST[1]);
        WORST[0] = WORST[1] = 0;
        assertTrue(failures.isEmpty(), file + ":\n  " + String.join("\n  ", failures));
    }

    static void checkLosses(LossGoldenCase gc, AutoAssignLossOp.Result r, List<String> failures) {
        checkLoss("loss_pos", r.lossPos, gc.lossPos, failures);
        checkLoss("loss_neg", r.lossNeg, gc.lossNeg, failures);
        checkLoss("loss_center", r.lossCenter, gc.lossCenter, failures);
    }

    /** Worst relative errors seen (loss, gradient) for the one-line summary of each case. */
    static final double[] WORST = new double[2];

    static void checkLoss(String what, double got, double want, List<String> failures) {
        if (want != 0) WORST[0] = Math.max(WORST[0], Math.abs(got - want) / Math.abs(want));
        else WORST[0] = Math.max(WORST[0], Math.abs(got));
        if (!(Math.abs(got - want) <= LOSS_RTOL * Math.abs(want)))
            failures.add(String.format("%s = %.10g, expected %.10g (rel %.3g)", what, got, want,
                    Math.abs(got - want) / Math.abs(want)));
    }

    /** Result gradients in the golden layout: per level NCHW, or flat for mean/sigma. */
    static float[][] actualGrad(LossGoldenCase gc, AutoAssignLossOp.Result r, String key) {
        PointGrid grid = gc.grid();
        return switch (key) {
            case "cls_scores" -> grid.imagesToLevels(r.gradCls, gc.numClasses);
            case "bbox_preds" -> grid.imagesToLevels(r.gradDist, 4);
            case "objectnesses" -> grid.imagesToLevels(r.gradObj, 1);
            case "center_prior_mean" -> new float[][] {r.gradMean};
            case "center_prior_sigma" -> new float[][] {r.gradSigma};
            default -> throw new IllegalArgumentException(key);
        };
    }

    static void checkGrads(LossGoldenCase gc, String set, AutoAssignLossOp.Result r, List<String> failures) {
        for (String key : LossGoldenCase.GRAD_KEYS) {
            double[][] want = gc.grad(set, key);
            float[][] got = actualGrad(gc, r, key);
            for (int l = 0; l < want.length; l++) {
                String what = set + "." + key + (want.length > 1 ? "[level " + l + "]" : "");
                String err = compareGrad(got[l], want[l]);
                if (err != null) failures.add(what + ": " + err);
            }
        }
    }

    /** Null when {@code ‖g − g_ref‖₂ ≤ 1e-3·‖g_ref‖₂ + 1e-6}, else a description. */
    static String compareGrad(float[] got, double[] want) {
        if (got.length != want.length) return "length " + got.length + " != " + want.length;
        double diff = 0, ref = 0;
        int worst = -1;
        double worstAbs = -1;
        for (int i = 0; i < got.length; i++) {
            double d = got[i] - want[i];
            diff += d * d;
            ref += want[i] * want[i];
            if (!(Math.abs(d) <= worstAbs)) {
                worstAbs = Math.abs(d);
                worst = i;
            }
        }
        diff = Math.sqrt(diff);
        ref = Math.sqrt(ref);
        WORST[1] = Math.max(WORST[1], diff / (ref + GRAD_ATOL / GRAD_RTOL));
        if (diff <= GRAD_RTOL * ref + GRAD_ATOL) return null;
        return String.format("|g-ref|=%.4g |ref|=%.4g (rel %.3g); worst at %d: %.8g vs %.8g", diff, ref, diff / ref,
                worst, got[worst], want[worst]);
    }
}
