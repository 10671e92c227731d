package autoassign.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code optim_wrapper}: torch.optim's SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop or
 * ASGD (as MMEngine builds them from {@code optimizer}) and MMEngine's paramwise rule. Defaults are torch's: SGD
 * momentum 0, Adam weight decay 0, AdamW weight decay 0.01, betas (0.9, 0.999), eps 1e-8; the other rules' in
 * {@link Rule}. LBFGS and SparseAdam are refused.
 *
 * @param lr              base learning rate (0.01 in the recipe)
 * @param momentum        SGD momentum (0.9 in the recipe)
 * @param weightDecay     SGD and Adam: coupled L2 (1e-4 in the recipe); AdamW: decoupled decay
 * @param nesterov        SGD's Nesterov momentum (false)
 * @param normDecayMult   {@code paramwise_cfg.norm_decay_mult}: decay multiplier of GN/BN weight and bias (the recipe's 0);
 *                        NaN when absent (MMEngine's None: the next rule that applies decides)
 * @param clipGradMaxNorm {@code clip_grad.max_norm}, or 0 for no clipping (the AutoAssign config has none)
 * @param biasLrMult      {@code paramwise_cfg.bias_lr_mult}: lr multiplier of biases other than norms' (1)
 * @param biasDecayMult   {@code paramwise_cfg.bias_decay_mult}: decay multiplier of biases (norms' too when
 *                        {@code norm_decay_mult} is absent, as MMEngine's rule chain falls through); NaN when absent
 * @param customKeys      {@code paramwise_cfg.custom_keys}, in MMEngine's matching order (longest key first, then
 *                        alphabetical): the first key contained in a parameter's name sets its multipliers, and the
 *                        bias / norm rules do not apply to it
 * @param accumulativeCounts {@code accumulative_counts}: iterations whose gradients make one update (1)
 * @param type            {@code optimizer.type}: SGD, Adam or AdamW
 * @param beta1           Adam's {@code betas[0]} (0.9)
 * @param beta2           Adam's {@code betas[1]} (0.999)
 * @param eps             Adam's {@code eps} (1e-8)
 * @param dampening       SGD's {@code dampening} (0)
 * @param flatDecayMult   {@code paramwise_cfg.flat_decay_mult}: decay multiplier of the other one-dimensional parameters
 *                        (after the norm and bias rules); NaN when absent
 * @param amp             {@code type: AmpOptimWrapper} (mixed precision): its loss scaling, or null for OptimWrapper
 * @param paramGroups     a non-empty {@code paramwise_cfg}: MMEngine then gives every parameter its own group, and an
 *                        optimizer with several groups logs {@code base_lr} beside {@code lr}
 * @param rule            the settings of the other rules (RMSprop's alpha and centered, Adagrad's lr_decay, …), torch's
 *                        defaults where they do not apply
 * @param dcnOffsetLrMult {@code paramwise_cfg.dcn_offset_lr_mult}: lr multiplier of deformable convolutions' offset convs
 *                        ({@code conv_offset}); NaN when absent (MMEngine's None: the rules before it decide)
 * @param dwconvDecayMult {@code paramwise_cfg.dwconv_decay_mult}: decay multiplier of the parameters of depth-wise
 *                        convolutions (MMEngine's {@code is_dwconv}: a Conv2d with in_channels == groups), after the
 *                        norm and bias rules and before the flat one; NaN when absent
 */
public record OptimConfig(double lr, double momentum, double weightDecay, boolean nesterov, double normDecayMult,
                          double clipGradMaxNorm, double biasLrMult, double biasDecayMult, List<CustomKey> customKeys,
                          int accumulativeCounts, Type type, double beta1, double beta2, double eps, double dampening,
                          double flatDecayMult, AmpConfig amp, boolean paramGroups, Rule rule, double dcnOffsetLrMult,
                          double dwconvDecayMult) {

    /** The optimizers MMEngine can build here, by their torch.optim names. */
    public enum Type { SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD }

    /** torch.optim classes MMEngine could build that this engine refuses, and why. */
    private static final java.util.Map<String, String> REFUSED = java.util.Map.of(
            "LBFGS", "LBFGS is not supported: it needs a closure that re-evaluates the loss, which a training loop does not pass",
            "SparseAdam", "SparseAdam is not supported: it needs sparse gradients, and every gradient here is dense");

    /**
     * The settings of RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop and ASGD (and Adam's amsgrad), torch's
     * defaults where a rule has no such setting.
     *
     * @param alpha                   RMSprop's smoothing constant (0.99)
     * @param centered                RMSprop: normalise by the variance estimate (false)
     * @param lrDecay                 Adagrad's learning-rate decay (0)
     * @param initialAccumulatorValue Adagrad's starting {@code sum} (0)
     * @param rho                     Adadelta's coefficient of the running averages (0.9)
     * @param momentumDecay           NAdam's {@code momentum_decay} ψ (4e-3)
     * @param decoupledWeightDecay    NAdam / RAdam / Adam: AdamW-style decay θ ← θ(1 − lr·λ) instead of L2 (false; AdamW: true)
     * @param maximize                every rule: ascend the objective, the gradient negated first (false)
     * @param amsgrad                 Adam / AdamW: normalise by the running maximum of the second moment (false)
     * @param etaMinus                Rprop's {@code etas[0]}, the step-size decrease factor (0.5)
     * @param etaPlus                 Rprop's {@code etas[1]}, the step-size increase factor (1.2)
     * @param stepSizeMin             Rprop's {@code step_sizes[0]} (1e-6)
     * @param stepSizeMax             Rprop's {@code step_sizes[1]} (50)
     * @param lambd                   ASGD's decay term λ (1e-4)
     * @param asgdAlpha               ASGD's {@code alpha}, the power of its eta update (0.75)
     * @param t0                      ASGD's {@code t0}, the step after which it averages (1e6)
     */
    public record Rule(double alpha, boolean centered, double lrDecay, double initialAccumulatorValue, double rho,
                       double momentumDecay, boolean decoupledWeightDecay, boolean maximize, boolean amsgrad, double etaMinus,
                       double etaPlus, double stepSizeMin, double stepSizeMax, double lambd, double asgdAlpha, double t0) {
        public static final Rule DEFAULTS = new Rule(0.99, false, 0, 0, 0.9, 4e-3, false, false, false);

        /** Torch's Rprop and ASGD defaults. */
        public Rule(double alpha, boolean centered, double lrDecay, double initialAccumulatorValue, double rho, double momentumDecay,
                    boolean decoupledWeightDecay, boolean maximize, boolean amsgrad) {
            this(alpha, centered, lrDecay, initialAccumulatorValue, rho, momentumDecay, decoupledWeightDecay, maximize, amsgrad,
                    0.5, 1.2, 1e-6, 50, 1e-4, 0.75, 1e6);
        }

        /** These settings with {@code maximize} set (SGD / Adam / AdamW read it after building the rest). */
        public Rule withMaximize(boolean maximize) {
            return new Rule(alpha, centered, lrDecay, initialAccumulatorValue, rho, momentumDecay, decoupledWeightDecay, maximize,
                    amsgrad, etaMinus, etaPlus, stepSizeMin, stepSizeMax, lambd, asgdAlpha, t0);
        }
    }

    /** The settings before {@link #rule} existed: torch's defaults for the other rules. */
    public OptimConfig(double lr, double momentum, double weightDecay, boolean nesterov, double normDecayMult,
                       double clipGradMaxNorm, double biasLrMult, double biasDecayMult, List<CustomKey> customKeys,
                       int accumulativeCounts, Type type, double beta1, double beta2, double eps, double dampening,
                       double flatDecayMult, AmpConfig amp, boolean paramGroups) {
        this(lr, momentum, weightDecay, nesterov, normDecayMult, clipGradMaxNorm, biasLrMult, biasDecayMult, customKeys,
                accumulativeCounts, type, beta1, beta2, eps, dampening, flatDecayMult, amp, paramGroups, Rule.DEFAULTS);
    }

    /** Without {@code dcn_offset_lr_mult}. */
    public OptimConfig(double lr, double momentum, double weightDecay, boolean nesterov, double normDecayMult,
                       double clipGradMaxNorm, double biasLrMult, double biasDecayMult, List<CustomKey> customKeys,
                       int accumulativeCounts, Type type, double beta1, double beta2, double eps, double dampening,
                       double flatDecayMult, AmpConfig amp, boolean paramGroups, Rule rule) {
        this(lr, momentum, weightDecay, nesterov, normDecayMult, clipGradMaxNorm, biasLrMult, biasDecayMult, customKeys,
                accumulativeCounts, type, beta1, beta2, eps, dampening, flatDecayMult, amp, paramGroups, rule, Double.NaN);
    }

    /** Without {@code dwconv_decay_mult}. */
    public OptimConfig(double lr, double momentum, double weightDecay, boolean nesterov, double normDecayMult,
                       double clipGradMaxNorm, double biasLrMult, double biasDecayMult, List<CustomKey> customKeys,
                       int accumulativeCounts, Type type, double beta1, double beta2, double eps, double dampening,
                       double flatDecayMult, AmpConfig amp, boolean paramGroups, Rule rule, double dcnOffsetLrMult) {
        this(lr, momentum, weightDecay, nesterov, normDecayMult, clipGradMaxNorm, biasLrMult, biasDecayMult, customKeys,
                accumulativeCounts, type, beta1, beta2, eps, dampening, flatDecayMult, amp, paramGroups, rule, dcnOffsetLrMult,
                Double.NaN);
    }

    public OptimConfig {
        customKeys = List.copyOf(customKeys);
    }

    /** The plain SGD of the recipe's kind: no bias rule, no custom keys. */
    public OptimConfig(double lr, double momentum, double weightDecay, boolean nesterov, double normDecayMult,
                       double clipGradMaxNorm) {
        this(lr, momentum, weightDecay, nesterov, normDecayMult, clipGradMaxNorm, 1, Double.NaN, List.of(), 1, Type.SGD, 0.9, 0.999,
                1e-8, 0, Double.NaN, null, !Double.isNaN(normDecayMult)); // the recipe's paramwise_cfg: {norm_decay_mult}
    }

    /** One {@code custom_keys} entry: parameters whose name contains {@code key} get these multipliers. */
    public record CustomKey(String key, double lrMult, double decayMult) {}

    static OptimConfig from(ConfigNode n) {
        AmpConfig amp = "AmpOptimWrapper".equals(n.choice("type", "OptimWrapper", "OptimWrapper", "AmpOptimWrapper"))
                ? AmpConfig.from(n) : null;
        ConfigNode o = n.requiredChild("optimizer");
        boolean wdGiven = o.has("weight_decay");
        if (o.has("type") && REFUSED.containsKey(o.string("type", "")))
            throw o.error("type", REFUSED.get(o.string("type", "")));
        String[] typeNames = java.util.Arrays.stream(Type.values()).map(Enum::name).toArray(String[]::new);
        String typeName = o.choice("type", null, typeNames);
        if (typeName == null) throw o.error("type", "required key is missing (" + String.join(", ", typeNames) + ")");
        Type type = Type.valueOf(typeName);
        double momentum = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, dampening = 0;
        boolean nesterov = false;
        double lr, wd;
        Rule rule = Rule.DEFAULTS;
        if (type != Type.SGD && type != Type.Adam && type != Type.AdamW) {
            for (String sgdOnly : type == Type.RMSprop ? List.of("nesterov", "dampening") : List.of("momentum", "nesterov", "dampening"))
                if (o.has(sgdOnly))
                    throw o.error(sgdOnly, "an SGD setting, which " + typeName + " does not take (to replace a base config's SGD, write the"
                            + " optimizer with _delete_: true)");
            if (o.has("amsgrad")) throw o.error("amsgrad", "an Adam / AdamW setting, which " + typeName + " does not take");
            lr = 0;
            if (type == Type.Rprop && o.has("weight_decay")) // torch.optim.Rprop(weight_decay=...) is a TypeError
                throw o.error("weight_decay", "torch's Rprop takes no weight_decay (to replace a base config's optimizer, write it"
                        + " with _delete_: true)");
            wd = o.nonNegative("weight_decay", o.number("weight_decay", 0.0));
            boolean maximize = o.bool("maximize", false);
            if ((type == Type.Rprop || type == Type.ASGD) && o.has("fused"))
                throw o.error("fused", "torch's " + typeName + " has no fused implementation (it takes foreach, capturable, differentiable)");
            for (String speed : List.of("foreach", "fused", "capturable", "differentiable"))
                o.raw(speed); // how torch loops, fuses or records the update, not what it computes: one launch here
            double alpha = Rule.DEFAULTS.alpha(), lrDecay = 0, initAcc = 0, rho = Rule.DEFAULTS.rho(), psi = Rule.DEFAULTS.momentumDecay();
            Rule d = Rule.DEFAULTS;
            double etaMinus = d.etaMinus(), etaPlus = d.etaPlus(), stepMin = d.stepSizeMin(), stepMax = d.stepSizeMax();
            double lambd = d.lambd(), asgdAlpha = d.asgdAlpha(), t0 = d.t0();
            boolean centered = false, decoupled = false;
            switch (type) {
                case RMSprop -> {
                    lr = o.nonNegative("lr", o.number("lr", 1e-2));
                    alpha = o.nonNegative("alpha", o.number("alpha", 0.99));
                    eps = o.nonNegative("eps", o.number("eps", 1e-8));
                    momentum = o.nonNegative("momentum", o.number("momentum", 0.0));
                    centered = o.bool("centered", false);
                }
                case Adagrad -> {
                    lr = o.nonNegative("lr", o.number("lr", 1e-2));
                    lrDecay = o.nonNegative("lr_decay", o.number("lr_decay", 0.0));
                    initAcc = o.nonNegative("initial_accumulator_value", o.number("initial_accumulator_value", 0.0));
                    eps = o.nonNegative("eps", o.number("eps", 1e-10));
                }
                case Adadelta -> {
                    lr = o.nonNegative("lr", o.number("lr", 1.0));
                    rho = o.inRange("rho", o.number("rho", 0.9), 0, 1);
                    eps = o.nonNegative("eps", o.number("eps", 1e-6));
                }
                case Rprop -> {
                    lr = o.nonNegative("lr", o.number("lr", 1e-2));
                    List<Double> etas = o.doubleList("etas", List.of(0.5, 1.2));
                    if (etas.size() != 2 || !(0 < etas.get(0) && etas.get(0) < 1 && 1 < etas.get(1)))
                        throw o.error("etas", "must be (etaminus, etaplus) with 0 < etaminus < 1 < etaplus, as torch checks, got " + etas);
                    etaMinus = etas.get(0);
                    etaPlus = etas.get(1);
                    List<Double> sizes = o.doubleList("step_sizes", List.of(1e-6, 50.0));
                    if (sizes.size() != 2) throw o.error("step_sizes", "must be two numbers (min, max), got " + sizes);
                    stepMin = sizes.get(0);
                    stepMax = sizes.get(1);
                }
                case ASGD -> {
                    lr = o.nonNegative("lr", o.number("lr", 1e-2));
                    lambd = o.nonNegative("lambd", o.number("lambd", 1e-4));
                    asgdAlpha = o.nonNegative("alpha", o.number("alpha", 0.75));
                    t0 = o.number("t0", 1e6);
                }
                default -> { // Adamax, NAdam, RAdam: Adam's betas and eps
                    lr = o.nonNegative("lr", o.number("lr", type == Type.RAdam ? 1e-3 : 2e-3));
                    double[] b = betas(o);
                    beta1 = b[0];
                    beta2 = b[1];
                    eps = o.nonNegative("eps", o.number("eps", 1e-8));
                    if (type == Type.NAdam) psi = o.nonNegative("momentum_decay", o.number("momentum_decay", 4e-3));
                    if (type != Type.Adamax) decoupled = o.bool("decoupled_weight_decay", false);
                }
            }
            rule = new Rule(alpha, centered, lrDecay, initAcc, rho, psi, decoupled, maximize, false, etaMinus, etaPlus, stepMin, stepMax,
                    lambd, asgdAlpha, t0);
        } else if (type == Type.SGD) {
            lr = o.positive("lr", o.number("lr"));
            momentum = o.inRange("momentum", o.number("momentum", 0.0), 0, 1); // torch's default
            wd = o.nonNegative("weight_decay", o.number("weight_decay", 0.0));
            nesterov = o.bool("nesterov", false);
            dampening = o.inRange("dampening", o.number("dampening", 0.0), 0, 1);
            if (nesterov && (momentum <= 0 || dampening != 0)) // torch.optim.SGD's own check
                throw o.error("nesterov", "Nesterov momentum requires a momentum and zero dampening");
        } else {
            for (String sgdOnly : List.of("momentum", "nesterov", "dampening"))
                if (o.has(sgdOnly))
                    throw o.error(sgdOnly, "an SGD setting, which " + typeName + " does not take (to replace a base config's SGD, write the"
                            + " optimizer with _delete_: true)");
            lr = o.positive("lr", o.number("lr", 1e-3)); // torch's defaults
            wd = o.nonNegative("weight_decay", o.number("weight_decay", type == Type.AdamW ? 1e-2 : 0.0));
            double[] b = betas(o);
            beta1 = b[0];
            beta2 = b[1];
            eps = o.nonNegative("eps", o.number("eps", 1e-8));
            boolean amsgrad = o.bool("amsgrad", false);
            // torch 2.x's Adam(decoupled_weight_decay=True) is AdamW; AdamW's decay is always decoupled
            boolean decoupled = o.bool("decoupled_weight_decay", type == Type.AdamW);
            if (type == Type.AdamW && !decoupled)
                throw o.error("decoupled_weight_decay", "AdamW's weight decay is always decoupled (use Adam for L2 decay)");
            Rule d = Rule.DEFAULTS;
            rule = new Rule(d.alpha(), d.centered(), d.lrDecay(), d.initialAccumulatorValue(), d.rho(), d.momentumDecay(), decoupled,
                    false, amsgrad);
            o.bool("foreach", false); // how torch loops over tensors, not what it computes: the update is one launch here
        }
        if (type == Type.SGD || type == Type.Adam || type == Type.AdamW) {
            // torch's maximize: the gradient negated first, before weight decay and momentum (torch 1.13 and 2.x)
            rule = rule.withMaximize(o.bool("maximize", false));
            if (o.bool("fused", false)) throw o.error("fused", "only false is supported (the fused kernels round differently)");
            o.bool("differentiable", false);
            if (o.bool("capturable", false)) throw o.error("capturable", "only false is supported");
            if (type == Type.SGD && o.has("decoupled_weight_decay"))
                throw o.error("decoupled_weight_decay", "not an SGD setting");
        }
        o.finish();
        ConfigNode p = n.child("paramwise_cfg");
        boolean paramGroups = !p.keys().isEmpty(); // DefaultOptimWrapperConstructor: `if not self.paramwise_cfg` -> one group
        // MMEngine's DefaultOptimWrapperConstructor: decay multipliers need a base weight decay to multiply
        for (String k : List.of("bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult", "flat_decay_mult"))
            if (p.has(k) && !wdGiven)
                throw p.error(k, "needs optimizer.weight_decay (MMEngine: base_wd should not be None)");
        // absent (or null) multipliers are MMEngine's None: that rule is skipped and the next one in its chain applies
        double ndm = multiplier(p, "norm_decay_mult");
        double blm = p.nonNegative("bias_lr_mult", p.number("bias_lr_mult", 1.0));
        double bdm = multiplier(p, "bias_decay_mult");
        double fdm = multiplier(p, "flat_decay_mult");
        double dwdm = multiplier(p, "dwconv_decay_mult");
        double dcnLr = multiplier(p, "dcn_offset_lr_mult");
        p.bool("bypass_duplicate", false);
        List<CustomKey> custom = new ArrayList<>();
        ConfigNode ck = p.child("custom_keys");
        for (String key : ck.keys()) {
            ConfigNode k = ck.child(key);
            if (k.has("decay_mult") && !wdGiven)
                throw k.error("decay_mult", "needs optimizer.weight_decay (MMEngine: base_wd should not be None)");
            custom.add(new CustomKey(key, k.nonNegative("lr_mult", k.number("lr_mult", 1.0)),
                    k.nonNegative("decay_mult", k.number("decay_mult", 1.0))));
            k.finish();
        }
        ck.finish();
        // MMEngine's order: sorted by name, then (stably) by length, longest first
        custom.sort(Comparator.comparing(CustomKey::key));
        custom.sort(Comparator.comparingInt((CustomKey c) -> c.key().length()).reversed());
        p.finish();
        double clip = 0;
        if (n.has("clip_grad")) {
            ConfigNode c = n.child("clip_grad");
            // OptimWrapper pops type ('norm' by default: clip_grad_norm_; 'value': clip_grad_value_, not supported here)
            c.choice("type", "norm", "norm");
            clip = c.positive("max_norm", c.number("max_norm"));
            if (c.number("norm_type", 2) != 2) throw c.error("norm_type", "only 2 is supported");
            c.finish();
        } else n.raw("clip_grad");
        int accumulate = n.positive("accumulative_counts", n.integer("accumulative_counts", 1));
        n.finish();
        return new OptimConfig(lr, momentum, wd, nesterov, ndm, clip, blm, bdm, custom, accumulate, type, beta1, beta2, eps,
                dampening, fdm, amp, paramGroups, rule, dcnLr, dwdm);
    }

    /** {@code betas}: two numbers in [0, 1), torch's (0.9, 0.999) by default. */
    private static double[] betas(ConfigNode o) {
        List<Double> betas = o.doubleList("betas", List.of(0.9, 0.999));
        if (betas.size() != 2 || !(betas.get(0) >= 0 && betas.get(0) < 1) || !(betas.get(1) >= 0 && betas.get(1) < 1))
            throw o.error("betas", "must be two numbers in [0, 1), got " + betas);
        return new double[] {betas.get(0), betas.get(1)};
    }

    /** A multiplier of {@code paramwise_cfg}: NaN when absent or null. */
    private static double multiplier(ConfigNode p, String key) {
        if (!p.has(key) || p.raw(key).isNull()) {
            p.raw(key);
            return Double.NaN;
        }
        return p.nonNegative(key, p.number(key));
    }
}
