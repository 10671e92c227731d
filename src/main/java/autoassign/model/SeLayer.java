package autoassign.model;

import autoassign.autograd.F;
import autoassign.autograd.SpatialMean;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMDetection's {@code SELayer} ({@code mmdet/models/layers/se_layer.py}): global average pool, {@code conv1} (1×1
 * with bias, channels → int(channels / ratio), first activation), {@code conv2} (1×1 with bias, back to channels,
 * Sigmoid), then x times that per (sample, channel) weight. The convs are plain nn.Conv2d ConvModules without a norm
 * (EfficientNet passes no conv_cfg to its SE layers).
 */
public final class SeLayer extends autoassign.nn.Module {
    public final AdaptiveConvModule conv1, conv2;
    /** Upstream's {@code global_avgpool} (nn.AdaptiveAvgPool2d(1)): no parameters; a module for its name (FLOPs). */
    public final GlobalAvgPool globalAvgpool;

    /** nn.AdaptiveAvgPool2d(1): computed by {@link SpatialMean}. */
    public static final class GlobalAvgPool extends autoassign.nn.Module {}

    SeLayer(int channels, int squeeze, String act, float negativeSlope) {
        this.globalAvgpool = child("global_avgpool", new GlobalAvgPool());
        this.conv1 = child("conv1", new AdaptiveConvModule(channels, squeeze, 1, 1, 1, false, null, act, negativeSlope));
        this.conv2 = child("conv2", new AdaptiveConvModule(squeeze, channels, 1, 1, 1, false, null, AdaptiveConvModule.SIGMOID, 0f));
    }

    public Tensor forward(Tensor x) {
        Tensor pooled = SpatialMean.of(x);
        Tensor a = conv1.forward(pooled);
        MemoryScope.dispose(pooled);
        Tensor w = conv2.forward(a);
        MemoryScope.dispose(a);
        return F.rowScale(x, w); // x * out: each (n, c) plane times its weight
    }
}
