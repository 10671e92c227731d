package autoassign.data;

import java.util.List;

/**
 * MMCV's / MMDetection's {@code RandomFlip}: one of {@code directions} chosen with its probability, or no flip.
 * {@code prob: p} with one direction flips with probability p; {@code prob: p} with a list of n directions gives each
 * p / n; {@code prob: [p1, ...]} gives each its own (MMCV's {@code _choose_direction}).
 *
 * @param directions the directions, in the config's order
 * @param probs      each direction's probability (their sum is at most 1; the rest is "no flip")
 */
public record RandomFlip(List<FlipDirection> directions, List<Double> probs) implements Transform {
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
    }

    /** The recipe's flip: horizontal with probability {@code p}. */
    public static RandomFlip horizontal(double p) { return new RandomFlip(List.of(FlipDirection.HORIZONTAL), List.of(p)); }

    @Override public String type() { return "RandomFlip"; }

    /** The probability that the image is flipped in some direction. */
    public double totalProb() {
        double s = 0;
        for (double p : probs) s += p;
        return s;
    }

    /**
     * The direction chosen by a uniform {@code u} in [0, 1), or null for no flip. One direction: {@code u < p} (the
     * loader's flip rule). Several: NumPy's {@code choice(p=...)}, i.e. the first entry whose normalised cumulative
     * probability exceeds {@code u}, "no flip" last.
     */
    public FlipDirection choose(double u) {
        if (directions.size() == 1) return u < probs.get(0) ? directions.get(0) : null;
        int n = probs.size();
        double[] cdf = new double[n + 1];
        double run = 0;
        for (int i = 0; i < n; i++) cdf[i] = run += probs.get(i);
        cdf[n] = run + (1 - totalProb()); // MMCV appends 1 - sum(prob) for "no flip"
        for (int i = 0; i < n; i++) if (cdf[i] / cdf[n] > u) return directions.get(i);
        return null;
    }
}
