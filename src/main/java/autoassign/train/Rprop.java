package autoassign.train;

import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * torch.optim.Rprop ({@code _single_tensor_rprop}, the same per element in torch 1.13 and 2.x): s = sign(g·prev),
 * then s ← η₊ where s &gt; 0, η₋ where s &lt; 0, 1 where s = 0; step_size ← clamp(step_size·s, Γmin, Γmax); g ← 0 where
 * s equals η₋ (torch compares the replaced sign with etaminus); θ ← θ − sign(g)·step_size; prev ← g. State:
 * {@code prev} (zeros), {@code step_size} (filled with the group's lr at the tensor's first step: later lr changes,
 * e.g. a warm-up, do not reach it) and {@code step}. No weight decay (torch's Rprop takes none), no momentum for a
 * scheduler to set.
 */
public final class Rprop extends ForeachOptimizer {
    private final double etaMinus, etaPlus, stepSizeMin, stepSizeMax;
    private final boolean maximize;

    public Rprop(List<Group> groups, double etaMinus, double etaPlus, double stepSizeMin, double stepSizeMax, boolean maximize,
                 double maxGradNorm) {
        super("Rprop", groups, maxGradNorm);
        this.etaMinus = etaMinus;
        this.etaPlus = etaPlus;
        this.stepSizeMin = stepSizeMin;
        this.stepSizeMax = stepSizeMax;
        this.maximize = maximize;
    }

    @Override protected String[] tensorStates() { return new String[] {"prev", "step_size", null}; }

    /** {@code state['step_size'] = grad.new().resize_as_(grad).fill_(group['lr'])}: the lr of the first step, as float32. */
    @Override protected float initialValue(int slot, double lr) { return slot == 1 ? (float) lr : 0f; }

    @Override
    protected ForeachUpdate update(Group g, Tensor grad, Tensor[] s, long step, double lr) {
        float[] c = scalars(6, 0, false, lr); // no weight decay
        c[2] = (float) etaPlus; // sign[...] = etaplus and sign.eq(etaminus): the scalars as float32, as ATen converts them
        c[3] = (float) etaMinus;
        c[4] = (float) stepSizeMin; // clamp_'s bounds, converted to the tensor's float32
        c[5] = (float) stepSizeMax;
        return new ForeachUpdate(OptimRule.RPROP, g.param(), grad, s[0], s[1], null, maximize ? OptimRule.MAXIMIZE : 0, c);
    }
}
