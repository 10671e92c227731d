package autoassign.train;

import autoassign.config.SchedulerConfig;
import autoassign.config.SchedulerConfig.Entry;
import autoassign.config.SchedulerConfig.Param;
import autoassign.config.SchedulerConfig.Rule;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LrSchedule's momentum, OneCycle and ReduceOnPlateau parts beyond the goldens: errors, state and resume. */
class ParamScheduleTest {
    private static final Rule.ReduceOnPlateau PLATEAU = new Rule.ReduceOnPlateau("coco/bbox_mAP", true, 0.5, 0, 1e-4, false, 0, 0, 1e-8);

    private static SchedulerConfig cfg(Entry... entries) { return new SchedulerConfig(List.of(entries)); }

    @Test
    void momentumSchedulersNeedAnOptimizerWithMomentum() {
        var c = cfg(new Entry(new Rule.Linear(0.5, 1.0), 0, 4, false, false, Param.MOMENTUM));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LrSchedule(0.01, new double[0], Double.NaN, c, 1, 10, 10));
        assertEquals("param_scheduler[0] (LinearMomentum): optimizer must support momentum when using momentum scheduler"
                + " (it has neither momentum nor betas)", e.getMessage());
        LrSchedule s = new LrSchedule(0.01, new double[0], 0.9, c, 1, 10, 10);
        assertTrue(s.schedulesMomentum());
        assertEquals(0.45, s.momentum(), 1e-15);
        assertEquals(0.01, s.lr(), 0);
        assertFalse(new LrSchedule(0.01, new double[0], 0.9, cfg(), 1, 10, 10).schedulesMomentum());
    }

    @Test
    void oneCycleSteppedPastItsTotalIsRefused() {
        var c = cfg(new Entry(new Rule.OneCycle(0.1, 10, 0.3, true, 25, 1e4, false), 0, null, false, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LrSchedule(0.01, c, 1, 20, 20));
        assertTrue(e.getMessage().contains("past its total_steps 10") && e.getMessage().contains("Tried to step 12 times"), e.getMessage());
        LrSchedule s = new LrSchedule(0.01, c, 1, 11, 11); // the last iteration's value is step 10: allowed, as MMEngine
        assertEquals(0.1 / 25, s.lr(), 1e-15);
    }

    @Test
    void plateauWithoutItsMetricIsMmenginesKeyError() {
        LrSchedule s = new LrSchedule(0.01, cfg(new Entry(PLATEAU, 0, null, true, false)), 3, 30, 10);
        assertTrue(s.needsMetrics());
        assertEquals(List.of("coco/bbox_mAP"), s.monitors());
        s.afterEpoch();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.afterValidation(Map.of("loss", 1.0)));
        assertEquals("param_scheduler[0] (ReduceOnPlateauLR).monitor: Excepted key in ['loss'], but got key coco/bbox_mAP is not in"
                + " dict", e.getMessage());
    }

    @Test
    void plateauReducesAfterPatienceAndOnlyInsideBeginEnd() {
        // begin 1: the validation after the first epoch (global step 1) counts, the one before any epoch would not
        LrSchedule s = new LrSchedule(0.01, cfg(new Entry(PLATEAU, 1, 3, true, false)), 5, 50, 10);
        s.afterValidation(Map.of("coco/bbox_mAP", 0.1)); // global step 0 < begin: ignored
        s.afterEpoch();
        s.afterValidation(Map.of("coco/bbox_mAP", 0.3)); // the best
        assertEquals(0.01, s.lr(), 0);
        s.afterEpoch();
        s.afterValidation(Map.of("coco/bbox_mAP", 0.3)); // no better: patience 0 exceeded
        assertEquals(0.005, s.lr(), 0);
        s.afterEpoch();
        s.afterValidation(Map.of("coco/bbox_mAP", 0.2)); // global step 3 = end: ignored
        assertEquals(0.005, s.lr(), 0);
    }

    /** A run with validations and a mid-run checkpoint; the resumed schedule must go on as the straight one. */
    @Test
    void stateReplaysTheValidationsWhereTheyWereMade() {
        var c = cfg(new Entry(new Rule.Linear(0.1, 1.0), 0, 7, false, false),
                new Entry(PLATEAU, 0, null, true, false),
                new Entry(new Rule.ReduceOnPlateau("loss", false, 0.9, 1, 1e-4, false, 1, 0.5, 1e-8), 0, null, true, false,
                        Param.MOMENTUM),
                new Entry(new Rule.CosineAnnealing(null, 1e-4, null), 0, null, true, true));
        double[] maps = {0.1, 0.1, 0.2, 0.2, 0.2, 0.2}, losses = {1, 0.9, 0.9, 0.95, 0.95, 0.95};
        LrSchedule straight = new LrSchedule(0.02, new double[] {2}, 0.9, c, 6, 30, 5);
        double[][] want = new double[30][];
        String[] stateAfterEpoch = new String[6];
        for (int e = 0, i = 0; e < 6; e++) {
            for (int k = 0; k < 5; k++, i++) {
                want[i] = new double[] {straight.lr(), straight.lr(2), straight.momentum()};
                straight.afterIter();
            }
            straight.afterEpoch();
            straight.afterValidation(Map.of("coco/bbox_mAP", maps[e], "loss", losses[e]));
            stateAfterEpoch[e] = straight.state();
        }
        assertTrue(want[29][0] < want[5][0] && want[29][2] < 0.9, "reductions happened");
        for (int from = 1; from < 6; from++) {
            LrSchedule resumed = new LrSchedule(0.02, new double[] {2}, 0.9, c, 6, 30, 5);
            resumed.restore(stateAfterEpoch[from - 1]);
            resumed.fastForward(from, 5, 0);
            for (int i = from * 5; i < 30; i++) {
                assertEquals(want[i][0], resumed.lr(), 0, "resumed after epoch " + from + ": lr at " + i);
                assertEquals(want[i][1], resumed.lr(2), 0, "resumed after epoch " + from + ": lr × 2 at " + i);
                assertEquals(want[i][2], resumed.momentum(), 0, "resumed after epoch " + from + ": momentum at " + i);
                resumed.afterIter();
                if ((i + 1) % 5 == 0) {
                    resumed.afterEpoch();
                    int e = (i + 1) / 5 - 1;
                    resumed.afterValidation(Map.of("coco/bbox_mAP", maps[e], "loss", losses[e]));
                }
            }
        }
        // a state whose validations lie past the resumed position is another run's
        LrSchedule wrong = new LrSchedule(0.02, new double[] {2}, 0.9, c, 6, 30, 5);
        wrong.restore(stateAfterEpoch[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> wrong.fastForward(2, 5, 0));
        assertTrue(e.getMessage().contains("after iteration 15"), e.getMessage());
        assertNull(new LrSchedule(0.02, cfg(new Entry(new Rule.Linear(0.1, 1.0), 0, 7, false, false)), 6, 30, 5).state(),
                "without ReduceOnPlateau the position is the whole state");
    }

    /** An IterBasedTrainLoop validates after iterations, never ending an epoch: the replay feeds them after those. */
    @Test
    void iterationLoopValidationsReplayAfterTheirIteration() {
        var c = cfg(new Entry(new Rule.ReduceOnPlateau("loss", false, 0.5, 0, 1e-4, false, 0, 0, 1e-8), 0, null, true, false));
        LrSchedule straight = new LrSchedule(0.01, c, 1, 12, 4);
        String[] states = new String[12];
        double[] want = new double[13];
        for (int i = 0; i < 12; i++) {
            straight.afterIter();
            if ((i + 1) % 3 == 0) straight.afterValidation(Map.of("loss", 1.0)); // val_interval 3 iterations
            states[i] = straight.state();
            want[i + 1] = straight.lr();
        }
        assertEquals(0.01 * 0.125, want[12], 1e-18, "validations 2, 3 and 4 did not improve");
        for (int at : new int[] {3, 5, 9}) {
            LrSchedule resumed = new LrSchedule(0.01, c, 1, 12, 4);
            resumed.restore(states[at - 1]);
            resumed.fastForward(0, 4, at);
            assertEquals(want[at], resumed.lr(), 0, "resumed at iteration " + at);
        }
    }

    /** An MMEngine checkpoint's values and counters are taken after the fast-forward. */
    @Test
    void mmengineStateSetsValuesAndCounters() {
        var c = cfg(new Entry(new Rule.Linear(0.1, 1.0), 0, 3, false, false), new Entry(PLATEAU, 0, null, true, false));
        LrSchedule s = new LrSchedule(0.02, new double[] {2}, 0.9, c, 4, 20, 5);
        s.restore(new LrSchedule.State(new double[] {1, 2}, new double[] {0.005, 0.01}, 0.9,
                List.of(new LrSchedule.PlateauState(1, 2, 1, 0.3, 0, 0))).toJson());
        s.fastForward(2, 5, 0);
        assertEquals(0.005, s.lr(), 0);
        assertEquals(0.01, s.lr(2), 0);
        s.afterEpoch();
        s.afterValidation(Map.of("coco/bbox_mAP", 0.3)); // not better than the restored best: reduced
        assertEquals(0.0025, s.lr(), 0);
        LrSchedule other = new LrSchedule(0.02, c, 4, 20, 5);
        other.restore(new LrSchedule.State(new double[] {1}, new double[] {0.005}, Double.NaN,
                List.of(new LrSchedule.PlateauState(0, 2, 1, 0.3, 0, 0))).toJson());
        assertThrows(IllegalArgumentException.class, () -> other.fastForward(2, 5, 0), "index 0 is the LinearLR");
        assertThrows(IllegalArgumentException.class, () -> other.restore("{not json"));
    }
}
