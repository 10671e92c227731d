package autoassign.train;

/**
 * Means of the logged scalars over the last {@code window_size} iterations, as MMEngine's LogProcessor smooths
 * them (its history outlives log lines and epochs): one noisy batch does not make the logged curve. Skipped
 * (non-finite) steps count for time but not for the losses. The gradient norm has its own history, as MessageHub's
 * {@code train/grad_norm}, which OptimWrapper only updates when it clips, i.e. at an update: its mean is over the last
 * {@code window_size} norms, however many iterations they span (with {@code accumulative_counts}). A norm that is NaN
 * or infinite (non-finite gradients, e.g. an AmpOptimWrapper overflow) is kept, and the window's mean is then NaN or
 * infinite as HistoryBuffer's {@code sum / count} makes it: MMEngine logs {@code grad_norm: nan}.
 */
final class LogWindow {
    private final int size;
    private final double[] time, dataTime, pos, neg, center, gradNorm;
    private long steps, norms;

    LogWindow(int size) {
        if (size < 1) throw new IllegalArgumentException("window size must be >= 1, got " + size);
        this.size = size;
        time = new double[size];
        dataTime = new double[size];
        pos = new double[size];
        neg = new double[size];
        center = new double[size];
        gradNorm = new double[size];
    }

    /** @param gradNormOrNaN the update's clip norm, NaN when no clipping happened (then nothing is recorded) */
    void add(Trainer.StepLosses l, double iterTime, double dataSeconds, double gradNormOrNaN) {
        add(l, iterTime, dataSeconds, !Double.isNaN(gradNormOrNaN), gradNormOrNaN);
    }

    /**
     * @param clipped  OptimWrapper clipped at this iteration (an update happened): {@code norm} joins the norms'
     *                 history whatever its value, NaN included
     * @param norm     the total norm {@code clip_grad_norm_} returned
     */
    void add(Trainer.StepLosses l, double iterTime, double dataSeconds, boolean clipped, double norm) {
        int k = (int) (steps++ % size);
        time[k] = iterTime;
        dataTime[k] = dataSeconds;
        boolean ok = l.badTerm() == null;
        pos[k] = ok ? l.pos() : Double.NaN;
        neg[k] = ok ? l.neg() : Double.NaN;
        center[k] = ok ? l.center() : Double.NaN;
        if (clipped) gradNorm[(int) (norms++ % size)] = norm;
    }

    /** Mean of the finite values among the last min(steps, size) entries (NaN when there is none). */
    private double mean(double[] v) {
        return mean(v, steps);
    }

    private double mean(double[] v, long count) {
        int n = (int) Math.min(count, size), finite = 0;
        double s = 0;
        for (int i = 0; i < n; i++) if (Double.isFinite(v[i])) { s += v[i]; finite++; }
        return finite == 0 ? Double.NaN : s / finite;
    }

    double time() { return steps == 0 ? 0 : mean(time); }

    double dataTime() { return steps == 0 ? 0 : mean(dataTime); }

    double pos() { return mean(pos); }

    double neg() { return mean(neg); }

    double center() { return mean(center); }

    /**
     * The mean of the last {@code window_size} gradient norms, non-finite ones included as MMEngine's HistoryBuffer
     * averages them (one NaN norm makes the mean NaN while it is in the window); NaN before the first.
     */
    double gradNorm() {
        int n = (int) Math.min(norms, size);
        double s = 0;
        for (int i = 0; i < n; i++) s += gradNorm[i];
        return n == 0 ? Double.NaN : s / n;
    }

    /** Some update has clipped: MessageHub has {@code train/grad_norm}, so log lines carry it (NaN or not). */
    boolean hasGradNorm() { return norms > 0; }

    double loss() { return pos() + neg() + center(); }

    /**
     * The history as text, for a checkpoint's state file: MMEngine keeps these scalars in its message hub, which a
     * checkpoint saves and a resume restores, so the first log lines after a resume still average over the iterations
     * before it.
     */
    String state() {
        StringBuilder b = new StringBuilder().append(size).append(';').append(steps).append(';').append(norms);
        for (double[] v : new double[][] {time, dataTime, pos, neg, center, gradNorm}) {
            b.append(';');
            for (int i = 0; i < size; i++) b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.toString();
    }

    /** Takes a saved {@link #state()} back; one of another window size (the config changed) is left out. */
    void restore(String saved) {
        String[] parts = saved.split(";", -1);
        if (parts.length != 9 || Integer.parseInt(parts[0]) != size) return;
        steps = Long.parseLong(parts[1]);
        norms = Long.parseLong(parts[2]);
        double[][] arrays = {time, dataTime, pos, neg, center, gradNorm};
        for (int a = 0; a < arrays.length; a++) {
            String[] values = parts[3 + a].split(",");
            for (int i = 0; i < size; i++) arrays[a][i] = Double.parseDouble(values[i]);
        }
    }
}
