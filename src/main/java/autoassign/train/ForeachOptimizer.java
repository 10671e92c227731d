package autoassign.train;

import autoassign.backend.Backend;
import autoassign.backend.ForeachUpdate;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * A torch.optim rule whose update is element-wise ({@link RmsProp}, {@link Adagrad}, {@link Adadelta},
 * {@link Adamax}, {@link NAdam}, {@link RAdam}, {@link Rprop}, {@link Asgd}): per tensor up to three state tensors (torch's names, by slot) and a
 * step count, the per-tensor scalars worked out on the host in double precision as torch does, and one
 * {@link Backend#foreachUpdate} per backend for all tensors with a gradient. Tensors without a gradient keep their
 * state and step count, as torch skips them.
 *
 * <p>The state is saved as {@code <state>.<name>} with torch's state names ({@code square_avg.backbone.conv1.weight},
 * …), {@code step.<name>} (a float, as torch keeps it) and, for rules with a scalar state such as NAdam's
 * {@code mu_product} (ASGD's {@code eta}, {@code mu}), {@code <state>.<name>} as a one-element tensor.
 */
abstract class ForeachOptimizer extends Optimizer {
    static final String STEP = "step";

    private final String typeName;
    private final Map<String, Tensor[]> states = new LinkedHashMap<>();
    private final Map<String, Long> steps = new LinkedHashMap<>();

    ForeachOptimizer(String typeName, List<Group> groups, double maxGradNorm) {
        super(groups, maxGradNorm);
        this.typeName = typeName;
    }

    /** torch's names of the state tensors by slot, null for a slot this rule (with these options) does not keep. */
    protected abstract String[] tensorStates();

    /**
     * The value a new state tensor of {@code slot} starts from when the tensor first steps at learning rate {@code lr}:
     * torch's {@code zeros_like}, Adagrad's initial value, or Rprop's {@code step_size} (the group's lr then).
     */
    protected float initialValue(int slot, double lr) { return 0f; }

    /** torch's names of the rule's one-number states besides {@code step} (NAdam's {@code mu_product}). */
    protected List<String> scalarStates() { return List.of(); }

    /** A one-number state of a tensor (only for names of {@link #scalarStates()}). */
    protected float scalarState(String state, String param) { throw new IllegalStateException(state); }

    /** Restores a one-number state. */
    protected void setScalarState(String state, String param, float value) { throw new IllegalStateException(state); }

    /**
     * The update of one tensor for its {@code step}-th update (1 for the first) at learning rate {@code lr}: the
     * option bits and the scalars of {@link autoassign.backend.OptimRule}'s layout for this rule.
     */
    protected abstract ForeachUpdate update(Group g, Tensor grad, Tensor[] state, long step, double lr);

    @Override
    protected final void update(DoubleUnaryOperator lrOfMult) {
        String[] names = tensorStates();
        Map<Backend, List<ForeachUpdate>> byBackend = new LinkedHashMap<>();
        for (Group g : groups) {
            Tensor grad = g.param().grad();
            if (grad == null) continue;
            double lr = lrOfMult.applyAsDouble(g.lrMult());
            Tensor[] st = states.computeIfAbsent(g.name(), k -> new Tensor[3]);
            for (int slot = 0; slot < 3; slot++)
                if (names[slot] != null && st[slot] == null) st[slot] = filled(g, initialValue(slot, lr)); // lazily, as torch
            long t = steps.merge(g.name(), 1L, Long::sum);
            ForeachUpdate u = update(g, grad, st, t, lr);
            byBackend.computeIfAbsent(g.param().backend(), b -> new ArrayList<>()).add(u);
        }
        for (var e : byBackend.entrySet()) {
            e.getKey().foreachUpdate(e.getValue());
            for (ForeachUpdate u : e.getValue()) u.param().bumpVersion();
        }
    }

    /** A persistent tensor of the parameter's shape and device filled with {@code value}. */
    private static Tensor filled(Group g, float value) {
        Tensor t = g.param().backend().zeros(g.param().shape()).keep(); // persistent: outlives the step's memory scope
        if (value != 0) {
            float[] a = new float[Math.toIntExact(t.numel())];
            Arrays.fill(a, value);
            t.copyFrom(Tensor.of(a, g.param().shape()));
        }
        return t;
    }

    @Override
    public Map<String, Tensor> state() {
        String[] names = tensorStates();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : steps.keySet()) {
            Tensor[] st = states.get(name);
            for (int slot = 0; slot < 3; slot++)
                if (names[slot] != null && st[slot] != null) out.put(names[slot] + "." + name, st[slot]);
            for (String s : scalarStates()) out.put(s + "." + name, Tensor.of(new float[] {scalarState(s, name)}, 1));
            out.put(STEP + "." + name, Tensor.of(new float[] {steps.get(name)}, 1));
        }
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> state) {
        String[] names = tensorStates();
        List<String> known = new ArrayList<>();
        for (String n : names) if (n != null) known.add(n);
        known.addAll(scalarStates());
        known.add(STEP);
        Map<String, Group> byName = byName();
        List<String> unknown = new ArrayList<>();
        java.util.Set<String> scalarsLoaded = new java.util.HashSet<>();
        for (var e : state.entrySet()) {
            String key = e.getKey();
            String kind = known.stream().filter(k -> key.startsWith(k + ".")).findFirst().orElse(null);
            if (kind == null)
                throw new IllegalArgumentException("the optimizer state holds " + key + ", which is not " + typeName + "'s " + known
                        + " (saved by another optimizer, or with other options?), but the config's optimizer is " + typeName);
            String name = key.substring(kind.length() + 1);
            Group g = byName.get(name);
            if (g == null) { unknown.add(key); continue; }
            if (kind.equals(STEP)) steps.put(name, (long) e.getValue().toFloatArray()[0]);
            else if (scalarStates().contains(kind)) {
                setScalarState(kind, name, e.getValue().toFloatArray()[0]);
                scalarsLoaded.add(key);
            }
            else {
                int slot = Arrays.asList(names).indexOf(kind);
                states.computeIfAbsent(name, k -> new Tensor[3])[slot] = restored(g, e.getValue());
            }
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("optimizer state names unknown parameters: " + unknown);
        for (String name : steps.keySet()) {
            Tensor[] st = states.get(name);
            for (int slot = 0; slot < 3; slot++)
                if (names[slot] != null && (st == null || st[slot] == null))
                    throw new IllegalArgumentException("optimizer state has a step count but no " + names[slot] + " of " + name);
            for (String s : scalarStates())
                if (!scalarsLoaded.contains(s + "." + name))
                    throw new IllegalArgumentException("optimizer state has a step count but no " + s + " of " + name
                            + " (saved by another optimizer?)");
        }
    }

    /** The steps of every tensor updated so far (for tests). */
    Map<String, Long> steps() { return steps; }

    /** {@code lr·λ} decay factor and L2 weight in the common slots c[0], c[1] of {@link autoassign.backend.OptimRule}. */
    static float[] scalars(int count, double wd, boolean decoupled, double lr) {
        float[] c = new float[count];
        c[0] = decoupled ? 0f : (float) wd;
        c[1] = decoupled ? (float) (1 - lr * wd) : 1f;
        return c;
    }
}
