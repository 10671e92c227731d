package autoassign.train;

import autoassign.config.OptimConfig;
import autoassign.config.SchedulerConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rprop and ASGD beside their torch goldens: Rprop's step size starting at the lr of a tensor's first step, growing,
 * shrinking with the gradient zeroed, and clamped; ASGD's eta and mu from the lr of the step before, its average; their
 * state names and refusals; no momentum for a momentum scheduler.
 */
class RpropAsgdTest {
    private static OptimConfig config(OptimConfig.Type type, OptimConfig.Rule rule) {
        return new OptimConfig(1e-2, 0, 0, false, Double.NaN, 0, 1, Double.NaN, List.of(), 1, type, 0.9, 0.999, 1e-8, 0,
                Double.NaN, null, true, rule);
    }

    private static OptimConfig.Rule rule(double etaMinus, double etaPlus, double min, double max, double lambd, double alpha, double t0) {
        return new OptimConfig.Rule(0.99, false, 0, 0, 0.9, 4e-3, false, false, false, etaMinus, etaPlus, min, max, lambd, alpha, t0);
    }

    private static List<Optimizer.Group> scalars(float... values) {
        List<Optimizer.Group> g = new ArrayList<>();
        for (int i = 0; i < values.length; i++)
            g.add(new Optimizer.Group("p" + i, Tensor.of(new float[] {values[i]}, 1), 0f, i + 1)); // lr multipliers 1, 2, ...
        return g;
    }

    private static void grad(Optimizer.Group g, Float v) { g.param().setGrad(v == null ? null : Tensor.of(new float[] {v}, 1)); }

    private static float value(Map<String, Tensor> st, String key) { return st.get(key).toFloatArray()[0]; }

    @Test
    void rpropStepSizeStartsAtTheFirstStepsLrThenGrowsShrinksAndClamps() {
        List<Optimizer.Group> g = scalars(1f, 1f);
        Optimizer o = Optimizer.of(g, config(OptimConfig.Type.Rprop, rule(0.5, 1.5, 1e-3, 0.02, 1e-4, 0.75, 1e6)));
        grad(g.get(0), 2f);
        grad(g.get(1), null); // p1 first steps at step 2
        o.step(0.01f);
        Map<String, Tensor> st = o.state();
        assertEquals(0.01f, value(st, "step_size.p0")); // sign(g·0) = 0 -> factor 1: the lr
        assertEquals(1f - 0.01f, g.get(0).param().toFloatArray()[0]);
        assertEquals(List.of("prev.p0", "step_size.p0", "step.p0"), new ArrayList<>(st.keySet()));
        grad(g.get(0), 3f);
        grad(g.get(1), -1f);
        o.step(0.004f); // a warm-up's next lr: p0's step size does not follow it
        st = o.state();
        assertEquals(0.01f * 1.5f, value(st, "step_size.p0")); // same sign: ×1.5
        assertEquals((float) 0.008, value(st, "step_size.p1")); // its first step: this step's lr × its multiplier 2
        assertEquals(1f + (float) 0.008, g.get(1).param().toFloatArray()[0]);
        grad(g.get(0), 1f);
        o.step(0.01f);
        assertEquals(0.02f, value(o.state(), "step_size.p0")); // 0.0225 clamped to step_sizes[1]
        float before = g.get(0).param().toFloatArray()[0];
        grad(g.get(0), -5f);
        o.step(0.01f);
        st = o.state();
        assertEquals(0.01f, value(st, "step_size.p0")); // sign change: ×0.5 ...
        assertEquals(before, g.get(0).param().toFloatArray()[0]); // ... the gradient zeroed: no move
        assertEquals(0f, value(st, "prev.p0")); // so the next step's sign is 0 (factor 1)
        grad(g.get(0), -5f);
        o.step(0.01f);
        assertEquals(0.01f, value(o.state(), "step_size.p0"));
        assertEquals(before + 0.01f, g.get(0).param().toFloatArray()[0]);
        assertEquals(4f, value(o.state(), "step.p1")); // p1 from step 2 on (its gradient stays set)
        assertEquals(5f, value(o.state(), "step.p0"));
    }

    @Test
    void asgdEtaFollowsTheLrOfTheStepBeforeAndAveragesAfterT0() {
        double lambd = 0.1, alpha = 0.5, t0 = 1;
        List<Optimizer.Group> g = scalars(1f);
        Optimizer o = Optimizer.of(g, config(OptimConfig.Type.ASGD, rule(0.5, 1.2, 1e-6, 50, lambd, alpha, t0)));
        float p = 1f, ax = 0f, eta = 0.1f, mu = 1f;
        double[] lrs = {0.1, 0.2, 0.05, 0.3};
        float[] grads = {1f, -2f, 0.5f, 3f};
        for (int s = 0; s < lrs.length; s++) {
            grad(g.get(0), grads[s]);
            o.step((float) lrs[s]);
            // torch: param.mul_(1 - lambd * eta); param.add_(grad, alpha=-eta); ax; then eta, mu from this step's t and lr
            p = p * (float) (1 - lambd * eta);
            p = p + -eta * grads[s];
            ax = mu != 1f ? ax + (p - ax) * mu : p;
            int t = s + 1;
            double lr = (float) lrs[s];
            eta = (float) (lr / Math.pow(1 + lambd * lr * t, alpha));
            mu = (float) (1 / Math.max(1, t - t0));
            Map<String, Tensor> st = o.state();
            assertEquals(p, g.get(0).param().toFloatArray()[0], "step " + t);
            assertEquals(ax, value(st, "ax.p0"), "ax after step " + t);
            assertEquals(eta, value(st, "eta.p0"), "eta after step " + t);
            assertEquals(mu, value(st, "mu.p0"), "mu after step " + t);
        }
        assertEquals(1f / 3, mu); // mu left 1 after step 2 (t − t0 = 2), so ax averaged at steps 3 and 4
        assertTrue(ax != g.get(0).param().toFloatArray()[0]);
        assertEquals(List.of("ax.p0", "eta.p0", "mu.p0", "step.p0"), new ArrayList<>(o.state().keySet()));
    }

    @Test
    void statesRoundTripAndAnotherRulesStateIsRefused() {
        List<Optimizer.Group> g = scalars(1f, 2f);
        Optimizer asgd = Optimizer.of(g, config(OptimConfig.Type.ASGD, OptimConfig.Rule.DEFAULTS));
        grad(g.get(0), 1f);
        grad(g.get(1), 1f);
        asgd.step(0.01f);
        Optimizer copy = Optimizer.of(scalars(1f, 2f), config(OptimConfig.Type.ASGD, OptimConfig.Rule.DEFAULTS));
        copy.loadState(asgd.state());
        for (var e : asgd.state().entrySet())
            assertArrayEquals(e.getValue().toFloatArray(), copy.state().get(e.getKey()).toFloatArray(), e.getKey());
        Map<String, Tensor> noEta = new LinkedHashMap<>(asgd.state());
        noEta.remove("eta.p1");
        String e = assertThrows(IllegalArgumentException.class, () -> Optimizer.of(scalars(1f, 2f),
                config(OptimConfig.Type.ASGD, OptimConfig.Rule.DEFAULTS)).loadState(noEta)).getMessage();
        assertEquals("optimizer state has a step count but no eta of p1 (saved by another optimizer?)", e);
        e = assertThrows(IllegalArgumentException.class, () -> Optimizer.of(scalars(1f, 2f),
                config(OptimConfig.Type.Rprop, OptimConfig.Rule.DEFAULTS)).loadState(asgd.state())).getMessage();
        assertTrue(e.startsWith("the optimizer state holds ax.p0, which is not Rprop's [prev, step_size, step]"), e);
    }

    @Test
    void noMomentumForAMomentumScheduler() {
        for (OptimConfig.Type t : List.of(OptimConfig.Type.Rprop, OptimConfig.Type.ASGD)) {
            Optimizer o = Optimizer.of(scalars(1f), config(t, OptimConfig.Rule.DEFAULTS));
            assertTrue(Double.isNaN(o.momentum()), t.name());
            assertThrows(IllegalStateException.class, () -> o.setMomentum(0.9));
            var c = new SchedulerConfig(List.of(new SchedulerConfig.Entry(new SchedulerConfig.Rule.Linear(0.5, 1.0), 0, 4, false, false,
                    SchedulerConfig.Param.MOMENTUM)));
            assertThrows(IllegalArgumentException.class, () -> new LrSchedule(0.01, o.lrMults(), o.momentum(), c, 1, 10, 10), t.name());
        }
    }
}
