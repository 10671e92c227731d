package autoassign.model;

import autoassign.autograd.F;
import autoassign.autograd.SpatialMean;
import autoassign.nn.Conv2d;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMDetection 3.3.0's {@code ChannelAttention} ({@code mmdet/models/layers/se_layer.py}), CSPNeXt's gate before each
 * CSPLayer's final conv: {@code global_avgpool} ({@code nn.AdaptiveAvgPool2d(1)}, no parameters), {@code fc} (1×1
 * {@code nn.Conv2d} with bias, channels to channels), {@code act} (torch's {@code nn.Hardsigmoid}, not MMCV's
 * HSigmoid: {@link F#hardsigmoid}), then {@code x * out} broadcast over H·W. Upstream runs the pooling with CUDA
 * autocast off, which changes nothing in float32.
 */
public final class ChannelAttention extends Module implements SingleInputLayer {
    /** Upstream's {@code global_avgpool} (nn.AdaptiveAvgPool2d(1), registered before fc): no parameters; a module for its name (FLOPs). */
    public final SeLayer.GlobalAvgPool globalAvgpool;
    public final Conv2d fc;

    public ChannelAttention(int channels) {
        globalAvgpool = child("global_avgpool", new SeLayer.GlobalAvgPool());
        fc = child("fc", new Conv2d(channels, channels, 1, 1, 0, 1, 1, true));
    }

    @Override public Tensor forward(Tensor x) {
        Tensor pooled = SpatialMean.of(x);
        Tensor z = fc.forward(pooled);
        MemoryScope.dispose(pooled);
        Tensor gate = F.hardsigmoid(z);
        MemoryScope.dispose(z);
        Tensor y = F.rowScale(x, gate);
        MemoryScope.dispose(gate);
        return y;
    }
}
