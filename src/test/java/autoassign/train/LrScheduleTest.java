package autoassign.train;

import autoassign.config.SchedulerConfig;
import autoassign.config.SchedulerConfig.Entry;
import autoassign.config.SchedulerConfig.Rule;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LrScheduleTest {
    static final int EPOCH = 7330; // iterations of a COCO train2017 epoch at 16 images per step

    /** The recipe: LinearLR(0.001) over iterations [0, 1000), MultiStepLR([8, 11]) by epoch, 12 epochs. */
    static final SchedulerConfig RECIPE = new SchedulerConfig(List.of(
            new Entry(new Rule.Linear(0.001, 1.0), 0, 1000, false, false),
            new Entry(new Rule.MultiStep(List.of(8, 11), 0.1), 0, 12, true, false)));

    /** The rate of every iteration, as the trainer steps the schedule. */
    static double[] rates(LrSchedule s, int epochs, int epochLength) {
        double[] out = new double[epochs * epochLength];
        for (int e = 0, i = 0; e < epochs; e++) {
            for (int k = 0; k < epochLength; k++, i++) {
                out[i] = s.lr();
                s.afterIter();
            }
            s.afterEpoch();
        }
        return out;
    }

    @Test
    void warmupMatchesSpecExamples() {
        double[] lr = rates(new LrSchedule(0.01, RECIPE, 12, 12L * EPOCH, EPOCH), 1, EPOCH);
        // AA_5 §4: lr(0)=1e-5, lr(1)=2e-5, lr(100)=1.01e-3, lr(500)=5.01e-3, lr(999)=1e-2
        assertEquals(1e-5, lr[0], 1e-15);
        assertEquals(2e-5, lr[1], 1e-15);
        assertEquals(1.01e-3, lr[100], 1e-15);
        assertEquals(5.01e-3, lr[500], 1e-15);
        assertEquals(1e-2, lr[999], 1e-15);
        assertEquals(1e-2, lr[1000], 1e-15);
    }

    @Test
    void stepsAfterEpochsEightAndEleven() {
        double[] lr = rates(new LrSchedule(0.01, RECIPE, 12, 12L * EPOCH, EPOCH), 12, EPOCH);
        assertEquals(1e-2, lr[8 * EPOCH - 1], 1e-15);  // the 8th epoch's last iteration
        assertEquals(1e-3, lr[8 * EPOCH], 1e-15);      // epochs 9-11 at 1e-3
        assertEquals(1e-3, lr[11 * EPOCH - 1], 1e-15);
        assertEquals(1e-4, lr[11 * EPOCH], 1e-16);     // epoch 12 at 1e-4
    }

    @Test
    void warmupStartingLaterLeavesTheEarlierIterationsAlone() {
        var cfg = new SchedulerConfig(List.of(new Entry(new Rule.Linear(0.5, 1.0), 10, 13, false, false)));
        double[] lr = rates(new LrSchedule(1.0, cfg, 1, 20, 20), 1, 20);
        assertEquals(1.0, lr[9], 0);
        assertEquals(0.5, lr[10], 1e-15);
        assertEquals(0.75, lr[11], 1e-15);
        assertEquals(1.0, lr[12], 1e-15);
        assertEquals(1.0, lr[19], 1e-15);
    }

    @Test
    void fastForwardEqualsSteppingThrough() {
        var cfg = new SchedulerConfig(List.of(new Entry(new Rule.Linear(0.1, 1.0), 0, 25, false, false),
                new Entry(new Rule.CosineAnnealing(null, 1e-4, null), 0, null, true, true)));
        double[] lr = rates(new LrSchedule(0.02, cfg, 4, 40, 10), 4, 10);
        LrSchedule resumed = new LrSchedule(0.02, cfg, 4, 40, 10);
        resumed.fastForward(2, 10, 3);
        assertEquals(lr[23], resumed.lr(), 0);
    }

    @Test
    void constantWithoutSchedulers() {
        LrSchedule s = new LrSchedule(0.03, new SchedulerConfig(List.of()), 2, 10, 5);
        for (double v : rates(s, 2, 5)) assertEquals(0.03, v, 0);
    }

    @Test
    void rejectsBadValues() {
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(-1, RECIPE, 12, 120, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(0.01, RECIPE, 12, 0, 0));
    }
}
