package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.config.OptimConfig;
import autoassign.io.RawTensor;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An MMEngine checkpoint's optimizer state of RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam and Adam's amsgrad
 * (torch's per-index state dicts) read as the engine's state names and loaded by the optimizer the config builds; a
 * state of another rule is refused by name.
 */
class MmengineResumeRulesTest {
    private static final Path FILE = Path.of("epoch_2.pth");

    private static RawTensor t(float... v) { return RawTensor.ofFloats(v, new long[] {2}); }

    private static RawTensor scalar(float v) { return RawTensor.ofFloats(new float[] {v}, new long[0]); }

    private static Map<String, Tensor> params() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("a.weight", Tensor.zeros(2));
        p.put("a.bias", Tensor.zeros(2));
        return p;
    }

    private static Map<String, Tensor> read(Map<String, Object> perParam0, Map<String, Object> perParam1) {
        Map<String, Object> opt = new LinkedHashMap<>();
        Map<Object, Object> state = new LinkedHashMap<>();
        state.put(0L, perParam0);
        state.put(1L, perParam1);
        opt.put("state", state);
        opt.put("param_groups", List.of(Map.of("params", List.of(0L)), Map.of("params", List.of(1L))));
        Map<String, Tensor> params = params();
        return MmengineResume.optimizerState(FILE, opt, new ArrayList<>(params.keySet()), params);
    }

    private static Map<String, Object> state(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static Optimizer optimizer(OptimConfig.Type type, double momentum, OptimConfig.Rule rule) {
        List<Optimizer.Group> groups = new ArrayList<>();
        params().forEach((n, p) -> groups.add(new Optimizer.Group(n, p, 0f)));
        return Optimizer.of(groups, new OptimConfig(1e-2, momentum, 0, false, Double.NaN, 0, 1, Double.NaN, List.of(), 1, type, 0.9,
                0.999, 1e-8, 0, Double.NaN, null, true, rule));
    }

    @Test
    void rmspropWithMomentumAndCenteredTorch113IntSteps() {
        Map<String, Tensor> st = read(state("step", 3L, "square_avg", t(1, 2), "momentum_buffer", t(3, 4), "grad_avg", t(5, 6)),
                state("step", 3L, "square_avg", t(1, 1), "momentum_buffer", t(0, 0), "grad_avg", t(0, 1)));
        assertArrayEquals(new float[] {3, 4}, st.get("momentum_buffer.a.weight").toFloatArray());
        assertEquals(3f, st.get("step.a.bias").toFloatArray()[0]);
        Optimizer o = optimizer(OptimConfig.Type.RMSprop, 0.9, new OptimConfig.Rule(0.99, true, 0, 0, 0.9, 4e-3, false, false, false));
        o.loadState(st);
        assertArrayEquals(new float[] {5, 6}, o.state().get("grad_avg.a.weight").toFloatArray());
    }

    @Test
    void everyOtherRule() {
        Map<String, Tensor> adagrad = read(state("step", scalar(2), "sum", t(1, 2)), state("step", scalar(0), "sum", t(0.1f, 0.1f)));
        optimizer(OptimConfig.Type.Adagrad, 0, OptimConfig.Rule.DEFAULTS).loadState(adagrad);
        Map<String, Tensor> adadelta = read(state("step", 1L, "square_avg", t(1, 2), "acc_delta", t(3, 4)),
                state("step", 1L, "square_avg", t(1, 2), "acc_delta", t(3, 4)));
        optimizer(OptimConfig.Type.Adadelta, 0, OptimConfig.Rule.DEFAULTS).loadState(adadelta);
        Map<String, Tensor> adamax = read(state("step", scalar(2), "exp_avg", t(1, 2), "exp_inf", t(3, 4)),
                state("step", scalar(2), "exp_avg", t(1, 2), "exp_inf", t(3, 4)));
        optimizer(OptimConfig.Type.Adamax, 0, OptimConfig.Rule.DEFAULTS).loadState(adamax);
        Map<String, Tensor> nadam = read(state("step", scalar(2), "mu_product", scalar(0.25f), "exp_avg", t(1, 2), "exp_avg_sq", t(3, 4)),
                state("step", scalar(2), "mu_product", scalar(0.5f), "exp_avg", t(1, 2), "exp_avg_sq", t(3, 4)));
        Optimizer n = optimizer(OptimConfig.Type.NAdam, 0, OptimConfig.Rule.DEFAULTS);
        n.loadState(nadam);
        assertEquals(0.5f, n.state().get("mu_product.a.bias").toFloatArray()[0]);
        Map<String, Tensor> radam = read(state("step", scalar(2), "exp_avg", t(1, 2), "exp_avg_sq", t(3, 4)),
                state("step", scalar(2), "exp_avg", t(1, 2), "exp_avg_sq", t(3, 4)));
        optimizer(OptimConfig.Type.RAdam, 0, OptimConfig.Rule.DEFAULTS).loadState(radam);
        Map<String, Tensor> ams = read(state("step", scalar(2), "exp_avg", t(1, 2), "exp_avg_sq", t(3, 4), "max_exp_avg_sq", t(4, 4)),
                state("step", scalar(2), "exp_avg", t(1, 2), "exp_avg_sq", t(3, 4), "max_exp_avg_sq", t(4, 4)));
        Optimizer a = optimizer(OptimConfig.Type.AdamW, 0, new OptimConfig.Rule(0.99, false, 0, 0, 0.9, 4e-3, false, false, true));
        a.loadState(ams);
        assertArrayEquals(new float[] {4, 4}, a.state().get("max_exp_avg_sq.a.weight").toFloatArray());
        // another rule's state, by name
        String e = assertThrows(IllegalArgumentException.class,
                () -> optimizer(OptimConfig.Type.RAdam, 0, OptimConfig.Rule.DEFAULTS).loadState(adamax)).getMessage();
        assertTrue(e.contains("exp_inf.a.weight, which is not RAdam's"), e);
        // an unknown state key of the checkpoint
        e = assertThrows(UserError.class, () -> read(state("step", 1L, "old_dirs", t(1, 2)), state())).getMessage();
        assertTrue(e.startsWith("epoch_2.pth: optimizer state 'old_dirs' of a.weight is not one of SGD, Adam / AdamW (amsgrad too), RMSprop"), e);
    }

    /**
     * torch's Adagrad makes its state in its constructor, for every parameter of its groups: MMEngine's groups hold the
     * frozen ones too (and those that never get a gradient), whose state stays {@code step 0}, {@code sum} =
     * {@code initial_accumulator_value}. Such never-stepped state is what the engine's lazily made state starts from:
     * it is dropped, not refused as naming a parameter the engine does not optimise.
     */
    @Test
    void adagradsEagerStateOfFrozenAndUnsteppedParametersIsDropped() {
        Map<String, Tensor> params = params();
        params.put("frozen.weight", Tensor.zeros(2));
        Map<Object, Object> state = new LinkedHashMap<>();
        state.put(0L, state("step", scalar(2), "sum", t(1, 2)));
        state.put(1L, state("step", scalar(0), "sum", t(0.1f, 0.1f))); // optimised, never had a gradient
        state.put(2L, state("step", scalar(0), "sum", t(0.1f, 0.1f))); // frozen: in MMEngine's groups, not the engine's
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("state", state);
        opt.put("param_groups", List.of(Map.of("params", List.of(0L, 1L, 2L))));
        Map<String, Tensor> st = MmengineResume.optimizerState(FILE, opt, new ArrayList<>(params.keySet()), params);
        assertEquals(java.util.Set.of("step.a.weight", "sum.a.weight"), st.keySet());
        Optimizer o = optimizer(OptimConfig.Type.Adagrad, 0,
                new OptimConfig.Rule(0.99, false, 0, 0.1, 0.9, 4e-3, false, false, false)); // initial_accumulator_value 0.1
        o.loadState(st);
        // a torch-1.13 int step 0 (Rprop, Adadelta) is never stepped too
        state.put(2L, state("step", 0L, "prev", t(0, 0), "step_size", t(0.01f, 0.01f)));
        assertEquals(2, MmengineResume.optimizerState(FILE, opt, new ArrayList<>(params.keySet()), params).size());
    }

    @Test
    void rpropTorch113IntStepsAndAsgdScalarStates() {
        Map<String, Tensor> rprop = read(state("step", 3L, "prev", t(1, 0), "step_size", t(0.01f, 0.02f)),
                state("step", 1L, "prev", t(0, 2), "step_size", t(0.5f, 0.5f)));
        Optimizer r = optimizer(OptimConfig.Type.Rprop, 0, OptimConfig.Rule.DEFAULTS);
        r.loadState(rprop);
        assertArrayEquals(new float[] {0.01f, 0.02f}, r.state().get("step_size.a.weight").toFloatArray());
        assertEquals(3f, r.state().get("step.a.weight").toFloatArray()[0]);
        Map<String, Tensor> asgd = read(state("step", scalar(5), "eta", scalar(0.009f), "mu", scalar(0.5f), "ax", t(1, 2)),
                state("step", scalar(5), "eta", scalar(0.008f), "mu", scalar(1f), "ax", t(3, 4)));
        Optimizer a = optimizer(OptimConfig.Type.ASGD, 0, OptimConfig.Rule.DEFAULTS);
        a.loadState(asgd);
        assertEquals(0.009f, a.state().get("eta.a.weight").toFloatArray()[0]);
        assertEquals(0.5f, a.state().get("mu.a.weight").toFloatArray()[0]);
        assertArrayEquals(new float[] {3, 4}, a.state().get("ax.a.bias").toFloatArray());
        // Rprop's state is not ASGD's
        String e = assertThrows(IllegalArgumentException.class,
                () -> optimizer(OptimConfig.Type.ASGD, 0, OptimConfig.Rule.DEFAULTS).loadState(rprop)).getMessage();
        assertTrue(e.contains("which is not ASGD's"), e);
    }
}
