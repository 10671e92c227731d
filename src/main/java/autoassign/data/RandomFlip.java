package autoassign.data;

import java.util.List;

/**
 * MMCV's / MMDetection's {@code RandomFlip}: one of {@code directions} chosen with its probability, or no flip, as MMCV's
 * {@code _choose_direction} does: {@code np.random.choice(direction_list + [None], p=prob_list + [non_prob])}. {@code prob:
 * p} with one direction flips with probability p; {@code prob: p} with a list of n directions gives each p / n and "no
 * flip" {@code 1. - p} ({@link #of}); {@code prob: [p1, ...]} gives each its own and "no flip" {@code 1 - sum(prob)}.
 *
 * @param directions the directions, in the config's order
 * @param probs      each direction's probability (their sum is at most 1)
 * @param noFlip     the probability of no flip, as MMCV computes it (the last entry of {@code prob_list})
 */
public record RandomFlip(List<FlipDirection> directions, List<Double> probs, double noFlip) implements Transform {
    public RandomFlip {
        directions = List.copyOf(directions);
        probs = List.copyOf(probs);
        if (directions.isEmpty() || directions.size() != probs.size())
            throw new IllegalArgumentException("RandomFlip needs one probability per direction: " + directions + " " + probs);
        double sum = 0;
        for (double p : probs) {
            if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("flip probability must be in [0, 1]: " + p);
            sum += p;
        }
        if (sum > 1 + 1e-9) throw new IllegalArgumentException("flip probabilities add up to more than 1: " + probs);
        if (!(noFlip >= -1e-9 && noFlip <= 1)) throw new IllegalArgumentException("no-flip probability must be in [0, 1]: " + noFlip);
    }

    /** {@code prob} as a list, one per direction: "no flip" is {@code 1 - sum(prob)} (Python's sum, left to right). */
    public RandomFlip(List<FlipDirection> directions, List<Double> probs) { this(directions, probs, 1 - sum(probs)); }

    /** {@code prob} as one number over the directions: {@code prob / len(direction)} each, {@code 1. - prob} for no flip. */
    public static RandomFlip of(double prob, List<FlipDirection> directions) {
        List<Double> each = new java.util.ArrayList<>();
        for (int i = 0; i < directions.size(); i++) each.add(prob / directions.size());
        return new RandomFlip(directions, each, 1. - prob);
    }

    /** The recipe's flip: horizontal with probability {@code p}. */
    public static RandomFlip horizontal(double p) { return of(p, List.of(FlipDirection.HORIZONTAL)); }

    private static double sum(List<Double> probs) {
        double s = 0;
        for (double p : probs) s += p;
        return s;
    }

    @Override public String type() { return "RandomFlip"; }

    /** The probability that the image is flipped in some direction. */
    public double totalProb() { return sum(probs); }

    /**
     * The direction chosen by a uniform {@code u} in [0, 1) (NumPy's {@code random_sample}), or null for no flip: NumPy's
     * legacy {@code choice(p=...)}: {@code cdf = p.cumsum(); cdf /= cdf[-1]; cdf.searchsorted(u, side='right')}, i.e. the
     * first entry whose normalised cumulative probability exceeds {@code u}, "no flip" last.
     */
    public FlipDirection choose(double u) {
        int n = probs.size();
        double[] cdf = new double[n + 1];
        double run = 0;
        for (int i = 0; i < n; i++) cdf[i] = run += probs.get(i);
        cdf[n] = run + noFlip;
        for (int i = 0; i < n; i++) if (cdf[i] / cdf[n] > u) return directions.get(i);
        return null;
    }
}
