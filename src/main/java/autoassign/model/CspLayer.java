package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * MMDetection's {@code CSPLayer} ({@code mmdet/models/layers/csp_layer.py}, v3.3.0, with DarknetBottleneck blocks,
 * no channel attention): {@code short_conv} and {@code main_conv} (1×1 to int(out · expand_ratio)), {@code blocks}
 * (num_blocks DarknetBottlenecks with expansion 1.0) on the main path, then {@code final_conv} (1×1) of
 * {@code cat(main, short)}.
 */
public final class CspLayer extends Module implements SingleInputLayer {
    public final CspConvModule mainConv, shortConv, finalConv;
    public final ModuleList<DarknetBottleneck> blocks;

    public CspLayer(int in, int out, double expandRatio, int numBlocks, boolean addIdentity, boolean depthwise,
                    NormConfig norm, ActivationConfig act) {
        int mid = (int) (out * expandRatio);
        mainConv = child("main_conv", new CspConvModule(in, mid, 1, 1, norm, act));
        shortConv = child("short_conv", new CspConvModule(in, mid, 1, 1, norm, act));
        finalConv = child("final_conv", new CspConvModule(2 * mid, out, 1, 1, norm, act));
        blocks = child("blocks", new ModuleList<>());
        for (int i = 0; i < numBlocks; i++) blocks.add(new DarknetBottleneck(mid, mid, 1.0, addIdentity, depthwise, norm, act));
    }

    @Override public Tensor forward(Tensor x) {
        Tensor s = shortConv.forward(x);
        Tensor m = mainConv.forward(x);
        for (DarknetBottleneck b : blocks) {
            Tensor next = b.forward(m);
            MemoryScope.dispose(m);
            m = next;
        }
        Tensor cat = F.concatChannels(List.of(m, s));
        MemoryScope.dispose(m);
        MemoryScope.dispose(s);
        Tensor y = finalConv.forward(cat);
        MemoryScope.dispose(cat);
        return y;
    }
}
