package autoassign.model;

import autoassign.config.NormConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

/**
 * MMCV's {@code ConvModule}: {@code conv} → optional norm ({@code gn}/{@code bn}) → optional ReLU, with the
 * same child names ({@code lateral_convs.0.conv.weight}, {@code cls_convs.0.gn.weight}).
 */
public final class ConvModule extends Module {
    public final Conv2d conv;
    public final Module norm; // null when absent
    public final boolean relu;

    public ConvModule(int in, int out, int kernel, int stride, int pad, boolean bias, NormConfig norm, boolean relu) {
        this.conv = child("conv", new Conv2d(in, out, kernel, stride, pad, bias));
        this.norm = norm == null ? null : child(Norms.abbr(norm), Norms.build(norm, out));
        this.relu = relu;
    }

    public Tensor forward(Tensor x) { return Norms.convNormAct(conv, norm, x, null, relu); }
}
