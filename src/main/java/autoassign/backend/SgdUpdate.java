package autoassign.backend;

import autoassign.tensor.Tensor;

/**
 * One tensor's part of an SGD step ({@link Backend#sgdStepAll}): the parameter, its gradient and momentum buffer
 * (same shape, same device), its weight decay, and whether this is its first step (the buffer is then set, not
 * accumulated).
 */
public record SgdUpdate(Tensor param, Tensor grad, Tensor momentumBuf, float weightDecay, boolean firstStep) {
}
