package autoassign.model;

import autoassign.nn.BatchNorm2d;
import autoassign.nn.Conv2d;
import autoassign.nn.GroupNorm;
import autoassign.nn.Module;

import java.util.ArrayList;
import java.util.List;

/**
 * The FLOPs MMEngine's {@code FlopAnalyzer} counts in MMDetection's CSPDarknet and YOLOXPAFPN, from the shapes: each
 * ConvModule's conv ({@code Cout · Cin/groups · k² · Ho · Wo}) and norm (eval BN 2, GN 5 per element), and the neck's
 * {@code nn.Upsample} (1 per output element, attributed to {@code neck.upsample}). Swish ({@code aten::sigmoid},
 * {@code aten::mul}), Focus's slicing, {@code cat}, max pooling and the additions have no handle. Upstream's
 * CSPDarknet runs every stage whatever the out_indices, so every stage is counted. The same for CSPNeXt and
 * CSPNeXtPAFPN: their ChannelAttention adds {@code aten::adaptive_avg_pool2d} (1 per input element, attributed to
 * its {@code global_avgpool} module, an nn.AdaptiveAvgPool2d upstream, as EfficientNet's SE layers) and its fc conv (bias not counted); Hardsigmoid and the gating multiply count 0.
 */
final class CspFlops {
    private CspFlops() {}

    static final String CONV = "conv", BATCH_NORM = "batch_norm", GROUP_NORM = "group_norm", UPSAMPLE = "upsample_nearest2d",
            ADAPTIVE_AVG_POOL = "adaptive_avg_pool2d";


    /** Counts a [1, 3, h, w] forward of the backbone; returns its returned maps as {C, H, W}. */
    static List<int[]> backbone(CspDarknet m, String name, int h, int w, FlopSink sink) {
        int[] y = layer(m.stem, name + ".stem", new int[] {12, (h + 1) / 2, (w + 1) / 2}, sink); // after the slicing
        List<int[]> outs = new ArrayList<>();
        if (m.config().outIndices().contains(0)) outs.add(y);
        for (int i = 1; i <= m.config().numStages(); i++) {
            ModuleList<Module> stage = m.stages.get(i - 1);
            for (int k = 0; k < stage.size(); k++) y = layer(stage.get(k), name + ".stage" + i + "." + k, y, sink);
            if (m.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    /** CSPNeXt: a [1, 3, h, w] forward; returns its returned maps as {C, H, W}. */
    static List<int[]> backbone(CspNext m, String name, int h, int w, FlopSink sink) {
        int[] y = {3, h, w};
        List<int[]> outs = new ArrayList<>();
        for (int i = 0; i <= m.config().numStages(); i++) {
            ModuleList<?> layer = (ModuleList<?>) m.layer(i);
            String ln = name + (i == 0 ? ".stem" : ".stage" + i);
            for (int k = 0; k < layer.size(); k++) y = layer(layer.get(k), ln + "." + k, y, sink);
            if (m.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    /** YOLOXPAFPN (or CSPNeXtPAFPN) on maps {C, H, W}: returns its outputs. */
    static List<int[]> neck(YoloxPafpn p, String name, List<int[]> inputs, FlopSink sink) {
        int n = inputs.size();
        int[][] inner = new int[n][];
        inner[n - 1] = inputs.get(n - 1);
        for (int idx = n - 1; idx > 0; idx--) {
            int j = n - 1 - idx;
            int[] high = layer(p.reduceLayers.get(j), name + ".reduce_layers." + j, inner[idx], sink);
            inner[idx] = high;
            int[] up = {high[0], 2 * high[1], 2 * high[2]};
            sink.add(name + ".upsample", UPSAMPLE, numel(up));
            int[] low = inputs.get(idx - 1);
            inner[idx - 1] = layer(p.topDownBlocks.get(j), name + ".top_down_blocks." + j, new int[] {up[0] + low[0], low[1], low[2]}, sink);
        }
        List<int[]> outs = new ArrayList<>();
        outs.add(inner[0]);
        for (int idx = 0; idx < n - 1; idx++) {
            int[] down = layer(p.downsamples.get(idx), name + ".downsamples." + idx, outs.get(outs.size() - 1), sink);
            int[] high = inner[idx + 1];
            outs.add(layer(p.bottomUpBlocks.get(idx), name + ".bottom_up_blocks." + idx, new int[] {down[0] + high[0], high[1], high[2]}, sink));
        }
        for (int i = 0; i < n; i++) outs.set(i, layer(p.outConvs.get(i), name + ".out_convs." + i, outs.get(i), sink));
        return outs;
    }

    /** Any of the YOLOX-family layers on a {C, H, W} map. */
    private static int[] layer(Module m, String name, int[] x, FlopSink sink) {
        if (m instanceof CspConvModule c) {
            int[] y = conv(c.conv, name + ".conv", x, sink);
            String norm = name + "." + (c.norm instanceof GroupNorm ? "gn" : "bn");
            if (c.norm instanceof BatchNorm2d) sink.add(norm, BATCH_NORM, 2 * numel(y));
            else sink.add(norm, GROUP_NORM, 5 * numel(y));
            return y;
        }
        if (m instanceof DepthwiseSeparableConvModule d)
            return layer(d.pointwiseConv, name + ".pointwise_conv", layer(d.depthwiseConv, name + ".depthwise_conv", x, sink), sink);
        if (m instanceof Focus f) return layer(f.conv, name + ".conv", x, sink);
        if (m instanceof SppBottleneck s) {
            int[] a = layer(s.conv1, name + ".conv1", x, sink);
            return layer(s.conv2, name + ".conv2", new int[] {a[0] * (s.kernelSizes.size() + 1), a[1], a[2]}, sink);
        }
        if (m instanceof DarknetBottleneck b)
            return layer(b.conv2, name + ".conv2", layer(b.conv1, name + ".conv1", x, sink), sink);
        if (m instanceof CspNextBlock b)
            return layer(b.conv2, name + ".conv2", layer(b.conv1, name + ".conv1", x, sink), sink);
        if (m instanceof ChannelAttention a) {
            sink.add(name + ".global_avgpool", ADAPTIVE_AVG_POOL, numel(x)); // upstream's nn.AdaptiveAvgPool2d module
            conv(a.fc, name + ".fc", new int[] {x[0], 1, 1}, sink);
            return x;
        }
        if (m instanceof CspLayer c) {
            int[] s = layer(c.shortConv, name + ".short_conv", x, sink);
            int[] y = layer(c.mainConv, name + ".main_conv", x, sink);
            for (int i = 0; i < c.blocks.size(); i++) y = layer(c.blocks.get(i), name + ".blocks." + i, y, sink);
            int[] cat = {y[0] + s[0], y[1], y[2]};
            if (c.attention != null) cat = layer(c.attention, name + ".attention", cat, sink);
            return layer(c.finalConv, name + ".final_conv", cat, sink);
        }
        throw new IllegalStateException(name + ": not a CSPDarknet / CSPNeXt / YOLOXPAFPN layer: " + m.getClass().getSimpleName());
    }

    private static int[] conv(Conv2d conv, String name, int[] x, FlopSink sink) {
        int[] w = conv.weight.shape();
        if (w[1] * conv.groups() != x[0])
            throw new IllegalStateException(name + ": " + x[0] + " input channels, the weight takes " + w[1] * conv.groups());
        int oh = conv.geometry.outH(x[1], w[2]), ow = conv.geometry.outW(x[2], w[3]);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("the input is too small: " + name + " gets " + x[1] + "x" + x[2]);
        sink.add(name, CONV, (long) w[0] * w[1] * w[2] * w[3] * oh * ow);
        return new int[] {w[0], oh, ow};
    }

    private static long numel(int[] chw) { return (long) chw[0] * chw[1] * chw[2]; }
}
