package autoassign.train;

/**
 * Means of the scalars logged every N iterations over the iterations since the last log line, as MMEngine's
 * LogProcessor does (window_size 10 = the logger interval): one noisy batch does not make the logged curve.
 * Skipped (non-finite) steps count for time but not for the losses.
 */
final class LogWindow {
    private int steps, finite;
    private double time, dataTime, pos, neg, center;

    void add(Trainer.StepLosses l, double iterTime, double dataSeconds) {
        steps++;
        time += iterTime;
        dataTime += dataSeconds;
        if (l.badTerm() == null) {
            finite++;
            pos += l.pos();
            neg += l.neg();
            center += l.center();
        }
    }

    double time() { return steps == 0 ? 0 : time / steps; }

    double dataTime() { return steps == 0 ? 0 : dataTime / steps; }

    double pos() { return finite == 0 ? Double.NaN : pos / finite; }

    double neg() { return finite == 0 ? Double.NaN : neg / finite; }

    double center() { return finite == 0 ? Double.NaN : center / finite; }

    double loss() { return pos() + neg() + center(); }

    void reset() {
        steps = finite = 0;
        time = dataTime = pos = neg = center = 0;
    }
}
