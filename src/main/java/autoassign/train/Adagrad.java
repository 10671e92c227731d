package autoassign.train;

import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * torch.optim.Adagrad ({@code _single_tensor_adagrad}, dense gradients): g ← g + λθ; s ← s + g²;
 * θ ← θ − clr·g/(√s + ε) with clr = lr / (1 + (t−1)·lr_decay). State: {@code sum} (starting at
 * {@code initial_accumulator_value}) and {@code step}. No momentum for a scheduler to set.
 */
public final class Adagrad extends ForeachOptimizer {
    private final double lrDecay, eps;
    private final float initialAccumulatorValue;
    private final boolean maximize;

    public Adagrad(List<Group> groups, double lrDecay, double initialAccumulatorValue, double eps, boolean maximize, double maxGradNorm) {
        super("Adagrad", groups, maxGradNorm);
        this.lrDecay = lrDecay;
        this.initialAccumulatorValue = (float) initialAccumulatorValue;
        this.eps = eps;
        this.maximize = maximize;
    }

    @Override protected String[] tensorStates() { return new String[] {"sum", null, null}; }

    @Override protected float initialValue(int slot, double lr) { return initialAccumulatorValue; }

    @Override
    protected ForeachUpdate update(Group g, Tensor grad, Tensor[] s, long step, double lr) {
        float[] c = scalars(4, g.weightDecay(), false, lr);
        c[2] = (float) eps;
        c[3] = (float) -(lr / (1 + (step - 1) * lrDecay));
        return new ForeachUpdate(OptimRule.ADAGRAD, g.param(), grad, s[0], null, null, maximize ? OptimRule.MAXIMIZE : 0, c);
    }
}
