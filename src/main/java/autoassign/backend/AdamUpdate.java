package autoassign.backend;

import autoassign.tensor.Tensor;

/**
 * One tensor's part of an Adam / AdamW step ({@link Backend#adamStepAll}): the parameter, its gradient, its two
 * moment buffers (same shape, same device), and the per-tensor factors the host works out in double precision as
 * torch.optim does: {@code decay = 1 − lr·wd} (AdamW's decoupled decay, 1 for Adam), {@code l2 = wd} (Adam's
 * decay folded into the gradient, 0 for AdamW), {@code stepSize = lr / (1 − β₁ᵗ)} and
 * {@code bc2Sqrt = √(1 − β₂ᵗ)} for this tensor's step count t.
 */
public record AdamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, float decay, float l2,
                         float stepSize, float bc2Sqrt) {
}
