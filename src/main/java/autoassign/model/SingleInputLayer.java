package autoassign.model;

import autoassign.tensor.Tensor;

/** A layer of one input and one output (the members of CSPDarknet's {@code nn.Sequential} stages). */
public interface SingleInputLayer {
    Tensor forward(Tensor x);
}
