package autoassign.train;

import autoassign.autograd.Graph;
import autoassign.backend.Backend;
import autoassign.config.Config;
import autoassign.data.Batch;
import autoassign.data.GroundTruth;
import autoassign.data.ImageMeta;
import autoassign.eval.Inference;
import autoassign.model.AutoAssignDetector;
import autoassign.postprocess.PostProcessConfig;
import autoassign.tensor.Device;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Times what the {@code bench} command reports: inference (forward + post-processing) or one training step
 * (forward, loss, backward, SGD) of a config at a given input size and batch, on seeded random images with
 * seeded random boxes, after warm-up; median of the timed runs and peak memory. The images are put on the device
 * once, before the runs (as in benchmarks/pytorch/autoassign_torch.py).
 */
public final class StepBenchmark {
    public enum Mode { INFER, TRAIN }

    /** The figures of one benchmark, in the JSON schema shared with the PyTorch script. */
    public record Result(String mode, String size, int batch, String device, double medianMs, double[] runsMs, long peakMemMb) {}

    private StepBenchmark() {}

    /** A batch of seeded random images (values in the range of mean-subtracted BGR pixels) and 7 random boxes each. */
    static Batch randomBatch(int batch, int h, int w, int numClasses, long seed) {
        Random rnd = new Random(seed);
        float[] px = new float[batch * 3 * h * w];
        for (int i = 0; i < px.length; i++) px[i] = rnd.nextFloat() * 250f - 120f;
        List<ImageMeta> metas = new ArrayList<>();
        List<GroundTruth> gts = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            metas.add(new ImageMeta(b, "random_" + b, b, h, w, h, w, 1f, 1f, false, h, w));
            int g = 7;
            float[] boxes = new float[4 * g];
            int[] labels = new int[g];
            for (int k = 0; k < g; k++) {
                float bw = 16 + rnd.nextFloat() * (w / 2f), bh = 16 + rnd.nextFloat() * (h / 2f);
                float x = rnd.nextFloat() * (w - bw), y = rnd.nextFloat() * (h - bh);
                boxes[4 * k] = x;
                boxes[4 * k + 1] = y;
                boxes[4 * k + 2] = x + bw;
                boxes[4 * k + 3] = y + bh;
                labels[k] = rnd.nextInt(numClasses);
            }
            gts.add(new GroundTruth(boxes, labels, new float[0], new int[0]));
        }
        return new Batch(px, new int[] {batch, 3, h, w}, metas, gts);
    }

    public static Result run(Config cfg, Mode mode, int h, int w, int batch, int warmup, int runs, Device device) {
        if (h % 32 != 0 || w % 32 != 0) throw new IllegalArgumentException("bench: size " + h + "x" + w + " must be a multiple of 32 (padded input)");
        AutoAssignDetector model = new AutoAssignDetector(cfg.model(), 0);
        model.to(device);
        Backend be = autoassign.backend.Backends.of(model.device());
        Batch b = randomBatch(batch, h, w, cfg.model().bboxHead().numClasses(), 0);
        Optimizer optimizer = Optimizer.of(OptimizerGroups.of(model, cfg.optimWrapper()), cfg.optimWrapper());
        PostProcessConfig post = Inference.postProcessConfig(cfg.model().testCfg());
        // inputs uploaded once, before timing, as the PyTorch script does (in training the next batch's upload
        // overlaps the previous step's queued backward); outside every memory scope: it outlives the runs
        Tensor images = b.toTensor().to(device);
        autoassign.loss.GroundTruth[] gts = Trainer.targets(b);
        double[] times = new double[runs];
        for (int i = 0; i < warmup + runs; i++) {
            if (i == warmup) resetPeaks(be);
            long t0 = System.nanoTime();
            // one memory scope per run (Trainer.step and Inference.predict also open their own): nothing of a run
            // outlives it but the optimizer's momentum and the model's caches, which are kept
            try (MemoryScope ignored = MemoryScope.open()) {
                if (mode == Mode.TRAIN) {
                    Trainer.StepLosses l = Trainer.step(model, optimizer, images, gts, 1e-4f);
                    if (l.badTerm() != null) throw new IllegalStateException("bench: non-finite " + l.badTerm());
                } else {
                    Inference.predict(model, images, b.metas(), post);
                }
            }
            be.synchronize();
            if (i >= warmup) times[i - warmup] = (System.nanoTime() - t0) / 1e6;
        }
        Graph.clear();
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        double median = runs == 0 ? Double.NaN : runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
        long peak = be.peakMemoryBytes();
        if (peak < 0) peak = heapPeakBytes();
        return new Result(mode.name().toLowerCase(java.util.Locale.ROOT), h + "x" + w, batch, device.toString(), median, times, peak >> 20);
    }

    private static void resetPeaks(Backend be) {
        be.resetPeakMemory();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
    }

    /** Peak JVM heap use since the last reset (the CPU backend keeps every tensor on the heap). */
    private static long heapPeakBytes() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) sum += p.getPeakUsage().getUsed();
        return sum;
    }
}
