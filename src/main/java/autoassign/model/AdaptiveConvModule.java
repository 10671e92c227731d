package autoassign.model;

import autoassign.autograd.F;
import autoassign.backend.ConvParams;
import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.Conv2d;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMCV's {@code ConvModule} as EfficientNet builds it: {@code conv} ({@code Conv2dAdaptivePadding} — TensorFlow's
 * "same" padding, {@link AdaptivePadding} — or nn.Conv2d with padding k // 2), {@code bn} when there is a norm (then
 * no conv bias; without one, as in the SE layer, a bias), then the activation: Swish, ReLU, LeakyReLU, Sigmoid (the
 * SE layer's second) or none. The activation has no parameters.
 */
public final class AdaptiveConvModule extends Module {
    /** The activation kinds beyond {@link ActivationConfig}'s. */
    public static final String SIGMOID = "Sigmoid";

    public final Conv2d conv;
    /** BatchNorm2d, or null. */
    public final BatchNorm2d norm;
    /** "Swish", "ReLU", "LeakyReLU", "Sigmoid", or null: none. */
    public final String act;
    public final float negativeSlope;
    public final boolean adaptivePadding;
    public final int stride;

    AdaptiveConvModule(int in, int out, int kernel, int stride, int groups, boolean adaptivePadding, NormConfig norm,
                       String act, float negativeSlope) {
        this.adaptivePadding = adaptivePadding;
        this.stride = stride;
        this.conv = child("conv", new Conv2d(in, out, kernel, stride, adaptivePadding ? 0 : kernel / 2, 1, groups, norm == null));
        this.norm = norm == null ? null : child(Norms.abbr(norm), (BatchNorm2d) Norms.build(norm, out));
        this.act = act;
        this.negativeSlope = negativeSlope;
    }

    AdaptiveConvModule(int in, int out, int kernel, int stride, int groups, boolean adaptivePadding, NormConfig norm,
                       ActivationConfig act) {
        this(in, out, kernel, stride, groups, adaptivePadding, norm, act == null ? null : act.type(),
                act == null ? 0f : (float) act.negativeSlope());
    }

    public int kernel() { return conv.weight.dim(2); }

    public int outChannels() { return conv.weight.dim(0); }

    /** The padding (top, bottom, left, right) for an input of h × w. */
    public int[] padding(int h, int w) {
        int k = kernel();
        if (!adaptivePadding) return new int[] {k / 2, k / 2, k / 2, k / 2};
        int[] ph = AdaptivePadding.pads(h, k, stride, 1), pw = AdaptivePadding.pads(w, k, stride, 1);
        return new int[] {ph[0], ph[1], pw[0], pw[1]};
    }

    public Tensor forward(Tensor x) {
        Tensor weight = conv.weight;
        ConvParams p = conv.geometry;
        if (adaptivePadding) {
            AdaptivePadding.Plan plan = AdaptivePadding.plan(conv.weight, x.dim(2), x.dim(3), stride, conv.groups());
            weight = plan.weight();
            p = plan.params();
        }
        boolean relu = ActivationConfig.RELU.equals(act);
        Tensor y;
        if (norm == null || !norm.trainsAffine() && !norm.normalisesWithBatchStatistics()) {
            Tensor[] ss = norm == null ? new Tensor[2] : norm.scaleShift(x);
            y = F.convAffineAct(x, weight, conv.bias, p, ss[0], ss[1], null, relu);
        } else {
            Tensor c = F.conv2d(x, weight, conv.bias, p);
            y = norm.forward(c);
            MemoryScope.dispose(c);
            if (relu) {
                Tensor r = F.relu(y);
                MemoryScope.dispose(y);
                y = r;
            }
        }
        if (weight != conv.weight) MemoryScope.dispose(weight);
        if (act == null || relu) return y;
        Tensor r = switch (act) {
            case ActivationConfig.SWISH -> F.swish(y);
            case ActivationConfig.LEAKY_RELU -> F.leakyRelu(y, negativeSlope);
            case SIGMOID -> F.sigmoid(y);
            default -> throw new IllegalStateException("activation " + act);
        };
        MemoryScope.dispose(y);
        return r;
    }
}
