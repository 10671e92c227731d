package autoassign.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LrScheduleTest {
    private final LrSchedule coco = new LrSchedule(0.01, 1000, 0.001, new int[] {8, 11}, 0.1);

    @Test
    void warmupMatchesSpecExamples() {
        // AA_5 §4: lr(0)=1e-5, lr(1)=2e-5, lr(100)=1.01e-3, lr(500)=5.01e-3, lr(999)=1e-2
        assertEquals(1e-5, coco.lr(0, 0), 1e-15);
        assertEquals(2e-5, coco.lr(1, 0), 1e-15);
        assertEquals(1.01e-3, coco.lr(100, 0), 1e-15);
        assertEquals(5.01e-3, coco.lr(500, 0), 1e-15);
        assertEquals(1e-2, coco.lr(999, 0), 1e-15);
        assertEquals(1e-2, coco.lr(1000, 0), 1e-15);
    }

    @Test
    void stepsAfterEpochsEightAndEleven() {
        long it = 7330L * 7;
        assertEquals(1e-2, coco.lr(it, 7), 1e-15);   // 8th epoch (0-based 7)
        assertEquals(1e-3, coco.lr(it, 8), 1e-15);   // epochs 9-11 at 1e-3
        assertEquals(1e-3, coco.lr(it, 10), 1e-15);
        assertEquals(1e-4, coco.lr(it, 11), 1e-16);  // epoch 12 at 1e-4
    }

    @Test
    void rejectsBadValues() {
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(-1, 10, 0.001, new int[0], 0.1));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(0.01, -1, 0.001, new int[0], 0.1));
    }
}
