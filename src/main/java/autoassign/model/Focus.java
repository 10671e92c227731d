package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMDetection's {@code Focus} ({@code mmdet/models/backbones/csp_darknet.py}, v3.3.0): the space-to-depth slicing
 * ({@link F#spaceToDepth}: top-left, bottom-left, top-right, bottom-right, as upstream's {@code torch.cat}) to
 * 4·C channels at half the size, then {@code conv}, a ConvModule (k×k, stride 1, padding (k − 1) / 2).
 */
public final class Focus extends Module implements SingleInputLayer {
    public final CspConvModule conv;

    public Focus(int in, int out, int kernel, NormConfig norm, ActivationConfig act) {
        conv = child("conv", new CspConvModule(4 * in, out, kernel, 1, norm, act));
    }

    @Override public Tensor forward(Tensor x) {
        Tensor s = F.spaceToDepth(x);
        Tensor y = conv.forward(s);
        MemoryScope.dispose(s);
        return y;
    }
}
