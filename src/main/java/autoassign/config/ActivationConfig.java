package autoassign.config;

/**
 * MMCV's {@code act_cfg} of the YOLOX-family modules (CSPDarknet, YOLOXPAFPN): {@code Swish} (MMCV's
 * {@code x * torch.sigmoid(x)}; {@code SiLU}, torch's {@code nn.SiLU}, is the same function), {@code ReLU} or
 * {@code LeakyReLU} with {@code negative_slope}; {@code act_cfg: null} is no activation ({@link #NONE}).
 *
 * @param type          "Swish", "ReLU", "LeakyReLU", or null for none (SiLU is read as Swish)
 * @param negativeSlope LeakyReLU's slope (torch's default 0.01; unused otherwise)
 */
public record ActivationConfig(String type, double negativeSlope) {
    public static final String SWISH = "Swish", SILU = "SiLU", RELU = "ReLU", LEAKY_RELU = "LeakyReLU";
    public static final ActivationConfig NONE = new ActivationConfig(null, 0.01);
    public static final ActivationConfig SWISH_DEFAULT = new ActivationConfig(SWISH, 0.01);

    public boolean isSwish() { return SWISH.equals(type); }

    public boolean isRelu() { return RELU.equals(type); }

    public boolean isLeakyRelu() { return LEAKY_RELU.equals(type); }

    /** The {@code act_cfg} key of {@code owner}: absent gives {@code def}, null gives {@link #NONE}. */
    static ActivationConfig from(ConfigNode owner, String key, ActivationConfig def) {
        if (!owner.has(key)) {
            boolean explicitNull = owner.keys().contains(key);
            owner.raw(key);
            return explicitNull ? NONE : def;
        }
        ConfigNode a = owner.child(key);
        String t = a.choice("type", null, SWISH, SILU, RELU, LEAKY_RELU);
        if (t == null) throw a.error("type", "required key is missing");
        double slope = 0.01;
        if (t.equals(LEAKY_RELU)) {
            slope = a.number("negative_slope", 0.01);
            if (!Double.isFinite(slope)) throw a.error("negative_slope", "must be a finite number, got " + slope);
        }
        if (a.has("inplace")) a.bool("inplace", true); // in-place or not: the same values
        a.finish();
        return new ActivationConfig(t.equals(SILU) ? SWISH : t, slope);
    }
}
