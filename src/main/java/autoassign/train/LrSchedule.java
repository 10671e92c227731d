package autoassign.train;

import autoassign.config.SchedulerConfig;
import autoassign.config.SchedulerConfig.Entry;
import autoassign.config.SchedulerConfig.Rule;

import java.util.ArrayList;
import java.util.List;

/**
 * The learning rate of MMEngine's {@code param_scheduler} list, stepped as its runner steps it (AA_5 §4): each
 * scheduler is built in list order and steps once when built; then iteration-based ones step after every
 * iteration and epoch-based ones after every epoch, each changing the value the others left (MMEngine's chainable
 * form, so a warm-up and a decay compose). {@link #lr()} is the rate of the next iteration. Parameter groups with an
 * lr multiplier ({@code paramwise_cfg}) are followed separately, as MMEngine's param groups are: their base is
 * {@code lr × mult}, which matters where a scheduler is not a pure multiplication (an absolute {@code eta_min}).
 *
 * <p>For the recipe (LinearLR over 1000 iterations from 0.001, MultiStepLR at epochs 8 and 11) the rate of
 * 0-based iteration i in 0-based epoch e is base·(0.001 + 0.999·min(i, 999)/999)·0.1^(milestones ≤ e).
 */
public final class LrSchedule {
    private final double[] mults; // mults[0] = 1: the optimizer's own lr
    private final double[] base;
    private final double[] lr;
    private final List<Scheduler> schedulers = new ArrayList<>();

    /**
     * @param baseLr      the optimizer's lr ({@code initial_lr} of MMEngine's param group)
     * @param maxEpochs   the default end of epoch-based schedulers (1 for an iteration-based loop, as MMEngine)
     * @param maxIters    the default end of iteration-based schedulers
     * @param epochLength iterations in an epoch ({@code len(train_dataloader)}), for {@code convert_to_iter_based}
     */
    public LrSchedule(double baseLr, SchedulerConfig cfg, int maxEpochs, long maxIters, int epochLength) {
        this(baseLr, new double[0], cfg, maxEpochs, maxIters, epochLength);
    }

    /** @param lrMults the learning-rate multipliers of the optimizer's groups (1 is always followed) */
    public LrSchedule(double baseLr, double[] lrMults, SchedulerConfig cfg, int maxEpochs, long maxIters, int epochLength) {
        if (baseLr <= 0 || !Double.isFinite(baseLr)) throw new IllegalArgumentException("lr must be positive, got " + baseLr);
        if (epochLength < 1) throw new IllegalArgumentException("an epoch must have at least one iteration, got " + epochLength);
        this.mults = java.util.stream.DoubleStream.concat(java.util.stream.DoubleStream.of(1.0),
                java.util.Arrays.stream(lrMults)).distinct().toArray();
        this.base = new double[mults.length];
        for (int g = 0; g < mults.length; g++) base[g] = baseLr * mults[g];
        this.lr = base.clone();
        for (Entry e : cfg.entries()) {
            Scheduler s = new Scheduler(e, maxEpochs, maxIters, epochLength);
            schedulers.add(s);
            s.step(); // MMEngine's schedulers step once in their constructor
        }
    }

    /** The learning rate of the next iteration. */
    public double lr() { return lr[0]; }

    /** The learning rate of the next iteration for a group with this multiplier (one given to the constructor). */
    public double lr(double lrMult) {
        for (int g = 0; g < mults.length; g++) if (mults[g] == lrMult) return lr[g];
        throw new IllegalArgumentException("no parameter group with lr multiplier " + lrMult);
    }

    /** After an iteration (skipped or not): the iteration-based schedulers step, in order. */
    public void afterIter() {
        for (Scheduler s : schedulers) if (!s.byEpoch) s.step();
    }

    /** After a whole epoch: the epoch-based schedulers step, in order. */
    public void afterEpoch() {
        for (Scheduler s : schedulers) if (s.byEpoch) s.step();
    }

    /** Replays a resumed run's steps: {@code epochs} whole epochs of {@code epochLength} iterations, then {@code iters}. */
    public void fastForward(int epochs, int epochLength, long iters) {
        for (int e = 0; e < epochs; e++) {
            for (int i = 0; i < epochLength; i++) afterIter();
            afterEpoch();
        }
        for (long i = 0; i < iters; i++) afterIter();
    }

    /** One scheduler with its begin / end resolved (default end, iteration-based conversion) and its step counters. */
    private final class Scheduler {
        final Rule rule;
        final boolean byEpoch;
        final long begin, end;
        final long scale; // an epoch-based schedule converted to iterations: its periods times the epoch length
        long globalStep = -1, lastStep = -1;

        Scheduler(Entry e, int maxEpochs, long maxIters, int epochLength) {
            rule = e.rule();
            long endSteps = e.end() != null ? e.end() : e.byEpoch() ? maxEpochs : maxIters;
            scale = e.convertToIterBased() ? epochLength : 1;
            byEpoch = e.byEpoch() && !e.convertToIterBased();
            begin = e.begin() * scale;
            end = endSteps == SchedulerConfig.INF ? endSteps : endSteps * scale;
        }

        void step() {
            globalStep++;
            if (globalStep >= begin && globalStep < end) {
                lastStep++;
                for (int g = 0; g < lr.length; g++) lr[g] = next(lr[g], base[g], lastStep);
            }
        }

        /** MMEngine's {@code _get_value}: the value after step k (k = 0 when the scheduler starts). */
        double next(double v, double base, long k) {
            long total = end - begin - 1;
            if (rule instanceof Rule.Linear r) {
                if (k == 0) return v * r.startFactor();
                double d = r.endFactor() - r.startFactor();
                return v * (1 + d / (total * r.startFactor() + (k - 1) * d));
            } else if (rule instanceof Rule.Constant r) {
                if (k == 0) return v * r.factor();
                return k == total ? v * (1.0 / r.factor()) : v; // MMEngine multiplies by 1/factor (not the same rounding as v / factor)
            } else if (rule instanceof Rule.MultiStep r) {
                int times = 0; // MMEngine: gamma ** Counter(milestones)[k]
                for (int m : r.milestones()) if (m * scale == k) times++;
                return times == 0 ? v : v * Math.pow(r.gamma(), times);
            } else if (rule instanceof Rule.Step r) {
                return k == 0 || k % (r.stepSize() * scale) != 0 ? v : v * r.gamma();
            } else if (rule instanceof Rule.Exponential r) {
                return k == 0 ? v : v * r.gamma();
            } else if (rule instanceof Rule.CosineAnnealing r) {
                long t = r.tMax() != null ? r.tMax() * scale : end - begin;
                double etaMin = r.etaMinRatio() != null ? base * r.etaMinRatio() : r.etaMin();
                if (k == 0) return v;
                if (Math.floorMod(k - 1 - t, 2 * t) == 0) return v + (base - etaMin) * (1 - Math.cos(Math.PI / t)) / 2;
                return (1 + Math.cos(Math.PI * k / t)) / (1 + Math.cos(Math.PI * (k - 1) / t)) * (v - etaMin) + etaMin;
            } else if (rule instanceof Rule.QuadraticWarmup) {
                double t = end - begin; // after any conversion to iterations, as MMDetection's build_iter_from_epoch
                double add = base * (2 * k + 1) / (t * t);
                return k == 0 ? add : v + add;
            } else if (rule instanceof Rule.CosineRestart r) {
                // MMEngine's CosineRestartParamScheduler._get_value: the cycle holding k (periods times the epoch length
                // when converted), its restart weight and its own step count; past the last cycle nothing changes
                long start = 0;
                for (int i = 0; i < r.periods().size(); i++) {
                    long period = r.periods().get(i) * scale;
                    if (k < start + period) {
                        long step = k - start;
                        double etaMax = base * r.restartWeights().get(i);
                        double etaMin = r.etaMinRatio() != null ? base * r.etaMinRatio() : r.etaMin();
                        if (step == 0) return etaMax;
                        return (1 + Math.cos(Math.PI * step / period)) / (1 + Math.cos(Math.PI * (step - 1) / period))
                                * (v - etaMin) + etaMin;
                    }
                    start += period;
                }
                return v;
            } else if (rule instanceof Rule.Poly r) {
                if (k == 0) return v;
                return (v - r.etaMin()) * Math.pow(1 - 1.0 / (total - k + 1), r.power()) + r.etaMin();
            }
            throw new IllegalStateException("unknown scheduler " + rule);
        }
    }
}
