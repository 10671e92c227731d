package autoassign.train;

import autoassign.backend.CheckedDeviceBackend;
import autoassign.config.OptimConfig;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The element-wise rules' optimizer classes: the momentum hooks MMEngine's momentum schedulers use, tensors without a
 * gradient left alone, state names and refusals of another rule's state, and the same steps on a device backend (the
 * {@code Backend.foreachUpdate} default over host copies) as on the CPU.
 */
class OptimizerRulesTest {
    private static List<Optimizer.Group> groups(long seed) {
        Random r = new Random(seed);
        List<Optimizer.Group> g = new ArrayList<>();
        int[][] shapes = {{3, 4}, {5}};
        for (int i = 0; i < shapes.length; i++) {
            float[] a = new float[shapes[i].length == 2 ? 12 : 5];
            for (int j = 0; j < a.length; j++) a[j] = (float) r.nextGaussian();
            g.add(new Optimizer.Group("layer" + i + ".weight", Tensor.of(a, shapes[i]), i == 0 ? 0.01f : 0f, i == 0 ? 1 : 2));
        }
        return g;
    }

    private static void grads(List<Optimizer.Group> groups, long seed) {
        Random r = new Random(seed);
        for (Optimizer.Group g : groups) {
            float[] a = new float[Math.toIntExact(g.param().numel())];
            for (int j = 0; j < a.length; j++) a[j] = (float) r.nextGaussian();
            g.param().setGrad(Tensor.of(a, g.param().shape()).to(g.param().device()));
        }
    }

    private static OptimConfig config(OptimConfig.Type type, double momentum, OptimConfig.Rule rule) {
        return new OptimConfig(1e-2, momentum, 0, false, Double.NaN, 0, 1, Double.NaN, List.of(), 1, type, 0.9, 0.999, 1e-8, 0,
                Double.NaN, null, true, rule);
    }

    private static final OptimConfig.Rule CENTERED = new OptimConfig.Rule(0.9, true, 0.1, 0.2, 0.8, 4e-3, true, false, false);

    @Test
    void momentumHooks() {
        Optimizer rms = Optimizer.of(groups(1), config(OptimConfig.Type.RMSprop, 0.5, CENTERED));
        assertEquals(0.5, rms.momentum());
        rms.setMomentum(0.7);
        assertEquals(0.7, rms.momentum());
        for (OptimConfig.Type t : List.of(OptimConfig.Type.Adamax, OptimConfig.Type.NAdam, OptimConfig.Type.RAdam)) {
            Optimizer o = Optimizer.of(groups(1), config(t, 0, CENTERED));
            assertEquals(0.9, o.momentum(), t.name());
            o.setMomentum(0.85);
            assertEquals(0.85, o.momentum(), t.name());
        }
        for (OptimConfig.Type t : List.of(OptimConfig.Type.Adagrad, OptimConfig.Type.Adadelta, OptimConfig.Type.Rprop, OptimConfig.Type.ASGD)) {
            Optimizer o = Optimizer.of(groups(1), config(t, 0, CENTERED));
            assertTrue(Double.isNaN(o.momentum()), t.name());
            assertThrows(IllegalStateException.class, () -> o.setMomentum(0.9));
        }
    }

    @Test
    void aSchedulersMomentumChangesTheNextStep() {
        List<Optimizer.Group> a = groups(2), b = groups(2);
        Optimizer oa = Optimizer.of(a, config(OptimConfig.Type.NAdam, 0, OptimConfig.Rule.DEFAULTS));
        Optimizer ob = Optimizer.of(b, config(OptimConfig.Type.NAdam, 0, OptimConfig.Rule.DEFAULTS));
        ob.setMomentum(0.5);
        grads(a, 3);
        grads(b, 3);
        oa.step(1e-2f);
        ob.step(1e-2f);
        assertNotEquals(a.get(0).param().toFloatArray()[0], b.get(0).param().toFloatArray()[0]);
    }

    @Test
    void aTensorWithoutGradientKeepsItsValuesAndState() {
        List<Optimizer.Group> g = groups(4);
        Optimizer o = Optimizer.of(g, config(OptimConfig.Type.Adagrad, 0, CENTERED));
        grads(g, 5);
        o.step(1e-2f);
        float[] before = g.get(1).param().toFloatArray();
        g.get(1).param().setGrad(null);
        g.get(0).param().setGrad(Tensor.of(new float[12], 3, 4));
        o.step(1e-2f);
        assertArrayEquals(before, g.get(1).param().toFloatArray(), 0f);
        Map<String, Tensor> st = o.state();
        assertEquals(2f, st.get("step.layer0.weight").toFloatArray()[0]);
        assertEquals(1f, st.get("step.layer1.weight").toFloatArray()[0]);
        // Adagrad's sum starts at initial_accumulator_value (0.2) and adds g² (a zero gradient adds nothing)
        assertTrue(st.get("sum.layer1.weight").toFloatArray()[0] > 0.2f);
    }

    @Test
    void statesCarryTorchsNamesAndAnotherRulesStateIsRefused() {
        List<Optimizer.Group> g = groups(6);
        Optimizer rms = Optimizer.of(g, config(OptimConfig.Type.RMSprop, 0.5, CENTERED));
        grads(g, 7);
        rms.step(1e-2f);
        assertEquals(List.of("square_avg.layer0.weight", "momentum_buffer.layer0.weight", "grad_avg.layer0.weight", "step.layer0.weight",
                "square_avg.layer1.weight", "momentum_buffer.layer1.weight", "grad_avg.layer1.weight", "step.layer1.weight"),
                new ArrayList<>(rms.state().keySet()));
        Optimizer nadam = Optimizer.of(groups(6), config(OptimConfig.Type.NAdam, 0, CENTERED));
        grads(nadam.groups(), 7);
        nadam.step(1e-2f);
        assertTrue(nadam.state().containsKey("mu_product.layer1.weight"));
        String e = assertThrows(IllegalArgumentException.class,
                () -> Optimizer.of(groups(6), config(OptimConfig.Type.Adamax, 0, CENTERED)).loadState(rms.state())).getMessage();
        assertTrue(e.startsWith("the optimizer state holds square_avg.layer0.weight, which is not Adamax's [exp_avg, exp_inf, step]"), e);
        // an RMSprop without momentum refuses a momentum_buffer
        e = assertThrows(IllegalArgumentException.class, () -> Optimizer.of(groups(6),
                config(OptimConfig.Type.RMSprop, 0, OptimConfig.Rule.DEFAULTS)).loadState(rms.state())).getMessage();
        assertTrue(e.contains("momentum_buffer.layer0.weight, which is not RMSprop's [square_avg, step]"), e);
        Map<String, Tensor> partial = new LinkedHashMap<>(rms.state());
        partial.remove("grad_avg.layer1.weight");
        e = assertThrows(IllegalArgumentException.class,
                () -> Optimizer.of(groups(6), config(OptimConfig.Type.RMSprop, 0.5, CENTERED)).loadState(partial)).getMessage();
        assertEquals("optimizer state has a step count but no grad_avg of layer1.weight", e);
        Map<String, Tensor> unknown = new LinkedHashMap<>(rms.state());
        unknown.put("square_avg.head.bias", Tensor.of(new float[] {1}, 1));
        e = assertThrows(IllegalArgumentException.class,
                () -> Optimizer.of(groups(6), config(OptimConfig.Type.RMSprop, 0.5, CENTERED)).loadState(unknown)).getMessage();
        assertEquals("optimizer state names unknown parameters: [square_avg.head.bias]", e);
        // an SGD state is not Adam's with amsgrad, and Adam's without amsgrad lacks max_exp_avg_sq
        Optimizer adam = Optimizer.of(groups(6), config(OptimConfig.Type.Adam, 0, OptimConfig.Rule.DEFAULTS));
        grads(adam.groups(), 7);
        adam.step(1e-2f);
        OptimConfig.Rule amsgrad = new OptimConfig.Rule(0.99, false, 0, 0, 0.9, 4e-3, false, false, true);
        e = assertThrows(IllegalArgumentException.class,
                () -> Optimizer.of(groups(6), config(OptimConfig.Type.Adam, 0, amsgrad)).loadState(adam.state())).getMessage();
        assertTrue(e.startsWith("optimizer state has no max_exp_avg_sq of layer0.weight"), e);
        // Adam's state has NAdam's moment names but not its mu_product
        e = assertThrows(IllegalArgumentException.class,
                () -> Optimizer.of(groups(6), config(OptimConfig.Type.NAdam, 0, CENTERED)).loadState(adam.state())).getMessage();
        assertEquals("optimizer state has a step count but no mu_product of layer0.weight (saved by another optimizer?)", e);
    }

    @Test
    void aDeviceBackendStepsAsTheCpu() {
        OptimConfig.Rule decoupled = new OptimConfig.Rule(0.9, true, 0.1, 0.2, 0.8, 4e-3, true, true, true);
        for (OptimConfig.Type t : List.of(OptimConfig.Type.RMSprop, OptimConfig.Type.Adagrad, OptimConfig.Type.Adadelta,
                OptimConfig.Type.Adamax, OptimConfig.Type.NAdam, OptimConfig.Type.RAdam, OptimConfig.Type.AdamW, OptimConfig.Type.Rprop,
                OptimConfig.Type.ASGD)) {
            try (CheckedDeviceBackend dev = CheckedDeviceBackend.install(89)) {
                List<Optimizer.Group> cpu = groups(8), onDevice = new ArrayList<>();
                for (Optimizer.Group g : groups(8))
                    onDevice.add(new Optimizer.Group(g.name(), g.param().to(dev.device()), g.weightDecay(), g.lrMult()));
                Optimizer oc = Optimizer.of(cpu, config(t, 0.5, decoupled)), od = Optimizer.of(onDevice, config(t, 0.5, decoupled));
                for (int s = 0; s < 3; s++) {
                    grads(cpu, 9 + s);
                    grads(onDevice, 9 + s);
                    oc.step(1e-2f);
                    od.step(1e-2f);
                }
                for (int i = 0; i < cpu.size(); i++)
                    assertArrayEquals(cpu.get(i).param().toFloatArray(), onDevice.get(i).param().toFloatArray(), 0f, t + " tensor " + i);
                for (var e : oc.state().entrySet())
                    assertArrayEquals(e.getValue().toFloatArray(), od.state().get(e.getKey()).toFloatArray(), 0f, t + " " + e.getKey());
                assertTrue(dev.violations().isEmpty(), dev.violations().toString());
            }
        }
    }
}
