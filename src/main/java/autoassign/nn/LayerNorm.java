package autoassign.nn;

import autoassign.autograd.SequenceOps;
import autoassign.tensor.Tensor;

/** PyTorch's {@code nn.LayerNorm(C)} (eps 1e-5, affine) over the last axis of [T, C]; weight 1, bias 0 when built. */
public final class LayerNorm extends Module {
    public final Tensor weight, bias;
    public final float eps;

    public LayerNorm(int channels, float eps) {
        this.eps = eps;
        this.weight = param("weight", Tensor.full(1f, channels));
        this.bias = param("bias", Tensor.zeros(channels));
    }

    public LayerNorm(int channels) { this(channels, 1e-5f); }

    public int channels() { return weight.numel(); }

    public Tensor forward(Tensor x) { return SequenceOps.layerNorm(x, weight, bias, eps); }
}
