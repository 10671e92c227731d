package autoassign.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code param_scheduler}: MMEngine's parameter schedulers, applied in list order as MMEngine chains them (each one
 * multiplies or moves the value the previous ones left; {@code autoassign.train.LrSchedule} runs them). They drive the
 * learning rate ({@code *LR}, or {@code *ParamScheduler} with {@code param_name: lr}) or the momentum
 * ({@code *Momentum}, or {@code param_name: momentum}: SGD's momentum, the Adam family's {@code betas[0]}).
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

    /** True when some scheduler drives the momentum. */
    public boolean schedulesMomentum() {
        return entries.stream().anyMatch(e -> e.param() == Param.MOMENTUM);
    }

    /** True when some scheduler needs the validation metrics (a ReduceOnPlateau one). */
    public boolean needsMetrics() {
        return entries.stream().anyMatch(e -> e.rule() instanceof Rule.ReduceOnPlateau);
    }

    /** The optimizer setting a scheduler drives (MMEngine's {@code param_name}). */
    public enum Param {
        LR("lr", "LR"), MOMENTUM("momentum", "Momentum");

        /** MMEngine's {@code param_name} and the suffix of its scheduler classes. */
        public final String key, suffix;

        Param(String key, String suffix) {
            this.key = key;
            this.suffix = suffix;
        }
    }

    /**
     * One scheduler.
     *
     * @param rule               what it does to the value at each of its steps
     * @param begin              first step (epoch or iteration) it acts on
     * @param end                step it stops before; null: the end of training (MMEngine's runner default)
     * @param byEpoch            stepped after each epoch (true) or each iteration
     * @param convertToIterBased an epoch-based schedule run per iteration (begin, end and periods times the
     *                           iterations of an epoch)
     * @param param              the value it drives
     * @param beginEpochs        {@code begin} as written: with {@code convertToIterBased} it may be fractional (e.g. 0.5),
     *                           which MMEngine's {@code build_iter_from_epoch} converts as {@code int(begin * epoch_length)};
     *                           {@link #begin} is then its integer part
     * @param endEpochs          {@code end} as written, likewise (null with {@code end})
     */
    public record Entry(Rule rule, int begin, Integer end, boolean byEpoch, boolean convertToIterBased, Param param,
                        double beginEpochs, Double endEpochs) {
        /** Integer {@code begin} / {@code end}. */
        public Entry(Rule rule, int begin, Integer end, boolean byEpoch, boolean convertToIterBased, Param param) {
            this(rule, begin, end, byEpoch, convertToIterBased, param, begin, end == null ? null : end.doubleValue());
        }

        /** A learning-rate scheduler. */
        public Entry(Rule rule, int begin, Integer end, boolean byEpoch, boolean convertToIterBased) {
            this(rule, begin, end, byEpoch, convertToIterBased, Param.LR);
        }

        /** MMEngine's class name of it ({@code LinearLR}, {@code CosineAnnealingMomentum}, ...). */
        public String typeName() { return rule.baseName() + param.suffix; }
    }

    /** The schedulers' own parameters (MMEngine's {@code *ParamScheduler} classes, in their chainable form). */
    public sealed interface Rule {
        /** MMEngine's name of the scheduler as a learning-rate one ({@code LinearLR}, {@code CosineAnnealingLR}, ...). */
        default String typeName() { return baseName() + "LR"; }

        /** The name without its LR / Momentum / ParamScheduler suffix. */
        default String baseName() { return getClass().getSimpleName(); }

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

        /**
         * MMEngine's OneCycleLR (not chainable): from {@code etaMax / divFactor} up to {@code etaMax} over the first
         * {@code pctStart} of {@code totalSteps} (null: end − begin), then down to {@code etaMax / divFactor /
         * finalDivFactor} (three phases: back to the start value by {@code 2·pctStart}, then down), by cosine or
         * linear annealing. It sets every group's {@code initial_lr} to {@code etaMax / divFactor}. Unlike torch's
         * OneCycleLR it leaves the momentum alone.
         */
        record OneCycle(double etaMax, Integer totalSteps, double pctStart, boolean cosine, double divFactor,
                        double finalDivFactor, boolean threePhase) implements Rule {}

        /**
         * MMEngine's ReduceOnPlateau scheduler, stepped by the validations with their metrics: when {@code monitor} has
         * not improved (by {@code threshold}, relative or absolute) for more than {@code patience} validations, the
         * value is multiplied by {@code factor} (not below {@code minValue}, and only by more than {@code eps}), then
         * {@code cooldown} validations are not counted.
         */
        record ReduceOnPlateau(String monitor, boolean greater, double factor, int patience, double threshold,
                               boolean absThreshold, int cooldown, double minValue, double eps) implements Rule {}
    }

    /** The chainable schedulers' names (MMEngine's and MMDetection's), each with an LR, Momentum and ParamScheduler class. */
    private static final List<String> CHAINABLE = List.of("Linear", "Constant", "MultiStep", "Step", "Exponential",
            "CosineAnnealing", "Poly", "QuadraticWarmup", "CosineRestart", "ReduceOnPlateau");

    /** Every accepted {@code type}. */
    static List<String> typeNames() {
        List<String> out = new ArrayList<>();
        for (String base : CHAINABLE) for (String suffix : new String[] {"LR", "Momentum", "ParamScheduler"}) out.add(base + suffix);
        out.add("OneCycleLR");
        out.add("OneCycleParamScheduler");
        return out;
    }

    static SchedulerConfig from(ConfigNode parent, String key) {
        List<Entry> entries = new ArrayList<>();
        for (ConfigNode s : parent.childList(key)) {
            String type = s.choice("type", null, typeNames().toArray(String[]::new));
            if (type == null) throw s.error("type", "required key is missing");
            String base;
            Param param;
            if (type.endsWith("ParamScheduler")) {
                base = type.substring(0, type.length() - "ParamScheduler".length());
                String name = s.choice("param_name", null, "lr", "momentum");
                if (name == null) throw s.error("param_name", "required key is missing (lr or momentum)");
                param = name.equals("lr") ? Param.LR : Param.MOMENTUM;
            } else if (type.endsWith("Momentum")) {
                base = type.substring(0, type.length() - "Momentum".length());
                param = Param.MOMENTUM;
            } else {
                base = type.substring(0, type.length() - "LR".length());
                param = Param.LR;
            }
            if (base.equals("OneCycle") && param != Param.LR)
                throw s.error("param_name", "OneCycle only works for learning rate updating (MMEngine asserts it), got momentum");
            boolean byEpoch = s.bool("by_epoch", true);
            boolean convert = s.bool("convert_to_iter_based", false);
            if (convert && !byEpoch) throw s.error("convert_to_iter_based", "only an epoch-based scheduler (by_epoch: true) can be converted");
            // converted to iterations, MMEngine's build_iter_from_epoch takes int(begin * epoch_length) and
            // int(end * epoch_length), so a fractional epoch (begin: 0.5) is fine there; elsewhere they are step counts
            double beginEpochs = convert ? s.number("begin", 0.0) : s.integer("begin", 0);
            if (!(beginEpochs >= 0) || Double.isInfinite(beginEpochs)) throw s.error("begin", "must be >= 0, got " + number(beginEpochs));
            Double endEpochs = s.raw("end") == null ? null : convert ? s.number("end") : s.integer("end");
            if (endEpochs != null && Double.isInfinite(endEpochs)) // Python's int(inf) is an OverflowError
                throw s.error("end", "must be finite (MMEngine's INF is 1000000000), got " + endEpochs);
            if (endEpochs != null && !(endEpochs > beginEpochs))
                throw s.error("end", "must be larger than begin " + number(beginEpochs) + ", got " + number(endEpochs));
            int begin = (int) beginEpochs;
            Integer end = endEpochs == null ? null : (int) Math.floor(endEpochs);
            Rule rule = switch (base) {
                case "Linear" -> {
                    double start = s.inRange("start_factor", s.number("start_factor", 1.0 / 3), 0, 1);
                    double stop = s.inRange("end_factor", s.number("end_factor", 1.0), 0, 1);
                    if (start == 0) throw s.error("start_factor", "must be > 0 (the schedule is multiplicative)");
                    yield new Rule.Linear(start, stop);
                }
                case "Constant" -> {
                    double f = s.inRange("factor", s.number("factor", 1.0 / 3), 0, 1);
                    if (f == 0) throw s.error("factor", "must be > 0 (the schedule is multiplicative)");
                    yield new Rule.Constant(f);
                }
                case "MultiStep" -> {
                    List<Integer> milestones = s.intList("milestones", null);
                    if (milestones == null) throw s.error("milestones", "required key is missing");
                    // MMEngine counts them (a Counter): a repeated milestone multiplies by gamma as often
                    for (int m : milestones)
                        if (m < 0) throw s.error("milestones", "must not be negative, got " + milestones);
                    yield new Rule.MultiStep(milestones, s.positive("gamma", s.number("gamma", 0.1)));
                }
                case "Step" -> new Rule.Step(s.positive("step_size", s.integer("step_size")),
                        s.positive("gamma", s.number("gamma", 0.1)));
                case "Exponential" -> new Rule.Exponential(s.positive("gamma", s.number("gamma")));
                case "CosineAnnealing" -> {
                    Integer tMax = s.raw("T_max") == null ? null : s.positive("T_max", s.integer("T_max"));
                    Double ratio = s.raw("eta_min_ratio") == null ? null
                            : s.nonNegative("eta_min_ratio", s.number("eta_min_ratio"));
                    boolean hasMin = s.raw("eta_min") != null;
                    if (hasMin && ratio != null) throw s.error("eta_min_ratio", "give either eta_min or eta_min_ratio, not both");
                    double etaMin = hasMin ? s.nonNegative("eta_min", s.number("eta_min")) : 0;
                    yield new Rule.CosineAnnealing(tMax, etaMin, ratio);
                }
                case "QuadraticWarmup" -> {
                    // no end: the runner's default (the end of training); an infinite one is refused as MMDetection does
                    if (end != null && end >= INF)
                        throw s.error("end", type + " needs a finite end: the step where the warm-up ends");
                    yield new Rule.QuadraticWarmup();
                }
                case "CosineRestart" -> {
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
                case "OneCycle" -> oneCycle(s);
                case "ReduceOnPlateau" -> {
                    // MMEngine asserts by_epoch, and the scheduler has no build_iter_from_epoch
                    if (!byEpoch) throw s.error("by_epoch", type + " only supports by_epoch: true (MMEngine asserts it): it steps after each validation");
                    if (convert) throw s.error("convert_to_iter_based", type + " cannot be converted to iterations: it steps after each validation");
                    yield reduceOnPlateau(s);
                }
                default -> new Rule.Poly(s.nonNegative("eta_min", s.number("eta_min", 0)),
                        s.positive("power", s.number("power", 1.0)));
            };
            s.finish();
            entries.add(new Entry(rule, begin, end, byEpoch, convert, param, beginEpochs, endEpochs));
        }
        return new SchedulerConfig(entries);
    }

    /** A begin / end for a message: 3 for 3.0, 0.5 as it is. */
    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** OneCycleParamScheduler's arguments, checked as its constructor checks them. */
    private static Rule.OneCycle oneCycle(ConfigNode s) {
        if (s.raw("eta_max") != null && s.raw("eta_max").isArray())
            throw s.error("eta_max", "one value for every parameter group: a list per group is not supported");
        // MMEngine's default eta_max is 0, a cycle at learning rate 0: asked for instead
        if (s.raw("eta_max") == null) throw s.error("eta_max", "required: the cycle's largest learning rate");
        double etaMax = s.positive("eta_max", s.number("eta_max"));
        Integer total = s.raw("total_steps") == null ? null : s.integer("total_steps");
        if (total != null && total <= 0) throw s.error("total_steps", "Expected positive integer total_steps, but got " + total);
        if (s.raw("pct_start") != null && s.raw("pct_start").isIntegralNumber()) // MMEngine's isinstance(pct_start, float)
            throw s.error("pct_start", "Expected float between 0 and 1 pct_start, but got " + s.raw("pct_start").asText()
                    + " (an integer: write it with a decimal point)");
        double pct = s.number("pct_start", 0.3);
        if (!(pct >= 0 && pct <= 1)) throw s.error("pct_start", "Expected float between 0 and 1 pct_start, but got " + pct);
        String anneal = s.choice("anneal_strategy", "cos", "cos", "linear");
        double div = s.positive("div_factor", s.number("div_factor", 25.0));
        double finalDiv = s.positive("final_div_factor", s.number("final_div_factor", 1e4));
        return new Rule.OneCycle(etaMax, total, pct, anneal.equals("cos"), div, finalDiv, s.bool("three_phase", false));
    }

    /** ReduceOnPlateauParamScheduler's arguments, checked as its constructor checks them. */
    private static Rule.ReduceOnPlateau reduceOnPlateau(ConfigNode s) {
        String monitor = s.string("monitor", "loss");
        boolean greater = s.choice("rule", "less", "less", "greater").equals("greater");
        double factor = s.number("factor", 0.1);
        if (!(factor < 1.0)) throw s.error("factor", "Factor should be < 1.0. (got " + factor + ")");
        int patience = s.atLeast("patience", s.integer("patience", 10), 0);
        double threshold = s.number("threshold", 1e-4);
        if (!(threshold >= 0)) throw s.error("threshold", "threshold " + threshold + " should be >= 0.");
        boolean abs = s.choice("threshold_rule", "rel", "rel", "abs").equals("abs");
        int cooldown = s.atLeast("cooldown", s.integer("cooldown", 0), 0);
        if (s.raw("min_value") != null && s.raw("min_value").isArray())
            throw s.error("min_value", "one value for every parameter group: a list per group is not supported");
        double minValue = s.nonNegative("min_value", s.number("min_value", 0.0));
        double eps = s.nonNegative("eps", s.number("eps", 1e-8));
        return new Rule.ReduceOnPlateau(monitor, greater, factor, patience, threshold, abs, cooldown, minValue, eps);
    }
}
