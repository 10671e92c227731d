package autoassign.train;

import autoassign.backend.Backend;
import autoassign.config.RuntimeConfig;
import autoassign.model.AutoAssignDetector;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MMEngine's {@code EMAHook} with MMEngine's {@code ExponentialMovingAverage} or MMDetection's {@code ExpMomentumEMA}:
 * an average of every trainable tensor, updated after each iteration ({@code avg += m·(param − avg)} rounded as
 * torch's {@code lerp_}, {@link #lerp}; the first update copies), which the validation uses and the checkpoints save as the model (the
 * weights a deployment loads); {@link #swap} exchanges the averages and the model's own weights in place. With
 * {@code update_buffers} the BatchNorm running statistics are averaged as well (MMEngine averages every floating
 * buffer; {@code num_batches_tracked}, an integer there, is left to the model); without, the average is used with
 * the model's current statistics, as MMEngine's copy of the buffers at each update amounts to.
 */
final class WeightAverage {
    private final RuntimeConfig.Ema cfg;
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> averages = new LinkedHashMap<>();
    private final java.util.Set<String> buffers = new java.util.HashSet<>(); // running statistics among params
    private long steps;
    private Tensor scratch; // one persistent buffer for swapping, as large as the largest tensor

    WeightAverage(AutoAssignDetector model, RuntimeConfig.Ema cfg) {
        this.cfg = cfg;
        model.namedParameters().forEach((name, t) -> { if (t.requiresGrad()) params.put(name, t); });
        if (cfg.updateBuffers())
            model.stateDict().forEach((name, t) -> {
                if (autoassign.nn.BatchNorm2d.isRunningStatistic(name)) {
                    params.put(name, t);
                    buffers.add(name);
                }
            });
        for (var e : params.entrySet()) {
            Tensor avg = e.getValue().backend().zeros(e.getValue().shape()).keep(); // persistent: outlives every step
            copy(avg, e.getValue());
            averages.put(e.getKey(), avg);
        }
    }

    /**
     * {@code EMAHook.before_train}'s checks: {@code begin_epoch ≤ max_epochs} (1 in an IterBasedTrainLoop, whose
     * epoch stays 0 in MMEngine), else {@code begin_iter ≤ max_iters}; MMEngine stops there, so does the engine.
     *
     * @param iterLoop an IterBasedTrainLoop
     * @param maxIters the iterations of the whole run (an epoch loop's {@code max_epochs · len(train_dataloader)})
     */
    static void checkBegin(RuntimeConfig.Ema cfg, boolean iterLoop, int maxEpochs, long maxIters) {
        int epochs = iterLoop ? 1 : maxEpochs;
        if (cfg.beginEpoch() > epochs)
            throw new IllegalArgumentException("custom_hooks EMAHook.begin_epoch " + cfg.beginEpoch() + " is beyond max_epochs "
                    + epochs + (iterLoop ? " (an IterBasedTrainLoop has one epoch)" : ""));
        if (cfg.beginEpoch() == 0 && cfg.beginIter() > maxIters)
            throw new IllegalArgumentException("custom_hooks EMAHook.begin_iter " + cfg.beginIter() + " is beyond max_iters " + maxIters);
    }

    /** Updates made so far (MMEngine's {@code steps} buffer; what the checkpoint keeps). */
    long steps() { return steps; }

    /** The momentum of update number {@code step} (≥ 1). */
    double momentum(long step) {
        return cfg.expMomentum() ? (1 - cfg.momentum()) * Math.exp(-(1.0 + step) / cfg.gamma()) + cfg.momentum() : cfg.momentum();
    }

    /** After iteration {@code iter} (0-based, of the whole run) of 0-based {@code epoch}. */
    void afterIteration(long iter, int epoch) {
        boolean started = cfg.beginEpoch() > 0 ? epoch + 1 >= cfg.beginEpoch() : iter + 1 >= cfg.beginIter();
        try (MemoryScope ignored = MemoryScope.open()) {
            if (!started || steps == 0) {
                for (var e : params.entrySet()) copy(averages.get(e.getKey()), e.getValue());
            } else if (steps % cfg.interval() == 0) {
                float m = (float) momentum(steps);
                for (var e : params.entrySet()) lerp(averages.get(e.getKey()), e.getValue(), m);
            }
        }
        if (started) steps++;
    }

    /** Exchanges the averages and the model's weights (call again to undo): the model then evaluates the average. */
    void swap() {
        for (var e : params.entrySet()) {
            Tensor p = e.getValue(), avg = averages.get(e.getKey());
            Backend b = p.backend();
            if (scratch == null || scratch.numel() < p.numel()) scratch = b.zeros(largest()).keep();
            b.copyRange(scratch, 0, p, 0, p.numel());
            b.copyRange(p, 0, avg, 0, p.numel());
            b.copyRange(avg, 0, scratch, 0, p.numel());
            p.bumpVersion(); // derived caches (e.g. packed conv weights) are stale
        }
    }

    /** The tensors a checkpoint keeps beside the model file: the other side of a {@link #swap} (by parameter name). */
    Map<String, Tensor> tensors() { return averages; }

    /**
     * A resumed run: the model was loaded from the checkpoint's model file (the averages) and {@code sources} are the
     * weights it trained (saved by {@link #tensors} while swapped); null: a checkpoint without them, then the average
     * starts over from the loaded weights, as MMEngine's does.
     */
    void resume(Map<String, Tensor> sources, long savedSteps) {
        if (sources == null) {
            for (var e : params.entrySet()) copy(averages.get(e.getKey()), e.getValue());
            steps = 0;
            return;
        }
        for (var e : params.entrySet()) {
            Tensor src = sources.get(e.getKey());
            if (src == null && buffers.contains(e.getKey())) { // saved before update_buffers averaged them: start over there
                copy(averages.get(e.getKey()), e.getValue());
                continue;
            }
            if (src == null) throw new IllegalArgumentException("the checkpoint's average has no weights for " + e.getKey());
            copy(averages.get(e.getKey()), e.getValue()); // the model file holds the average
            e.getValue().copyFrom(src);                    // and the state file the trained weights
        }
        steps = savedSteps;
    }

    private int largest() {
        long n = 0;
        for (Tensor p : params.values()) n = Math.max(n, p.numel());
        return Math.toIntExact(n);
    }

    private static void copy(Tensor dst, Tensor src) {
        dst.backend().copyRange(dst, 0, src, 0, src.numel());
    }

    /**
     * {@code avg.lerp_(src, m)} as torch rounds it in float32 (MMEngine 0.10's {@code ExponentialMovingAverage} and
     * MMDetection's {@code ExpMomentumEMA} both call it): {@code fma(m, src − avg, avg)} for a weight below 0.5, else
     * {@code fma(m − 1, src − avg, src)} (ATen's {@code lerp_vec} and its scalar twin, one rounding each; bit-exact to
     * torch 1.13 on the CPU, {@code goldens/ema}). ExpMomentumEMA's weight starts near 1 and stays above 0.5 for
     * its first ~gamma·ln 2 updates. Off the CPU the backend's separate multiply and add round twice (an ulp apart).
     */
    static void lerp(Tensor avg, Tensor src, float m) {
        boolean small = Math.abs(m) < 0.5f;
        if (avg.isCpu() && src.isCpu()) {
            float[] a = avg.data(), s = src.data();
            if (small) for (int i = 0; i < a.length; i++) a[i] = Math.fma(m, s[i] - a[i], a[i]);
            else {
                float c = m - 1f;
                for (int i = 0; i < a.length; i++) a[i] = Math.fma(c, s[i] - a[i], s[i]);
            }
            return;
        }
        Backend b = avg.backend();
        Tensor diff = b.add(src, b.mulScalar(avg, -1f));
        if (small) b.addInPlace(avg, b.mulScalar(diff, m));
        else copy(avg, b.add(src, b.mulScalar(diff, m - 1f)));
    }
}
