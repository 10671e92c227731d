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
        String reason = s.offer(map(0.33)); // 0.32 + 0.01 > 0.33 is false: equal to best + delta counts as improvement
        assertNull(reason);
        assertNull(s.offer(map(0.335)));
        reason = s.offer(map(0.30));
        assertNotNull(reason, "two validations without beating 0.33 + 0.01");
        assertTrue(reason.contains("did not improve in the last 2 validations"), reason);
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
}
