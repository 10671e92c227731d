package autoassign.nn;

import autoassign.autograd.SequenceOps;
import autoassign.tensor.Tensor;

/** PyTorch's {@code nn.Linear}: {@code weight} [out, in], {@code bias} [out] (optional); input [M, in] → [M, out]. */
public final class Linear extends Module {
    public final Tensor weight, bias;
    public final int inFeatures, outFeatures;

    public Linear(int in, int out, boolean bias) {
        this.inFeatures = in;
        this.outFeatures = out;
        this.weight = param("weight", Tensor.zeros(out, in));
        this.bias = bias ? param("bias", Tensor.zeros(out)) : null;
    }

    public Tensor forward(Tensor x) { return SequenceOps.linear(x, weight, bias); }
}
