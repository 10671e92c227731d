package autoassign.train;

import autoassign.config.RuntimeConfig;

import java.util.Locale;

/** MMEngine's {@code EarlyStoppingHook} decision after each validation ({@link RuntimeConfig.EarlyStopping}). */
final class EarlyStop {
    private final RuntimeConfig.EarlyStopping cfg;
    private double best;
    private int waits;

    EarlyStop(RuntimeConfig.EarlyStopping cfg) {
        this.cfg = cfg;
        this.best = cfg.greater() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    private boolean better(double a, double b) { return cfg.greater() ? a > b : a < b; }

    /** Offers a validation's metrics ({@link autoassign.eval.Evaluation#metrics}); the reason to stop, or null to go on. */
    String offer(java.util.Map<String, Double> metrics) {
        double score = autoassign.eval.Evaluation.metric(metrics, cfg.monitor());
        if (cfg.checkFinite() && !Double.isFinite(score))
            return String.format(Locale.ROOT, "%s = %s is not finite (best so far %.4f)", cfg.monitor(), score, best);
        if (cfg.stoppingThreshold() != null && better(score, cfg.stoppingThreshold())) {
            best = score;
            return String.format(Locale.ROOT, "%s = %.4f reached the stopping threshold %s", cfg.monitor(), score,
                    cfg.stoppingThreshold());
        }
        // MMEngine's test, compare_func(score - min_delta, best) with min_delta negated for "less": a tie (min_delta 0 and
        // the same rounded metric again) or a NaN (check_finite: false) is no improvement
        double delta = cfg.greater() ? cfg.minDelta() : -cfg.minDelta();
        if (better(score - delta, best)) {
            best = score;
            waits = 0;
            return null;
        }
        if (++waits >= cfg.patience())
            return String.format(Locale.ROOT, "%s did not improve in the last %d validations (best %.4f)", cfg.monitor(),
                    waits, best);
        return null;
    }
}
