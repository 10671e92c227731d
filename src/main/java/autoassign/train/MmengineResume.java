package autoassign.train;

import autoassign.cli.CliErrors.UserError;
import autoassign.io.CheckpointException;
import autoassign.io.ModelWeights;
import autoassign.io.PthFile;
import autoassign.io.PthReader;
import autoassign.io.RawTensor;
import autoassign.io.StateDicts;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code train --resume epoch_N.pth} from a checkpoint MMEngine's runner wrote while MMDetection trained
 * ({@code {meta, state_dict, optimizer, message_hub, param_schedulers}}): the weights, the optimizer's state and
 * the position, so that a run started in MMDetection continues here.
 *
 * <p>torch's {@code optimizer.state_dict()} names tensors by index: the position of the parameter in the
 * optimizer's param groups, which MMEngine fills in {@code model.named_parameters()} order (one group per
 * parameter with a {@code paramwise_cfg}, one group of {@code model.parameters()} without), frozen parameters
 * included. The engine's modules register their parameters in MMDetection's order, so index i is the i-th of
 * {@link AutoAssignDetector#namedParameters()}; the count and every shape are checked. The learning-rate
 * schedule is recomputed from the position (MMEngine's {@code param_schedulers} state is not needed for that), but for
 * ReduceOnPlateau schedulers, whose counters and reduced values are taken from it ({@link #schedulerState}); the
 * run takes {@code meta.seed} (as {@code runner.resume}), and of the message hub only the {@code save_best} score.
 */
final class MmengineResume {
    private MmengineResume() {}

    /** True when the file holds what MMEngine's runner saves for resuming (an {@code optimizer} entry). */
    static boolean isTrainingCheckpoint(Object root) {
        return root instanceof Map<?, ?> m && m.get("optimizer") instanceof Map<?, ?> && m.get("state_dict") instanceof Map<?, ?>;
    }

    /**
     * Loads weights, optimizer state and (with an EMA hook) the average from an MMEngine checkpoint.
     *
     * @param iterLoop true in an {@code IterBasedTrainLoop}: the position is the global iteration only (epoch −1 in
     *                 the result: the trainer splits it into passes once it knows their length); in an epoch loop
     *                 MMEngine restarts at the beginning of epoch {@code meta.epoch} (the one in progress when the
     *                 checkpoint was saved by iteration) with its counter and schedulers at {@code meta.iter}, and runs
     *                 every remaining epoch in full; so does the engine
     */
    static CheckpointStore.Resumed load(Path file, AutoAssignDetector model, Optimizer optimizer, WeightAverage ema,
                                        boolean iterLoop) {
        return load(file, model, optimizer, ema, iterLoop, System.err::println);
    }

    /** {@link #load}, with what MMEngine would log as a warning going to {@code warn}. */
    static CheckpointStore.Resumed load(Path file, AutoAssignDetector model, Optimizer optimizer, WeightAverage ema,
                                        boolean iterLoop, java.util.function.Consumer<String> warn) {
        PthFile pth;
        try {
            pth = PthReader.read(file);
        } catch (CheckpointException e) {
            throw new UserError(e.getMessage(), e);
        }
        Object root = pth.root();
        if (!isTrainingCheckpoint(root))
            throw new UserError(file + ": no optimizer state in it (not a checkpoint MMEngine saved during training);"
                    + " use --load-from to start from its weights only");
        Map<?, ?> top = (Map<?, ?>) root;
        try {
            ModelWeights.load(new ModelWeights.Checkpoint(file, StateDicts.find(root), pth.metadata()), model, true);
        } catch (CheckpointException e) {
            throw new UserError(e.getMessage(), e);
        }
        Map<String, Tensor> params = model.namedParameters();
        Map<String, Tensor> state = optimizerState(file, (Map<?, ?>) top.get("optimizer"), new ArrayList<>(params.keySet()), params);
        try {
            optimizer.loadState(state);
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": " + e.getMessage(), e);
        }
        restoreLossScaler(file, (Map<?, ?>) top.get("optimizer"), optimizer);
        if (ema != null && !(top.get("ema_state_dict") instanceof Map<?, ?>)) {
            // EMAHook.after_load_checkpoint: a warning, and the average starts over from the loaded weights
            warn.accept("warning: " + file + " has no ema_state_dict: the EMAHook's average starts from its state_dict");
            ema.resume(null, 0);
        } else if (ema != null) {
            Map<?, ?> emaState = (Map<?, ?>) top.get("ema_state_dict");
            Map<String, RawTensor> raw = StateDicts.stripPrefix(autoassign.io.TensorTree.tensors(emaState), "module.");
            RawTensor steps = raw.remove("steps");
            try {
                ema.resume(ModelWeights.toTensors(raw), steps == null ? 0 : Math.round(steps.toFloatArray()[0]));
            } catch (IllegalArgumentException e) {
                throw new UserError(file + ": ema_state_dict: " + e.getMessage(), e);
            }
        }
        Map<?, ?> meta = top.get("meta") instanceof Map<?, ?> m ? m : Map.of();
        long epoch = number(file, meta, "epoch"), iter = number(file, meta, "iter");
        return new CheckpointStore.Resumed(file, iterLoop ? -1 : Math.toIntExact(epoch), 0, iter, !iterLoop,
                meta.get("seed") instanceof Long seed ? seed : null, bestScore(top), null,
                schedulerState(top, optimizer, new ArrayList<>(params.keySet())));
    }

    /**
     * AmpOptimWrapper's {@code optimizer.loss_scaler} (GradScaler's state dict: {@code scale}, {@code growth_factor},
     * {@code backoff_factor}, {@code growth_interval}, {@code _growth_tracker}), loaded as {@code GradScaler.load_state_dict}
     * loads it: all five replace the config's (a state without the growth settings keeps the config's); absent (a run
     * without AMP): the scaler starts fresh.
     */
    static void restoreLossScaler(Path file, Map<?, ?> optimizer, Optimizer into) {
        if (into.lossScaler() == null || !(optimizer.get("loss_scaler") instanceof Map<?, ?> ls)) return;
        Object scale = ls.get("scale"), tracker = ls.get("_growth_tracker");
        if (!(scale instanceof Number s) || !(tracker instanceof Number t))
            throw new UserError(file + ": optimizer.loss_scaler has no numeric scale / _growth_tracker (not GradScaler's state)");
        LossScaler scaler = into.lossScaler();
        Object gf = ls.get("growth_factor"), bf = ls.get("backoff_factor"), gi = ls.get("growth_interval");
        try {
            if (gf instanceof Number g && bf instanceof Number b && gi instanceof Number i)
                scaler.restore(s.floatValue(), g.doubleValue(), b.doubleValue(), i.longValue(), t.longValue());
            else
                scaler.restore(s.floatValue(), Math.toIntExact(t.longValue()));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new UserError(file + ": optimizer." + e.getMessage(), e);
        }
    }

    /**
     * The ReduceOnPlateau schedulers' state of an MMEngine checkpoint ({@link LrSchedule#restore}), null when
     * {@code param_schedulers} has none: each one's counters (its state dict at its place in the list, which is the
     * config's order), and the values they act on, which MMEngine keeps in the optimizer's param groups: the lr of each
     * multiplier (the first group of a parameter with it; {@code base_param_settings} for the optimizer's own) and the
     * momentum ({@code momentum}, or {@code betas[0]} of the Adam family). Other schedulers' state is recomputed from the
     * position.
     */
    static String schedulerState(Map<?, ?> top, Optimizer optimizer, List<String> names) {
        if (!(top.get("param_schedulers") instanceof List<?> list)) return null;
        List<LrSchedule.PlateauState> plateaus = new ArrayList<>();
        for (int i = 0; i < list.size(); i++)
            if (list.get(i) instanceof Map<?, ?> d && d.get("best") instanceof Number best && d.containsKey("num_bad_epochs"))
                plateaus.add(new LrSchedule.PlateauState(i, count(d, "_global_step"), count(d, "last_step"), best.doubleValue(),
                        (int) count(d, "num_bad_epochs"), (int) count(d, "cooldown_counter")));
        if (plateaus.isEmpty()) return null;
        Map<Long, Map<?, ?>> groupOf = new LinkedHashMap<>(); // parameter index -> its param group
        Map<?, ?> opt = top.get("optimizer") instanceof Map<?, ?> o ? o : Map.of();
        List<?> groups = opt.get("param_groups") instanceof List<?> l ? l : List.of();
        for (Object g : groups)
            if (g instanceof Map<?, ?> gm && gm.get("params") instanceof List<?> ps)
                for (Object p : ps) if (p instanceof Long idx) groupOf.putIfAbsent(idx, gm);
        Map<Double, Double> lrOfMult = new LinkedHashMap<>();
        if (opt.get("base_param_settings") instanceof Map<?, ?> b && b.get("lr") instanceof Number n) lrOfMult.put(1.0, n.doubleValue());
        for (Optimizer.Group g : optimizer.groups()) {
            Map<?, ?> pg = groupOf.get((long) names.indexOf(g.name()));
            if (pg != null && pg.get("lr") instanceof Number n) lrOfMult.putIfAbsent(g.lrMult(), n.doubleValue());
        }
        double momentum = Double.NaN;
        if (!groups.isEmpty() && groups.get(0) instanceof Map<?, ?> g0) {
            if (g0.get("momentum") instanceof Number m) momentum = m.doubleValue();
            else if (g0.get("betas") instanceof List<?> betas && !betas.isEmpty() && betas.get(0) instanceof Number b1)
                momentum = b1.doubleValue();
        }
        double[] mults = lrOfMult.keySet().stream().mapToDouble(Double::doubleValue).toArray();
        double[] lrs = lrOfMult.values().stream().mapToDouble(Double::doubleValue).toArray();
        return new LrSchedule.State(mults, lrs, momentum, plateaus).toJson();
    }

    private static long count(Map<?, ?> d, String key) {
        return d.get(key) instanceof Number n ? n.longValue() : 0;
    }

    /**
     * The {@code save_best} score so far: what MMEngine's {@code CheckpointHook} keeps in the message hub
     * ({@code message_hub.runtime_info.best_score}, one followed metric) and goes on from after a resume; null when
     * the checkpoint has none.
     */
    static Double bestScore(Map<?, ?> top) {
        if (top.get("message_hub") instanceof Map<?, ?> hub && hub.get("runtime_info") instanceof Map<?, ?> info
                && info.get("best_score") instanceof Number n) return n.doubleValue();
        return null;
    }

    private static long number(Path file, Map<?, ?> meta, String key) {
        if (meta.get(key) instanceof Long l && l >= 0) return l;
        throw new UserError(file + ": meta." + key + " is missing or not a count (" + meta.get(key) + ")");
    }

    /**
     * torch's {@code {state: {index: {...}}, param_groups: [{params: [index, ...]}, ...]}} as the engine's
     * optimizer state: SGD's {@code momentum_buffer} under the parameter's name; every other rule's tensors under
     * {@code <torch's state name>.<name>} (Adam's {@code exp_avg}, {@code exp_avg_sq}, {@code max_exp_avg_sq};
     * RMSprop's {@code square_avg}, {@code momentum_buffer}, {@code grad_avg}; Adagrad's {@code sum}; Adadelta's
     * {@code square_avg}, {@code acc_delta}; Adamax's {@code exp_avg}, {@code exp_inf}; Rprop's {@code prev},
     * {@code step_size}; ASGD's {@code ax}), the step count, NAdam's {@code mu_product} and ASGD's {@code eta}, {@code mu}
     * as one-element tensors. Which rule saved it is left to the optimizer's {@code loadState},
     * which refuses another rule's state by name.
     */
    static Map<String, Tensor> optimizerState(Path file, Map<?, ?> optimizer, List<String> names, Map<String, Tensor> params) {
        int count = 0;
        if (optimizer.get("param_groups") instanceof List<?> groups)
            for (Object g : groups)
                if (g instanceof Map<?, ?> gm && gm.get("params") instanceof List<?> ps) count += ps.size();
        if (count != names.size())
            throw new UserError(file + ": the optimizer holds " + count + " parameters, the model has " + names.size()
                    + " (another model or config?)");
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (!(optimizer.get("state") instanceof Map<?, ?> st)) return out;
        for (Map.Entry<?, ?> e : st.entrySet()) {
            if (!(e.getKey() instanceof Long idx) || idx < 0 || idx >= names.size() || !(e.getValue() instanceof Map<?, ?> per))
                throw new UserError(file + ": optimizer.state has an entry " + e.getKey() + " that names no parameter");
            String name = names.get(Math.toIntExact(idx));
            // torch's Adagrad makes state in its constructor for every parameter of its groups, which MMEngine fills
            // with the frozen ones too: step 0 and sum = initial_accumulator_value, what the engine's state starts from
            if (neverStepped(per)) continue;
            int[] shape = params.get(name).shape();
            boolean rmsprop = per.containsKey("square_avg"); // RMSprop's momentum_buffer sits beside its square_avg
            for (Map.Entry<?, ?> k : per.entrySet()) {
                String key = String.valueOf(k.getKey());
                Object v = k.getValue();
                switch (key) {
                    case "momentum_buffer" -> {
                        if (v != null) out.put(rmsprop ? key + "." + name : name, tensor(file, v, shape, name, key));
                    }
                    case "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "square_avg", "grad_avg", "sum", "acc_delta", "exp_inf", "prev",
                         "step_size", "ax" ->
                            out.put(key + "." + name, tensor(file, v, shape, name, key));
                    // a 0-dim float tensor since torch 1.12, a Python int before (RMSprop, Adadelta and Rprop kept an int until 2.x)
                    case "step", "mu_product", "eta", "mu" -> out.put(key + "." + name, Tensor.of(new float[] {v instanceof RawTensor t
                            ? t.toFloatArray()[0] : v instanceof Number num ? num.floatValue() : Float.NaN}, 1));
                    default -> throw new UserError(file + ": optimizer state '" + key + "' of " + name + " is not one of"
                            + " SGD, Adam / AdamW (amsgrad too), RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop or ASGD");
                }
            }
        }
        return out;
    }

    /** A parameter's torch state whose {@code step} is 0 (a 0-dim tensor, or torch 1.13's int): made, never updated. */
    private static boolean neverStepped(Map<?, ?> per) {
        Object step = per.get("step");
        float v = step instanceof RawTensor t && t.toFloatArray().length == 1 ? t.toFloatArray()[0]
                : step instanceof Number n ? n.floatValue() : Float.NaN;
        return v == 0;
    }

    private static Tensor tensor(Path file, Object v, int[] shape, String name, String key) {
        if (!(v instanceof RawTensor t))
            throw new UserError(file + ": optimizer state " + key + " of " + name + " is not a tensor");
        if (!java.util.Arrays.equals(t.intShape(), shape))
            throw new UserError(file + ": optimizer state " + key + " of " + name + " has shape " + java.util.Arrays.toString(t.intShape())
                    + ", the parameter " + java.util.Arrays.toString(shape) + " (parameters in another order than MMDetection's?)");
        return Tensor.of(t.toFloatArray(), shape);
    }
}
