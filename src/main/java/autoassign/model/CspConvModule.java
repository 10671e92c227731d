package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMCV's {@code ConvModule} as the YOLOX-family modules build it: {@code conv} (no bias: there is always a norm),
 * {@code bn} / {@code gn}, then the activation of {@code act_cfg} (Swish, ReLU, LeakyReLU or none) as
 * {@code activate}, which has no parameters.
 */
public final class CspConvModule extends Module implements SingleInputLayer {
    public final Conv2d conv;
    public final Module norm;
    public final ActivationConfig act;

    public CspConvModule(int in, int out, int kernel, int stride, int pad, int groups, NormConfig norm, ActivationConfig act) {
        this.conv = child("conv", new Conv2d(in, out, kernel, stride, pad, 1, groups, false));
        this.norm = child(Norms.abbr(norm), Norms.build(norm, out));
        this.act = act;
    }

    /** A k×k conv with padding (k − 1) / 2 and groups 1. */
    public CspConvModule(int in, int out, int kernel, int stride, NormConfig norm, ActivationConfig act) {
        this(in, out, kernel, stride, (kernel - 1) / 2, 1, norm, act);
    }

    @Override public Tensor forward(Tensor x) {
        Tensor y = Norms.convNormAct(conv, norm, x, null, act.isRelu());
        if (act.type() == null || act.isRelu()) return y;
        Tensor r = act.isSwish() ? F.swish(y) : F.leakyRelu(y, (float) act.negativeSlope());
        MemoryScope.dispose(y);
        return r;
    }
}
