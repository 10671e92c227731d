package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMDetection's {@code DarknetBottleneck} ({@code mmdet/models/layers/csp_layer.py}, v3.3.0): {@code conv1} (1×1 to
 * int(out · expansion)), {@code conv2} (3×3, a DepthwiseSeparableConvModule with use_depthwise), plus the input when
 * {@code add_identity} and the channels are kept (added after conv2's activation).
 */
public final class DarknetBottleneck extends Module implements SingleInputLayer {
    public final CspConvModule conv1;
    public final Module conv2;
    public final boolean addIdentity;

    public DarknetBottleneck(int in, int out, double expansion, boolean addIdentity, boolean depthwise, NormConfig norm,
                             ActivationConfig act) {
        int hidden = (int) (out * expansion);
        conv1 = child("conv1", new CspConvModule(in, hidden, 1, 1, norm, act));
        conv2 = child("conv2", DepthwiseSeparableConvModule.conv(depthwise, hidden, out, 3, 1, 1, norm, act));
        this.addIdentity = addIdentity && in == out;
    }

    @Override public Tensor forward(Tensor x) {
        Tensor h = conv1.forward(x);
        Tensor y = ((SingleInputLayer) conv2).forward(h);
        MemoryScope.dispose(h);
        if (!addIdentity) return y;
        Tensor s = F.add(y, x);
        MemoryScope.dispose(y);
        return s;
    }
}
