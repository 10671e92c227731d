package autoassign.train;

import autoassign.backend.ForeachUpdate;
import autoassign.backend.OptimRule;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * torch.optim.RMSprop ({@code _single_tensor_rmsprop}): g ← g + λθ; v ← αv + (1−α)g²; centered: ḡ ← lerp(ḡ, g, 1−α)
 * and the average is √(v − ḡ²), else √v; then with momentum b ← μb + g/(avg + ε), θ ← θ − lr·b, without
 * θ ← θ − lr·g/(avg + ε). State: {@code square_avg}, {@code momentum_buffer} (momentum &gt; 0), {@code grad_avg}
 * (centered), {@code step}. Its {@link #momentum()} is {@code momentum}, as MMEngine's momentum schedulers set it.
 */
public final class RmsProp extends ForeachOptimizer {
    private final double alpha, eps;
    private final boolean centered, maximize;
    private double momentum;
    // torch keeps state['momentum_buffer'] once made, whatever momentum a scheduler sets later: saved (and expected
    // on resume) while the momentum has ever been > 0, not only while it is > 0 now
    private boolean keepsMomentumBuffer;

    public RmsProp(List<Group> groups, double alpha, double eps, double momentum, boolean centered, boolean maximize, double maxGradNorm) {
        super("RMSprop", groups, maxGradNorm);
        this.alpha = alpha;
        this.eps = eps;
        this.momentum = momentum;
        this.keepsMomentumBuffer = momentum > 0;
        this.centered = centered;
        this.maximize = maximize;
    }

    @Override
    protected String[] tensorStates() {
        return new String[] {"square_avg", keepsMomentumBuffer ? "momentum_buffer" : null, centered ? "grad_avg" : null};
    }

    @Override
    protected ForeachUpdate update(Group g, Tensor grad, Tensor[] s, long step, double lr) {
        float[] c = scalars(7, g.weightDecay(), false, lr);
        c[2] = (float) alpha;
        c[3] = (float) (1 - alpha);
        c[4] = (float) eps;
        c[5] = (float) momentum;
        c[6] = (float) -lr;
        int flags = (maximize ? OptimRule.MAXIMIZE : 0) | (centered ? OptimRule.CENTERED : 0) | (momentum > 0 ? OptimRule.MOMENTUM : 0);
        return new ForeachUpdate(OptimRule.RMSPROP, g.param(), grad, s[0], momentum > 0 ? s[1] : null, centered ? s[2] : null, flags, c);
    }

    @Override public double momentum() { return momentum; }

    @Override public void setMomentum(double momentum) {
        this.momentum = momentum;
        if (momentum > 0) keepsMomentumBuffer = true;
    }
}
