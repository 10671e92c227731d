package autoassign.train;

import autoassign.config.SchedulerConfig;
import autoassign.config.SchedulerConfig.Entry;
import autoassign.config.SchedulerConfig.Param;
import autoassign.config.SchedulerConfig.Rule;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.DoubleStream;

/**
 * The learning rate and momentum of MMEngine's {@code param_scheduler} list, stepped as its runner steps it (AA_5 §4):
 * each scheduler is built in list order and steps once when built; then iteration-based ones step after every
 * iteration and epoch-based ones after every epoch, each changing the value the others left (MMEngine's chainable
 * form, so a warm-up and a decay compose); ReduceOnPlateau ones also step after each validation, with its metrics
 * ({@link #afterValidation}). {@link #lr()} and {@link #momentum()} are the values of the next iteration. Parameter
 * groups with an lr multiplier ({@code paramwise_cfg}) are followed separately, as MMEngine's param groups are: their
 * base is {@code lr × mult}, which matters where a scheduler is not a pure multiplication (an absolute
 * {@code eta_min}). The momentum (SGD's {@code momentum}, the Adam family's {@code betas[0]}, as MMEngine's
 * {@code MomentumSchedulerMixin}) is the same in every group: no paramwise setting changes it.
 *
 * <p>For the recipe (LinearLR over 1000 iterations from 0.001, MultiStepLR at epochs 8 and 11) the rate of
 * 0-based iteration i in 0-based epoch e is base·(0.001 + 0.999·min(i, 999)/999)·0.1^(milestones ≤ e).
 */
public final class LrSchedule {
    /** MMEngine's {@code INF}, which ReduceOnPlateau takes as the worst value of its metric ({@code rule_worse}). */
    private static final double MMENGINE_INF = SchedulerConfig.INF;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final double[] mults; // mults[0] = 1: the optimizer's own lr
    private final double[] lr, initialLr; // each group's lr and its MMEngine group['initial_lr']
    private final double[] maxLr, minLr;  // OneCycle's group['max_lr'] and group['min_lr']
    private final double[] momentum, initialMomentum; // one value: every group has the same
    private final List<Scheduler> schedulers = new ArrayList<>();
    private final boolean schedulesMomentum;
    // where the schedule is (afterIter calls, and whether an afterEpoch followed the last), the validations it was fed
    // there, and those a resumed run replays while fast-forwarding ({@link #restore})
    private long itersDone;
    private boolean afterEpochLast;
    private final List<Fed> fed = new ArrayList<>();
    private final java.util.ArrayDeque<Fed> replay = new java.util.ArrayDeque<>();
    private State pendingValues;

    /** The monitored metrics of a validation made after {@code iters} iterations (and that epoch's end: {@code afterEpoch}). */
    private record Fed(long iters, boolean afterEpoch, Map<String, Double> metrics) {}

    /**
     * @param baseLr      the optimizer's lr ({@code initial_lr} of MMEngine's param group)
     * @param maxEpochs   the default end of epoch-based schedulers (1 for an iteration-based loop, as MMEngine)
     * @param maxIters    the default end of iteration-based schedulers
     * @param epochLength iterations in an epoch ({@code len(train_dataloader)}), for {@code convert_to_iter_based}
     */
    public LrSchedule(double baseLr, SchedulerConfig cfg, int maxEpochs, long maxIters, int epochLength) {
        this(baseLr, new double[0], Double.NaN, cfg, maxEpochs, maxIters, epochLength);
    }

    /** @param lrMults the learning-rate multipliers of the optimizer's groups (1 is always followed) */
    public LrSchedule(double baseLr, double[] lrMults, SchedulerConfig cfg, int maxEpochs, long maxIters, int epochLength) {
        this(baseLr, lrMults, Double.NaN, cfg, maxEpochs, maxIters, epochLength);
    }

    /**
     * @param baseMomentum the optimizer's momentum ({@link Optimizer#momentum()}: SGD's momentum, Adam's beta1);
     *                     NaN for an optimizer without one, which momentum schedulers refuse as MMEngine does
     * @throws IllegalArgumentException for bad sizes, a momentum scheduler without a momentum, or a OneCycle scheduler
     *                                  that training would step past its {@code total_steps}
     */
    public LrSchedule(double baseLr, double[] lrMults, double baseMomentum, SchedulerConfig cfg, int maxEpochs, long maxIters,
                      int epochLength) {
        if (baseLr <= 0 || !Double.isFinite(baseLr)) throw new IllegalArgumentException("lr must be positive, got " + baseLr);
        if (epochLength < 1) throw new IllegalArgumentException("an epoch must have at least one iteration, got " + epochLength);
        this.mults = DoubleStream.concat(DoubleStream.of(1.0), Arrays.stream(lrMults)).distinct().toArray();
        this.lr = new double[mults.length];
        for (int g = 0; g < mults.length; g++) lr[g] = baseLr * mults[g];
        this.initialLr = lr.clone();
        this.maxLr = new double[mults.length];
        this.minLr = new double[mults.length];
        this.momentum = new double[] {baseMomentum};
        this.initialMomentum = momentum.clone();
        List<Entry> entries = cfg.entries();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.param() == Param.MOMENTUM && Double.isNaN(baseMomentum)) // MomentumSchedulerMixin's ValueError
                throw new IllegalArgumentException("param_scheduler[" + i + "] (" + e.typeName()
                        + "): optimizer must support momentum when using momentum scheduler (it has neither momentum nor betas)");
            Scheduler s = new Scheduler(i, e, maxEpochs, maxIters, epochLength);
            schedulers.add(s);
            if (!s.plateau) s.step(); // MMEngine's schedulers step once in their constructor (ReduceOnPlateau does not)
        }
        this.schedulesMomentum = cfg.schedulesMomentum();
    }

    /** The learning rate of the next iteration. */
    public double lr() { return lr[0]; }

    /** The learning rate of the next iteration for a group with this multiplier (one given to the constructor). */
    public double lr(double lrMult) {
        for (int g = 0; g < mults.length; g++) if (mults[g] == lrMult) return lr[g];
        throw new IllegalArgumentException("no parameter group with lr multiplier " + lrMult);
    }

    /** The momentum of the next iteration (SGD's momentum, Adam's beta1); NaN for an optimizer without one. */
    public double momentum() { return momentum[0]; }

    /** True when some scheduler drives the momentum: the optimizer must then take {@link #momentum()} before each step. */
    public boolean schedulesMomentum() { return schedulesMomentum; }

    /** True when some scheduler (ReduceOnPlateau) needs the metrics of each validation ({@link #afterValidation}). */
    public boolean needsMetrics() {
        return schedulers.stream().anyMatch(s -> s.plateau);
    }

    /** The metric each ReduceOnPlateau scheduler follows ({@code monitor}), in list order. */
    public List<String> monitors() {
        return schedulers.stream().filter(s -> s.plateau).map(s -> ((Rule.ReduceOnPlateau) s.rule).monitor()).distinct().toList();
    }

    /** After an iteration (skipped or not): the iteration-based schedulers step, in order. */
    public void afterIter() {
        for (Scheduler s : schedulers) if (!s.byEpoch) s.step();
        itersDone++;
        afterEpochLast = false;
    }

    /** After a whole epoch: the epoch-based schedulers step, in order (a ReduceOnPlateau one only counts it). */
    public void afterEpoch() {
        for (Scheduler s : schedulers) if (s.byEpoch) s.step();
        afterEpochLast = true;
    }

    /**
     * After a validation ({@code ParamSchedulerHook.after_val_epoch}): each ReduceOnPlateau scheduler steps with the
     * metrics, in order.
     *
     * @throws IllegalArgumentException when a scheduler's {@code monitor} is not among them (MMEngine's KeyError text)
     */
    public void afterValidation(Map<String, Double> metrics) {
        if (!needsMetrics()) return;
        Map<String, Double> monitored = new java.util.LinkedHashMap<>();
        for (String m : monitors()) if (metrics.get(m) != null) monitored.put(m, metrics.get(m));
        fed.add(new Fed(itersDone, afterEpochLast, monitored));
        for (Scheduler s : schedulers) if (s.plateau) s.stepWithMetrics(metrics);
    }

    /**
     * Replays a resumed run's steps: {@code epochs} whole epochs of {@code epochLength} iterations, then {@code iters};
     * with a {@link #restore}d state, its validations are fed again where they were made, and MMEngine's saved values
     * are taken at the end.
     *
     * @throws IllegalArgumentException when the restored state holds validations the replay does not reach
     */
    public void fastForward(int epochs, int epochLength, long iters) {
        for (int e = 0; e < epochs; e++) {
            for (int i = 0; i < epochLength; i++) {
                afterIter();
                replayValidations();
            }
            afterEpoch();
            replayValidations();
        }
        for (long i = 0; i < iters; i++) {
            afterIter();
            replayValidations();
        }
        if (!replay.isEmpty())
            throw new IllegalArgumentException("the saved schedule holds a validation after iteration " + replay.peek().iters()
                    + ", which resuming at iteration " + itersDone + " does not reach (another config or dataset?)");
        if (pendingValues != null) applyValues(pendingValues);
        pendingValues = null;
    }

    private void replayValidations() {
        while (!replay.isEmpty() && replay.peek().iters() == itersDone && replay.peek().afterEpoch() == afterEpochLast)
            afterValidation(replay.poll().metrics());
    }

    /**
     * What a checkpoint keeps so that a resumed run goes on as this one: null without ReduceOnPlateau schedulers (the
     * position alone then gives every value: {@link #fastForward}); else a JSON object with the monitored metrics of
     * every validation fed so far and where each was made, which a resumed run feeds again while fast-forwarding.
     */
    public String state() {
        if (!needsMetrics()) return null;
        ObjectNode o = JSON.createObjectNode();
        ArrayNode vs = o.putArray("validations");
        for (Fed f : fed) {
            ObjectNode v = vs.addObject().put("iter", f.iters()).put("after_epoch", f.afterEpoch());
            ObjectNode m = v.putObject("metrics");
            f.metrics().forEach((k, x) -> m.put(k, Double.toString(x))); // Java's shortest round-trip form
        }
        return o.toString();
    }

    /**
     * Takes a saved state before {@link #fastForward}: this schedule's own ({@link #state()}: its validations are fed
     * again as the fast-forward reaches them), or one read from an MMEngine checkpoint ({@link State}: the values and
     * ReduceOnPlateau counters are taken once the fast-forward is done).
     *
     * @throws IllegalArgumentException for a state that is neither
     */
    public void restore(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not a saved param_scheduler state: " + e.getOriginalMessage(), e);
        }
        if (o == null || !o.has("validations")) {
            pendingValues = State.fromJson(json);
            return;
        }
        try {
            for (JsonNode v : o.get("validations")) {
                Map<String, Double> metrics = new java.util.LinkedHashMap<>();
                v.get("metrics").fields().forEachRemaining(f -> metrics.put(f.getKey(), Double.parseDouble(f.getValue().asText())));
                replay.add(new Fed(v.get("iter").asLong(), v.get("after_epoch").asBoolean(), metrics));
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a saved param_scheduler state: " + e.getMessage(), e);
        }
    }

    /** MMEngine's saved values (groups of a multiplier this schedule has; the others as the fast-forward left them). */
    private void applyValues(State st) {
        for (int g = 0; g < mults.length; g++)
            for (int k = 0; k < st.mults().length; k++) if (st.mults()[k] == mults[g]) lr[g] = st.lr()[k];
        if (schedulesMomentum && !Double.isNaN(st.momentum())) momentum[0] = st.momentum();
        for (PlateauState p : st.plateaus()) {
            Scheduler s = p.index() < schedulers.size() ? schedulers.get(p.index()) : null;
            if (s == null || !s.plateau)
                throw new IllegalArgumentException("the checkpoint has a ReduceOnPlateau scheduler's state at param_schedulers["
                        + p.index() + "], the config " + (s == null ? "nothing" : s.entry.typeName()) + " (another param_scheduler?)");
            s.globalStep = p.globalStep();
            s.lastStep = p.lastStep();
            s.best = p.best();
            s.numBadEpochs = p.numBadEpochs();
            s.cooldownCounter = p.cooldownCounter();
        }
    }

    /**
     * One ReduceOnPlateau scheduler's counters in an MMEngine checkpoint ({@code _global_step}, {@code last_step},
     * {@code best}, {@code num_bad_epochs}, {@code cooldown_counter} of its state dict) at {@code param_schedulers[index]}.
     */
    public record PlateauState(int index, long globalStep, long lastStep, double best, int numBadEpochs, int cooldownCounter) {}

    /**
     * What an MMEngine checkpoint says of a schedule with ReduceOnPlateau schedulers: the lr of each multiplier's groups
     * (its optimizer's param groups), the momentum (NaN: none) and the schedulers' counters; {@link #toJson} is what
     * {@link #restore} takes (doubles as Java's shortest round-trip strings).
     */
    public record State(double[] mults, double[] lr, double momentum, List<PlateauState> plateaus) {
        public String toJson() {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode groups = o.putArray("lr");
            for (int g = 0; g < mults.length; g++) groups.addArray().add(Double.toString(mults[g])).add(Double.toString(lr[g]));
            o.put("momentum", Double.toString(momentum));
            ArrayNode ps = o.putArray("plateaus");
            for (PlateauState p : plateaus)
                ps.addObject().put("index", p.index()).put("global_step", p.globalStep()).put("last_step", p.lastStep())
                        .put("best", Double.toString(p.best())).put("num_bad_epochs", p.numBadEpochs())
                        .put("cooldown_counter", p.cooldownCounter());
            return o.toString();
        }

        static State fromJson(String json) {
            try {
                JsonNode o = JSON.readTree(json);
                JsonNode groups = o.get("lr");
                double[] mults = new double[groups.size()], lr = new double[groups.size()];
                for (int g = 0; g < mults.length; g++) {
                    mults[g] = Double.parseDouble(groups.get(g).get(0).asText());
                    lr[g] = Double.parseDouble(groups.get(g).get(1).asText());
                }
                List<PlateauState> plateaus = new ArrayList<>();
                for (JsonNode p : o.get("plateaus"))
                    plateaus.add(new PlateauState(p.get("index").asInt(), p.get("global_step").asLong(), p.get("last_step").asLong(),
                            Double.parseDouble(p.get("best").asText()), p.get("num_bad_epochs").asInt(), p.get("cooldown_counter").asInt()));
                return new State(mults, lr, Double.parseDouble(o.get("momentum").asText()), plateaus);
            } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
                throw new IllegalArgumentException("not a saved param_scheduler state: " + e.getMessage(), e);
            }
        }
    }

    /** One scheduler with its begin / end resolved (default end, iteration-based conversion) and its step counters. */
    private final class Scheduler {
        final int index;
        final Entry entry;
        final Rule rule;
        final boolean byEpoch, plateau;
        final long begin, end;
        final long scale; // an epoch-based schedule converted to iterations: its periods times the epoch length
        final double[] values, base; // the param's value in each group; MMEngine's base_values (initial_<param> when built)
        long globalStep = -1, lastStep = -1;
        // OneCycle: its total steps and the end step of each phase with the group keys it goes from / to
        long totalSteps;
        double[] phaseEnds;
        char[] phaseFrom, phaseTo; // 'i' initial_lr, 'x' max_lr, 'n' min_lr
        // ReduceOnPlateau's state
        double best;
        int numBadEpochs, cooldownCounter;

        Scheduler(int index, Entry e, int maxEpochs, long maxIters, int epochLength) {
            this.index = index;
            this.entry = e;
            rule = e.rule();
            plateau = rule instanceof Rule.ReduceOnPlateau;
            long endSteps = e.end() != null ? e.end() : e.byEpoch() ? maxEpochs : maxIters;
            scale = e.convertToIterBased() ? epochLength : 1;
            byEpoch = e.byEpoch() && !e.convertToIterBased();
            // build_iter_from_epoch: int(begin * epoch_length), int(end * epoch_length) unless end is INF; a fractional
            // begin / end (only accepted with convert_to_iter_based) is truncated as Python's int() does
            begin = e.convertToIterBased() ? (long) (e.beginEpochs() * scale) : e.begin();
            end = endSteps == SchedulerConfig.INF ? endSteps
                    : e.convertToIterBased() && e.end() != null ? (long) (e.endEpochs() * scale) : endSteps * scale;
            if (e.convertToIterBased() && e.end() != null && end <= begin) // _ParamScheduler.__init__'s ValueError: a
                // fractional begin / end can meet in one iteration once truncated (begin 0.5, end 0.9 at 2 iterations an epoch)
                throw new IllegalArgumentException("param_scheduler[" + index + "] (" + e.typeName() + "): end should be larger than"
                        + " begin, but got begin=" + begin + ", end=" + end + " (iterations: begin " + e.beginEpochs() + " and end "
                        + e.endEpochs() + " epochs of " + epochLength + " iterations)");
            boolean isLr = e.param() == Param.LR;
            values = isLr ? lr : momentum;
            if (rule instanceof Rule.OneCycle r) initOneCycle(r, byEpoch ? maxEpochs : maxIters);
            base = (isLr ? initialLr : initialMomentum).clone();
            if (rule instanceof Rule.ReduceOnPlateau r) {
                globalStep = 0; // ReduceOnPlateauParamScheduler: no step when built, its step count starts at 0
                best = r.greater() ? -MMENGINE_INF : MMENGINE_INF; // _init_is_better's rule_worse, then _reset
            }
        }

        /**
         * OneCycleParamScheduler.__init__: the phases over {@code total_steps} (times the epoch length when converted;
         * default end − begin), and every group's {@code initial_lr}, {@code max_lr}, {@code min_lr}.
         */
        private void initOneCycle(Rule.OneCycle r, long trainingSteps) {
            totalSteps = r.totalSteps() != null ? r.totalSteps() * scale : end - begin;
            double pctSteps = r.pctStart() * totalSteps;
            if (r.threePhase()) {
                phaseEnds = new double[] {pctSteps - 1, 2 * pctSteps - 2, totalSteps - 1};
                phaseFrom = new char[] {'i', 'x', 'i'};
                phaseTo = new char[] {'x', 'i', 'n'};
            } else {
                phaseEnds = new double[] {pctSteps - 1, totalSteps - 1};
                phaseFrom = new char[] {'i', 'x'};
                phaseTo = new char[] {'x', 'n'};
            }
            // the training's last step of it (its constructor's is global step 0, the last after the last epoch / iteration)
            long lastStepped = Math.min(end - 1, trainingSteps) - begin;
            if (lastStepped > totalSteps)
                throw new IllegalArgumentException("param_scheduler[" + index + "] (OneCycleLR): training steps it " + (lastStepped + 1)
                        + " times, past its total_steps " + totalSteps + " (MMEngine stops there: 'Tried to step " + (totalSteps + 2)
                        + " times. The specified number of total steps is " + totalSteps + "'); raise total_steps or leave it out");
            for (int g = 0; g < lr.length; g++) {
                initialLr[g] = r.etaMax() / r.divFactor();
                maxLr[g] = r.etaMax();
                minLr[g] = initialLr[g] / r.finalDivFactor();
            }
        }

        void step() {
            globalStep++;
            if (plateau) return; // without metrics: only counted (ReduceOnPlateauParamScheduler.step(None))
            if (globalStep >= begin && globalStep < end) {
                lastStep++;
                for (int g = 0; g < values.length; g++) values[g] = next(values[g], base[g], lastStep, g);
            }
        }

        /** ReduceOnPlateauParamScheduler.step(metrics). */
        void stepWithMetrics(Map<String, Double> metrics) {
            Rule.ReduceOnPlateau r = (Rule.ReduceOnPlateau) rule;
            if (globalStep < begin || globalStep >= end) return;
            lastStep++;
            Double metric = metrics.get(r.monitor());
            if (metric == null)
                throw new IllegalArgumentException("param_scheduler[" + index + "] (" + entry.typeName() + ").monitor: Excepted key in "
                        + pythonList(metrics.keySet()) + ", but got key " + r.monitor() + " is not in dict");
            if (isBetter(r, metric, best)) {
                best = metric;
                numBadEpochs = 0;
            } else {
                numBadEpochs++;
            }
            if (cooldownCounter > 0) {
                cooldownCounter--;
                numBadEpochs = 0; // ignore bad epochs in cooldown
            }
            if (numBadEpochs > r.patience()) {
                for (int g = 0; g < values.length; g++) {
                    double reduced = Math.max(values[g] * r.factor(), r.minValue());
                    if (values[g] - reduced > r.eps()) values[g] = reduced;
                }
                cooldownCounter = r.cooldown();
                numBadEpochs = 0;
            }
        }

        /** ReduceOnPlateauParamScheduler._is_better. */
        private static boolean isBetter(Rule.ReduceOnPlateau r, double a, double best) {
            if (!r.greater()) return r.absThreshold() ? a < best - r.threshold() : a < best * (1. - r.threshold());
            return r.absThreshold() ? a > best + r.threshold() : a > best * (r.threshold() + 1.);
        }

        /** MMEngine's {@code _get_value}: the value after step k (k = 0 when the scheduler starts) of group g. */
        double next(double v, double base, long k, int g) {
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
            } else if (rule instanceof Rule.OneCycle r) {
                if (k > totalSteps) // OneCycleParamScheduler._get_value's ValueError
                    throw new IllegalStateException("Tried to step " + (k + 1) + " times. The specified number of total steps is " + totalSteps);
                double start = 0; // not chainable: from the group's initial_lr / max_lr / min_lr as they are now
                for (int i = 0; i < phaseEnds.length; i++) {
                    double endStep = phaseEnds[i];
                    if (k <= endStep || i == phaseEnds.length - 1) {
                        if (endStep == start) // Python's float division by zero
                            throw new IllegalStateException("param_scheduler[" + index + "] (OneCycleLR): phase " + (i + 1)
                                    + " has no steps (pct_start × total_steps = 1): float division by zero");
                        double pct = (k - start) / (endStep - start);
                        double from = groupValue(phaseFrom[i], g), to = groupValue(phaseTo[i], g);
                        if (r.cosine()) return to + (from - to) / 2.0 * (Math.cos(Math.PI * pct) + 1);
                        return (to - from) * pct + from;
                    }
                    start = endStep;
                }
                throw new IllegalStateException("unreachable");
            } else if (rule instanceof Rule.Poly r) {
                if (k == 0) return v;
                return (v - r.etaMin()) * Math.pow(1 - 1.0 / (total - k + 1), r.power()) + r.etaMin();
            }
            throw new IllegalStateException("unknown scheduler " + rule);
        }

        private double groupValue(char key, int g) {
            return key == 'i' ? initialLr[g] : key == 'x' ? maxLr[g] : minLr[g];
        }
    }

    /** Python's {@code str(list_of_str)}: {@code ['a', 'b']}. */
    private static String pythonList(java.util.Collection<String> keys) {
        StringBuilder b = new StringBuilder("[");
        for (String k : keys) b.append(b.length() > 1 ? ", " : "").append('\'').append(k).append('\'');
        return b.append(']').toString();
    }
}
