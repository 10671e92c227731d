package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection's {@code SPPBottleneck} (csp_darknet.py, v3.3.0): {@code conv1} (1×1 to in / 2), the concatenation of
 * its output with its stride-1 max pools (kernel k, padding k // 2, for each of {@code kernel_sizes}; the
 * {@code poolings} have no parameters), then {@code conv2} (1×1 to out).
 */
public final class SppBottleneck extends Module implements SingleInputLayer {
    public final CspConvModule conv1, conv2;
    public final List<Integer> kernelSizes;

    public SppBottleneck(int in, int out, List<Integer> kernelSizes, NormConfig norm, ActivationConfig act) {
        this.kernelSizes = List.copyOf(kernelSizes);
        int mid = in / 2;
        conv1 = child("conv1", new CspConvModule(in, mid, 1, 1, norm, act));
        conv2 = child("conv2", new CspConvModule(mid * (kernelSizes.size() + 1), out, 1, 1, norm, act));
    }

    @Override public Tensor forward(Tensor x) {
        Tensor a = conv1.forward(x);
        List<Tensor> parts = new ArrayList<>();
        parts.add(a);
        for (int k : kernelSizes) parts.add(F.maxPool2d(a, k, 1, k / 2));
        Tensor cat = F.concatChannels(parts);
        for (Tensor p : parts) MemoryScope.dispose(p);
        Tensor y = conv2.forward(cat);
        MemoryScope.dispose(cat);
        return y;
    }
}
