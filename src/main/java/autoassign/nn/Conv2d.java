package autoassign.nn;

import autoassign.autograd.F;
import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;

/**
 * 2-d convolution with weight [out, in/groups, k, k] and optional bias [out] (PyTorch's {@code nn.Conv2d}; groups
 * &gt; 1 splits the channels into independent convolutions, ResNeXt's grouped 3×3). The weight starts at zero: the
 * model's initialiser fills it, and {@link Init}'s fans read the shape, so a grouped weight gets PyTorch's fan_in
 * {@code in/groups·k·k} (and fan_out {@code out·k·k}).
 */
public final class Conv2d extends Module {
    public final Tensor weight;
    public final Tensor bias;
    public final ConvParams geometry;

    public Conv2d(int in, int out, int kernel, int stride, int pad, int dilation, int groups, boolean withBias) {
        if (in <= 0 || out <= 0 || kernel <= 0)
            throw new IllegalArgumentException("Conv2d: invalid sizes in=" + in + " out=" + out + " kernel=" + kernel);
        if (groups < 1 || in % groups != 0 || out % groups != 0)
            throw new IllegalArgumentException("Conv2d: in=" + in + " and out=" + out + " channels must both be divisible by groups="
                    + groups);
        this.geometry = ConvParams.of(stride, pad, dilation).withGroups(groups);
        this.weight = param("weight", Tensor.zeros(out, in / groups, kernel, kernel));
        this.bias = withBias ? param("bias", Tensor.zeros(out)) : null;
    }

    public Conv2d(int in, int out, int kernel, int stride, int pad, int dilation, boolean withBias) {
        this(in, out, kernel, stride, pad, dilation, 1, withBias);
    }

    public Conv2d(int in, int out, int kernel, int stride, int pad, boolean withBias) {
        this(in, out, kernel, stride, pad, 1, withBias);
    }

    public int groups() { return geometry.groups(); }

    public Tensor forward(Tensor x) { return F.conv2d(x, weight, bias, geometry); }
}
