package autoassign.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code param_scheduler}: MMEngine's learning-rate schedulers, applied in list order as MMEngine chains them
 * (each one multiplies or moves the value the previous ones left; {@code autoassign.train.LrSchedule} runs them).
 * The recipe's is a LinearLR warm-up over 1000 iterations followed by a MultiStepLR at epochs 8 and 11.
 *
 * @param entries the schedulers, in order; empty: a constant learning rate
 */
public record SchedulerConfig(List<Entry> entries) {
    /** MMEngine's {@code INF}: the end of a scheduler that never stops. */
    public static final int INF = 1_000_000_000;

    public SchedulerConfig {
        entries = List.copyOf(entries);
    }

    /**
     * One scheduler.
     *
     * @param rule               what it does to the learning rate at each of its steps
     * @param begin              first step (epoch or iteration) it acts on
     * @param end                step it stops before; null: the end of training (MMEngine's runner default)
     * @param byEpoch            stepped after each epoch (true) or each iteration
     * @param convertToIterBased an epoch-based schedule run per iteration (begin, end and periods times the
     *                           iterations of an epoch)
     */
    public record Entry(Rule rule, int begin, Integer end, boolean byEpoch, boolean convertToIterBased) {}

    /** The schedulers' own parameters (MMEngine's {@code *ParamScheduler} classes, in their chainable form). */
    public sealed interface Rule {
        /** MMEngine's name of the scheduler ({@code LinearLR}, {@code CosineAnnealingLR}, ...). */
        default String typeName() { return getClass().getSimpleName() + "LR"; }

        /** LinearLR: factor from {@code startFactor} to {@code endFactor} over [begin, end). */
        record Linear(double startFactor, double endFactor) implements Rule {}

        /** ConstantLR: times {@code factor} from begin until end − 1. */
        record Constant(double factor) implements Rule {}

        /** MultiStepLR: times gamma at each milestone (counted from begin). */
        record MultiStep(List<Integer> milestones, double gamma) implements Rule {
            public MultiStep { milestones = List.copyOf(milestones); }
        }

        /** StepLR: times gamma every {@code stepSize} steps. */
        record Step(int stepSize, double gamma) implements Rule {}

        /** ExponentialLR: times gamma every step. */
        record Exponential(double gamma) implements Rule {}

        /**
         * CosineAnnealingLR towards {@code etaMin} (absolute) or {@code etaMinRatio} × the initial value;
         * {@code tMax} null: end − begin.
         */
        record CosineAnnealing(Integer tMax, double etaMin, Double etaMinRatio) implements Rule {}

        /** PolyLR: (value − etaMin)·(1 − 1/(remaining steps))^power + etaMin. */
        record Poly(double etaMin, double power) implements Rule {}

        /**
         * MMDetection's QuadraticWarmupLR (YOLOX): adds {@code initial·(2k + 1)/(end − begin)²} at step k, so the value
         * climbs as {@code initial·((k + 1)/(end − begin))²}.
         */
        record QuadraticWarmup() implements Rule {}

        /**
         * MMEngine's CosineRestartLR: cosine cycles of {@code periods} steps, each restarting at {@code initial ×
         * restartWeights[i]} and annealing towards {@code etaMin} (absolute) or {@code etaMinRatio × initial}; past the
         * last period the value is left as it is.
         */
        record CosineRestart(List<Integer> periods, List<Double> restartWeights, double etaMin, Double etaMinRatio) implements Rule {
            public CosineRestart {
                periods = List.copyOf(periods);
                restartWeights = List.copyOf(restartWeights);
            }
        }
    }

    static SchedulerConfig from(ConfigNode parent, String key) {
        List<Entry> entries = new ArrayList<>();
        for (ConfigNode s : parent.childList(key)) {
            String type = s.choice("type", null, "LinearLR", "ConstantLR", "MultiStepLR", "StepLR", "ExponentialLR",
                    "CosineAnnealingLR", "PolyLR", "QuadraticWarmupLR", "CosineRestartLR");
            if (type == null) throw s.error("type", "required key is missing");
            boolean byEpoch = s.bool("by_epoch", true);
            boolean convert = s.bool("convert_to_iter_based", false);
            if (convert && !byEpoch) throw s.error("convert_to_iter_based", "only an epoch-based scheduler (by_epoch: true) can be converted");
            int begin = s.atLeast("begin", s.integer("begin", 0), 0);
            Integer end = s.raw("end") == null ? null : s.integer("end");
            if (end != null && end <= begin) throw s.error("end", "must be larger than begin " + begin + ", got " + end);
            Rule rule = switch (type) {
                case "LinearLR" -> {
                    double start = s.inRange("start_factor", s.number("start_factor", 1.0 / 3), 0, 1);
                    double stop = s.inRange("end_factor", s.number("end_factor", 1.0), 0, 1);
                    if (start == 0) throw s.error("start_factor", "must be > 0 (the schedule is multiplicative)");
                    yield new Rule.Linear(start, stop);
                }
                case "ConstantLR" -> {
                    double f = s.inRange("factor", s.number("factor", 1.0 / 3), 0, 1);
                    if (f == 0) throw s.error("factor", "must be > 0 (the schedule is multiplicative)");
                    yield new Rule.Constant(f);
                }
                case "MultiStepLR" -> {
                    List<Integer> milestones = s.intList("milestones", null);
                    if (milestones == null) throw s.error("milestones", "required key is missing");
                    // MMEngine counts them (a Counter): a repeated milestone multiplies by gamma as often
                    for (int m : milestones)
                        if (m < 0) throw s.error("milestones", "must not be negative, got " + milestones);
                    yield new Rule.MultiStep(milestones, s.positive("gamma", s.number("gamma", 0.1)));
                }
                case "StepLR" -> new Rule.Step(s.positive("step_size", s.integer("step_size")),
                        s.positive("gamma", s.number("gamma", 0.1)));
                case "ExponentialLR" -> new Rule.Exponential(s.positive("gamma", s.number("gamma")));
                case "CosineAnnealingLR" -> {
                    Integer tMax = s.raw("T_max") == null ? null : s.positive("T_max", s.integer("T_max"));
                    Double ratio = s.raw("eta_min_ratio") == null ? null
                            : s.nonNegative("eta_min_ratio", s.number("eta_min_ratio"));
                    boolean hasMin = s.raw("eta_min") != null;
                    if (hasMin && ratio != null) throw s.error("eta_min_ratio", "give either eta_min or eta_min_ratio, not both");
                    double etaMin = hasMin ? s.nonNegative("eta_min", s.number("eta_min")) : 0;
                    yield new Rule.CosineAnnealing(tMax, etaMin, ratio);
                }
                case "QuadraticWarmupLR" -> {
                    // no end: the runner's default (the end of training); an infinite one is refused as MMDetection does
                    if (end != null && end >= INF)
                        throw s.error("end", "QuadraticWarmupLR needs a finite end: the step where the warm-up ends");
                    yield new Rule.QuadraticWarmup();
                }
                case "CosineRestartLR" -> {
                    List<Integer> periods = s.intList("periods", null);
                    if (periods == null || periods.isEmpty()) throw s.error("periods", "required: the steps of each cosine cycle");
                    for (int q : periods) if (q <= 0) throw s.error("periods", "must be positive, got " + periods);
                    List<Double> weights = s.doubleList("restart_weights", List.of(1.0));
                    if (weights.size() != periods.size())
                        throw s.error("restart_weights", "periods and restart_weights should have the same length, got "
                                + periods.size() + " and " + weights.size() + " (MMEngine asserts)");
                    boolean hasMin = s.raw("eta_min") != null && !s.raw("eta_min").isNull();
                    boolean hasRatio = s.raw("eta_min_ratio") != null && !s.raw("eta_min_ratio").isNull();
                    if (hasMin == hasRatio) throw s.error("eta_min", "give exactly one of eta_min and eta_min_ratio (MMEngine asserts)");
                    yield new Rule.CosineRestart(periods, weights, hasMin ? s.number("eta_min") : 0,
                            hasRatio ? s.number("eta_min_ratio") : null);
                }
                default -> new Rule.Poly(s.nonNegative("eta_min", s.number("eta_min", 0)),
                        s.positive("power", s.number("power", 1.0)));
            };
            s.finish();
            entries.add(new Entry(rule, begin, end, byEpoch, convert));
        }
        return new SchedulerConfig(entries);
    }
}
