package autoassign.model;

import autoassign.nn.Module;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The FLOPs MMEngine's {@code FlopAnalyzer} counts in MMDetection's EfficientNet, from the shapes: every ConvModule's
 * conv ({@code Cout · Cin/groups · k² · Ho · Wo}, the k×k weight upstream traces; Conv2dAdaptivePadding's output is
 * ceil(in / stride)) and eval BatchNorm (2 per element), each SE layer's {@code global_avgpool}
 * ({@code aten::adaptive_avg_pool2d}, 1 per input element) and its two 1×1 convs (bias not counted). Swish / Sigmoid
 * ({@code aten::sigmoid}, {@code aten::mul}), the SE product, {@code F.pad}, the residual sums and drop path have no
 * handle. Only the built layers (0..max(out_indices)) run.
 */
final class EfficientNetFlops {
    private EfficientNetFlops() {}

    /** Counts a [1, 3, h, w] forward; returns the returned maps as {C, H, W}. */
    static List<int[]> count(EfficientNet m, String name, int h, int w, FlopSink sink) {
        int[] y = {3, h, w};
        List<int[]> outs = new ArrayList<>();
        for (int i = 0; i < m.layers.size(); i++) {
            String ln = name + ".layers." + i;
            Module l = m.layers.get(i);
            if (l instanceof AdaptiveConvModule c) {
                y = convModule(ln, c, y, sink);
            } else {
                ModuleList<?> blocks = (ModuleList<?>) l;
                for (int b = 0; b < blocks.size(); b++) {
                    String bn = ln + "." + b;
                    if (blocks.get(b) instanceof InvertedResidual r) {
                        if (r.expandConv != null) y = convModule(bn + ".expand_conv", r.expandConv, y, sink);
                        y = convModule(bn + ".depthwise_conv", r.depthwiseConv, y, sink);
                        if (r.se != null) se(bn + ".se", r.se, y, sink);
                        y = convModule(bn + ".linear_conv", r.linearConv, y, sink);
                    } else {
                        EdgeResidual e = (EdgeResidual) blocks.get(b);
                        y = convModule(bn + ".conv1", e.conv1, y, sink);
                        if (e.se != null) se(bn + ".se", e.se, y, sink);
                        y = convModule(bn + ".conv2", e.conv2, y, sink);
                    }
                }
            }
            if (m.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    private static void se(String name, SeLayer se, int[] x, FlopSink sink) {
        sink.add(name + ".global_avgpool", CspFlops.ADAPTIVE_AVG_POOL, (long) x[0] * x[1] * x[2]);
        int[] p = convModule(name + ".conv1", se.conv1, new int[] {x[0], 1, 1}, sink);
        convModule(name + ".conv2", se.conv2, p, sink);
    }

    private static int[] convModule(String name, AdaptiveConvModule c, int[] x, FlopSink sink) {
        int[] w = c.conv.weight.shape();
        if (w[1] * c.conv.groups() != x[0])
            throw new IllegalStateException(name + ": " + x[0] + " input channels, the weight takes " + w[1] * c.conv.groups());
        int oh, ow;
        if (c.adaptivePadding) {
            oh = AdaptivePadding.outSize(x[1], c.stride);
            ow = AdaptivePadding.outSize(x[2], c.stride);
        } else {
            oh = c.conv.geometry.outH(x[1], w[2]);
            ow = c.conv.geometry.outW(x[2], w[3]);
        }
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("the input is too small: " + name + " gets " + x[1] + "x" + x[2]);
        sink.add(name + ".conv", CspFlops.CONV, (long) w[0] * w[1] * w[2] * w[3] * oh * ow);
        if (c.norm != null) sink.add(name + ".bn", CspFlops.BATCH_NORM, 2L * w[0] * oh * ow);
        return new int[] {w[0], oh, ow};
    }

    /** Flops by module name relative to the backbone ("" its total, each ancestor the sum of its descendants). */
    static Map<String, Long> byModule(EfficientNet m, int h, int w) {
        Map<String, Long> out = new LinkedHashMap<>();
        count(m, "", h, w, (module, op, flops) -> {
            String[] parts = module.substring(1).split("\\.");
            out.merge("", flops, Long::sum);
            StringBuilder k = new StringBuilder();
            for (String p : parts) {
                if (k.length() > 0) k.append('.');
                k.append(p);
                out.merge(k.toString(), flops, Long::sum);
            }
        });
        return out;
    }
}
