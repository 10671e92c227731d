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

    /**
     * MessageHub's {@code train/grad_norm} gets a value only when OptimWrapper clips, at an update: with
     * {@code accumulative_counts} the logged mean is over the last {@code window_size} norms, not over the norms that fall
     * in the last {@code window_size} iterations.
     */
    @Test
    void gradNormMeansTheLastWindowOfNorms() {
        LogWindow w = new LogWindow(2);
        assertTrue(Double.isNaN(w.gradNorm()), "before the first update: nothing to log");
        for (double norm : new double[] {Double.NaN, 2.0, Double.NaN, 4.0, Double.NaN}) w.add(losses(1), 0.1, 0.01, norm);
        assertEquals(3.0, w.gradNorm(), 1e-12, "the last two norms, 2 and 4, though the last two iterations hold only one");
        w.add(losses(1), 0.1, 0.01, 8.0);
        assertEquals(6.0, w.gradNorm(), 1e-12);
    }
}
