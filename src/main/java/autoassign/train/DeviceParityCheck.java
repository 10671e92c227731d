package autoassign.train;

import autoassign.backend.DeviceSelector;
import autoassign.backend.cuda.CudaOptions;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.loss.LossReducer;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains the same model from the same initial weights on the same batch for a few steps on the CPU and on another
 * device, and prints the losses side by side: the end-to-end check that the CUDA backend trains like the CPU
 * reference. Usage: {@code DeviceParityCheck [config] [device] [steps] [HxW] [batch] [tolerance] [key=value ...]}
 * (config overrides last, as {@code train}'s); also compares every parameter's gradient of step 0 (from identical
 * weights, in FP32). Exits 1 when a loss or gradient differs by more than the relative tolerance (default 1e-2, which
 * TF32 convolutions need); with {@code -Dautoassign.parity.sensitivity=EPS} a loss after step 0, or a gradient, may
 * also lie within {@link #DRIFT_FACTOR} times the CPU's own drift from weights perturbed by EPS (chaotic models: see
 * run). The config's optimizer wrapper is used as training uses it ({@code paramwise_cfg}, {@code clip_grad},
 * {@code accumulative_counts}), and with an {@code EMAHook} the averages of both devices are compared at the end too.
 */
public final class DeviceParityCheck {
    private DeviceParityCheck() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /** The check with main's arguments, printed to {@code out}; returns the number of values beyond tolerance. */
    static int run(String[] args, java.io.PrintStream out) {
        String cfgName = args.length > 0 ? args[0] : "autoassign_tiny_synthetic";
        String devName = args.length > 1 ? args[1] : "cuda";
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        String[] hw = (args.length > 3 ? args[3] : "256x256").split("x");
        int batch = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        double tol = args.length > 5 ? Double.parseDouble(args[5]) : 1e-2;
        List<String> overrides = args.length > 6 ? List.of(args).subList(6, args.length) : List.of();
        Config cfg = ConfigLoader.loadNamed(cfgName, overrides);
        CudaOptions.useConfig(cfg.runtime().cudnnBenchmark(), cfg.runtime().deterministic());
        Device dev = DeviceSelector.select(devName, out::println);
        int h = Integer.parseInt(hw[0]), w = Integer.parseInt(hw[1]);
        Batch b = StepBenchmark.randomBatch(batch, h, w, cfg.model().bboxHead().numClasses(), 0);
        // the model's own sensitivity (-Dautoassign.parity.sensitivity=EPS): the CPU again from weights perturbed by a
        // relative EPS (FP32 rounding is ~6e-8) shows how far a run that differs only in rounding drifts. Some models
        // amplify rounding ~100x per step (BatchNorm over two samples in ResNeSt's attention, CSPDarknet's early
        // instability): a later step then fails only beyond DRIFT_FACTOR x that drift (and the tolerance)
        double eps = Double.parseDouble(System.getProperty("autoassign.parity.sensitivity", "0"));
        float[][] cpuAvg = new float[1][], devAvg = new float[1][];
        double[][] cpu = losses(cfg, b, Device.CPU, steps, cpuAvg, 0), other = losses(cfg, b, dev, steps, devAvg, 0);
        double[][] drift = eps > 0 ? losses(cfg, b, Device.CPU, steps, new float[1][], eps) : null;
        out.printf(Locale.ROOT, "%-5s %-12s %14s %14s %10s%s%n", "step", "term", "cpu", dev, "rel.diff",
                drift == null ? "" : "  cpu from weights x(1 +- " + eps + "): rel.diff");
        String[] names = {"loss_pos", "loss_neg", "loss_center"};
        double worst = 0;
        int failed = 0;
        for (int s = 0; s < steps; s++)
            for (int t = 0; t < 3; t++) {
                double a = cpu[s][t], rel = relDiff(a, other[s][t]), own = drift == null ? 0 : relDiff(a, drift[s][t]);
                boolean bad = !(rel <= tol) && (s == 0 || !(rel <= DRIFT_FACTOR * own));
                if (bad) failed++;
                worst = Math.max(worst, Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel);
                out.printf(Locale.ROOT, "%-5d %-12s %14.7f %14.7f %10.2e%s%s%n", s, names[t], a, other[s][t], rel,
                        drift == null ? "" : String.format(Locale.ROOT, "  %10.2e", own), bad ? "  FAIL" : "");
            }
        // the gradients of step 0 from identical weights, every parameter compared directly: a wrong kernel shows
        // here before any drift of the weights can amplify a rounding difference
        // (in FP32: TF32 convolutions move single gradients by up to ~10%, measured on the H200)
        boolean tf32 = CudaOptions.tf32();
        CudaOptions.setTf32(false);
        Map<String, float[]> cpuGrad = gradients(cfg, b, Device.CPU, 0), devGrad = gradients(cfg, b, dev, 0);
        CudaOptions.setTf32(tf32);
        Map<String, float[]> driftGrad = eps > 0 ? gradients(cfg, b, Device.CPU, eps) : null;
        double floor = 0; // a gradient that is ~0 in exact arithmetic (a bias before a train-mode BatchNorm) is noise:
        for (float[] g : cpuGrad.values()) floor = Math.max(floor, maxAbs(g)); // it is compared at this fraction of
        floor *= GRADIENT_FLOOR;                                                // the model's largest gradient
        String worstName = "-", worstOwnName = "-";
        double worstGrad = 0, worstOwn = 0;
        boolean verbose = verbose();
        for (Map.Entry<String, float[]> e : cpuGrad.entrySet()) {
            double rel = normwise(e.getValue(), devGrad.get(e.getKey()), floor);
            double own = driftGrad == null ? 0 : normwise(e.getValue(), driftGrad.get(e.getKey()), floor);
            boolean bad = !(rel <= tol) && !(rel <= DRIFT_FACTOR * own);
            if (bad) failed++;
            if (bad || verbose)
                out.printf(Locale.ROOT, "0     gradient of %s: %.2e%s%s%n", e.getKey(), rel,
                        driftGrad == null ? "" : String.format(Locale.ROOT, " (the CPU's own drift %.2e)", own), bad ? "  FAIL" : "");
            if (!(rel <= worstGrad)) { worstGrad = rel; worstName = e.getKey(); }
            if (own > worstOwn) { worstOwn = own; worstOwnName = e.getKey(); }
        }
        out.printf(Locale.ROOT, "%-5s %-12s %43.2e%s  (max |diff| / max |cpu| of each of %d gradients, in FP32; worst: %s%s)%n",
                "0", "gradients", worstGrad, driftGrad == null ? "" : String.format(Locale.ROOT, "  %10.2e", worstOwn),
                cpuGrad.size(), worstName, driftGrad == null ? "" : "; the CPU's own worst: " + worstOwnName);
        worst = Math.max(worst, Double.isNaN(worstGrad) ? Double.POSITIVE_INFINITY : worstGrad);
        if (cpuAvg[0] != null) {
            double rel = normwise(cpuAvg[0], devAvg[0], 0); // over the averaged head weights
            out.printf(Locale.ROOT, "%-5s %-12s %43.2e%n", "end", "ema(" + AVERAGED + ")", rel);
            if (!(rel <= tol)) failed++;
            worst = Math.max(worst, Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel);
        }
        out.printf(Locale.ROOT, "worst relative difference %.3e (tolerance %.1e%s): %s%n", worst, tol,
                drift == null ? "" : ", or " + (int) DRIFT_FACTOR + "x the CPU's own drift for losses after step 0 and gradients",
                failed == 0 ? "PASS" : "FAIL (" + failed + " values)");
        return failed;
    }

    /** -Dautoassign.parity.verbose=true: every gradient's difference, not only the failing ones. */
    static boolean verbose() { return Boolean.getBoolean("autoassign.parity.verbose"); }

    /** How far beyond the CPU's own drift (from weights perturbed by the sensitivity) a later value may be. */
    static final double DRIFT_FACTOR = 10;

    /** The tensor whose average is compared when the config has an EMAHook. */
    static final String AVERAGED = "bbox_head.conv_cls.weight";

    static double relDiff(double a, double c) { return Math.abs(a - c) / Math.max(Math.abs(a), 1e-6); }

    /** A gradient is compared relative to at least this fraction of the largest gradient of the model. */
    static final double GRADIENT_FLOOR = 1e-4;

    /** max |b − a| / max(max |a|, floor): a difference relative to the tensor's scale, not to each element's. */
    static double normwise(float[] a, float[] b, double floor) {
        if (b == null || b.length != a.length) return Double.POSITIVE_INFINITY;
        double num = 0;
        for (int i = 0; i < a.length; i++) num = Math.max(num, Math.abs((double) b[i] - a[i]));
        double den = Math.max(maxAbs(a), floor);
        return den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : num / den;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** Each trainable parameter's gradient of the first step's loss (from the initial weights; zeros where none). */
    private static Map<String, float[]> gradients(Config cfg, Batch b, Device device, double perturb) {
        AutoAssignDetector model = model(cfg, device, perturb);
        model.backbone.setTrainingRandom(new java.util.Random(1_000)); // as step 0 of losses()
        Map<String, float[]> grads = new LinkedHashMap<>();
        try (MemoryScope ignored = MemoryScope.open()) {
            Trainer.backward(Trainer.forwardLoss(model, b.toTensor().to(device), Trainer.targets(b), LossReducer.IDENTITY), null);
            model.namedParameters().forEach((k, v) -> {
                if (v.requiresGrad()) grads.put(k, v.grad() == null ? new float[(int) v.numel()] : v.grad().toFloatArray());
                v.setGrad(null);
            });
        }
        return grads;
    }

    /**
     * The model of the config's seed-0 initialisation on {@code device}. {@code perturb} > 0 multiplies every initial
     * weight by 1 + perturb·u, u uniform in [-1, 1) (seeded).
     */
    private static AutoAssignDetector model(Config cfg, Device device, double perturb) {
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        if (perturb > 0) {
            java.util.Random r = new java.util.Random(7);
            for (Tensor t : model.namedParameters().values()) {
                float[] d = t.data();
                for (int i = 0; i < d.length; i++) d[i] *= (float) (1 + perturb * (2 * r.nextDouble() - 1));
            }
        }
        model.to(device);
        return model;
    }

    /** The losses of {@code steps} training steps (the model as {@link #model} makes it). */
    private static double[][] losses(Config cfg, Batch b, Device device, int steps, float[][] averageOut, double perturb) {
        AutoAssignDetector model = model(cfg, device, perturb);
        Optimizer optimizer = Optimizer.of(OptimizerGroups.of(model, cfg.optimWrapper()), cfg.optimWrapper());
        if (cfg.optimWrapper().accumulativeCounts() > 1) optimizer.accumulate(cfg.optimWrapper().accumulativeCounts(), 0, steps);
        WeightAverage ema = cfg.runtime().ema() == null ? null : new WeightAverage(model, cfg.runtime().ema());
        double[][] out = new double[steps][];
        for (int s = 0; s < steps; s++) {
            // stochastic layers (drop path, dropout) draw the same on both devices: one generator per step, as the trainer
            model.backbone.setTrainingRandom(new java.util.Random(1_000 + s));
            Trainer.StepLosses l = Trainer.step(model, optimizer, b, device, (float) cfg.optimWrapper().lr()); // the config's base rate, no schedule
            out[s] = new double[] {l.pos(), l.neg(), l.center()};
            if (ema != null) ema.afterIteration(s, 0);
        }
        if (ema != null) averageOut[0] = ema.tensors().get(AVERAGED).toFloatArray();
        return out;
    }
}
