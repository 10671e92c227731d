package autoassign.nn;

import autoassign.autograd.ChannelSlices;
import autoassign.autograd.DeformConvOps;
import autoassign.autograd.F;
import autoassign.backend.ConvParams;
import autoassign.backend.DeformConvParams;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.Random;

/**
 * MMCV's {@code DeformConv2dPack} (registered as conv type {@code DCN}) or, {@code modulated}, its
 * {@code ModulatedDeformConv2dPack} ({@code DCNv2}): a k×k deformable convolution whose offsets (and mask) come from
 * its own plain conv {@code conv_offset} (same kernel, stride, padding and dilation, with bias) on the same input.
 * DCN: {@code conv_offset} gives deform_groups·2·k·k channels, the offsets. DCNv2: deform_groups·3·k·k channels,
 * chunked in three along the channels: offset = cat(first, second), mask = sigmoid(third). State-dict names as
 * upstream: {@code weight [out, in/groups, k, k]}, {@code bias} (DCNv2 with bias only: MMCV's DCN has none),
 * {@code conv_offset.weight}, {@code conv_offset.bias}. {@code conv_offset} starts at zero (MMCV's
 * {@code init_offset}): the layer starts as the plain conv.
 */
public final class DeformConv2dPack extends Module {
    public final Tensor weight;
    public final Tensor bias;
    public final Conv2d convOffset;
    public final boolean modulated;
    public final DeformConvParams params;
    public final int kernel;

    public DeformConv2dPack(int in, int out, int kernel, int stride, int pad, int dilation, int groups, int deformGroups,
                            boolean modulated, boolean withBias) {
        if (in <= 0 || out <= 0 || kernel <= 0)
            throw new IllegalArgumentException("DeformConv2dPack: invalid sizes in=" + in + " out=" + out + " kernel=" + kernel);
        if (groups < 1 || in % groups != 0 || out % groups != 0)
            throw new IllegalArgumentException("DeformConv2dPack: in=" + in + " and out=" + out + " channels must both be divisible by groups=" + groups);
        if (deformGroups < 1 || in % deformGroups != 0)
            throw new IllegalArgumentException("DeformConv2dPack: in=" + in + " channels must be divisible by deform_groups=" + deformGroups);
        if (withBias && !modulated) throw new IllegalArgumentException("DeformConv2dPack: MMCV's DCN has no bias (DCNv2 has)");
        this.modulated = modulated;
        this.kernel = kernel;
        this.params = new DeformConvParams(ConvParams.of(stride, pad, dilation).withGroups(groups), deformGroups);
        this.weight = param("weight", Tensor.zeros(out, in / groups, kernel, kernel));
        this.bias = withBias ? param("bias", Tensor.zeros(out)) : null;
        int offsetChannels = deformGroups * (modulated ? 3 : 2) * kernel * kernel;
        this.convOffset = child("conv_offset", new Conv2d(in, offsetChannels, kernel, stride, pad, dilation, true));
    }

    public int groups() { return params.conv().groups(); }

    public int deformGroups() { return params.deformGroups(); }

    /** The plain conv geometry of this layer (stride, padding, dilation, groups). */
    public ConvParams geometry() { return params.conv(); }

    /**
     * MMCV's initialisation of the weight (and bias): DCN's {@code DeformConv2d.reset_parameters} is
     * {@code kaiming_uniform_(weight, nonlinearity='relu')}, bound √(6 / fan_in) with fan_in = in/groups·k·k; DCNv2's
     * {@code ModulatedDeformConv2d.init_weights} draws uniform in ±1/√(in·k·k) (its n counts all input channels, not
     * in/groups) and zeroes the bias. {@code conv_offset} is left as it is ({@link #initOffset}).
     */
    public void resetParameters(Random rng) {
        if (modulated) {
            double stdv = 1 / Math.sqrt((double) weight.dim(1) * groups() * kernel * kernel);
            Init.uniform(weight, -stdv, stdv, rng);
            if (bias != null) Init.constant(bias, 0f);
        } else {
            double bound = Math.sqrt(6.0 / Init.fanIn(weight));
            Init.uniform(weight, -bound, bound, rng);
        }
    }

    /** MMCV's {@code init_offset}: conv_offset's weight and bias 0. */
    public void initOffset() {
        Init.constant(convOffset.weight, 0f);
        Init.constant(convOffset.bias, 0f);
    }

    public Tensor forward(Tensor x) {
        Tensor off = convOffset.forward(x);
        if (!modulated) {
            Tensor y = DeformConvOps.deformConv2d(x, off, null, weight, bias, params);
            MemoryScope.dispose(off);
            return y;
        }
        int kk = kernel * kernel;
        Tensor[] parts = ChannelSlices.split(off, 2 * deformGroups() * kk, off.dim(1) - 2 * deformGroups() * kk); // cat(o1, o2) and the mask logits
        MemoryScope.dispose(off);
        Tensor mask = F.sigmoid(parts[1]);
        MemoryScope.dispose(parts[1]);
        Tensor y = DeformConvOps.deformConv2d(x, parts[0], mask, weight, bias, params);
        MemoryScope.dispose(parts[0]);
        MemoryScope.dispose(mask);
        return y;
    }
}
