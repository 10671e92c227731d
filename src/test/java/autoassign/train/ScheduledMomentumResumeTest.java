package autoassign.train;

import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Save → resume of an optimizer whose momentum a scheduler drives: torch's RMSprop keeps {@code momentum_buffer} once
 * it made it, also while a momentum scheduler holds the momentum at 0 (LinearMomentum with end_factor 0, a cosine
 * reaching eta_min 0), and steps with it again when the momentum comes back; a checkpoint saved meanwhile must hold it.
 */
class ScheduledMomentumResumeTest {
    private static List<Optimizer.Group> groups() {
        Random r = new Random(11);
        List<Optimizer.Group> g = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            float[] a = new float[6];
            for (int j = 0; j < a.length; j++) a[j] = (float) r.nextGaussian();
            g.add(new Optimizer.Group("layer" + i + ".weight", Tensor.of(a, 2, 3), 0.01f));
        }
        return g;
    }

    private static void grads(List<Optimizer.Group> groups, long seed) {
        Random r = new Random(seed);
        for (Optimizer.Group g : groups) {
            float[] a = new float[6];
            for (int j = 0; j < a.length; j++) a[j] = (float) r.nextGaussian();
            g.param().setGrad(Tensor.of(a, 2, 3));
        }
    }

    @Test
    void rmspropMomentumScheduledToZeroKeepsItsBufferAcrossResume() {
        List<Optimizer.Group> run = groups();
        RmsProp live = new RmsProp(run, 0.99, 1e-8, 0.9, false, false, 0);
        grads(run, 1);
        live.step(1e-2f); // momentum 0.9: the buffers are made
        live.setMomentum(0);
        grads(run, 2);
        live.step(1e-2f); // momentum 0: the buffers are kept as they are
        Map<String, Tensor> saved = live.state();
        assertTrue(saved.containsKey("momentum_buffer.layer0.weight"), "saved: " + saved.keySet());

        // resume: the config's momentum (0.9), then the schedule's value, as the trainer sets it before each step
        List<Optimizer.Group> resumed = new ArrayList<>();
        for (Optimizer.Group g : run)
            resumed.add(new Optimizer.Group(g.name(), Tensor.of(g.param().toFloatArray(), g.param().shape()), g.weightDecay()));
        RmsProp back = new RmsProp(resumed, 0.99, 1e-8, 0.9, false, false, 0);
        back.loadState(saved);
        for (RmsProp o : List.of(live, back)) o.setMomentum(0.5); // the momentum comes back: the old buffer is used
        grads(run, 3);
        grads(resumed, 3);
        live.step(1e-2f);
        back.step(1e-2f);
        for (int i = 0; i < run.size(); i++)
            assertArrayEquals(run.get(i).param().toFloatArray(), resumed.get(i).param().toFloatArray(), 0f, run.get(i).name());
    }
}
