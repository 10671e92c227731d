package autoassign.model;

import autoassign.nn.Conv2d;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.GroupNorm;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * FLOPs and parameters of an {@link AutoAssignDetector} as MMDetection's {@code tools/analysis_tools/get_flops.py}
 * reports them (MMEngine's {@code FlopAnalyzer} and {@code parameter_count}), computed from the layer shapes instead
 * of tracing a forward pass (an R50 at 1333×800 in well under a millisecond, once the model is built).
 *
 * <p>What is counted follows MMEngine's default handles ({@code mmengine/analysis/jit_handles.py}) on the graph of
 * {@code model(inputs, mode='tensor')} (backbone → neck → head, no post-processing), batch 1:
 * <ul>
 *   <li>{@code conv}: {@code Cout · Cin/groups · kh · kw · Hout · Wout} (MMEngine's {@code conv_flop_count}: batch ·
 *       prod(weight shape) · prod(output size); a grouped conv's weight [Cout, Cin/groups, kh, kw] already divides
 *       by the groups), one multiply-add = one flop, bias ignored;</li>
 *   <li>{@code batch_norm} at inference (MMDetection's frozen BN is an eval-mode {@code BatchNorm2d}): 2 per input
 *       element (affine);</li>
 *   <li>{@code group_norm}: 5 per input element (affine);</li>
 *   <li>{@code upsample_nearest2d} (the FPN's top-down path): 1 per output element;</li>
 *   <li>{@code upsample_bilinear2d} (HRFPN's upsampling): 4 per output element (listed only when it runs);</li>
 *   <li>{@code adaptive_avg_pool2d} (ResNeSt's split attention): 1 per input element (listed only when it runs).</li>
 * </ul>
 * HRFPN's concatenation and pooling ({@code aten::cat}, {@code max_pool2d}, {@code avg_pool2d}) have no handle: 0.
 * A deformable 3×3 (backbone {@code dcn}) counts its {@code conv_offset} conv only: MMCV's deformable conv is an
 * autograd Function, a {@code prim::PythonOp} in the trace, which MMEngine has no handle for.
 * ReLU, additions, max-pooling, average pooling ({@code aten::avg_pool2d}: {@code avg_down}; only
 * {@code adaptive_avg_pool2d} has a handle), {@code Scale}, clamping and the stride multiply have no handle there and count 0.
 * HRNet's fuse layers upsample with {@code nn.Upsample(mode='nearest')} ({@code upsample_nearest2d}, owned by the
 * Sequential's index 2); its None entries are no modules (absent from the names, as from {@code named_modules()}).
 * A module's flops include its children's; ops called by a module's own code (the FPN's upsampling) belong to it
 * only. The head's convs are shared by all levels, so their flops add up over the levels.
 */
public final class Complexity {

    /** Op names as MMEngine's {@code by_operator()} reports them. */
    public static final String CONV = "conv", BATCH_NORM = "batch_norm", GROUP_NORM = "group_norm",
            UPSAMPLE = "upsample_nearest2d", UPSAMPLE_BILINEAR = "upsample_bilinear2d";
    /** MMEngine's {@code aten::adaptive_avg_pool2d} handle (ResNeSt's split attention): 1 per input element. */
    public static final String ADAPTIVE_AVG_POOL = "adaptive_avg_pool2d";

    /**
     * @param inputH        padded input height
     * @param inputW        padded input width
     * @param flopsByModule flops of every module by name ({@code ""} is the whole model), in MMEngine's
     *                      {@code named_modules()} order
     * @param flopsByOp     flops by operator ({@link #CONV}, ...)
     * @param uncalled      modules the forward pass never calls (the center prior: used by the loss only)
     */
    public record Flops(int inputH, int inputW, Map<String, Long> flopsByModule, Map<String, Long> flopsByOp,
                        Set<String> uncalled) {
        public long total() { return flopsByModule.get(""); }
    }

    private final Map<String, Long> byModule = new LinkedHashMap<>();
    private final Map<String, Long> byOp = new LinkedHashMap<>();
    /** Modules some op of the forward ran in (counted or not: ReLU, Scale's multiply, ...). */
    private final Set<String> called = new LinkedHashSet<>();

    private Complexity(Module model) {
        for (String name : moduleNames(model)) byModule.put(name, 0L);
        for (String op : List.of(CONV, BATCH_NORM, GROUP_NORM, UPSAMPLE)) byOp.put(op, 0L);
    }

    /** FLOPs of one forward pass of a {@code [1, 3, h, w]} (already padded) input. */
    public static Flops flops(AutoAssignDetector model, int h, int w) {
        if (h < 1 || w < 1) throw new IllegalArgumentException("input size must be positive, got " + h + "x" + w);
        Complexity c = new Complexity(model);
        List<int[]> feats = model.backbone instanceof HrNet hr ? c.hrnet(hr, "backbone", new int[] {3, h, w})
                : model.backbone instanceof MobileNetV2 mb ? c.mobileNetV2(mb, "backbone", new int[] {3, h, w})
                : model.backbone instanceof SwinTransformer sw ? SwinFlops.count(sw, "backbone", h, w, c::add)
                : model.backbone instanceof PyramidVisionTransformer pv ? PvtFlops.count(pv, "backbone", h, w, c::add)
                : model.backbone instanceof CspDarknet cd ? CspFlops.backbone(cd, "backbone", h, w, c::add)
                : model.backbone instanceof EfficientNet en ? EfficientNetFlops.count(en, "backbone", h, w, c::add)
                : model.backbone instanceof CspNext cn ? CspFlops.backbone(cn, "backbone", h, w, c::add)
                : c.backbone((ResNet) model.backbone, "backbone", new int[] {3, h, w});
        List<int[]> pyramid = c.neck(model.neck, "neck", feats);
        c.head(model.bboxHead, "bbox_head", pyramid);
        Set<String> uncalled = new LinkedHashSet<>();
        for (String m : c.byModule.keySet()) if (!c.isCalled(m)) uncalled.add(m);
        return new Flops(h, w, Collections.unmodifiableMap(c.byModule), Collections.unmodifiableMap(c.byOp),
                Collections.unmodifiableSet(uncalled));
    }

    /**
     * MMEngine's {@code parameter_count}: elements of every parameter (frozen ones included; BN running statistics
     * are buffers, not parameters) under every name prefix, {@code ""} being the total; in parameter order, each
     * prefix where it first appears.
     */
    public static Map<String, Long> parameterCounts(Module model) {
        Map<String, Long> count = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            long n = e.getValue().numel();
            String[] parts = e.getKey().split("\\.");
            StringBuilder prefix = new StringBuilder();
            count.merge("", n, Long::sum);
            for (int k = 0; k < parts.length; k++) {
                if (k > 0) prefix.append('.');
                prefix.append(parts[k]);
                count.merge(prefix.toString(), n, Long::sum);
            }
        }
        return count;
    }

    /** Every module's name, parents before children ({@code named_modules()} order), the root as {@code ""}. */
    public static List<String> moduleNames(Module model) {
        List<String> out = new ArrayList<>();
        collectNames(model, "", out);
        return out;
    }

    private static void collectNames(Module m, String name, List<String> out) {
        if (m instanceof HrNet.Absent) return; // upstream's None entry: no module
        out.add(name);
        m.children().forEach((k, c) -> collectNames(c, name.isEmpty() ? k : name + "." + k, out));
    }

    /** MMEngine's "owner" ancestors: a module is called when an op ran in it or in one of its descendants. */
    private boolean isCalled(String module) {
        if (module.isEmpty()) return true;
        for (String c : called) if (c.equals(module) || c.startsWith(module + ".")) return true;
        return false;
    }

    /** Adds flops of one op run by {@code module} to it and to each of its ancestors. */
    private void add(String module, String op, long flops) {
        called.add(module);
        byOp.merge(op, flops, Long::sum);
        String m = module;
        while (true) {
            if (!byModule.containsKey(m)) throw new IllegalStateException("no module named '" + m + "'");
            byModule.merge(m, flops, Long::sum);
            if (m.isEmpty()) return;
            int dot = m.lastIndexOf('.');
            m = dot < 0 ? "" : m.substring(0, dot);
        }
    }

    private static long numel(int[] chw) { return (long) chw[0] * chw[1] * chw[2]; }

    /** The name {@code parent} registered {@code child} under. */
    private static String childName(Module parent, Module child) {
        for (Map.Entry<String, Module> e : parent.children().entrySet()) if (e.getValue() == child) return e.getKey();
        throw new IllegalStateException("not a child of its parent: " + child.getClass().getSimpleName());
    }

    private int[] conv(String name, Conv2d conv, int[] x) {
        long[] w = toLong(conv.weight.shape());
        if (w[1] * conv.groups() != x[0])
            throw new IllegalStateException(name + ": " + x[0] + " input channels, the weight takes " + w[1] * conv.groups());
        int kh = (int) w[2], kw = (int) w[3];
        int oh = conv.geometry.outH(x[1], kh), ow = conv.geometry.outW(x[2], kw);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("the input is too small: " + name + " gets " + x[1] + "x" + x[2]);
        add(name, CONV, w[0] * w[1] * kh * kw * oh * ow);
        return new int[] {(int) w[0], oh, ow};
    }

    private static long[] toLong(int[] shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) out[i] = shape[i];
        return out;
    }

    private void norm(String name, Module norm, int[] x) {
        if (norm instanceof BatchNorm2d) add(name, BATCH_NORM, 2 * numel(x));
        else if (norm instanceof GroupNorm) add(name, GROUP_NORM, 5 * numel(x));
        else throw new IllegalStateException(name + ": not a norm layer: " + norm.getClass().getSimpleName());
    }

    /** conv → optional norm (→ ReLU, not counted). */
    private int[] convModule(String name, ConvModule m, int[] x) {
        int[] y = conv(name + ".conv", m.conv, x);
        if (m.norm != null) norm(name + "." + childName(m, m.norm), m.norm, y);
        return y;
    }

    private List<int[]> backbone(ResNet r, String name, int[] x) {
        int[] y = x;
        for (ResNet.StemLayer l : r.stemLayers()) { // conv1 / bn1, or the deep stem's stem.0/1, stem.3/4, stem.6/7
            y = conv(name + "." + l.convName(), l.conv(), y);
            norm(name + "." + l.normName(), l.norm(), y);
        }
        if (r.stem != null) // the deep stem's ReLU modules (stem.2, stem.5, stem.8) run, counting nothing
            for (int i = 2; i < r.stem.size(); i += 3) called.add(name + ".stem." + i);
        if (r.hasStemMaxPool()) y = new int[] {y[0], (y[1] - 1) / 2 + 1, (y[2] - 1) / 2 + 1}; // max-pool 3×3/2, pad 1
        List<int[]> outs = new ArrayList<>();
        for (int i = 0; i < r.layers.size(); i++) {
            ModuleList<ResBlock> layer = r.layers.get(i);
            String ln = name + "." + childName(r, layer);
            for (int b = 0; b < layer.size(); b++) y = block(layer.get(b), ln + "." + b, y);
            if (r.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    /**
     * HRNet: the stem's two conv + BN, layer1, then per stage the transitions and HRModules (branches' blocks, fuse
     * layers: conv + BN, the nearest upsampling 1 per output element; the sums and ReLUs count nothing).
     */
    private List<int[]> hrnet(HrNet h, String name, int[] x) {
        int[] y = conv(name + ".conv1", h.conv1, x);
        norm(name + "." + childName(h, h.norm1), h.norm1, y);
        y = conv(name + ".conv2", h.conv2, y);
        norm(name + "." + childName(h, h.norm2), h.norm2, y);
        called.add(name + ".relu");
        for (int b = 0; b < h.layer1.size(); b++) y = block(h.layer1.get(b), name + ".layer1." + b, y);
        List<int[]> ys = List.of(y);
        for (int k = 0; k < h.stages.size(); k++) {
            String tn = name + ".transition" + (k + 1);
            ModuleList<Module> t = h.transitions.get(k);
            int[] last = ys.get(ys.size() - 1);
            List<int[]> xs = new ArrayList<>();
            for (int i = 0; i < t.size(); i++) {
                Module m = t.get(i);
                if (m instanceof HrNet.Absent) xs.add(ys.get(i));
                else xs.add(hrSequential(tn + "." + i, m, last));
            }
            ModuleList<HrNet.HrModule> stage = h.stages.get(k);
            for (int m = 0; m < stage.size(); m++) xs = hrModule(stage.get(m), name + ".stage" + (k + 2) + "." + m, xs);
            ys = xs;
        }
        return ys;
    }

    private List<int[]> hrModule(HrNet.HrModule mod, String name, List<int[]> xs) {
        List<int[]> x = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            int[] y = xs.get(i);
            ModuleList<ResBlock> branch = mod.branches.get(i);
            for (int b = 0; b < branch.size(); b++) y = block(branch.get(b), name + ".branches." + i + "." + b, y);
            x.add(y);
        }
        if (mod.fuseLayers == null) return x;
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < mod.fuseLayers.size(); i++) {
            ModuleList<Module> row = mod.fuseLayers.get(i);
            for (int j = 0; j < x.size(); j++)
                if (!(row.get(j) instanceof HrNet.Absent)) hrSequential(name + ".fuse_layers." + i + "." + j, row.get(j), x.get(j));
            out.add(x.get(i));
        }
        called.add(name + ".relu");
        return out;
    }

    /**
     * MobileNetV2: conv1, layer1..layer7 and conv2, each ConvModule's conv (a depth-wise 3×3 counts Cout · 1 · 9 ·
     * Hout · Wout) and BN; upstream's forward runs all eight stages whatever the out_indices, so all are counted.
     * ReLU6 ({@code aten::hardtanh}), LeakyReLU ({@code aten::leaky_relu}) and the residual sums have no handle.
     */
    private List<int[]> mobileNetV2(MobileNetV2 m, String name, int[] x) {
        int[] y = mbConvModule(name + ".conv1", m.conv1, x);
        List<int[]> outs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            if (i < 7) {
                ModuleList<MobileNetV2.InvertedResidual> layer = m.layers.get(i);
                for (int b = 0; b < layer.size(); b++) {
                    MobileNetV2.InvertedResidual r = layer.get(b);
                    String bn = name + ".layer" + (i + 1) + "." + b;
                    if (r.expandConv != null) y = mbConvModule(bn + ".expand_conv", r.expandConv, y);
                    y = mbConvModule(bn + ".depthwise_conv", r.depthwiseConv, y);
                    y = mbConvModule(bn + ".linear_conv", r.linearConv, y);
                }
            } else {
                y = mbConvModule(name + ".conv2", m.conv2, y);
            }
            if (m.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    private int[] mbConvModule(String name, MobileNetV2.ConvModule c, int[] x) {
        int[] y = conv(name + ".conv", c.conv, x);
        norm(name + "." + childName(c, c.norm), c.norm, y);
        return y;
    }

    /** One of HRNet's Sequentials [conv, norm(, ReLU | Upsample)] or a Sequential of them. */
    private int[] hrSequential(String name, Module m, int[] x) {
        if (m instanceof HrNet.ConvNorm c) {
            int[] y = conv(name + ".0", c.conv, x);
            norm(name + ".1", c.norm, y);
            if (c.relu) called.add(name + ".2");
            if (c.upsample == 1) return y;
            int[] up = {y[0], y[1] * c.upsample, y[2] * c.upsample};
            add(name + ".2", UPSAMPLE, numel(up));
            return up;
        }
        int[] y = x;
        int k = 0;
        for (Module c : m.children().values()) y = hrSequential(name + "." + k++, c, y);
        return y;
    }

    private int[] block(ResBlock b, String name, int[] x) {
        int[] y;
        if (b instanceof ResBlock.Bottleneck bt) {
            y = convNorm(name, bt, bt.conv1, bt.norm1, x);
            y = bt.deformConv2 != null ? deformConvNorm(name, bt, y) : convNorm(name, bt, bt.conv2, bt.norm2, y);
            y = convNorm(name, bt, bt.conv3, bt.norm3, y);
        } else if (b instanceof Bottle2neck b2) {
            y = bottle2neck(name, b2, x);
        } else if (b instanceof ResNeStBottleneck rs) {
            y = resNeStBottleneck(name, rs, x);
        } else if (b instanceof ResBlock.Basic bs) {
            y = convNorm(name, bs, bs.conv1, bs.norm1, x);
            y = convNorm(name, bs, bs.conv2, bs.norm2, y);
        } else {
            throw new IllegalStateException(name + ": unknown block " + b.getClass().getSimpleName());
        }
        if (b.downsample != null) { // avg_down: the average pool (no handle in MMEngine: 0 flops) before the 1×1 conv
            String dn = name + "." + childName(b, b.downsample);
            int[] in = x;
            int ci = 0;
            if (b.downsamplePool() != null) {
                var p = b.downsamplePool().params;
                in = new int[] {x[0], p.outSize(x[1]), p.outSize(x[2])};
                called.add(dn + ".0");
                ci = 1;
            }
            int[] id = conv(dn + "." + ci, b.downsampleConv(), in);
            norm(dn + "." + (ci + 1), b.downsampleNorm(), id);
        }
        return y;
    }

    /**
     * A deformable {@code conv2} (DCN / DCNv2) and its norm: only its {@code conv_offset} counts. MMCV's deformable
     * ops are autograd Functions, which the trace records as {@code prim::PythonOp} with no handle in MMEngine (0,
     * an "unsupported operator" warning upstream), as are DCNv2's chunk, cat and sigmoid.
     */
    private int[] deformConvNorm(String block, ResBlock.Bottleneck bt, int[] x) {
        String dn = block + "." + childName(bt, bt.deformConv2);
        int[] off = conv(dn + ".conv_offset", bt.deformConv2.convOffset, x);
        int[] y = {bt.deformConv2.weight.dim(0), off[1], off[2]};
        norm(block + "." + childName(bt, bt.norm2), bt.norm2, y);
        return y;
    }

    /**
     * Res2Net's block: conv1 + bn1, each slice's 3×3 + norm ({@code convs.k}, {@code bns.k}; a deformable one counts its
     * {@code conv_offset} only), conv3 + bn3. torch.split, the slice additions, torch.cat and the last slice's
     * {@code avg_pool2d} have no handle in MMEngine: 0 (the pool module still runs).
     */
    private int[] bottle2neck(String name, Bottle2neck b, int[] x) {
        int[] y = convNorm(name, b, b.conv1, b.norm1, x);
        int[] slice = {b.width, y[1], y[2]}, out = null;
        for (int i = 0; i < b.convs.size(); i++) {
            String cn = name + ".convs." + i;
            if (b.convs.get(i) instanceof autoassign.nn.DeformConv2dPack d) {
                int[] off = conv(cn + ".conv_offset", d.convOffset, slice);
                out = new int[] {d.weight.dim(0), off[1], off[2]};
            } else {
                out = conv(cn, (Conv2d) b.convs.get(i), slice);
            }
            norm(name + ".bns." + i, b.bns.get(i), out);
        }
        if (b.pool != null) called.add(name + ".pool");
        return convNorm(name, b, b.conv3, b.norm3, new int[] {b.width * b.scales, out[1], out[2]});
    }

    /**
     * ResNeSt's block: conv1 + bn1; the split-attention {@code conv2}: its grouped 3×3 {@code conv} + {@code bn0},
     * {@code adaptive_avg_pool2d} of the summed splits (MMEngine's handle: 1 per input element, owned by conv2 itself),
     * {@code fc1} + {@code bn1} and {@code fc2} on 1×1 maps; the {@code avd_layer}'s {@code avg_pool2d} (no handle: 0);
     * conv3 + bn3. The splits' sum, the softmax / sigmoid and the weighting multiply have no handle: 0.
     */
    private int[] resNeStBottleneck(String name, ResNeStBottleneck b, int[] x) {
        int[] y = convNorm(name, b, b.conv1, b.norm1, x);
        SplitAttentionConv2d sa = b.conv2;
        String sn = name + "." + childName(b, sa);
        int[] c = convNorm(sn, sa, sa.conv, sa.bn0, y);
        add(sn, ADAPTIVE_AVG_POOL, (long) sa.channels * c[1] * c[2]);
        int[] g = convNorm(sn, sa, sa.fc1, sa.bn1, new int[] {sa.channels, 1, 1});
        conv(sn + "." + childName(sa, sa.fc2), sa.fc2, g);
        int[] out = {sa.channels, c[1], c[2]};
        if (b.avdLayer != null) {
            var p = b.avdLayer.params;
            out = new int[] {out[0], p.outSize(out[1]), p.outSize(out[2])};
            called.add(name + "." + childName(b, b.avdLayer));
        }
        return convNorm(name, b, b.conv3, b.norm3, out);
    }

    private int[] convNorm(String block, Module parent, Conv2d conv, Module norm, int[] x) {
        int[] y = conv(block + "." + childName(parent, conv), conv, x);
        norm(block + "." + childName(parent, norm), norm, y);
        return y;
    }

    private List<int[]> neck(Neck neck, String name, List<int[]> inputs) {
        if (neck instanceof Hrfpn h) return hrfpn(h, name, inputs);
        if (neck instanceof YoloxPafpn y) return CspFlops.neck(y, name, inputs, this::add);
        Fpn fpn = (Fpn) neck;
        var cfg = fpn.config();
        int used = fpn.lateralConvs.size();
        int[][] lat = new int[used][];
        for (int i = 0; i < used; i++)
            lat[i] = convModule(name + ".lateral_convs." + i, fpn.lateralConvs.get(i), inputs.get(i + cfg.startLevel()));
        for (int i = used - 1; i > 0; i--) { // nearest upsampling to the finer lateral's size, then + (not counted)
            add(name, UPSAMPLE, (long) lat[i][0] * lat[i - 1][1] * lat[i - 1][2]);
        }
        List<int[]> outs = new ArrayList<>();
        for (int i = 0; i < used; i++) outs.add(convModule(name + ".fpn_convs." + i, fpn.fpnConvs.get(i), lat[i]));
        if (fpn instanceof Pafpn p) { // bottom-up: downsample_convs on each level but the last (+, not counted), pafpn_convs
            for (int i = 0; i < used - 1; i++) convModule(name + ".downsample_convs." + i, p.downsampleConvs.get(i), outs.get(i));
            for (int i = 1; i < used; i++) outs.set(i, convModule(name + ".pafpn_convs." + (i - 1), p.pafpnConvs.get(i - 1), outs.get(i)));
        }
        int extra = cfg.numOuts() - used;
        if (extra <= 0) return outs;
        if (!cfg.extraConvs()) { // max-pool 1×1, stride 2
            for (int i = 0; i < extra; i++) {
                int[] p = outs.get(outs.size() - 1);
                outs.add(new int[] {p[0], (p[1] - 1) / 2 + 1, (p[2] - 1) / 2 + 1});
            }
            return outs;
        }
        int[] src = switch (cfg.addExtraConvs()) {
            case "on_input" -> inputs.get(cfg.backboneEndLevel() - 1);
            case "on_lateral" -> lat[used - 1];
            default -> outs.get(used - 1);
        };
        outs.add(convModule(name + ".fpn_convs." + used, fpn.fpnConvs.get(used), src));
        for (int i = used + 1; i < cfg.numOuts(); i++)
            outs.add(convModule(name + ".fpn_convs." + i, fpn.fpnConvs.get(i), outs.get(outs.size() - 1)));
        return outs;
    }

    /** HRFPN: bilinear ×2^i of input i (owned by the neck), cat, reduction_conv, pooling 2^i (0), fpn_convs. */
    private List<int[]> hrfpn(Hrfpn h, String name, List<int[]> inputs) {
        int[] first = inputs.get(0);
        int channels = 0;
        for (int i = 0; i < inputs.size(); i++) {
            int[] x = inputs.get(i);
            channels += x[0];
            if (i == 0) continue;
            int oh = autoassign.backend.BilinearResize.outSize(x[1], 1 << i), ow = autoassign.backend.BilinearResize.outSize(x[2], 1 << i);
            if (oh != first[1] || ow != first[2])
                throw new IllegalArgumentException("HRFPN: input " + i + " (" + x[1] + "x" + x[2] + ") upsampled ×" + (1 << i)
                        + " is " + oh + "x" + ow + ", input 0 is " + first[1] + "x" + first[2]
                        + ": pad the input to a multiple of the largest backbone stride");
            add(name, UPSAMPLE_BILINEAR, 4L * x[0] * oh * ow);
        }
        int[] reduced = convModule(name + ".reduction_conv", h.reductionConv, new int[] {channels, first[1], first[2]});
        List<int[]> outs = new ArrayList<>();
        for (int i = 0; i < h.fpnConvs.size(); i++) {
            int k = 1 << i;
            int[] p = i == 0 ? reduced : new int[] {reduced[0], reduced[1] / k, reduced[2] / k};
            if (p[1] < 1 || p[2] < 1)
                throw new IllegalArgumentException("the input is too small: " + name + " pools " + reduced[1] + "x" + reduced[2] + " by " + k);
            outs.add(convModule(name + ".fpn_convs." + i, h.fpnConvs.get(i), p));
        }
        return outs;
    }

    private void head(AutoAssignHead h, String name, List<int[]> feats) {
        if (feats.size() != h.scales.size())
            throw new IllegalStateException(name + ": " + feats.size() + " levels for " + h.scales.size() + " strides");
        for (int l = 0; l < feats.size(); l++) {
            int[] c = feats.get(l), r = feats.get(l);
            for (int i = 0; i < h.clsConvs.size(); i++) c = convModule(name + ".cls_convs." + i, h.clsConvs.get(i), c);
            conv(name + ".conv_cls", h.convCls, c);
            for (int i = 0; i < h.regConvs.size(); i++) r = convModule(name + ".reg_convs." + i, h.regConvs.get(i), r);
            conv(name + ".conv_reg", h.convReg, r);
            called.add(name + ".scales." + l); // Scale's multiply: no flops, but the module runs
            conv(name + ".conv_centerness", h.convCenterness, r);
        }
    }
}
