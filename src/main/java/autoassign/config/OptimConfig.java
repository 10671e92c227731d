package autoassign.config;

/**
 * {@code optim_wrapper}: SGD with PyTorch semantics and MMEngine's paramwise rule.
 *
 * @param lr              base learning rate (0.01)
 * @param momentum        0.9
 * @param weightDecay     coupled L2 (1e-4)
 * @param nesterov        false
 * @param normDecayMult   {@code paramwise_cfg.norm_decay_mult}: decay multiplier of GN/BN weight and bias (0)
 * @param clipGradMaxNorm {@code clip_grad.max_norm}, or 0 for no clipping (the AutoAssign config has none)
 */
public record OptimConfig(double lr, double momentum, double weightDecay, boolean nesterov, double normDecayMult,
                          double clipGradMaxNorm) {
    static OptimConfig from(ConfigNode n) {
        n.fixed("type", "OptimWrapper");
        ConfigNode o = n.requiredChild("optimizer");
        o.fixed("type", "SGD");
        double lr = o.positive("lr", o.number("lr"));
        double momentum = o.inRange("momentum", o.number("momentum", 0.9), 0, 1);
        double wd = o.nonNegative("weight_decay", o.number("weight_decay", 0.0));
        boolean nesterov = o.bool("nesterov", false);
        if (nesterov) throw o.error("nesterov", "only false is supported");
        if (o.number("dampening", 0.0) != 0) throw o.error("dampening", "only 0 is supported");
        o.finish();
        ConfigNode p = n.child("paramwise_cfg");
        double ndm = p.nonNegative("norm_decay_mult", p.number("norm_decay_mult", 1.0));
        p.finish();
        double clip = 0;
        if (n.has("clip_grad")) {
            ConfigNode c = n.child("clip_grad");
            clip = c.positive("max_norm", c.number("max_norm"));
            if (c.number("norm_type", 2) != 2) throw c.error("norm_type", "only 2 is supported");
            c.finish();
        } else n.raw("clip_grad");
        n.finish();
        return new OptimConfig(lr, momentum, wd, nesterov, ndm, clip);
    }
}
