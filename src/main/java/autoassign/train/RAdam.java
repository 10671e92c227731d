package autoassign.train;

import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * torch.optim.RAdam ({@code _single_tensor_radam}): decoupled decay θ ← θ(1 − lr·λ) or g ← g + λθ;
 * m ← lerp(m, g, 1−β₁); v ← β₂v + (1−β₂)g²; m̂ = m/(1−β₁ᵗ); with ρ∞ = 2/(1−β₂) − 1 and
 * ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ): when ρₜ &gt; 5, θ ← θ − m̂·lr·(√(1−β₂ᵗ)/(√v + ε))·r with the rectification
 * r = √((ρₜ−4)(ρₜ−2)ρ∞/((ρ∞−4)(ρ∞−2)ρₜ)), else θ ← θ − m̂·lr. State: {@code exp_avg}, {@code exp_avg_sq},
 * {@code step}. Its {@link #momentum()} is β₁.
 */
public final class RAdam extends ForeachOptimizer {
    private final double beta2, eps;
    private final boolean decoupled, maximize;
    private double beta1;

    public RAdam(List<Group> groups, double beta1, double beta2, double eps, boolean decoupledWeightDecay, boolean maximize,
                 double maxGradNorm) {
        super("RAdam", groups, maxGradNorm);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupled = decoupledWeightDecay;
        this.maximize = maximize;
    }

    @Override protected String[] tensorStates() { return new String[] {"exp_avg", "exp_avg_sq", null}; }

    @Override
    protected ForeachUpdate update(Group g, Tensor grad, Tensor[] s, long step, double lr) {
        double wd = g.weightDecay();
        float[] c = scalars(10, wd, decoupled, lr);
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rhoInf - 2 * step * Math.pow(beta2, step) / bc2;
        c[2] = (float) (1 - beta1);
        c[3] = (float) beta2;
        c[4] = (float) (1 - beta2);
        c[5] = (float) bc1;
        c[6] = (float) lr;
        c[7] = (float) eps;
        c[8] = (float) Math.sqrt(bc2);
        c[9] = rhoT > 5 ? (float) Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0f;
        int flags = (maximize ? OptimRule.MAXIMIZE : 0) | (decoupled && wd != 0 ? OptimRule.DECOUPLED : 0)
                | (rhoT > 5 ? OptimRule.RECTIFIED : 0);
        return new ForeachUpdate(OptimRule.RADAM, g.param(), grad, s[0], s[1], null, flags, c);
    }

    @Override public double momentum() { return beta1; }

    @Override public void setMomentum(double momentum) { this.beta1 = momentum; }
}
