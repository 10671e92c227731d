package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMDetection 3.3.0's {@code CSPNeXtBlock} ({@code mmdet/models/layers/csp_layer.py}): {@code conv1} (3×3, padding 1,
 * to int(out · expansion); a DepthwiseSeparableConvModule with use_depthwise), {@code conv2} (always a
 * DepthwiseSeparableConvModule: 5×5 depth-wise, padding 2, then 1×1 to out), plus the input when {@code add_identity}
 * and the channels are kept (added after conv2's activation).
 */
public final class CspNextBlock extends Module implements SingleInputLayer {
    /** Upstream's default {@code kernel_size} of conv2's depth-wise conv (CSPLayer never passes another). */
    public static final int KERNEL = 5;
    public final Module conv1;
    public final DepthwiseSeparableConvModule conv2;
    public final boolean addIdentity;

    public CspNextBlock(int in, int out, double expansion, boolean addIdentity, boolean depthwise, NormConfig norm,
                        ActivationConfig act) {
        int hidden = (int) (out * expansion);
        conv1 = child("conv1", DepthwiseSeparableConvModule.conv(depthwise, in, hidden, 3, 1, 1, norm, act));
        conv2 = child("conv2", new DepthwiseSeparableConvModule(hidden, out, KERNEL, 1, KERNEL / 2, norm, act));
        this.addIdentity = addIdentity && in == out;
    }

    @Override public Tensor forward(Tensor x) {
        Tensor h = ((SingleInputLayer) conv1).forward(x);
        Tensor y = conv2.forward(h);
        MemoryScope.dispose(h);
        if (!addIdentity) return y;
        Tensor s = F.add(y, x);
        MemoryScope.dispose(y);
        return s;
    }
}
