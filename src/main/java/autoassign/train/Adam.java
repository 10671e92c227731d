package autoassign.train;

import autoassign.backend.AdamUpdate;
import autoassign.backend.Backend;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * torch.optim.Adam and AdamW (amsgrad off), one group per tensor. For a tensor's t-th step with a gradient, at
 * learning rate lr and weight decay λ: AdamW first decays θ ← θ·(1 − lr·λ), Adam adds λθ to the gradient; then
 * m ← m + (1−β₁)(g − m), v ← β₂v + (1−β₂)g², θ ← θ − lr/(1−β₁ᵗ) · m / (√v / √(1−β₂ᵗ) + ε) — the per-tensor
 * factors in double precision on the host, the elements in float32 in the order of torch's formulas (last-bit
 * differences where torch's kernels fuse multiply-adds)
 * ({@link Backend#adamStepAll}). Its state is saved as {@code exp_avg.<name>}, {@code exp_avg_sq.<name>} and
 * {@code step.<name>} (the tensor's step count, as torch keeps it: a float).
 */
public final class Adam extends Optimizer {
    private static final String M = "exp_avg.", V = "exp_avg_sq.", STEP = "step.";

    private final double beta1, beta2;
    private final float eps;
    private final boolean decoupled;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>(), expAvgSq = new LinkedHashMap<>();
    private final Map<String, Long> steps = new LinkedHashMap<>();

    /** @param decoupled true for AdamW (decay applied to the weights), false for Adam (L2 added to the gradient) */
    public Adam(List<Group> groups, double beta1, double beta2, double eps, boolean decoupled, double maxGradNorm) {
        super(groups, maxGradNorm);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = (float) eps;
        this.decoupled = decoupled;
    }

    /** True for the names under which {@link #state()} saves Adam's tensors. */
    static boolean isAdamState(String key) {
        return key.startsWith(M) || key.startsWith(V) || key.startsWith(STEP);
    }

    @Override
    protected void update(DoubleUnaryOperator lrOfMult) {
        Map<Backend, List<AdamUpdate>> byBackend = new LinkedHashMap<>();
        for (Group g : groups) {
            Tensor grad = g.param().grad();
            if (grad == null) continue;
            Tensor m = expAvg.computeIfAbsent(g.name(), k -> zerosLike(g)), v = expAvgSq.computeIfAbsent(g.name(), k -> zerosLike(g));
            long t = steps.merge(g.name(), 1L, Long::sum);
            double lr = lrOfMult.applyAsDouble(g.lrMult()), wd = g.weightDecay();
            float decay = decoupled ? (float) (1 - lr * wd) : 1f, l2 = decoupled ? 0f : (float) wd;
            float stepSize = (float) (lr / (1 - Math.pow(beta1, t)));
            float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, t));
            byBackend.computeIfAbsent(g.param().backend(), b -> new ArrayList<>())
                    .add(new AdamUpdate(g.param(), grad, m, v, decay, l2, stepSize, bc2Sqrt));
        }
        for (var e : byBackend.entrySet()) {
            e.getKey().adamStepAll(e.getValue(), (float) (1 - beta1), (float) beta2, (float) (1 - beta2), eps);
            for (AdamUpdate u : e.getValue()) u.param().bumpVersion();
        }
    }

    private static Tensor zerosLike(Group g) {
        return g.param().backend().zeros(g.param().shape()).keep(); // persistent: outlives the step's memory scope
    }

    /** The moments and step counts by {@code exp_avg.<name>}, {@code exp_avg_sq.<name>}, {@code step.<name>}. */
    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : steps.keySet()) {
            out.put(M + name, expAvg.get(name));
            out.put(V + name, expAvgSq.get(name));
            out.put(STEP + name, Tensor.of(new float[] {steps.get(name)}, 1));
        }
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> state) {
        Map<String, Group> byName = byName();
        List<String> unknown = new ArrayList<>();
        for (var e : state.entrySet()) {
            String key = e.getKey();
            if (!isAdamState(key))
                throw new IllegalArgumentException("the optimizer state holds " + key + ", not Adam's exp_avg / exp_avg_sq / step"
                        + " (was it saved by SGD?), but the config's optimizer is " + (decoupled ? "AdamW" : "Adam"));
            String name = key.substring(key.startsWith(M) ? M.length() : key.startsWith(V) ? V.length() : STEP.length());
            Group g = byName.get(name);
            if (g == null) { unknown.add(key); continue; }
            if (key.startsWith(STEP)) steps.put(name, (long) e.getValue().toFloatArray()[0]);
            else (key.startsWith(M) ? expAvg : expAvgSq).put(name, restored(g, e.getValue()));
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("optimizer state names unknown parameters: " + unknown);
        for (String name : steps.keySet())
            if (!expAvg.containsKey(name) || !expAvgSq.containsKey(name))
                throw new IllegalArgumentException("optimizer state has a step count but not both moments of " + name);
    }
}
