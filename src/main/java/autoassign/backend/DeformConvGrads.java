package autoassign.backend;

import autoassign.tensor.Tensor;

/**
 * The gradients of one deformable convolution ({@link Backend#deformConv2dBackward}): input [N, Cin, H, W], offset,
 * mask (null without a mask), weight [Cout, Cin/groups, kH, kW] and bias [Cout] (null without a bias).
 */
public record DeformConvGrads(Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias) {}
