package autoassign.config;

import autoassign.train.LrSchedule;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fractional {@code begin} / {@code end} in {@code param_scheduler}: accepted with {@code convert_to_iter_based}, where
 * MMEngine 0.10's {@code build_iter_from_epoch} takes {@code int(begin * epoch_length)} (mmengine/optim/scheduler/
 * param_scheduler.py, c7a3324f), and refused elsewhere (by-epoch or by-iteration steps are step counts). The values of
 * a converted chain are checked against a transcription of MMEngine by {@code ParamScheduleGoldenTest}'s case
 * {@code fractional_begin_end_converted}.
 */
class FractionalSchedulerBoundsTest {
    @Test
    void convertedBoundsAreTruncatedAsPythonsInt() throws Exception {
        // 10 iterations an epoch: LinearLR over [int(0.25 * 10), int(0.75 * 10)) = [2, 7)
        SchedulerConfig c = ParamSchedulerConfigTest.parse("[{\"type\": \"LinearLR\", \"start_factor\": 0.5, \"begin\": 0.25, \"end\": 0.75,"
                + " \"convert_to_iter_based\": true}]");
        assertEquals(0.25, c.entries().get(0).beginEpochs());
        assertEquals(0.75, c.entries().get(0).endEpochs());
        LrSchedule s = new LrSchedule(1.0, new double[] {1.0}, 0.9, c, 2, 20, 10);
        double[] lr = new double[10];
        for (int i = 0; i < 10; i++) {
            lr[i] = s.lr(1.0);
            s.afterIter();
        }
        assertEquals(1.0, lr[0]);
        assertEquals(1.0, lr[1]);
        assertEquals(0.5, lr[2], 1e-15); // the first step in range: × start_factor
        assertEquals(0.625, lr[3], 1e-15); // then linearly to 1 over total_iters = end - begin - 1 = 4
        assertEquals(1.0, lr[6], 1e-15);
        assertEquals(1.0, lr[9], 1e-15);
        // 0.3 * 10 is 3.0000000000000004 in doubles and 0.7 * 10 is 7.000000000000001: both truncate to the integer
        SchedulerConfig d = ParamSchedulerConfigTest.parse("[{\"type\": \"ConstantLR\", \"factor\": 0.5, \"begin\": 0.3, \"end\": 0.7, \"convert_to_iter_based\": true}]");
        LrSchedule t = new LrSchedule(1.0, new double[] {1.0}, 0.9, d, 1, 10, 10);
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            seen.append(t.lr(1.0) == 1.0 ? '1' : 'h');
            t.afterIter();
        }
        assertEquals("111hhh1111", seen.toString()); // × 0.5 from iteration 3, back at begin + total_iters = end − 1 = 6
    }

    @Test
    void boundsThatMeetAfterTruncationAreMmenginesValueError() throws Exception {
        // 2 iterations an epoch: int(0.5 * 2) = 1 and int(0.9 * 2) = 1, so end <= begin once converted
        SchedulerConfig c = ParamSchedulerConfigTest.parse("[{\"type\": \"LinearLR\", \"begin\": 0.5, \"end\": 0.9, \"convert_to_iter_based\": true}]");
        String m = assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1.0, new double[] {1.0}, 0.9, c, 2, 4, 2))
                .getMessage();
        assertTrue(m.contains("end should be larger than begin, but got begin=1, end=1"), m);
        // the same at 10 iterations an epoch is fine: [5, 9)
        new LrSchedule(1.0, new double[] {1.0}, 0.9, c, 2, 20, 10);
    }

    @Test
    void fractionsAreRefusedWhereTheyAreStepCounts() {
        assertTrue(ParamSchedulerConfigTest.error("[{\"type\": \"LinearLR\", \"begin\": 0.5, \"end\": 2}]").contains("param_scheduler[0].begin: must be an integer"));
        assertTrue(ParamSchedulerConfigTest.error("[{\"type\": \"LinearLR\", \"end\": 2.5}]").contains("param_scheduler[0].end: must be an integer"));
        assertTrue(ParamSchedulerConfigTest.error("[{\"type\": \"LinearLR\", \"by_epoch\": false, \"begin\": 0.5, \"end\": 20}]")
                .contains("param_scheduler[0].begin: must be an integer"));
        assertTrue(ParamSchedulerConfigTest.error("[{\"type\": \"LinearLR\", \"begin\": 1.5, \"end\": 1.25, \"convert_to_iter_based\": true}]")
                .contains("param_scheduler[0].end: must be larger than begin 1.5, got 1.25"));
        assertTrue(ParamSchedulerConfigTest.error("[{\"type\": \"LinearLR\", \"begin\": -0.5, \"convert_to_iter_based\": true}]")
                .contains("param_scheduler[0].begin: must be >= 0"));
    }
}
