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
 * torch.optim.SGD with momentum and coupled weight decay, one group per tensor (AA_5 §3): g' = g + λθ; buf = g' on
 * the first step, else momentum·buf + (1 − dampening)·g'; θ −= lr·buf, or with Nesterov θ −= lr·(g' + momentum·buf).
 * The recipe's dampening 0 without Nesterov is one launch on a GPU ({@link Backend#sgdStepAll(List, float, float)}).
 * Its state is one momentum buffer per tensor, saved under the parameter's name. A step at momentum 0 (torch's default,
 * or a momentum scheduler's value) makes, reads and writes no buffer, as torch skips it: the first step with a momentum
 * starts the buffer from g'. With {@code maximize} (torch's option) the gradient is negated first, before the decay
 * and the momentum, as {@code _single_tensor_sgd}'s {@code grad = -grads[i]}: exact, so the update kernels are the
 * same; clipping (in {@link Optimizer#step}) sees the gradient before it, as torch's clip_grad_norm_ runs before the step.
 */
public final class Sgd extends Optimizer {
    private final float dampening;
    private double momentum; // a momentum scheduler changes it between steps, as MMEngine writes param_group['momentum']
    private final boolean nesterov, maximize;
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();

    public Sgd(List<Group> groups, float momentum) {
        this(groups, momentum, 0);
    }

    /** @param maxGradNorm {@code clip_grad.max_norm} (L2 over all gradients), or 0: no clipping */
    public Sgd(List<Group> groups, float momentum, double maxGradNorm) {
        this(groups, momentum, 0f, false, maxGradNorm);
    }

    /** torch's rule: Nesterov needs a momentum and no dampening (checked when the config loads). */
    public Sgd(List<Group> groups, double momentum, float dampening, boolean nesterov, double maxGradNorm) {
        this(groups, momentum, dampening, nesterov, false, maxGradNorm);
    }

    /** @param maximize torch's {@code maximize}: ascend the objective (the gradient negated before everything else) */
    public Sgd(List<Group> groups, double momentum, float dampening, boolean nesterov, boolean maximize, double maxGradNorm) {
        super(groups, maxGradNorm);
        this.maximize = maximize;
        // the config's value (0.9, not 0.8999999762): momentum schedulers start from it, as MMEngine's do
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    @Override
    public double momentum() { return momentum; }

    @Override
    public void setMomentum(double momentum) {
        this.momentum = momentum;
    }

    @Override
    protected void update(DoubleUnaryOperator lrOfMult) {
        // one sgdStepAll per backend and learning rate (one launch on a GPU for the usual single rate), group order
        Map<Backend, Map<Float, List<SgdUpdate>>> byBackend = new LinkedHashMap<>();
        for (Group g : groups) {
            Tensor grad = g.param().grad();
            if (grad == null) continue;
            if (maximize) grad = grad.backend().mulScalar(grad, -1f); // torch: grad = -grads[i] (p.grad itself unchanged)
            Tensor buf = buffers.get(g.name());
            boolean first = buf == null;
            if (momentum == 0) {
                // torch's `if momentum != 0`: no buffer is made, read or written (a momentum scheduler at exactly 0):
                // θ −= lr·(g + λθ), through a scratch buffer; the kept one (if any) waits for a momentum again
                buf = g.param().backend().zeros(g.param().shape());
                first = true;
            } else if (first) {
                buf = g.param().backend().zeros(g.param().shape()).keep(); // persistent: outlives the step's memory scope
                buffers.put(g.name(), buf);
            }
            float lr = (float) lrOfMult.applyAsDouble(g.lrMult());
            byBackend.computeIfAbsent(g.param().backend(), b -> new LinkedHashMap<>()).computeIfAbsent(lr, k -> new ArrayList<>())
                    .add(new SgdUpdate(g.param(), grad, buf, g.weightDecay(), first));
        }
        for (var e : byBackend.entrySet()) {
            for (var byLr : e.getValue().entrySet()) {
                e.getKey().sgdStepAll(byLr.getValue(), byLr.getKey(), (float) momentum, dampening, nesterov);
                for (SgdUpdate u : byLr.getValue()) u.param().bumpVersion();
            }
        }
    }

    /** Momentum buffers by parameter name (what a checkpoint saves). */
    @Override
    public Map<String, Tensor> state() { return Collections.unmodifiableMap(buffers); }

    /** Restores momentum buffers saved by {@link #state()}; unknown names are errors. */
    @Override
    public void loadState(Map<String, Tensor> state) {
        Map<String, Group> byName = byName();
        List<String> unknown = new ArrayList<>();
        for (var e : state.entrySet()) {
            if (Adam.isAdamState(e.getKey()))
                throw new IllegalArgumentException("the optimizer state is Adam's (" + e.getKey() + "), but the config's optimizer is SGD");
            Group g = byName.get(e.getKey());
            if (g == null) { unknown.add(e.getKey()); continue; }
            buffers.put(e.getKey(), restored(g, e.getValue()));
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("optimizer state names unknown parameters: " + unknown);
    }
}
