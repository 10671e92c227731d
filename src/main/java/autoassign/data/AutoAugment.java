package autoassign.data;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection 3.3's {@code AutoAugment} ({@code mmdet/datasets/transforms/augment_wrappers.py}, a {@code RandomChoice}):
 * one policy chosen per image (uniformly, or by {@code prob}: NumPy's {@code choice(p=…)} rule), whose transforms then
 * run in order. Each transform of the chosen policy draws from its own fork of the image's draws (policy and position
 * named), so two equal transforms of a policy decide independently. The default policies are MMDetection's
 * {@code AUTOAUG_POLICIES_V0}.
 *
 * @param policies the policies, each a non-empty list of the family's transforms ({@link #TRANSFORMS})
 * @param prob     one probability per policy, or empty for a uniform choice
 */
public record AutoAugment(List<List<ImageStep>> policies, List<Double> prob) implements ImageStep {
    /** The transforms a policy (or RandAugment's space) may list, by MMDetection's names. */
    public static final List<String> TRANSFORMS = List.of("ShearX", "ShearY", "Rotate", "TranslateX", "TranslateY", "Color",
            "Brightness", "Contrast", "Sharpness", "Solarize", "SolarizeAdd", "Posterize", "Equalize", "AutoContrast", "Invert");

    /** {@code AUTOAUG_POLICIES_V0}: (type, prob, level) per transform, one policy per line. */
    private static final String[] POLICIES_V0 = {
        "Equalize 0.8 1, ShearY 0.8 4", "Color 0.4 9, Equalize 0.6 3", "Color 0.4 1, Rotate 0.6 8",
        "Solarize 0.8 3, Equalize 0.4 7", "Solarize 0.4 2, Solarize 0.6 2", "Color 0.2 0, Equalize 0.8 8",
        "Equalize 0.4 8, SolarizeAdd 0.8 3", "ShearX 0.2 9, Rotate 0.6 8", "Color 0.6 1, Equalize 1.0 2",
        "Invert 0.4 9, Rotate 0.6 0", "Equalize 1.0 9, ShearY 0.6 3", "Color 0.4 7, Equalize 0.6 0",
        "Posterize 0.4 6, AutoContrast 0.4 7", "Solarize 0.6 8, Color 0.6 9", "Solarize 0.2 4, Rotate 0.8 9",
        "Rotate 1.0 7, TranslateY 0.8 9", "ShearX 0.0 0, Solarize 0.8 4", "ShearY 0.8 0, Color 0.6 4",
        "Color 1.0 0, Rotate 0.6 2", "Equalize 0.8 4, Equalize 0.0 8", "Equalize 1.0 4, AutoContrast 0.6 2",
        "ShearY 0.4 7, SolarizeAdd 0.6 7", "Posterize 0.8 2, Solarize 0.6 10", "Solarize 0.6 8, Equalize 0.6 1",
        "Color 0.8 6, Rotate 0.4 5"};

    public AutoAugment {
        policies = policies.stream().map(List::copyOf).toList();
        prob = List.copyOf(prob);
        if (policies.isEmpty() || policies.stream().anyMatch(List::isEmpty))
            throw new IllegalArgumentException("AutoAugment needs non-empty policies");
        if (!prob.isEmpty() && prob.size() != policies.size())
            throw new IllegalArgumentException("AutoAugment prob needs one value per policy");
    }

    /** MMDetection's default: {@code policies_v0()}, uniform choice. */
    public static AutoAugment defaults() {
        List<List<ImageStep>> policies = new ArrayList<>();
        for (String line : POLICIES_V0) {
            List<ImageStep> policy = new ArrayList<>();
            for (String op : line.split(", ")) {
                String[] f = op.split(" ");
                policy.add(transform(f[0], Double.parseDouble(f[1]), Integer.parseInt(f[2])));
            }
            policies.add(policy);
        }
        return new AutoAugment(policies, List.of());
    }

    /** The family's transform {@code type} with MMDetection's defaults but for {@code prob} and {@code level} (null: drawn). */
    public static ImageStep transform(String type, double prob, Integer level) {
        GeometricAugment.Kind g = GeometricAugment.Kind.of(type);
        if (g != null) return GeometricAugment.defaults(g, prob, level);
        ColorAugment.Kind c = ColorAugment.Kind.of(type);
        if (c != null) return ColorAugment.defaults(c, prob, level);
        throw new IllegalArgumentException("not an AutoAugment transform: " + type);
    }

    /** True when some transform it may run needs an 8-bit image ({@link ColorAugment.Kind#needsBytes}). */
    public static boolean needsBytes(List<ImageStep> steps) {
        return steps.stream().anyMatch(t -> t instanceof ColorAugment c && c.kind().needsBytes());
    }

    @Override public String type() { return "AutoAugment"; }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        int i = choose(prob, policies.size(), d.unit(SampleDraws.AUTO_AUGMENT, 0));
        List<ImageStep> policy = policies.get(i);
        for (int j = 0; j < policy.size(); j++) policy.get(j).apply(s, d.fork(SampleDraws.AUTO_AUGMENT + 1 + 4096L * i + j));
    }

    /**
     * NumPy's {@code choice(n, p=prob)} for a uniform {@code u}: the first index whose normalised cumulative probability
     * exceeds u ({@code cdf.searchsorted(u, side='right')}); with no probabilities, {@code floor(u × n)}.
     */
    static int choose(List<Double> prob, int n, double u) {
        if (prob.isEmpty()) return (int) Math.floor(u * n);
        double[] cdf = new double[prob.size()];
        double sum = 0;
        for (int i = 0; i < cdf.length; i++) cdf[i] = sum += prob.get(i);
        for (int i = 0; i < cdf.length; i++) if (cdf[i] / sum > u) return i;
        return cdf.length - 1;
    }
}
