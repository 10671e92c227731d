package autoassign.nn;

import autoassign.autograd.F;
import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;

/** 2-d convolution with weight [out, in, k, k] and optional bias [out]. */
public final class Conv2d extends Module {
    public final Tensor weight;
    public final Tensor bias;
    public final ConvParams geometry;

    public Conv2d(int in, int out, int kernel, int stride, int pad, int dilation, boolean withBias) {
        if (in <= 0 || out <= 0 || kernel <= 0)
            throw new IllegalArgumentException("Conv2d: invalid sizes in=" + in + " out=" + out + " kernel=" + kernel);
        this.geometry = ConvParams.of(stride, pad, dilation);
        this.weight = param("weight", Tensor.zeros(out, in, kernel, kernel));
        this.bias = withBias ? param("bias", Tensor.zeros(out)) : null;
    }

    public Conv2d(int in, int out, int kernel, int stride, int pad, boolean withBias) {
        this(in, out, kernel, stride, pad, 1, withBias);
    }

    public Tensor forward(Tensor x) { return F.conv2d(x, weight, bias, geometry); }
}
