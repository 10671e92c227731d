package autoassign.data;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection 3.3's {@code RandAugment} ({@code mmdet/datasets/transforms/augment_wrappers.py}): {@code aug_num}
 * distinct transforms of the space drawn per image ({@code np.random.choice(n, aug_num, p=prob, replace=False)}: one
 * after another, each among those not yet drawn, by their renormalised probabilities), run in the order drawn. Each
 * runs with its own fork of the image's draws. The default space is MMDetection's {@code RANDAUG_SPACE}: the fifteen
 * transforms with their defaults (prob 1, level drawn per image).
 *
 * @param space  the transforms to choose from
 * @param augNum {@code aug_num}, how many run per image
 * @param prob   one probability per transform, or empty for a uniform choice
 */
public record RandAugment(List<ImageStep> space, int augNum, List<Double> prob) implements ImageStep {
    /** {@code RANDAUG_SPACE}'s order. */
    private static final List<String> SPACE = List.of("AutoContrast", "Equalize", "Invert", "Rotate", "Posterize", "Solarize",
            "SolarizeAdd", "Color", "Contrast", "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateX", "TranslateY");

    public RandAugment {
        space = List.copyOf(space);
        prob = List.copyOf(prob);
        if (space.isEmpty()) throw new IllegalArgumentException("RandAugment needs a non-empty aug_space");
        if (!prob.isEmpty() && prob.size() != space.size())
            throw new IllegalArgumentException("RandAugment prob needs one value per transform");
        long possible = prob.isEmpty() ? space.size() : prob.stream().filter(p -> p > 0).count();
        if (augNum < 0 || augNum > possible)
            throw new IllegalArgumentException("aug_num must be in [0, " + possible + "], got " + augNum);
    }

    /** MMDetection's defaults: {@code RANDAUG_SPACE}, {@code aug_num} 2, uniform. */
    public static RandAugment defaults() { return new RandAugment(defaultSpace(), 2, List.of()); }

    /** {@code RANDAUG_SPACE}: each transform with MMDetection's defaults (prob 1.0, level null). */
    public static List<ImageStep> defaultSpace() {
        return SPACE.stream().map(t -> AutoAugment.transform(t, 1.0, null)).toList();
    }

    @Override public String type() { return "RandAugment"; }

    @Override
    public void apply(TransformState s, SampleDraws d) {
        int[] chosen = choose(d);
        for (int k = 0; k < chosen.length; k++) space.get(chosen[k]).apply(s, d.fork(SampleDraws.RAND_AUGMENT + 1 + k));
    }

    /** The indices drawn for this image, in order: draw k picks among the transforms not yet picked. */
    int[] choose(SampleDraws d) {
        List<Double> weights = new ArrayList<>();
        for (int i = 0; i < space.size(); i++) weights.add(prob.isEmpty() ? 1.0 : prob.get(i));
        int[] out = new int[augNum];
        for (int k = 0; k < augNum; k++) {
            int i = AutoAugment.choose(weights, weights.size(), d.unit(SampleDraws.RAND_AUGMENT, k));
            out[k] = i;
            weights.set(i, 0.0); // NumPy zeroes the drawn ones' probabilities and renormalises
        }
        return out;
    }
}
