package autoassign.nn;

import autoassign.autograd.F;
import autoassign.tensor.Tensor;

/**
 * BatchNorm2d. In eval mode, and always unless {@link #useBatchStatistics} (MMDetection's {@code norm_eval=True},
 * and frozen stages), it normalises with the frozen running statistics: y = (x − mean)/sqrt(var + eps)·weight + bias,
 * applied as a per-channel affine. weight/bias are parameters (named as in PyTorch); frozen (MMDetection's caffe
 * configs: {@code requires_grad=False}), or trained with the statistics still frozen ({@code requires_grad=True}:
 * MMDetection's pytorch-style default), through {@link F#batchNormAffine}. With {@code norm_eval=False} a layer of a
 * trained stage normalises in train mode with the batch's statistics ({@link F#batchNormTraining}) and folds them
 * into the running ones with {@code momentum}, as {@code torch.nn.BatchNorm2d} does.
 */
public final class BatchNorm2d extends Module {
    /** PyTorch's default {@code eps}; MMDetection's {@code norm_cfg.eps} overrides it per layer (SSDLite: 1e-3). */
    public static final float EPS = 1e-5f;
    public final Tensor weight, bias, runningMean, runningVar;
    /** PyTorch's {@code num_batches_tracked} (an int64 scalar there, 0-dim float here): kept so that state
     *  dicts have MMDetection's key set (AA_2 §6); counted in train mode with batch statistics, never read. */
    public final Tensor numBatchesTracked;

    /** PyTorch's default {@code momentum}: running = (1 − momentum)·running + momentum·batch. */
    public static final double DEFAULT_MOMENTUM = 0.1;
    private final double momentum;
    /** Added to the variance before the square root, in both modes (torch's {@code BatchNorm2d.eps}). */
    private final float eps;
    private boolean batchStatistics;
    private volatile java.util.function.UnaryOperator<double[]> acrossWorkers; // SyncBN: sums over the workers

    public BatchNorm2d(int channels) {
        this(channels, false);
    }

    /** @param trainableAffine weight and bias receive gradients */
    public BatchNorm2d(int channels, boolean trainableAffine) {
        this(channels, trainableAffine, DEFAULT_MOMENTUM);
    }

    /**
     * @param trainableAffine weight and bias receive gradients
     * @param momentum        how far one batch moves the running statistics (when they are updated at all)
     */
    public BatchNorm2d(int channels, boolean trainableAffine, double momentum) {
        this(channels, trainableAffine, momentum, EPS);
    }

    /**
     * @param trainableAffine weight and bias receive gradients
     * @param momentum        how far one batch moves the running statistics (when they are updated at all)
     * @param eps             added to the variance (MMDetection's {@code norm_cfg.eps})
     */
    public BatchNorm2d(int channels, boolean trainableAffine, double momentum, float eps) {
        if (!(eps > 0)) throw new IllegalArgumentException("BatchNorm2d: eps must be positive, got " + eps);
        this.eps = eps;
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException("BatchNorm2d: momentum must be in [0, 1], got " + momentum);
        this.momentum = momentum;
        weight = param("weight", Tensor.full(1f, channels));
        bias = param("bias", Tensor.zeros(channels));
        runningMean = buffer("running_mean", Tensor.zeros(channels));
        runningVar = buffer("running_var", Tensor.full(1f, channels));
        numBatchesTracked = buffer("num_batches_tracked", Tensor.of(new float[1]));
        if (!trainableAffine) freeze();
    }

    /** The variance epsilon. */
    public float eps() { return eps; }

    /** A state-dict name of a BatchNorm running statistic ({@code running_mean} / {@code running_var}). */
    public static boolean isRunningStatistic(String name) {
        return name.endsWith(".running_mean") || name.endsWith(".running_var");
    }

    /** True while weight or bias train (a frozen stage freezes them: then the layer is a constant affine again). */
    public boolean trainsAffine() { return weight.requiresGrad() || bias.requiresGrad(); }

    /**
     * {@code norm_eval=False} for this layer: in train mode ({@link #train}) it normalises with batch statistics and
     * updates the running ones; in eval mode it still uses the running ones.
     */
    public void useBatchStatistics(boolean on) { batchStatistics = on; }

    /**
     * SyncBN (torch's {@code SyncBatchNorm}): the batch statistics span every data-parallel worker, summed by
     * {@code allReduceSum} (host values, called the same number of times on each worker); null: this worker's alone.
     */
    public void syncBatchStatistics(java.util.function.UnaryOperator<double[]> allReduceSum) { acrossWorkers = allReduceSum; }

    /** True when the batch statistics span every data-parallel worker ({@link #syncBatchStatistics}). */
    public boolean syncsAcrossWorkers() { return acrossWorkers != null; }

    /** True when the next forward normalises with the batch's statistics (train mode and {@link #useBatchStatistics}). */
    public boolean normalisesWithBatchStatistics() { return batchStatistics && isTraining(); }

    /** scale/shift on one device, with the versions of the four tensors they were computed from. */
    private record Affine(autoassign.tensor.Device device, int[] versions, Tensor scale, Tensor shift) {}

    private volatile Affine cached;

    public Tensor forward(Tensor x) {
        if (normalisesWithBatchStatistics()) {
            F.BatchNormResult r = F.batchNormTraining(x, weight, bias, eps, acrossWorkers);
            updateRunningStatistics(r.mean(), r.biasedVar(), r.count());
            return r.y();
        }
        if (!trainsAffine()) {
            Tensor[] ss = scaleShift(x);
            return F.channelAffine(x, ss[0], ss[1]);
        }
        Tensor[] t = affine(x, true); // scale, shift and x̂'s 1/√(var + eps), −mean/√(var + eps): one read of the four
        return F.batchNormAffine(x, weight, bias, t[0], t[1], t[2], t[3]);
    }

    /**
     * torch's update in train mode: running_mean ← (1 − m)·running_mean + m·mean, running_var ← (1 − m)·running_var +
     * m·var·M/(M − 1) (the unbiased variance of the M values per channel), in double as torch's CPU kernel
     * accumulates; num_batches_tracked + 1. The writes bump the versions, so the cached eval-mode affine is recomputed.
     */
    private void updateRunningStatistics(double[] mean, double[] biasedVar, long m) {
        float[] rm = runningMean.toFloatArray(), rv = runningVar.toFloatArray();
        for (int i = 0; i < rm.length; i++) {
            rm[i] = (float) (momentum * mean[i] + (1 - momentum) * rm[i]);
            rv[i] = (float) (momentum * (biasedVar[i] * m / (m - 1)) + (1 - momentum) * rv[i]);
        }
        runningMean.copyFrom(Tensor.of(rm, rm.length));
        runningVar.copyFrom(Tensor.of(rv, rv.length));
        numBatchesTracked.copyFrom(Tensor.of(new float[] {numBatchesTracked.toFloatArray()[0] + 1}));
    }

    /**
     * The per-channel {scale, shift} on {@code x}'s device (for layers that fuse the affine, {@code F.convAffineAct}).
     * With a frozen affine, on an accelerator they are computed once and cached
     * (no host round trip per forward); recomputed when the device or a version of weight, bias or the running
     * statistics changes (loadStateDict / copyFrom / to(device) bump it). On the CPU they are recomputed on every
     * call (host arrays, cheap; and writes through {@code data()} do not bump versions).
     */
    public Tensor[] scaleShift(Tensor x) {
        autoassign.tensor.Device dev = x.device();
        int[] versions = {weight.version(), bias.version(), runningMean.version(), runningVar.version()};
        Affine a = cached;
        if (!dev.isCpu() && a != null && a.device.equals(dev) && java.util.Arrays.equals(a.versions, versions)
                && a.scale.storageBuffer() != null && !a.scale.storageBuffer().released()
                && a.shift.storageBuffer() != null && !a.shift.storageBuffer().released())
            return new Tensor[] {a.scale, a.shift};
        Tensor[] t = affine(x, false);
        // a trained affine changes every step: no cache, the pair belongs to the step's memory scope
        if (!dev.isCpu() && !trainsAffine()) {
            // persistent (outlives the memory scope of the step that first needs it); a replaced pair is left to
            // the GC, since a tape recorded before the change may still hold it
            t[0].keep();
            t[1].keep();
            cached = new Affine(dev, versions, t[0], t[1]);
        }
        return t;
    }

    /**
     * {scale, shift} (and with {@code normalization} also {1/√(var + eps), −mean/√(var + eps)}, so that
     * x̂ = x·[2] + [3], what the weight's gradient needs) on {@code x}'s device, from one read of weight, bias and
     * the statistics.
     */
    private Tensor[] affine(Tensor x, boolean normalization) {
        int c = weight.numel();
        float[] w = weight.toFloatArray(), b = bias.toFloatArray(), m = runningMean.toFloatArray(), v = runningVar.toFloatArray();
        float[] scale = new float[c], shift = new float[c], inv = new float[c], neg = new float[c];
        for (int i = 0; i < c; i++) {
            double root = Math.sqrt((double) v[i] + eps);
            scale[i] = (float) (w[i] / root);
            shift[i] = b[i] - m[i] * scale[i];
            inv[i] = (float) (1 / root);
            neg[i] = -m[i] * inv[i];
        }
        Tensor st = x.backend().fromHost(scale, c), sh = x.backend().fromHost(shift, c);
        if (!normalization) return new Tensor[] {st, sh};
        return new Tensor[] {st, sh, x.backend().fromHost(inv, c), x.backend().fromHost(neg, c)};
    }
}
