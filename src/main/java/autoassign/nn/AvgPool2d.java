package autoassign.nn;

import autoassign.autograd.F;
import autoassign.backend.AvgPool2dParams;
import autoassign.tensor.Tensor;

/**
 * PyTorch's {@code nn.AvgPool2d} (no parameters, no state-dict entries; it still takes its index in a Sequential,
 * as ResLayer's {@code avg_down} downsample {@code [AvgPool2d, conv, norm]} does: {@code downsample.1.weight}).
 */
public final class AvgPool2d extends Module {
    public final AvgPool2dParams params;

    public AvgPool2d(AvgPool2dParams params) { this.params = params; }

    public Tensor forward(Tensor x) { return F.avgPool2d(x, params); }
}
