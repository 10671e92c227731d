package autoassign.autograd;

import autoassign.tensor.Tensor;

/** The backward of one recorded op: output gradients (null where none arrived) → input gradients (null where not needed). */
@FunctionalInterface
public interface Backward {
    Tensor[] apply(Tensor[] gradOutputs);
}
