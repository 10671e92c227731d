package autoassign.train;

import autoassign.backend.Backend;
import autoassign.backend.SgdUpdate;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * torch.optim.SGD with momentum, dampening 0, no Nesterov and coupled weight decay, one group per tensor
 * (AA_5 §3): g' = g + λθ; buf = g' on the first step, else momentum·buf + g'; θ −= lr·buf.
 * Tensors without a gradient are skipped (their buffer is left as it is).
 */
public final class Sgd {
    /** One optimised tensor and its weight decay. */
    public record Group(String name, Tensor param, float weightDecay) {}

    private final List<Group> groups;
    private final float momentum;
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();

    public Sgd(List<Group> groups, float momentum) {
        this.groups = List.copyOf(groups);
        this.momentum = momentum;
    }

    public List<Group> groups() { return groups; }

    /** Applies one step at learning rate {@code lr} using each parameter's current gradient. */
    public void step(float lr) {
        // one sgdStepAll per backend (one launch on a GPU), tensors in group order
        Map<Backend, List<SgdUpdate>> byBackend = new LinkedHashMap<>();
        for (Group g : groups) {
            Tensor grad = g.param.grad();
            if (grad == null) continue;
            Tensor buf = buffers.get(g.name);
            boolean first = buf == null;
            if (first) {
                buf = g.param.backend().zeros(g.param.shape()).keep(); // persistent: outlives the step's memory scope
                buffers.put(g.name, buf);
            }
            byBackend.computeIfAbsent(g.param.backend(), b -> new ArrayList<>())
                    .add(new SgdUpdate(g.param, grad, buf, g.weightDecay, first));
        }
        for (var e : byBackend.entrySet()) {
            e.getKey().sgdStepAll(e.getValue(), lr, momentum);
            for (SgdUpdate u : e.getValue()) u.param().bumpVersion();
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
