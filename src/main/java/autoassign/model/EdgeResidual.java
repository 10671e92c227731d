package autoassign.model;

import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMDetection's {@code EdgeResidual} ({@code mmdet/models/backbones/efficientnet.py}, EfficientNet-EdgeTPU):
 * {@code conv1} (k×k, stride 1, in → mid, activation), {@code se} (optional {@link SeLayer}), {@code conv2} (1×1 with
 * the block's stride, mid → out, no activation); x + drop_path(out) when the stride is 1, the channels are kept and
 * with_residual holds.
 */
public final class EdgeResidual extends autoassign.nn.Module {
    public final AdaptiveConvModule conv1, conv2;
    public final SeLayer se;
    public final boolean residual;
    public final double dropPathRate;
    private final EfficientNet owner;

    EdgeResidual(EfficientNet owner, autoassign.config.EfficientNetConfig.Block b) {
        var c = owner.config();
        this.owner = owner;
        this.residual = b.residual();
        this.dropPathRate = b.dropPathRate();
        this.conv1 = child("conv1", new AdaptiveConvModule(b.in(), b.mid(), b.kernel(), 1, 1, c.adaptivePadding(), c.normCfg(), c.act()));
        this.se = b.seChannels() > 0
                ? child("se", new SeLayer(b.mid(), b.seChannels(), c.act().type(), (float) c.act().negativeSlope())) : null;
        this.conv2 = child("conv2", new AdaptiveConvModule(b.mid(), b.out(), 1, b.stride(), 1, c.adaptivePadding(), c.normCfg(),
                (autoassign.config.ActivationConfig) null));
    }

    public Tensor forward(Tensor x) {
        Tensor y = conv1.forward(x);
        if (se != null) {
            Tensor s = se.forward(y);
            MemoryScope.dispose(y);
            y = s;
        }
        Tensor out = conv2.forward(y);
        MemoryScope.dispose(y);
        return residual ? owner.residual(x, out, dropPathRate, isTraining()) : out;
    }
}
