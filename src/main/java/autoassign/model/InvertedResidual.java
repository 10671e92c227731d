package autoassign.model;

import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMDetection's {@code InvertedResidual} of {@code mmdet/models/layers/inverted_residual.py} (EfficientNet's MBConv):
 * {@code expand_conv} (1×1, when mid ≠ in), {@code depthwise_conv} (k×k, the stride, groups = mid), {@code se}
 * (optional {@link SeLayer}), {@code linear_conv} (1×1, no activation); x + drop_path(out) when the stride is 1 and
 * the channels are kept. (MobileNetV2 has its own copy without SE and drop path: {@link MobileNetV2.InvertedResidual}.)
 */
public final class InvertedResidual extends autoassign.nn.Module {
    public final AdaptiveConvModule expandConv, depthwiseConv, linearConv;
    public final SeLayer se;
    public final boolean residual;
    public final double dropPathRate;
    private final EfficientNet owner;

    InvertedResidual(EfficientNet owner, autoassign.config.EfficientNetConfig.Block b) {
        var c = owner.config();
        this.owner = owner;
        this.residual = b.residual();
        this.dropPathRate = b.dropPathRate();
        this.expandConv = b.expandConv()
                ? child("expand_conv", new AdaptiveConvModule(b.in(), b.mid(), 1, 1, 1, c.adaptivePadding(), c.normCfg(), c.act()))
                : null;
        this.depthwiseConv = child("depthwise_conv", new AdaptiveConvModule(b.mid(), b.mid(), b.kernel(), b.stride(), b.mid(),
                c.adaptivePadding(), c.normCfg(), c.act()));
        this.se = b.seChannels() > 0
                ? child("se", new SeLayer(b.mid(), b.seChannels(), c.act().type(), (float) c.act().negativeSlope())) : null;
        this.linearConv = child("linear_conv", new AdaptiveConvModule(b.mid(), b.out(), 1, 1, 1, c.adaptivePadding(), c.normCfg(),
                (autoassign.config.ActivationConfig) null));
    }

    public Tensor forward(Tensor x) {
        Tensor y = expandConv == null ? x : expandConv.forward(x);
        Tensor d = depthwiseConv.forward(y);
        if (y != x) MemoryScope.dispose(y);
        if (se != null) {
            Tensor s = se.forward(d);
            MemoryScope.dispose(d);
            d = s;
        }
        Tensor out = linearConv.forward(d);
        MemoryScope.dispose(d);
        return residual ? owner.residual(x, out, dropPathRate, isTraining()) : out;
    }
}
