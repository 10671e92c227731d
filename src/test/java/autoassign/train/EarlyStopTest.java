package autoassign.train;

import autoassign.config.RuntimeConfig.EarlyStopping;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMEngine's EarlyStoppingHook rules on a sequence of validation scores (coco/bbox_mAP). */
class EarlyStopTest {
    private static java.util.Map<String, Double> map(double v) { return java.util.Map.of("coco/bbox_mAP", v); }

    @Test
    void stopsAfterPatienceValidationsWithoutAnImprovementOfMinDelta() {
        EarlyStop s = new EarlyStop(new EarlyStopping("coco/bbox_mAP", true, 0.01, 2, null, true));
        assertNull(s.offer(map(0.30)));
        assertNull(s.offer(map(0.305)), "+0.005 < min_delta: one wait");
        assertNull(s.offer(map(0.32)), "+0.02 from the best 0.30: improvement, the count restarts");
        assertNull(s.offer(map(0.325)));
        // MMEngine: np.greater(0.33 - 0.01, 0.32) is False in doubles (0.33 - 0.01 == 0.32): the second wait stops
        String reason = s.offer(map(0.33));
        assertNotNull(reason, "two validations without beating 0.32 by more than 0.01");
        assertTrue(reason.contains("did not improve in the last 2 validations (best 0.3200)"), reason);
        EarlyStop t = new EarlyStop(new EarlyStopping("coco/bbox_mAP", true, 0.01, 2, null, true));
        assertNull(t.offer(map(0.32)));
        assertNull(t.offer(map(0.331)), "0.331 - 0.01 > 0.32: an improvement, the count restarts");
        assertNull(t.offer(map(0.335)));
        reason = t.offer(map(0.30));
        assertNotNull(reason, "two validations without beating 0.331 + 0.01");
    }

    @Test
    void thresholdAndNonFiniteStopAtOnce() {
        EarlyStop t = new EarlyStop(new EarlyStopping("coco/bbox_mAP", true, 0.1, 5, 0.5, true));
        assertNull(t.offer(map(0.49)));
        assertTrue(t.offer(map(0.51)).contains("reached the stopping threshold 0.5"));
        EarlyStop n = new EarlyStop(new EarlyStopping("coco/bbox_mAP", true, 0.1, 5, null, true));
        assertTrue(n.offer(map(Double.NaN)).contains("is not finite"));
        EarlyStop lenient = new EarlyStop(new EarlyStopping("coco/bbox_mAP", true, 0.1, 5, null, false));
        assertNull(lenient.offer(map(Double.NaN)), "check_finite: false");
    }

    /**
     * MMEngine's {@code after_val_epoch}: {@code compare_func(score - min_delta, best)}. With {@code min_delta: 0} the same
     * (3-decimal rounded) metric again is no improvement, and a NaN under {@code check_finite: false} is a wait, never a
     * new best that every later score would beat.
     */
    @Test
    void aTieOrANanIsNoImprovementAsInMmengine() {
        EarlyStop tie = new EarlyStop(new EarlyStopping("coco/bbox_mAP", true, 0.0, 2, null, true));
        assertNull(tie.offer(map(0.3)));
        assertNull(tie.offer(map(0.3)), "0.3 > 0.3 is false: one wait");
        String reason = tie.offer(map(0.3));
        assertNotNull(reason, "two ties in a row with patience 2 stop the training");
        assertTrue(reason.contains("did not improve in the last 2 validations (best 0.3000)"), reason);

        EarlyStop nan = new EarlyStop(new EarlyStopping("coco/bbox_mAP", true, 0.1, 2, null, false));
        assertNull(nan.offer(map(0.3)));
        assertNull(nan.offer(map(Double.NaN)), "NaN - 0.1 > 0.3 is false: a wait");
        assertNotNull(nan.offer(map(0.35)), "0.35 - 0.1 > 0.3 is false: the second wait stops");

        // rule less: min_delta is negated, an improvement needs score + min_delta < best
        EarlyStop less = new EarlyStop(new EarlyStopping("coco/bbox_mAP", false, 0.1, 1, null, true));
        assertNull(less.offer(map(1.0)));
        assertNotNull(less.offer(map(0.95)), "0.95 + 0.1 < 1.0 is false");
        EarlyStop less2 = new EarlyStop(new EarlyStopping("coco/bbox_mAP", false, 0.1, 1, null, true));
        assertNull(less2.offer(map(1.0)));
        assertNull(less2.offer(map(0.85)), "0.85 + 0.1 < 1.0: an improvement");
    }
}
