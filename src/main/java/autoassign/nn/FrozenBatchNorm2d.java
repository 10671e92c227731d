package autoassign.nn;

import autoassign.autograd.F;
import autoassign.tensor.Tensor;

/**
 * BatchNorm in eval mode with frozen statistics: y = (x − mean)/sqrt(var + eps)·weight + bias, applied as a
 * per-channel affine. weight/bias are parameters (named as in PyTorch) that never receive gradients.
 */
public final class FrozenBatchNorm2d extends Module {
    public static final float EPS = 1e-5f;
    public final Tensor weight, bias, runningMean, runningVar;
    /** PyTorch's {@code num_batches_tracked} (an int64 scalar there, 0-dim float here): kept so that state
     *  dicts have MMDetection's key set (AA_2 §6); never read. */
    public final Tensor numBatchesTracked;

    public FrozenBatchNorm2d(int channels) {
        weight = param("weight", Tensor.full(1f, channels));
        bias = param("bias", Tensor.zeros(channels));
        runningMean = buffer("running_mean", Tensor.zeros(channels));
        runningVar = buffer("running_var", Tensor.full(1f, channels));
        numBatchesTracked = buffer("num_batches_tracked", Tensor.of(new float[1]));
        freeze();
    }

    /** scale/shift on one device, with the versions of the four tensors they were computed from. */
    private record Affine(autoassign.tensor.Device device, int[] versions, Tensor scale, Tensor shift) {}

    private volatile Affine cached;

    public Tensor forward(Tensor x) {
        Tensor[] ss = scaleShift(x);
        return F.channelAffine(x, ss[0], ss[1]);
    }

    /**
     * The per-channel {scale, shift} on {@code x}'s device (for layers that fuse the affine, {@code F.convAffineAct}). On an accelerator they are computed once and cached
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
        int c = weight.numel();
        float[] w = weight.toFloatArray(), b = bias.toFloatArray(), m = runningMean.toFloatArray(), v = runningVar.toFloatArray();
        float[] scale = new float[c], shift = new float[c];
        for (int i = 0; i < c; i++) {
            scale[i] = (float) (w[i] / Math.sqrt((double) v[i] + EPS));
            shift[i] = b[i] - m[i] * scale[i];
        }
        Tensor st = x.backend().fromHost(scale, c), sh = x.backend().fromHost(shift, c);
        if (!dev.isCpu()) {
            // persistent (outlives the memory scope of the step that first needs it); a replaced pair is left to
            // the GC, since a tape recorded before the change may still hold it
            st.keep();
            sh.keep();
            cached = new Affine(dev, versions, st, sh);
        }
        return new Tensor[] {st, sh};
    }
}
