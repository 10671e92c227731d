package autoassign.train;

import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * torch.optim.NAdam as torch 2.x computes it ({@code _single_tensor_nadam}): decoupled decay θ ← θ(1 − lr·λ) or
 * g ← g + λθ; μₜ = β₁(1 − ½·0.96^(tψ)), Πμ ← Πμ·μₜ (a float32 state, {@code mu_product}); m ← lerp(m, g, 1−β₁);
 * v ← β₂v + (1−β₂)g²; d = √(v/(1−β₂ᵗ)) + ε; θ ← θ − lr(1−μₜ)/(1−Πμ)·g/d − lr·μₜ₊₁/(1−Πμ·μₜ₊₁)·m/d. (torch 1.13
 * multiplied μₜ into the second term's product twice; torch 2.0 fixed it.) State: {@code exp_avg},
 * {@code exp_avg_sq}, {@code mu_product}, {@code step}. Its {@link #momentum()} is β₁.
 */
public final class NAdam extends ForeachOptimizer {
    static final String MU_PRODUCT = "mu_product";

    private final double beta2, eps, momentumDecay;
    private final boolean decoupled, maximize;
    private double beta1;
    private final Map<String, Float> muProducts = new HashMap<>();

    public NAdam(List<Group> groups, double beta1, double beta2, double eps, double momentumDecay, boolean decoupledWeightDecay,
                 boolean maximize, double maxGradNorm) {
        super("NAdam", groups, maxGradNorm);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.momentumDecay = momentumDecay;
        this.decoupled = decoupledWeightDecay;
        this.maximize = maximize;
    }

    @Override protected String[] tensorStates() { return new String[] {"exp_avg", "exp_avg_sq", null}; }

    @Override protected List<String> scalarStates() { return List.of(MU_PRODUCT); }

    @Override protected float scalarState(String state, String param) { return muProducts.getOrDefault(param, 1f); }

    @Override protected void setScalarState(String state, String param, float value) { muProducts.put(param, value); }

    @Override
    protected ForeachUpdate update(Group g, Tensor grad, Tensor[] s, long step, double lr) {
        double wd = g.weightDecay();
        float[] c = scalars(9, wd, decoupled, lr);
        double mu = beta1 * (1 - 0.5 * Math.pow(0.96, step * momentumDecay));
        double muNext = beta1 * (1 - 0.5 * Math.pow(0.96, (step + 1) * momentumDecay));
        float muProduct = muProducts.getOrDefault(g.name(), 1f) * (float) mu; // mu_product *= mu: a float32 tensor
        muProducts.put(g.name(), muProduct);
        double muProductNext = muProduct * muNext;
        c[2] = (float) (1 - beta1);
        c[3] = (float) beta2;
        c[4] = (float) (1 - beta2);
        c[5] = (float) (1 - Math.pow(beta2, step));
        c[6] = (float) eps;
        c[7] = (float) (-lr * (1 - mu) / (1 - (double) muProduct));
        c[8] = (float) (-lr * muNext / (1 - muProductNext));
        int flags = (maximize ? OptimRule.MAXIMIZE : 0) | (decoupled && wd != 0 ? OptimRule.DECOUPLED : 0);
        return new ForeachUpdate(OptimRule.NADAM, g.param(), grad, s[0], s[1], null, flags, c);
    }

    @Override public double momentum() { return beta1; }

    @Override public void setMomentum(double momentum) { this.beta1 = momentum; }
}
