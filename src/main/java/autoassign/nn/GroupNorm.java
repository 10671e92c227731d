package autoassign.nn;

import autoassign.autograd.F;
import autoassign.tensor.Tensor;

/** GroupNorm with per-channel affine (weight 1, bias 0 at init). */
public final class GroupNorm extends Module {
    public final int groups;
    public final float eps;
    public final Tensor weight, bias;

    public GroupNorm(int groups, int channels, float eps) {
        if (groups <= 0 || channels % groups != 0)
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels cannot be split into " + groups + " groups");
        this.groups = groups;
        this.eps = eps;
        weight = param("weight", Tensor.full(1f, channels));
        bias = param("bias", Tensor.zeros(channels));
    }

    public Tensor forward(Tensor x) { return F.groupNorm(x, weight, bias, groups, eps); }

    /** GroupNorm then ReLU (in place on the output) when {@code relu}. */
    public Tensor forward(Tensor x, boolean relu) { return F.groupNormAct(x, weight, bias, groups, eps, relu); }
}
