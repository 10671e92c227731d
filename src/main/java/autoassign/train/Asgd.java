package autoassign.train;

import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * torch.optim.ASGD ({@code _single_tensor_asgd}, the same per element in torch 1.13 and 2.x): g ← g + λ_wd·θ;
 * θ ← θ(1 − λη); θ ← θ − η·g; ax ← θ while μ = 1, else ax ← ax + (θ − ax)·μ; then, from this step's t and lr,
 * η ← lr / (1 + λ·lr·t)^α and μ ← 1 / max(1, t − t₀), each computed in double and kept as a float32 one-number state
 * ({@code torch.tensor(...)}), so the lr of a step only reaches the next step's η. η starts at the group's lr of the
 * tensor's first step, μ at 1. State: {@code eta}, {@code mu}, {@code ax}, {@code step}. No momentum for a scheduler
 * to set.
 */
public final class Asgd extends ForeachOptimizer {
    static final String ETA = "eta", MU = "mu";

    private final double lambd, alpha, t0;
    private final boolean maximize;
    private final Map<String, Float> etas = new HashMap<>(), mus = new HashMap<>();

    public Asgd(List<Group> groups, double lambd, double alpha, double t0, boolean maximize, double maxGradNorm) {
        super("ASGD", groups, maxGradNorm);
        this.lambd = lambd;
        this.alpha = alpha;
        this.t0 = t0;
        this.maximize = maximize;
    }

    @Override protected String[] tensorStates() { return new String[] {"ax", null, null}; }

    @Override protected List<String> scalarStates() { return List.of(ETA, MU); }

    @Override
    protected float scalarState(String state, String param) {
        return (state.equals(ETA) ? etas : mus).getOrDefault(param, state.equals(ETA) ? Float.NaN : 1f);
    }

    @Override
    protected void setScalarState(String state, String param, float value) {
        (state.equals(ETA) ? etas : mus).put(param, value);
    }

    @Override
    protected ForeachUpdate update(Group g, Tensor grad, Tensor[] s, long step, double lr) {
        float eta = etas.computeIfAbsent(g.name(), k -> (float) lr); // state['eta'] = torch.tensor(group['lr'])
        float mu = mus.getOrDefault(g.name(), 1f);
        float[] c = scalars(5, g.weightDecay(), false, lr);
        c[2] = (float) (1 - lambd * (double) eta); // param.mul_(1 - lambd * eta.item())
        c[3] = -eta; // param.add_(grad, alpha=-eta.item())
        c[4] = mu;
        etas.put(g.name(), (float) (lr / Math.pow(1 + lambd * lr * step, alpha)));
        mus.put(g.name(), (float) (1 / Math.max(1, step - t0)));
        return new ForeachUpdate(OptimRule.ASGD, g.param(), grad, s[0], null, null, maximize ? OptimRule.MAXIMIZE : 0, c);
    }
}
