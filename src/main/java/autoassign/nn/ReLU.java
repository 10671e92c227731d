package autoassign.nn;

import autoassign.autograd.F;
import autoassign.tensor.Tensor;

/**
 * PyTorch's {@code nn.ReLU}: no parameters; it exists so that a Sequential's indices match upstream's (the deep
 * stem {@code [conv, norm, ReLU] × 3} names its layers {@code stem.0, stem.1, stem.3, stem.4, stem.6, stem.7}).
 */
public final class ReLU extends Module {
    public Tensor forward(Tensor x) { return F.relu(x); }
}
