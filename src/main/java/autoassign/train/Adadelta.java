package autoassign.train;

import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * torch.optim.Adadelta ({@code _single_tensor_adadelta}): g ← g + λθ; v ← ρv + (1−ρ)g²;
 * δ = √(u + ε)/√(v + ε)·g; u ← ρu + (1−ρ)δ²; θ ← θ − lr·δ. State: {@code square_avg}, {@code acc_delta},
 * {@code step}. No momentum for a scheduler to set.
 */
public final class Adadelta extends ForeachOptimizer {
    private final double rho, eps;
    private final boolean maximize;

    public Adadelta(List<Group> groups, double rho, double eps, boolean maximize, double maxGradNorm) {
        super("Adadelta", groups, maxGradNorm);
        this.rho = rho;
        this.eps = eps;
        this.maximize = maximize;
    }

    @Override protected String[] tensorStates() { return new String[] {"square_avg", "acc_delta", null}; }

    @Override
    protected ForeachUpdate update(Group g, Tensor grad, Tensor[] s, long step, double lr) {
        float[] c = scalars(6, g.weightDecay(), false, lr);
        c[2] = (float) rho;
        c[3] = (float) (1 - rho);
        c[4] = (float) eps;
        c[5] = (float) -lr;
        return new ForeachUpdate(OptimRule.ADADELTA, g.param(), grad, s[0], s[1], null, maximize ? OptimRule.MAXIMIZE : 0, c);
    }
}
