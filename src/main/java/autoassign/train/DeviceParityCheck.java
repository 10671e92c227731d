package autoassign.train;

import autoassign.backend.DeviceSelector;
import autoassign.config.Config;
import autoassign.config.ConfigLoader;
import autoassign.data.Batch;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.Device;

import java.util.List;
import java.util.Locale;

/**
 * Trains the same model from the same initial weights on the same batch for a few steps on the CPU and on another
 * device, and prints the losses side by side: the end-to-end check that the CUDA backend trains like the CPU
 * reference. Usage: {@code DeviceParityCheck [config] [device] [steps] [HxW] [batch] [tolerance] [key=value ...]}
 * (config overrides last, as {@code train}'s); exits 1 when a loss differs by more than the relative tolerance
 * (default 1e-2, which TF32 convolutions need). The config's optimizer wrapper is used as training uses it
 * ({@code paramwise_cfg}, {@code clip_grad}, {@code accumulative_counts}), and with an {@code EMAHook} the averages
 * of both devices are compared at the end too.
 */
public final class DeviceParityCheck {
    private DeviceParityCheck() {}

    public static void main(String[] args) {
        String cfgName = args.length > 0 ? args[0] : "autoassign_tiny_synthetic";
        String devName = args.length > 1 ? args[1] : "cuda";
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        String[] hw = (args.length > 3 ? args[3] : "256x256").split("x");
        int batch = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        double tol = args.length > 5 ? Double.parseDouble(args[5]) : 1e-2;
        List<String> overrides = args.length > 6 ? List.of(args).subList(6, args.length) : List.of();
        Config cfg = ConfigLoader.loadNamed(cfgName, overrides);
        autoassign.backend.cuda.CudaOptions.useConfig(cfg.runtime().cudnnBenchmark(), cfg.runtime().deterministic());
        Device dev = DeviceSelector.select(devName, System.out::println);
        int h = Integer.parseInt(hw[0]), w = Integer.parseInt(hw[1]);
        Batch b = StepBenchmark.randomBatch(batch, h, w, cfg.model().bboxHead().numClasses(), 0);
        float[][] cpuAvg = new float[1][], devAvg = new float[1][];
        double[][] cpu = losses(cfg, b, Device.CPU, steps, cpuAvg), other = losses(cfg, b, dev, steps, devAvg);
        System.out.printf(Locale.ROOT, "%-5s %-12s %14s %14s %10s%n", "step", "term", "cpu", dev, "rel.diff");
        String[] names = {"loss_pos", "loss_neg", "loss_center"};
        double worst = 0;
        for (int s = 0; s < steps; s++)
            for (int t = 0; t < 3; t++) {
                double a = cpu[s][t], c = other[s][t], rel = Math.abs(a - c) / Math.max(Math.abs(a), 1e-6);
                worst = Math.max(worst, Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel);
                System.out.printf(Locale.ROOT, "%-5d %-12s %14.7f %14.7f %10.2e%n", s, names[t], a, c, rel);
            }
        if (cpuAvg[0] != null) {
            double num = 0, den = 0; // normwise: max |dev − cpu| / max |cpu| over the averaged head weights
            for (int i = 0; i < cpuAvg[0].length; i++) {
                num = Math.max(num, Math.abs(devAvg[0][i] - cpuAvg[0][i]));
                den = Math.max(den, Math.abs(cpuAvg[0][i]));
            }
            double rel = num / Math.max(den, 1e-12);
            System.out.printf(Locale.ROOT, "%-5s %-12s %43.2e%n", "end", "ema(" + AVERAGED + ")", rel);
            worst = Math.max(worst, Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel);
        }
        System.out.printf(Locale.ROOT, "worst relative difference %.3e (tolerance %.1e): %s%n", worst, tol, worst <= tol ? "PASS" : "FAIL");
        System.exit(worst <= tol ? 0 : 1);
    }

    /** The tensor whose average is compared when the config has an EMAHook. */
    static final String AVERAGED = "bbox_head.conv_cls.weight";

    private static double[][] losses(Config cfg, Batch b, Device device, int steps, float[][] averageOut) {
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        model.to(device);
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
