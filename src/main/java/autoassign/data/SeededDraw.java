package autoassign.data;

/**
 * The stateless random draws of the data pipeline (flips, scales): each a hash of (seed, epoch, position), so a draw
 * does not depend on threads, workers or what was drawn before.
 */
final class SeededDraw {
    private SeededDraw() {}

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A double in [0, 1) from the top 53 bits of {@code z}. */
    static double unit(long z) { return (z >>> 11) * 0x1.0p-53; }
}
