package autoassign.train;

import autoassign.backend.Backend;
import autoassign.backend.SgdUpdate;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * torch.optim.SGD with momentum, dampening 0, no Nesterov and coupled weight decay, one group per tensor
 * (AA_5 §3): g' = g + λθ; buf = g' on the first step, else momentum·buf + g'; θ −= lr·buf.
 * Tensors without a gradient are skipped (their buffer is left as it is). With a {@code clip_grad.max_norm}, the
 * gradients are first scaled as {@code torch.nn.utils.clip_grad_norm_} does (MMEngine's OptimWrapper). With
 * {@link #accumulate} (MMEngine's {@code accumulative_counts}) the gradients of several iterations are summed, each
 * divided by the window's length as MMEngine scales the loss, and the update happens once per window.
 */
public final class Sgd {
    /**
     * One optimised tensor, its weight decay and its learning-rate multiplier ({@code paramwise_cfg}: the
     * tensor's lr is the schedule's lr for a base of {@code lr × lrMult}).
     */
    public record Group(String name, Tensor param, float weightDecay, double lrMult) {
        public Group(String name, Tensor param, float weightDecay) { this(name, param, weightDecay, 1.0); }
    }

    private final List<Group> groups;
    private final float momentum;
    private final double maxGradNorm;
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private double lastGradNorm = Double.NaN;
    private int accumulativeCounts = 1;
    private long innerCount, maxCounts = -1;
    private final Map<String, Tensor> accumulated = new LinkedHashMap<>();

    public Sgd(List<Group> groups, float momentum) {
        this(groups, momentum, 0);
    }

    /** @param maxGradNorm {@code clip_grad.max_norm} (L2 over all gradients), or 0: no clipping */
    public Sgd(List<Group> groups, float momentum, double maxGradNorm) {
        this.groups = List.copyOf(groups);
        this.momentum = momentum;
        this.maxGradNorm = maxGradNorm;
    }

    public List<Group> groups() { return groups; }

    /** The distinct learning-rate multipliers of the groups, in first-seen order. */
    public double[] lrMults() {
        return groups.stream().mapToDouble(Group::lrMult).distinct().toArray();
    }

    /** The total gradient norm the last step clipped against (NaN without clipping). */
    public double lastGradNorm() { return lastGradNorm; }

    /** Applies one step at learning rate {@code lr} (times each group's multiplier) using the current gradients. */
    public void step(float lr) {
        step(mult -> lr * mult);
    }

    /**
     * Accumulates gradients over {@code counts} iterations (MMEngine's {@code OptimWrapper(accumulative_counts)}):
     * iteration i adds its gradients divided by the window's length; the update is made after iterations
     * {@code counts − 1, 2·counts − 1, …} and after the last one, whose shorter window divides by its own length.
     *
     * @param initCount iterations already done (a resumed run)
     * @param maxCount  iterations of the whole training (-1: unknown, every window full)
     */
    public void accumulate(int counts, long initCount, long maxCount) {
        if (counts < 1) throw new IllegalArgumentException("accumulative_counts must be >= 1, got " + counts);
        this.accumulativeCounts = counts;
        this.innerCount = initCount;
        this.maxCounts = maxCount;
    }

    /**
     * Applies one step, each group at {@code lrOfMult(its lrMult)}, using each parameter's current gradient; call it
     * once per iteration (also for a skipped one, without gradients) so that accumulation windows stay aligned.
     */
    public void step(DoubleUnaryOperator lrOfMult) {
        if (accumulativeCounts > 1 && !accumulateAndDecide()) return;
        if (maxGradNorm > 0) clipGradients();
        // one sgdStepAll per backend and learning rate (one launch on a GPU for the usual single rate), group order
        Map<Backend, Map<Float, List<SgdUpdate>>> byBackend = new LinkedHashMap<>();
        for (Group g : groups) {
            Tensor grad = g.param.grad();
            if (grad == null) continue;
            Tensor buf = buffers.get(g.name);
            boolean first = buf == null;
            if (first) {
                buf = g.param.backend().zeros(g.param.shape()).keep(); // persistent: outlives the step's memory scope
                buffers.put(g.name, buf);
            }
            float lr = (float) lrOfMult.applyAsDouble(g.lrMult);
            byBackend.computeIfAbsent(g.param.backend(), b -> new LinkedHashMap<>()).computeIfAbsent(lr, k -> new ArrayList<>())
                    .add(new SgdUpdate(g.param, grad, buf, g.weightDecay, first));
        }
        for (var e : byBackend.entrySet()) {
            for (var byLr : e.getValue().entrySet()) {
                e.getKey().sgdStepAll(byLr.getValue(), byLr.getKey(), momentum);
                for (SgdUpdate u : byLr.getValue()) u.param().bumpVersion();
            }
        }
        for (Tensor acc : accumulated.values()) acc.backend().zeroRange(acc, 0, acc.numel()); // the next window
    }

    /** Adds this iteration's gradients to the window's sums; true when the window ends (its sums become the gradients). */
    private boolean accumulateAndDecide() {
        long i = innerCount++;
        long remainder = maxCounts < 0 ? 0 : maxCounts % accumulativeCounts;
        double length = maxCounts < 0 || i < maxCounts - remainder ? accumulativeCounts : remainder;
        for (Group g : groups) {
            Tensor grad = g.param.grad();
            if (grad == null) continue;
            Tensor acc = accumulated.get(g.name);
            if (acc == null) {
                acc = g.param.backend().zeros(g.param.shape()).keep(); // persistent: outlives the step's memory scope
                accumulated.put(g.name, acc);
            }
            acc.backend().addInPlace(acc, grad.backend().mulScalar(grad, (float) (1 / length)));
            g.param.setGrad(null);
        }
        if ((i + 1) % accumulativeCounts != 0 && i + 1 != maxCounts) return false;
        for (Group g : groups) {
            Tensor acc = accumulated.get(g.name);
            if (acc != null) g.param.setGrad(acc);
        }
        return true;
    }

    /**
     * {@code clip_grad_norm_(params, maxGradNorm)}: the L2 norm over every gradient (the norm of the per-tensor
     * norms); when it exceeds the limit, every gradient is multiplied by {@code max / (norm + 1e-6)}.
     */
    private void clipGradients() {
        double sq = 0;
        boolean any = false;
        for (Group g : groups) {
            Tensor grad = g.param.grad();
            if (grad == null) continue;
            sq += grad.backend().dot(grad, grad).item(); // the squared per-tensor norm
            any = true;
        }
        lastGradNorm = any ? Math.sqrt(sq) : Double.NaN; // a skipped step has no norm to log
        double coef = maxGradNorm / (lastGradNorm + 1e-6);
        if (!(coef < 1)) return;
        for (Group g : groups) {
            Tensor grad = g.param.grad();
            if (grad != null) g.param.setGrad(grad.backend().mulScalar(grad, (float) coef));
        }
    }

    /** Drops every gradient (call before the next forward). */
    public void zeroGrad() {
        for (Group g : groups) g.param.setGrad(null);
    }

    /** Momentum buffers by parameter name (what a checkpoint saves). */
    public Map<String, Tensor> state() { return Collections.unmodifiableMap(buffers); }

    /** Restores momentum buffers saved by {@link #state()}; unknown names are errors. */
    public void loadState(Map<String, Tensor> state) {
        Map<String, Group> byName = new LinkedHashMap<>();
        for (Group g : groups) byName.put(g.name, g);
        List<String> unknown = new ArrayList<>();
        for (var e : state.entrySet()) {
            Group g = byName.get(e.getKey());
            if (g == null) { unknown.add(e.getKey()); continue; }
            Tensor buf = g.param.backend().zeros(g.param.shape()).keep();
            buf.copyFrom(e.getValue());
            buffers.put(e.getKey(), buf);
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("optimizer state names unknown parameters: " + unknown);
    }
}
