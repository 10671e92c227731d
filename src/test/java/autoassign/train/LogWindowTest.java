package autoassign.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMEngine's LogProcessor window: means over the last window_size iterations, across log lines. */
class LogWindowTest {
    private static Trainer.StepLosses losses(double pos) { return new Trainer.StepLosses(pos, 0, 0, null); }

    @Test
    void meansOverTheLastWindowOnly() {
        LogWindow w = new LogWindow(3);
        assertTrue(Double.isNaN(w.pos()));
        w.add(losses(1), 0.1, 0.01, Double.NaN);
        w.add(losses(2), 0.2, 0.02, 4.0);
        assertEquals(1.5, w.pos(), 1e-12, "fewer than the window: all of them");
        w.add(losses(3), 0.3, 0.03, Double.NaN);
        w.add(losses(10), 0.4, 0.04, 6.0);
        assertEquals(5.0, w.pos(), 1e-12, "the last 3: 2, 3, 10");
        assertEquals(0.3, w.time(), 1e-12);
        assertEquals(5.0, w.gradNorm(), 1e-12, "only the iterations with a norm");
        w.add(new Trainer.StepLosses(Double.NaN, Double.NaN, Double.NaN, "loss_pos"), 0.5, 0.05, Double.NaN);
        assertEquals(6.5, w.pos(), 1e-12, "a skipped step counts for time, not for the losses");
        assertEquals(0.4, w.time(), 1e-12);
    }
}
