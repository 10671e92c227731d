package autoassign.model;

import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMCV's {@code DepthwiseSeparableConvModule} (its {@code dw_norm_cfg} / {@code pw_norm_cfg} and act configs left
 * at 'default', as MMDetection's CSPDarknet and YOLOXPAFPN build it): {@code depthwise_conv} (k×k, groups = in
 * channels, the stride and padding) then {@code pointwise_conv} (1×1 to the out channels), each a ConvModule with
 * the norm and activation.
 */
public final class DepthwiseSeparableConvModule extends Module implements SingleInputLayer {
    public final CspConvModule depthwiseConv, pointwiseConv;

    public DepthwiseSeparableConvModule(int in, int out, int kernel, int stride, int pad, NormConfig norm, ActivationConfig act) {
        depthwiseConv = child("depthwise_conv", new CspConvModule(in, in, kernel, stride, pad, in, norm, act));
        pointwiseConv = child("pointwise_conv", new CspConvModule(in, out, 1, 1, 0, 1, norm, act));
    }

    /** A ConvModule or, with {@code depthwise}, this module: what upstream's {@code conv = ... if use_depthwise else ...} picks. */
    static Module conv(boolean depthwise, int in, int out, int kernel, int stride, int pad, NormConfig norm, ActivationConfig act) {
        return depthwise ? new DepthwiseSeparableConvModule(in, out, kernel, stride, pad, norm, act)
                : new CspConvModule(in, out, kernel, stride, pad, 1, norm, act);
    }

    @Override public Tensor forward(Tensor x) {
        Tensor d = depthwiseConv.forward(x);
        Tensor y = pointwiseConv.forward(d);
        MemoryScope.dispose(d);
        return y;
    }
}
