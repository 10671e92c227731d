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

    public Tensor forward(Tensor x) {
        int c = weight.numel();
        float[] w = weight.toFloatArray(), b = bias.toFloatArray(), m = runningMean.toFloatArray(), v = runningVar.toFloatArray();
        float[] scale = new float[c], shift = new float[c];
        for (int i = 0; i < c; i++) {
            scale[i] = (float) (w[i] / Math.sqrt((double) v[i] + EPS));
            shift[i] = b[i] - m[i] * scale[i];
        }
        return F.channelAffine(x, x.backend().fromHost(scale, c), x.backend().fromHost(shift, c));
    }
}
