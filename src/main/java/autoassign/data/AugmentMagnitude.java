package autoassign.data;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The settings every transform of MMDetection 3.3's AutoAugment family shares ({@code GeomTransform} and
 * {@code ColorTransform}): skipped when a draw {@code u > prob} ({@code _random_disable}), and a magnitude from
 * {@code level_to_mag}: {@code round(level / 10 * (max_mag - min_mag) + min_mag, 1)}, the level's fraction drawn
 * uniformly in [0, 1) when {@code level} is null.
 *
 * @param prob   {@code prob}, in [0, 1]
 * @param level  {@code level} in [0, {@link #MAX_LEVEL}], or null to draw it
 * @param minMag {@code min_mag}
 * @param maxMag {@code max_mag}, at least {@code min_mag}
 */
public record AugmentMagnitude(double prob, Integer level, double minMag, double maxMag) {
    /** MMDetection's {@code _MAX_LEVEL}. */
    public static final int MAX_LEVEL = 10;
    /** Draw numbers after a transform's first one: the prob draw, the level draw, the reversal draw. */
    static final int DRAW_PROB = 0, DRAW_LEVEL = 1, DRAW_REVERSAL = 2, DRAWS = 3;

    public AugmentMagnitude {
        if (!(prob >= 0 && prob <= 1)) throw new IllegalArgumentException("prob must be in [0, 1], got " + prob);
        if (level != null && (level < 0 || level > MAX_LEVEL))
            throw new IllegalArgumentException("level must be in [0, " + MAX_LEVEL + "], got " + level);
        if (!Double.isFinite(minMag) || !Double.isFinite(maxMag) || minMag > maxMag)
            throw new IllegalArgumentException("min_mag must be <= max_mag, got " + minMag + ", " + maxMag);
    }

    /** {@code _random_disable}: {@code np.random.rand() > prob}, from draw {@code first + DRAW_PROB}. */
    boolean disabled(SampleDraws d, long salt, int first) { return d.unit(salt, first + DRAW_PROB) > prob; }

    /** {@code level_to_mag} with the given level, or with the fraction of draw {@code first + DRAW_LEVEL}. */
    double magnitude(SampleDraws d, long salt, int first) {
        return level != null ? ofLevel(level, minMag, maxMag) : toMag(d.unit(salt, first + DRAW_LEVEL), minMag, maxMag);
    }

    /** {@code level_to_mag(level, min_mag, max_mag)} for a given level. */
    public static double ofLevel(int level, double minMag, double maxMag) {
        return toMag(level / (double) MAX_LEVEL, minMag, maxMag);
    }

    /** {@code round(fraction * (max_mag - min_mag) + min_mag, 1)}, in Python's operation order. */
    static double toMag(double fraction, double minMag, double maxMag) { return round1(fraction * (maxMag - minMag) + minMag); }

    /**
     * Python's {@code round(x, 1)}: the exact binary value rounded to one decimal, ties to even, read back as the
     * nearest double (so {@code round(0.25, 1)} is 0.2 and {@code round(0.35, 1)} is 0.3, 0.35 being 0.34999…).
     */
    static double round1(double x) {
        return Double.parseDouble(new BigDecimal(x).setScale(1, RoundingMode.HALF_EVEN).toString());
    }
}
