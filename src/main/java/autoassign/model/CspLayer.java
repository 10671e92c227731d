package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.ActivationConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.List;

/**
 * MMDetection's {@code CSPLayer} ({@code mmdet/models/layers/csp_layer.py}, v3.3.0): {@code short_conv} and
 * {@code main_conv} (1×1 to int(out · expand_ratio)), {@code blocks} (num_blocks DarknetBottlenecks or, with
 * {@code use_lk_block}, {@link CspNextBlock}s, with expansion 1.0) on the main path, then, with
 * {@code channel_attention}, {@code attention} ({@link ChannelAttention} of the 2·mid channels) on
 * {@code cat(main, short)}, and {@code final_conv} (1×1).
 */
public final class CspLayer extends Module implements SingleInputLayer {
    public final CspConvModule mainConv, shortConv, finalConv;
    /** DarknetBottlenecks, or CSPNeXtBlocks with use_lk_block. */
    public final ModuleList<Module> blocks;
    /** {@code attention}, or null without channel_attention. */
    public final ChannelAttention attention;

    /** YOLOX's CSPLayer: DarknetBottlenecks, no channel attention. */
    public CspLayer(int in, int out, double expandRatio, int numBlocks, boolean addIdentity, boolean depthwise,
                    NormConfig norm, ActivationConfig act) {
        this(in, out, expandRatio, numBlocks, addIdentity, depthwise, false, false, norm, act);
    }

    /**
     * @param lkBlocks         upstream's {@code use_lk_block}: CSPNeXtBlocks instead of DarknetBottlenecks
     * @param channelAttention a ChannelAttention before the final conv
     */
    public CspLayer(int in, int out, double expandRatio, int numBlocks, boolean addIdentity, boolean depthwise,
                    boolean lkBlocks, boolean channelAttention, NormConfig norm, ActivationConfig act) {
        int mid = (int) (out * expandRatio);
        mainConv = child("main_conv", new CspConvModule(in, mid, 1, 1, norm, act));
        shortConv = child("short_conv", new CspConvModule(in, mid, 1, 1, norm, act));
        finalConv = child("final_conv", new CspConvModule(2 * mid, out, 1, 1, norm, act));
        blocks = child("blocks", new ModuleList<>());
        for (int i = 0; i < numBlocks; i++)
            blocks.add(lkBlocks ? new CspNextBlock(mid, mid, 1.0, addIdentity, depthwise, norm, act)
                    : new DarknetBottleneck(mid, mid, 1.0, addIdentity, depthwise, norm, act));
        attention = channelAttention ? child("attention", new ChannelAttention(2 * mid)) : null;
    }

    @Override public Tensor forward(Tensor x) {
        Tensor s = shortConv.forward(x);
        Tensor m = mainConv.forward(x);
        for (Module b : blocks) {
            Tensor next = ((SingleInputLayer) b).forward(m);
            MemoryScope.dispose(m);
            m = next;
        }
        Tensor cat = F.concatChannels(List.of(m, s));
        MemoryScope.dispose(m);
        MemoryScope.dispose(s);
        if (attention != null) {
            Tensor gated = attention.forward(cat);
            MemoryScope.dispose(cat);
            cat = gated;
        }
        Tensor y = finalConv.forward(cat);
        MemoryScope.dispose(cat);
        return y;
    }
}
