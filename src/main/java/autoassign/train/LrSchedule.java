package autoassign.train;

/**
 * MMEngine's LinearLR warm-up (by iteration) times MultiStepLR (by epoch), in closed form (AA_5 §4):
 * {@code lr(i, e) = base · warm(i) · gamma^(#milestones ≤ e)} with
 * {@code warm(i) = r + (1 − r)·min(i, W − 1)/(W − 1)} for warm-up ratio r over W iterations.
 */
public record LrSchedule(double baseLr, int warmupIters, double warmupRatio, int[] milestones, double gamma) {
    public LrSchedule {
        if (baseLr <= 0 || !Double.isFinite(baseLr)) throw new IllegalArgumentException("lr must be positive, got " + baseLr);
        if (warmupIters < 0) throw new IllegalArgumentException("warmup iterations must be >= 0, got " + warmupIters);
        milestones = milestones.clone();
    }

    /** Warm-up factor at 0-based global iteration i. */
    public double warmupFactor(long iter) {
        if (warmupIters <= 1 || iter >= warmupIters - 1) return 1.0;
        return warmupRatio + (1.0 - warmupRatio) * iter / (warmupIters - 1);
    }

    /** Step-decay factor in 0-based epoch e: gamma once for each milestone m with e ≥ m. */
    public double stepFactor(int epoch) {
        double f = 1.0;
        for (int m : milestones) if (epoch >= m) f *= gamma;
        return f;
    }

    public double lr(long iter, int epoch) { return baseLr * warmupFactor(iter) * stepFactor(epoch); }
}
