package autoassign.train;

import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * torch.optim.Adamax ({@code _single_tensor_adamax}): g ← g + λθ; m ← lerp(m, g, 1−β₁); u ← max(β₂u, |g| + ε);
 * θ ← θ − lr/(1−β₁ᵗ)·m/u. State: {@code exp_avg}, {@code exp_inf}, {@code step}. Its {@link #momentum()} is β₁.
 */
public final class Adamax extends ForeachOptimizer {
    private final double beta2, eps;
    private final boolean maximize;
    private double beta1;

    public Adamax(List<Group> groups, double beta1, double beta2, double eps, boolean maximize, double maxGradNorm) {
        super("Adamax", groups, maxGradNorm);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.maximize = maximize;
    }

    @Override protected String[] tensorStates() { return new String[] {"exp_avg", "exp_inf", null}; }

    @Override
    protected ForeachUpdate update(Group g, Tensor grad, Tensor[] s, long step, double lr) {
        float[] c = scalars(6, g.weightDecay(), false, lr);
        c[2] = (float) (1 - beta1);
        c[3] = (float) beta2;
        c[4] = (float) eps;
        c[5] = (float) -(lr / (1 - Math.pow(beta1, step)));
        return new ForeachUpdate(OptimRule.ADAMAX, g.param(), grad, s[0], s[1], null, maximize ? OptimRule.MAXIMIZE : 0, c);
    }

    @Override public double momentum() { return beta1; }

    @Override public void setMomentum(double momentum) { this.beta1 = momentum; }
}
