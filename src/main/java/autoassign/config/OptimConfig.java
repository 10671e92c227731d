package autoassign.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code optim_wrapper}: torch.optim's SGD, Adam or AdamW (as MMEngine builds them from {@code optimizer}) and
 * MMEngine's paramwise rule. Defaults are torch's: SGD momentum 0, Adam weight decay 0, AdamW weight decay 0.01,
 * betas (0.9, 0.999), eps 1e-8.
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
 * @param amp             {@code type: AmpOptimWrapper} (mixed precision): read so that a config that trains with it can
 *                        be evaluated and run here; {@code train} refuses it (this engine trains in float32)
 * @param paramGroups     a non-empty {@code paramwise_cfg}: MMEngine then gives every parameter its own group, and an
 *                        optimizer with several groups logs {@code base_lr} beside {@code lr}
 */
public record OptimConfig(double lr, double momentum, double weightDecay, boolean nesterov, double normDecayMult,
                          double clipGradMaxNorm, double biasLrMult, double biasDecayMult, List<CustomKey> customKeys,
                          int accumulativeCounts, Type type, double beta1, double beta2, double eps, double dampening,
                          double flatDecayMult, boolean amp, boolean paramGroups) {

    /** Why {@code train} refuses {@code AmpOptimWrapper} / {@code --amp}. */
    public static final String AMP_REFUSED = "AmpOptimWrapper (mixed precision, MMDetection's --amp) is not supported for training:"
            + " this engine trains in float32 (TF32 convolutions and GEMMs on GPUs); use OptimWrapper";

    /** The optimizers MMEngine can build here, by their torch.optim names. */
    public enum Type { SGD, Adam, AdamW }

    public OptimConfig {
        customKeys = List.copyOf(customKeys);
    }

    /** The plain SGD of the recipe's kind: no bias rule, no custom keys. */
    public OptimConfig(double lr, double momentum, double weightDecay, boolean nesterov, double normDecayMult,
                       double clipGradMaxNorm) {
        this(lr, momentum, weightDecay, nesterov, normDecayMult, clipGradMaxNorm, 1, Double.NaN, List.of(), 1, Type.SGD, 0.9, 0.999,
                1e-8, 0, Double.NaN, false, !Double.isNaN(normDecayMult)); // the recipe's paramwise_cfg: {norm_decay_mult}
    }

    /** One {@code custom_keys} entry: parameters whose name contains {@code key} get these multipliers. */
    public record CustomKey(String key, double lrMult, double decayMult) {}

    static OptimConfig from(ConfigNode n) {
        boolean amp = "AmpOptimWrapper".equals(n.choice("type", "OptimWrapper", "OptimWrapper", "AmpOptimWrapper"));
        if (amp) { // its own keys: read, unused (train refuses the wrapper, see AMP_REFUSED)
            n.raw("loss_scale");
            n.raw("dtype");
            n.raw("use_fsdp");
        }
        ConfigNode o = n.requiredChild("optimizer");
        boolean wdGiven = o.has("weight_decay");
        String typeName = o.choice("type", null, "SGD", "Adam", "AdamW");
        if (typeName == null) throw o.error("type", "required key is missing (SGD, Adam or AdamW)");
        Type type = Type.valueOf(typeName);
        double momentum = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, dampening = 0;
        boolean nesterov = false;
        double lr, wd;
        if (type == Type.SGD) {
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
            List<Double> betas = o.doubleList("betas", List.of(0.9, 0.999));
            if (betas.size() != 2 || !(betas.get(0) >= 0 && betas.get(0) < 1) || !(betas.get(1) >= 0 && betas.get(1) < 1))
                throw o.error("betas", "must be two numbers in [0, 1), got " + betas);
            beta1 = betas.get(0);
            beta2 = betas.get(1);
            eps = o.nonNegative("eps", o.number("eps", 1e-8));
            if (o.bool("amsgrad", false)) throw o.error("amsgrad", "only false is supported");
            o.bool("foreach", false); // how torch loops over tensors, not what it computes: the update is one launch here
        }
        if (o.bool("maximize", false)) throw o.error("maximize", "only false is supported");
        if (o.bool("fused", false)) throw o.error("fused", "only false is supported (the fused kernels round differently)");
        o.bool("differentiable", false);
        if (o.bool("capturable", false)) throw o.error("capturable", "only false is supported");
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
        // the model has no depth-wise or deformable convolution: those rules have nothing to act on
        p.nonNegative("dwconv_decay_mult", p.number("dwconv_decay_mult", 1.0));
        p.nonNegative("dcn_offset_lr_mult", p.number("dcn_offset_lr_mult", 1.0));
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
                dampening, fdm, amp, paramGroups);
    }

    /** A decay multiplier of {@code paramwise_cfg}: NaN when absent or null. */
    private static double multiplier(ConfigNode p, String key) {
        if (!p.has(key) || p.raw(key).isNull()) {
            p.raw(key);
            return Double.NaN;
        }
        return p.nonNegative(key, p.number(key));
    }
}
