package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.DeformConvGrads;
import autoassign.backend.DeformConvParams;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** Differentiable ops of the deformable convolutions (MMCV's DCN / DCNv2), recorded on the tape like {@link F}'s. */
public final class DeformConvOps {
    private DeformConvOps() {}

    /**
     * MMCV's {@code deform_conv2d} (mask null) or {@code modulated_deform_conv2d}: shapes in {@link DeformConvParams};
     * x, offset, mask, w and bias (nullable) get gradients.
     */
    public static Tensor deformConv2d(Tensor x, Tensor offset, Tensor mask, Tensor w, Tensor bias, DeformConvParams p) {
        Backend be = x.backend();
        Tensor y = be.deformConv2d(x, offset, mask, w, bias, p);
        Graph.record(new Tensor[] {x, offset, mask, w, bias}, y, g -> {
            DeformConvGrads d = be.deformConv2dBackward(g[0], x, offset, mask, w, bias != null && bias.requiresGrad(), p);
            return new Tensor[] {wanted(d.input(), x), wanted(d.offset(), offset), wanted(d.mask(), mask),
                    wanted(d.weight(), w), wanted(d.bias(), bias)};
        });
        return y;
    }

    /** The gradient when its input needs one; else released at once (null). */
    private static Tensor wanted(Tensor grad, Tensor input) {
        if (grad == null) return null;
        if (input != null && input.requiresGrad()) return grad;
        MemoryScope.dispose(grad);
        return null;
    }

    /**
     * x [N, C, H, W] split along the channels into [N, c, H, W] and [N, C − c, H, W] (torch's {@code split} /
     * {@code chunk} on dim 1, as copies): DCNv2 takes its offsets and mask from one conv's output this way. Runs as
     * per-image copies on x's device ({@link Backend#copyRange}).
     */
    public static Tensor[] splitChannels(Tensor x, int c) {
        Shape.checkRank("splitChannels", "input", x.shape(), 4);
        int n = x.dim(0), ch = x.dim(1), hw = x.dim(2) * x.dim(3);
        if (c <= 0 || c >= ch)
            throw new IllegalArgumentException("splitChannels: split point " + c + " must be inside 1.." + (ch - 1) + " for input " + Shape.str(x.shape()));
        Backend be = x.backend();
        Tensor a = be.zeros(n, c, x.dim(2), x.dim(3)), b = be.zeros(n, ch - c, x.dim(2), x.dim(3));
        for (int i = 0; i < n; i++) {
            be.copyRange(a, (long) i * c * hw, x, (long) i * ch * hw, (long) c * hw);
            be.copyRange(b, (long) i * (ch - c) * hw, x, ((long) i * ch + c) * hw, (long) (ch - c) * hw);
        }
        Graph.record(new Tensor[] {x}, new Tensor[] {a, b}, g -> {
            Tensor gx = be.zeros(x.shape());
            for (int i = 0; i < n; i++) {
                if (g[0] != null) be.copyRange(gx, (long) i * ch * hw, g[0], (long) i * c * hw, (long) c * hw);
                if (g[1] != null) be.copyRange(gx, ((long) i * ch + c) * hw, g[1], (long) i * (ch - c) * hw, (long) (ch - c) * hw);
            }
            return new Tensor[] {gx};
        });
        return new Tensor[] {a, b};
    }
}
