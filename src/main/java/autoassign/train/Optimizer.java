package autoassign.train;

import autoassign.config.OptimConfig;
import autoassign.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * MMEngine's {@code OptimWrapper} around one torch.optim update rule ({@link Sgd}, {@link Adam}): the optimised
 * tensors with their paramwise settings, gradient clipping ({@code clip_grad}: the gradients are scaled as
 * {@code torch.nn.utils.clip_grad_norm_} does before the update) and gradient accumulation
 * ({@code accumulative_counts}: the gradients of several iterations are summed, each divided by its window's
 * length as MMEngine scales the loss, and the update happens once per window) and, as {@code AmpOptimWrapper}, loss
 * scaling ({@link LossScaler}: the gradients are unscaled before clipping, an update with a non-finite one is
 * skipped). Tensors without a gradient are skipped by the update (their state is left as it is).
 */
public abstract class Optimizer {
    /**
     * One optimised tensor, its weight decay and its learning-rate multiplier ({@code paramwise_cfg}: the
     * tensor's lr is the schedule's lr for a base of {@code lr × lrMult}).
     */
    public record Group(String name, Tensor param, float weightDecay, double lrMult) {
        public Group(String name, Tensor param, float weightDecay) { this(name, param, weightDecay, 1.0); }
    }

    protected final List<Group> groups;
    private final double maxGradNorm;
    private double lastGradNorm = Double.NaN;
    private boolean clipped; // the last step clipped: lastGradNorm is its norm, NaN or infinite ones included
    private int accumulativeCounts = 1;
    private long innerCount, maxCounts = -1;
    private final Map<String, Tensor> accumulated = new LinkedHashMap<>();
    private boolean windowHasGradients; // some iteration of the current window gave gradients
    private LossScaler lossScaler; // AmpOptimWrapper's GradScaler, or null

    /** @param maxGradNorm {@code clip_grad.max_norm} (L2 over all gradients), or 0: no clipping */
    protected Optimizer(List<Group> groups, double maxGradNorm) {
        this.groups = List.copyOf(groups);
        this.maxGradNorm = maxGradNorm;
    }

    /** The optimizer {@code optim_wrapper.optimizer} names, over these groups, with AmpOptimWrapper's loss scaling. */
    public static Optimizer of(List<Group> groups, OptimConfig o) {
        Optimizer opt = rule(groups, o);
        opt.useLossScaler(o.amp());
        return opt;
    }

    private static Optimizer rule(List<Group> groups, OptimConfig o) {
        return switch (o.type()) {
            case SGD -> new Sgd(groups, o.momentum(), (float) o.dampening(), o.nesterov(), o.rule().maximize(), o.clipGradMaxNorm());
            case Adam, AdamW -> new Adam(groups, o.beta1(), o.beta2(), o.eps(),
                    o.type() == OptimConfig.Type.AdamW || o.rule().decoupledWeightDecay(), o.rule().amsgrad(), o.rule().maximize(),
                    o.clipGradMaxNorm());
            case RMSprop -> new RmsProp(groups, o.rule().alpha(), o.eps(), o.momentum(), o.rule().centered(), o.rule().maximize(),
                    o.clipGradMaxNorm());
            case Adagrad -> new Adagrad(groups, o.rule().lrDecay(), o.rule().initialAccumulatorValue(), o.eps(), o.rule().maximize(),
                    o.clipGradMaxNorm());
            case Adadelta -> new Adadelta(groups, o.rule().rho(), o.eps(), o.rule().maximize(), o.clipGradMaxNorm());
            case Adamax -> new Adamax(groups, o.beta1(), o.beta2(), o.eps(), o.rule().maximize(), o.clipGradMaxNorm());
            case NAdam -> new NAdam(groups, o.beta1(), o.beta2(), o.eps(), o.rule().momentumDecay(), o.rule().decoupledWeightDecay(),
                    o.rule().maximize(), o.clipGradMaxNorm());
            case RAdam -> new RAdam(groups, o.beta1(), o.beta2(), o.eps(), o.rule().decoupledWeightDecay(), o.rule().maximize(),
                    o.clipGradMaxNorm());
            case Rprop -> new Rprop(groups, o.rule().etaMinus(), o.rule().etaPlus(), o.rule().stepSizeMin(), o.rule().stepSizeMax(),
                    o.rule().maximize(), o.clipGradMaxNorm());
            case ASGD -> new Asgd(groups, o.rule().lambd(), o.rule().asgdAlpha(), o.rule().t0(), o.rule().maximize(), o.clipGradMaxNorm());
        };
    }

    public List<Group> groups() { return groups; }

    /** Scales losses as {@code AmpOptimWrapper} ({@code cfg} null: plain OptimWrapper); returns the scaler or null. */
    public LossScaler useLossScaler(autoassign.config.AmpConfig cfg) {
        lossScaler = cfg == null ? null : new LossScaler(cfg);
        return lossScaler;
    }

    /** The loss scaler, or null without AmpOptimWrapper. */
    public LossScaler lossScaler() { return lossScaler; }

    /** What the backward multiplies the loss by: the loss scale with AmpOptimWrapper, else 1. */
    public float lossScale() { return lossScaler == null ? 1f : lossScaler.scale(); }

    /**
     * Tells the optimizer that this iteration's loss was not finite and no backward ran (call before {@link #step}):
     * with loss scaling the window's update is then skipped and the scale backs off, as GradScaler does with the
     * non-finite gradients MMEngine's backward would have made; without it nothing changes.
     */
    public void nonFiniteLoss() {
        if (lossScaler != null) lossScaler.markNonFiniteLoss();
    }

    /** The distinct learning-rate multipliers of the groups, in first-seen order. */
    public double[] lrMults() {
        return groups.stream().mapToDouble(Group::lrMult).distinct().toArray();
    }

    /**
     * The total gradient norm the last {@link #step} clipped against: NaN without clipping, and after a call that made
     * no update (an iteration inside an accumulation window), as OptimWrapper logs {@code grad_norm} only when it clips.
     */
    public double lastGradNorm() { return lastGradNorm; }

    /**
     * Whether the last {@link #step} clipped (an update with {@code clip_grad}): then {@link #lastGradNorm} is the norm
     * OptimWrapper logs, which is NaN or infinite when gradients are (MMEngine logs {@code grad_norm: nan}).
     */
    public boolean clipped() { return clipped; }

    /** Applies one step at learning rate {@code lr} (times each group's multiplier) using the current gradients. */
    public void step(float lr) {
        step(mult -> lr * mult);
    }

    /**
     * Accumulates gradients over {@code counts} iterations (MMEngine's {@code OptimWrapper(accumulative_counts)}):
     * iteration i adds its gradients divided by the window's length; the update is made after iterations
     * {@code counts − 1, 2·counts − 1, …} and after the last one, whose shorter window divides by its own length.
     *
     * @param initCount iterations already done (a resumed run)
     * @param maxCount  iterations of the whole training (-1: unknown, every window full)
     */
    public void accumulate(int counts, long initCount, long maxCount) {
        if (counts < 1) throw new IllegalArgumentException("accumulative_counts must be >= 1, got " + counts);
        this.accumulativeCounts = counts;
        this.innerCount = initCount;
        this.maxCounts = maxCount;
    }

    /**
     * Applies one step, each group at {@code lrOfMult(its lrMult)}, using each parameter's current gradient; call it
     * once per iteration (also for a skipped one, without gradients) so that accumulation windows stay aligned.
     */
    public void step(DoubleUnaryOperator lrOfMult) {
        lastGradNorm = Double.NaN;
        clipped = false;
        if (accumulativeCounts > 1 && !accumulateAndDecide()) return;
        boolean skip = lossScaler != null && lossScaler.unscale(groups);
        if (maxGradNorm > 0) clipGradients();
        if (!skip) update(lrOfMult);
        if (lossScaler != null && (skip || hasGradients())) lossScaler.update(skip);
        for (Tensor acc : accumulated.values()) acc.backend().zeroRange(acc, 0, acc.numel()); // the next window
    }

    /**
     * The value MMEngine's momentum schedulers drive ({@code MomentumSchedulerMixin}): SGD's {@code momentum}, or the
     * first of {@code betas} for the Adam family; NaN for a rule with neither (MMEngine refuses such a scheduler).
     */
    public double momentum() { return Double.NaN; }

    /** Sets {@link #momentum()} for the next updates; only for a rule that has one. */
    public void setMomentum(double momentum) {
        throw new IllegalStateException(getClass().getSimpleName() + " has no momentum or betas for a momentum scheduler to set");
    }

    /** The update rule: every group with a gradient, at {@code lrOfMult(its lrMult)}; bumps the versions it writes. */
    protected abstract void update(DoubleUnaryOperator lrOfMult);

    private boolean hasGradients() {
        for (Group g : groups) if (g.param.grad() != null) return true;
        return false;
    }

    /** Adds this iteration's gradients to the window's sums; true when the window ends (its sums become the gradients). */
    private boolean accumulateAndDecide() {
        long i = innerCount++;
        long remainder = maxCounts < 0 ? 0 : maxCounts % accumulativeCounts;
        double length = maxCounts < 0 || i < maxCounts - remainder ? accumulativeCounts : remainder;
        for (Group g : groups) {
            Tensor grad = g.param.grad();
            if (grad == null) continue;
            Tensor acc = accumulated.get(g.name);
            if (acc == null) {
                acc = g.param.backend().zeros(g.param.shape()).keep(); // persistent: outlives the step's memory scope
                accumulated.put(g.name, acc);
            }
            acc.backend().addInPlace(acc, grad.backend().mulScalar(grad, (float) (1 / length)));
            g.param.setGrad(null);
            windowHasGradients = true;
        }
        if ((i + 1) % accumulativeCounts != 0 && i + 1 != maxCounts) return false;
        // a window whose iterations were all skipped (non-finite losses) updates nothing, as no backward ran
        if (windowHasGradients)
            for (Group g : groups) {
                Tensor acc = accumulated.get(g.name);
                if (acc != null) g.param.setGrad(acc);
            }
        windowHasGradients = false;
        return true;
    }

    /**
     * {@code clip_grad_norm_(params, maxGradNorm)}: the L2 norm over every gradient (the norm of the per-tensor
     * norms); when it exceeds the limit, every gradient is multiplied by {@code max / (norm + 1e-6)}.
     */
    private void clipGradients() {
        double sq = 0;
        boolean any = false;
        for (Group g : groups) {
            Tensor grad = g.param.grad();
            if (grad == null) continue;
            sq += grad.backend().dot(grad, grad).item(); // the squared per-tensor norm
            any = true;
        }
        lastGradNorm = any ? Math.sqrt(sq) : Double.NaN; // a skipped step has no norm to log
        clipped = any;
        double coef = maxGradNorm / (lastGradNorm + 1e-6);
        if (!(coef < 1)) return;
        for (Group g : groups) {
            Tensor grad = g.param.grad();
            if (grad != null) g.param.setGrad(grad.backend().mulScalar(grad, (float) coef));
        }
    }

    /** Drops every gradient (call before the next forward). */
    public void zeroGrad() {
        for (Group g : groups) g.param.setGrad(null);
    }

    /** The optimizer's state by name (what a checkpoint saves beside the weights). */
    public abstract Map<String, Tensor> state();

    /** Restores a state saved by {@link #state()}; names of unknown parameters or of another optimizer are errors. */
    public abstract void loadState(Map<String, Tensor> state);

    /** The groups by parameter name. */
    protected Map<String, Group> byName() {
        Map<String, Group> byName = new LinkedHashMap<>();
        for (Group g : groups) byName.put(g.name, g);
        return byName;
    }

    /** A persistent tensor on the parameter's device holding {@code saved}'s values. */
    protected static Tensor restored(Group g, Tensor saved) {
        Tensor t = g.param.backend().zeros(g.param.shape()).keep();
        t.copyFrom(saved);
        return t;
    }
}
