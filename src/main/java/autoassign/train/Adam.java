package autoassign.train;

import autoassign.backend.AdamUpdate;
import autoassign.backend.Backend;
import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * torch.optim.Adam and AdamW, one group per tensor (amsgrad: see {@link #updateAmsgrad}). For a tensor's t-th step with a gradient, at
 * learning rate lr and weight decay λ: AdamW first decays θ ← θ·(1 − lr·λ), Adam adds λθ to the gradient; then
 * m ← lerp(m, g, 1−β₁) (ATen's two branches: m + w(g − m) for w &lt; 0.5, g − (g − m)(1 − w) from 0.5 on, i.e. β₁ ≤ 0.5),
 * v ← β₂v + (1−β₂)g², θ ← θ − lr/(1−β₁ᵗ) · m / (√v / √(1−β₂ᵗ) + ε) — the per-tensor
 * factors in double precision on the host, the elements in float32 in the order of torch's formulas (last-bit
 * differences where torch's kernels fuse multiply-adds)
 * ({@link Backend#adamStepAll}). Its state is saved as {@code exp_avg.<name>}, {@code exp_avg_sq.<name>} and
 * {@code step.<name>} (the tensor's step count, as torch keeps it: a float), with amsgrad also {@code max_exp_avg_sq.<name>}.
 * With {@code maximize} the gradient is negated first, before the decay and the moments, as {@code _single_tensor_adam}
 * / {@code _single_tensor_adamw} do ({@code grad = -grads[i]}): exact, so the update kernels are the same.
 */
public final class Adam extends Optimizer {
    private static final String M = "exp_avg.", V = "exp_avg_sq.", STEP = "step.", VMAX = "max_exp_avg_sq.";

    private final double beta2;
    private double beta1; // betas[0]: a momentum scheduler changes it between steps (MMEngine's MomentumSchedulerMixin)
    private final float eps;
    private final boolean decoupled;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>(), expAvgSq = new LinkedHashMap<>();
    private final Map<String, Long> steps = new LinkedHashMap<>();
    /** amsgrad: the running maximum of exp_avg_sq normalises the step ({@link OptimRule#ADAM_AMSGRAD}), kept per tensor. */
    private final boolean amsgrad;
    /** torch's {@code maximize}: the gradient negated before everything else. */
    private final boolean maximize;
    private final Map<String, Tensor> maxExpAvgSq = new LinkedHashMap<>();

    /** @param decoupled true for AdamW (decay applied to the weights), false for Adam (L2 added to the gradient) */
    public Adam(List<Group> groups, double beta1, double beta2, double eps, boolean decoupled, double maxGradNorm) {
        this(groups, beta1, beta2, eps, decoupled, false, maxGradNorm);
    }

    /** @param amsgrad torch's {@code amsgrad}: the update runs through {@link Backend#foreachUpdate} (one launch) */
    public Adam(List<Group> groups, double beta1, double beta2, double eps, boolean decoupled, boolean amsgrad, double maxGradNorm) {
        this(groups, beta1, beta2, eps, decoupled, amsgrad, false, maxGradNorm);
    }

    /** @param maximize torch's {@code maximize}: ascend the objective (the gradient negated before everything else) */
    public Adam(List<Group> groups, double beta1, double beta2, double eps, boolean decoupled, boolean amsgrad, boolean maximize,
                double maxGradNorm) {
        super(groups, maxGradNorm);
        this.amsgrad = amsgrad;
        this.maximize = maximize;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = (float) eps;
        this.decoupled = decoupled;
    }

    /** True for the names under which {@link #state()} saves Adam's tensors. */
    static boolean isAdamState(String key) {
        return key.startsWith(M) || key.startsWith(V) || key.startsWith(STEP) || key.startsWith(VMAX);
    }

    /** {@code betas[0]}; torch reads the group's betas at every step, its bias correction included. */
    @Override
    public double momentum() { return beta1; }

    @Override
    public void setMomentum(double momentum) { this.beta1 = momentum; }

    @Override
    protected void update(DoubleUnaryOperator lrOfMult) {
        if (amsgrad) {
            updateAmsgrad(lrOfMult);
            return;
        }
        Map<Backend, List<AdamUpdate>> byBackend = new LinkedHashMap<>();
        for (Group g : groups) {
            Tensor grad = g.param().grad();
            if (grad == null) continue;
            if (maximize) grad = grad.backend().mulScalar(grad, -1f); // torch: grad = -grads[i] (p.grad itself unchanged)
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

    /**
     * torch 2.x's {@code _single_tensor_adam} with amsgrad: the moments as without it (first moment by lerp_, second
     * by mul_ and addcmul_), v̂ ← max(v̂, v), θ ← θ − lr/(1−β₁ᵗ) · m / (√v̂ / √(1−β₂ᵗ) + ε).
     */
    private void updateAmsgrad(DoubleUnaryOperator lrOfMult) {
        Map<Backend, List<ForeachUpdate>> byBackend = new LinkedHashMap<>();
        for (Group g : groups) {
            Tensor grad = g.param().grad();
            if (grad == null) continue;
            Tensor m = expAvg.computeIfAbsent(g.name(), k -> zerosLike(g)), v = expAvgSq.computeIfAbsent(g.name(), k -> zerosLike(g));
            Tensor vmax = maxExpAvgSq.computeIfAbsent(g.name(), k -> zerosLike(g));
            long t = steps.merge(g.name(), 1L, Long::sum);
            double lr = lrOfMult.applyAsDouble(g.lrMult()), wd = g.weightDecay();
            float[] c = ForeachOptimizer.scalars(8, wd, decoupled, lr);
            c[2] = (float) (1 - beta1);
            c[3] = (float) beta2;
            c[4] = (float) (1 - beta2);
            c[5] = (float) (lr / (1 - Math.pow(beta1, t)));
            c[6] = (float) Math.sqrt(1 - Math.pow(beta2, t));
            c[7] = eps;
            byBackend.computeIfAbsent(g.param().backend(), b -> new ArrayList<>()).add(new ForeachUpdate(OptimRule.ADAM_AMSGRAD,
                    g.param(), grad, m, v, vmax, (decoupled && wd != 0 ? OptimRule.DECOUPLED : 0) | (maximize ? OptimRule.MAXIMIZE : 0), c));
        }
        for (var e : byBackend.entrySet()) {
            e.getKey().foreachUpdate(e.getValue());
            for (ForeachUpdate u : e.getValue()) u.param().bumpVersion();
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
            if (amsgrad) out.put(VMAX + name, maxExpAvgSq.get(name));
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
            if (key.startsWith(VMAX) && !amsgrad)
                throw new IllegalArgumentException("the optimizer state holds " + key + " (saved with amsgrad), but the config's "
                        + (decoupled ? "AdamW" : "Adam") + " has amsgrad false");
            String name = key.substring(key.startsWith(M) ? M.length() : key.startsWith(V) ? V.length()
                    : key.startsWith(VMAX) ? VMAX.length() : STEP.length());
            Group g = byName.get(name);
            if (g == null) { unknown.add(key); continue; }
            if (key.startsWith(STEP)) steps.put(name, (long) e.getValue().toFloatArray()[0]);
            else (key.startsWith(M) ? expAvg : key.startsWith(VMAX) ? maxExpAvgSq : expAvgSq).put(name, restored(g, e.getValue()));
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("optimizer state names unknown parameters: " + unknown);
        for (String name : steps.keySet())
            if (!expAvg.containsKey(name) || !expAvgSq.containsKey(name))
                throw new IllegalArgumentException("optimizer state has a step count but not both moments of " + name);
            else if (amsgrad && !maxExpAvgSq.containsKey(name))
                throw new IllegalArgumentException("optimizer state has no max_exp_avg_sq of " + name + " (saved without amsgrad?),"
                        + " but the config's " + (decoupled ? "AdamW" : "Adam") + " has amsgrad true");
    }
}
