package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.DeformConvGrads;
import autoassign.backend.DeformConvParams;
import autoassign.tensor.MemoryScope;
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
}
