package autoassign.config;

/**
 * MMEngine's {@code AmpOptimWrapper} settings (MMDetection's {@code train.py --amp}): the loss scaling of torch's
 * {@code GradScaler}. This engine computes the forward and backward in float32 (TF32 convolutions and GEMMs on GPUs)
 * whatever {@code dtype} says; what the wrapper changes here is the scaler's rule: the loss is multiplied by the scale
 * before the backward, the gradients are unscaled before clipping and the update, and an update whose gradients are
 * not all finite is skipped (the scale then backs off), as {@code GradScaler.step} does.
 *
 * @param initScale      {@code init_scale} (2¹⁶), or the fixed scale of a numeric {@code loss_scale}
 * @param growthFactor   {@code growth_factor} (2)
 * @param backoffFactor  {@code backoff_factor} (0.5)
 * @param growthInterval {@code growth_interval} (2000): finite steps in a row before the scale grows
 * @param dynamic        false for a numeric {@code loss_scale}: MMEngine then passes that value to every
 *                       {@code update}, so the scale never moves (its GradScaler still has the default growth
 *                       settings, 2 / 0.5 / 2000, which its state dict keeps). MMEngine takes only a Python float
 *                       ({@code isinstance(loss_scale, float)}: {@code 512} is a TypeError there); an integer is
 *                       accepted here, as YAML writes {@code 512} for it
 * @param dtype          {@code dtype} as written (float16, bfloat16, or null: float16); recorded, not used
 */
public record AmpConfig(double initScale, double growthFactor, double backoffFactor, int growthInterval, boolean dynamic,
                        String dtype) {

    /** {@code loss_scale='dynamic'}: torch's GradScaler defaults, what {@code --amp} sets. */
    public static AmpConfig dynamicDefaults() {
        return new AmpConfig(65536.0, 2.0, 0.5, 2000, true, null);
    }

    /** The AmpOptimWrapper keys of {@code optim_wrapper} ({@code loss_scale}, {@code dtype}, {@code use_fsdp}). */
    static AmpConfig from(ConfigNode n) {
        String dtype = n.choice("dtype", null, "float16", "bfloat16", "float32", "float64");
        if (n.bool("use_fsdp", false)) throw n.error("use_fsdp", "FSDP is not supported; training is data-parallel (DDP)");
        var ls = n.raw("loss_scale");
        if (ls == null || ls.isTextual() && "dynamic".equals(ls.asText())) {
            AmpConfig d = dynamicDefaults();
            return new AmpConfig(d.initScale, d.growthFactor, d.backoffFactor, d.growthInterval, true, dtype);
        }
        if (ls.isNumber()) return new AmpConfig(n.positive("loss_scale", ls.asDouble()), 2.0, 0.5, 2000, false, dtype);
        if (!ls.isObject())
            throw n.error("loss_scale", "must be 'dynamic', a number or a mapping of GradScaler's arguments, got " + ls);
        ConfigNode g = n.child("loss_scale");
        if (!g.bool("enabled", true)) throw g.error("enabled", "a disabled GradScaler is not supported: use OptimWrapper");
        double growth = g.number("growth_factor", 2.0), backoff = g.number("backoff_factor", 0.5);
        if (!(growth > 1)) throw g.error("growth_factor", "must be > 1 (torch's GradScaler), got " + growth);
        if (!(backoff > 0 && backoff < 1)) throw g.error("backoff_factor", "must be in (0, 1) (torch's GradScaler), got " + backoff);
        AmpConfig c = new AmpConfig(g.positive("init_scale", g.number("init_scale", 65536.0)), growth, backoff,
                g.positive("growth_interval", g.integer("growth_interval", 2000)), true, dtype);
        g.finish(); // GradScaler(**loss_scale) takes no other keyword
        return c;
    }
}
