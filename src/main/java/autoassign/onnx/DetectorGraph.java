package autoassign.onnx;

import autoassign.config.NeckConfig;
import autoassign.model.AutoAssignDetector;
import autoassign.model.AutoAssignHead;
import autoassign.model.ConvModule;
import autoassign.model.Fpn;
import autoassign.model.HrNet;
import autoassign.model.MobileNetV2;
import autoassign.config.MobileNetV2Config;
import autoassign.model.ModuleList;
import autoassign.model.ResBlock;
import autoassign.model.ResNet;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.Conv2d;
import autoassign.nn.DeformConv2dPack;
import autoassign.nn.GroupNorm;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The detector as an ONNX graph, layer for layer as {@code autoassign.model} computes it in eval mode
 * ({@code AutoAssignDetector.forward}): ResNet → FPN → AutoAssign head, outputs per level {@code cls_score_l}
 * {@code [N,C,h,w]} (logits), {@code bbox_pred_l} {@code [N,4,h,w]} ({@code max(raw·scale_l, 0)·stride_l}, pixels)
 * and {@code objectness_l} {@code [N,1,h,w]} (logits).
 *
 * <ul>
 *   <li>BatchNorm (eval mode: a per-channel affine from the running statistics, the scale/shift the engine itself
 *       computes) is folded into the preceding conv's weight and bias;</li>
 *   <li>a grouped conv (ResNeXt's 3×3) is one Conv with {@code group} = its groups and the weight as the engine
 *       and PyTorch store it, {@code [Cout, Cin/groups, kH, kW]};</li>
 *   <li>GroupNorm is torch.onnx's opset-17 pattern: Reshape {@code [0,G,-1]} → InstanceNormalization (scale 1,
 *       bias 0, eps) → Reshape to the input's shape → Mul weight → Add bias;</li>
 *   <li>the FPN's top-down nearest upsampling is Resize (nearest, asymmetric, floor) with {@code sizes} = the shape
 *       of the lateral it is added to: source index {@code floor(i·in/out)}, the engine's and PyTorch's
 *       {@code upsampleNearest}, for any input size;</li>
 *   <li>{@code deep_stem}: three Conv (+ folded BN) + Relu named {@code backbone.stem.0/3/6}; {@code avg_down}: an
 *       {@code AveragePool} ({@code kernel_shape} = {@code strides} = the block's stride, {@code ceil_mode} 1,
 *       {@code count_include_pad} 0, as torch.onnx writes ResLayer's {@code nn.AvgPool2d}) before the stride-1 1×1
 *       Conv of each downsample (an identity 1×1/1 pool in layer1, written as upstream has it).</li>
 *   <li>HRNet: its transitions and HRModules layer for layer; a fuse layer from a coarser branch is Conv (+ folded
 *       BN) + {@code Resize} (nearest, asymmetric, floor) to the finer branch's shape, the same source index as
 *       torch's {@code nn.Upsample(scale_factor=2^(j−i))} on an input divisible by 32.</li>
 *   <li>Res2Net's {@code Bottle2neck}: a {@code Slice} per channel slice, {@code Add} / {@code Concat}, the
 *       strided stage block's {@code AveragePool} (3×3, pads 1, count_include_pad 1) on the last slice.</li>
 *   <li>ResNeSt's split attention ({@link #splitAttention}): {@code Slice} / {@code Add} of the radix splits,
 *       {@code GlobalAveragePool}, the attention convs, RSoftmax's {@code Reshape} → {@code Transpose} → {@code Softmax}
 *       → {@code Reshape} (or {@code Sigmoid}), {@code Mul} / {@code Add}; the avd layer's {@code AveragePool}.</li>
 * </ul>
 * Weights are read from the model's tensors on any device; the model is not changed.
 */
public final class DetectorGraph {
    /** The graph input: the normalised, padded batch {@code [N, 3, H, W]}. */
    public static final String INPUT = "image";

    /** A value in the graph with its channels and spatial size (-1 when the input size is symbolic). */
    private record Feature(String name, int channels, int h, int w) {}

    private final OnnxGraph g;
    private final AutoAssignDetector model;
    private final boolean dynamic;
    private final Map<Integer, String[]> groupNormConstants = new HashMap<>();
    /** Every module's state-dict prefix ({@code backbone.layer1.0.conv1}): initializers keep the checkpoint's names. */
    private final Map<Module, String> moduleNames = new IdentityHashMap<>();

    private DetectorGraph(AutoAssignDetector model, InputShape shape) {
        this.model = model;
        nameModules(model, "");
        this.dynamic = shape.isDynamic();
        this.g = new OnnxGraph("autoassign");
    }

    /** Names of the three outputs of level {@code l}. */
    public static String clsScore(int l) { return "cls_score_" + l; }

    public static String bboxPred(int l) { return "bbox_pred_" + l; }

    public static String objectness(int l) { return "objectness_" + l; }

    /** The network with its raw per-level outputs. */
    public static OnnxGraph build(AutoAssignDetector model, InputShape shape) { return build(model, shape, null); }

    /**
     * The network with its raw per-level outputs ({@code post} null), or followed by the engine's post-processing of
     * every image of the batch with the settings {@code post} ({@link PostProcessGraph}): outputs {@code dets} and
     * {@code labels}.
     */
    public static OnnxGraph build(AutoAssignDetector model, InputShape shape, autoassign.postprocess.PostProcessConfig post) {
        if (post != null) PostProcessGraph.check(post); // before the network is mapped
        DetectorGraph b = new DetectorGraph(model, shape);
        Levels levels = b.network(shape);
        if (post != null) {
            PostProcessGraph.append(b.g, INPUT, names(levels.cls), names(levels.dist), names(levels.obj),
                    model.bboxHead.config().stridesArray(), levels.cls.get(0).channels(), post, shape.dims().get(0));
            return b.g;
        }
        for (int l = 0; l < levels.cls.size(); l++) {
            b.declareOutput(levels.cls.get(l), l);
            b.declareOutput(levels.dist.get(l), l);
            b.declareOutput(levels.obj.get(l), l);
        }
        return b.g;
    }

    /** The per-level head outputs as graph values. */
    private record Levels(List<Feature> cls, List<Feature> dist, List<Feature> obj) {}

    private static List<String> names(List<Feature> fs) { return fs.stream().map(Feature::name).toList(); }

    private Levels network(InputShape shape) {
        Feature image = new Feature(g.input(INPUT, OnnxGraph.FLOAT, shape.dims()), 3,
                dynamic ? -1 : shape.height(), dynamic ? -1 : shape.width());
        return head(neck(backbone(image)));
    }

    private void nameModules(Module m, String prefix) {
        moduleNames.put(m, prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1));
        m.children().forEach((k, c) -> nameModules(c, prefix + k + "."));
    }

    private String nameOf(Module m) { return moduleNames.get(m); }

    private void declareOutput(Feature f, int level) {
        g.output(f.name(), OnnxGraph.FLOAT, dynamic
                ? List.of("N", (long) f.channels(), "h" + level, "w" + level)
                : List.of(1L, (long) f.channels(), (long) f.h(), (long) f.w()));
    }

    // ------------------------------------------------------------------------------------------------ backbone

    private List<Feature> backbone(Feature x) {
        if (model.backbone instanceof HrNet h) return hrnet(x, h);
        if (model.backbone instanceof MobileNetV2 mb) return mobileNetV2(x, mb);
        if (model.backbone instanceof autoassign.model.SwinTransformer sw) return swin(x, sw);
        if (model.backbone instanceof autoassign.model.CspDarknet cd) return cspDarknet(x, cd);
        if (model.backbone instanceof autoassign.model.CspNext cn) return cspNext(x, cn);
        if (model.backbone instanceof autoassign.model.EfficientNet en) return efficientNet(x, en);
        if (model.backbone instanceof autoassign.model.PyramidVisionTransformer pv) return pvt(x, pv);
        ResNet r = (ResNet) model.backbone;
        Feature y = x;
        for (ResNet.StemLayer l : r.stemLayers()) y = convNorm(y, l.conv(), l.norm(), true); // conv1, or stem.0/3/6
        if (r.hasStemMaxPool()) y = maxPool(y, 3, 2, 1, "backbone.maxpool"); // RegNet's stem has none
        List<Feature> outs = new ArrayList<>();
        for (int i = 0; i < r.layers.size(); i++) {
            ModuleList<ResBlock> layer = r.layers.get(i);
            for (ResBlock b : layer) y = block(y, b);
            if (r.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    /**
     * Swin Transformer ({@link SwinGraph}): at a fixed input size its reshuffles are index initializers, at a symbolic
     * one ({@link SwinShapeGraph}) computed from the input's Shape.
     */
    private List<Feature> swin(Feature x, autoassign.model.SwinTransformer sw) {
        List<Feature> outs = new ArrayList<>();
        SwinGraph sg = new SwinGraph(g, this::nameOf);
        for (SwinGraph.Out o : dynamic ? sg.buildSymbolic(sw, x.name()) : sg.build(sw, x.name(), 1, x.h(), x.w()))
            outs.add(new Feature(o.name(), o.channels(), o.h(), o.w()));
        return outs;
    }

    /**
     * PVT / PVTv2 ({@link PvtGraph}): at a symbolic input size its reshapes take N, h and w from Shape and v1's position
     * embedding is a Resize to the patch grid.
     */
    private List<Feature> pvt(Feature x, autoassign.model.PyramidVisionTransformer pv) {
        List<Feature> outs = new ArrayList<>();
        for (PvtGraph.Out o : new PvtGraph(g, this::nameOf).build(pv, x.name(), x.h(), x.w()))
            outs.add(new Feature(o.name(), o.channels(), o.h(), o.w()));
        return outs;
    }

    /**
     * HRNet: the stem's two Conv (+ folded BN) + Relu, layer1's blocks, then per stage the transitions (from the
     * last branch's output, as upstream's forward) and the HRModules: each branch's blocks, then per output branch
     * the sum of the fuse layers (a higher branch: 1×1 Conv + folded BN + {@code Resize} nearest with scales
     * 2^(j−i), torch.onnx's export of {@code nn.Upsample(scale_factor, mode='nearest')}; a lower one: a chain of
     * 3×3/2 Conv + folded BN (+ Relu but the last)) and a Relu.
     */
    private List<Feature> hrnet(Feature x, HrNet h) {
        Feature y = convNorm(x, h.conv1, h.norm1, true);
        y = convNorm(y, h.conv2, h.norm2, true);
        for (ResBlock b : h.layer1) y = block(y, b);
        List<Feature> ys = List.of(y);
        for (int k = 0; k < h.stages.size(); k++) {
            ModuleList<Module> t = h.transitions.get(k);
            Feature last = ys.get(ys.size() - 1);
            List<Feature> xs = new ArrayList<>();
            for (int i = 0; i < t.size(); i++) {
                Module m = t.get(i);
                if (m instanceof HrNet.Absent) xs.add(ys.get(i));
                else if (m instanceof HrNet.ConvNorm c) xs.add(hrConvNorm(last, c, null));
                else xs.add(hrChain(last, m));
            }
            for (HrNet.HrModule mod : h.stages.get(k)) xs = hrModule(xs, mod);
            ys = xs;
        }
        return ys;
    }

    private List<Feature> hrModule(List<Feature> xs, HrNet.HrModule mod) {
        List<Feature> x = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            Feature y = xs.get(i);
            for (ResBlock b : mod.branches.get(i)) y = block(y, b);
            x.add(y);
        }
        if (mod.fuseLayers == null) return x;
        List<Feature> out = new ArrayList<>();
        for (int i = 0; i < mod.fuseLayers.size(); i++) {
            ModuleList<Module> row = mod.fuseLayers.get(i);
            String prefix = nameOf(row);
            Feature sum = null;
            for (int j = 0; j < x.size(); j++) {
                Module f = row.get(j);
                Feature term = f instanceof HrNet.Absent ? x.get(j) : f instanceof HrNet.ConvNorm c ? hrConvNorm(x.get(j), c, x.get(i))
                        : hrChain(x.get(j), f);
                sum = sum == null ? term : same(x.get(i), g.node("Add", prefix, List.of(sum.name(), term.name())));
            }
            out.add(relu(same(x.get(i), sum.name()), prefix));
        }
        return out;
    }

    /**
     * One of HRNet's Sequentials [conv, norm(, ReLU | nearest Upsample)]. The upsampling is a nearest {@code Resize}
     * (asymmetric, floor) to {@code target}'s shape (the branch it is added to, whose channels the 1×1 conv already
     * has): source index floor(i / 2^(j−i)), torch's {@code nn.Upsample(scale_factor=2^(j−i))} for an input divisible
     * by 32 (any other size fails upstream and in the engine).
     */
    private Feature hrConvNorm(Feature x, HrNet.ConvNorm c, Feature target) {
        Feature y = convNorm(x, c.conv, c.norm, c.relu);
        if (c.upsample == 1) return y;
        String prefix = nameOf(c) + ".2";
        String sizes = g.node("Shape", prefix, List.of(target.name()));
        String up = g.node("Resize", prefix, List.of(y.name(), "", "", sizes), Map.of(
                "mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor"));
        return new Feature(up, y.channels(), y.h() < 0 ? -1 : y.h() * c.upsample, y.w() < 0 ? -1 : y.w() * c.upsample);
    }

    @SuppressWarnings("unchecked")
    private Feature hrChain(Feature x, Module seq) {
        Feature y = x;
        for (HrNet.ConvNorm c : (ModuleList<HrNet.ConvNorm>) seq) y = hrConvNorm(y, c, null);
        return y;
    }

    /**
     * MobileNetV2: each ConvModule a Conv (BN folded; depth-wise ones with {@code group} = channels) and its
     * activation ({@code Clip} 0..6 for ReLU6, torch.onnx's export of hardtanh at opset ≥ 11; {@code Relu};
     * {@code LeakyRelu} with {@code alpha} = negative_slope); an
     * InvertedResidual that keeps stride and channels ends in an {@code Add} of its input. Only the stages up to the
     * last returned one are written (the rest feed no output).
     */
    private List<Feature> mobileNetV2(Feature x, MobileNetV2 m) {
        Feature y = mbConvModule(x, m.conv1, null);
        List<Feature> outs = new ArrayList<>();
        for (int i = 0; i <= m.config().lastStage(); i++) {
            if (i < 7) {
                for (MobileNetV2.InvertedResidual b : m.layers.get(i)) {
                    Feature in = y;
                    if (b.expandConv != null) y = mbConvModule(y, b.expandConv, null);
                    y = mbConvModule(y, b.depthwiseConv, null);
                    y = mbConvModule(y, b.linearConv, b.residual ? in : null);
                }
            } else {
                y = mbConvModule(y, m.conv2, null);
            }
            if (m.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    /** conv + norm (+ residual, added after the norm as upstream's {@code x + out}) → ReLU6 / ReLU / nothing. */
    private Feature mbConvModule(Feature x, MobileNetV2.ConvModule c, Feature residual) {
        Feature y = convNorm(x, c.conv, c.norm, false);
        if (residual != null) y = same(y, g.node("Add", nameOf(c), List.of(residual.name(), y.name())));
        if (MobileNetV2Config.RELU.equals(c.activation)) return relu(y, nameOf(c) + ".activate");
        if (MobileNetV2Config.LEAKY_RELU.equals(c.activation)) // torch.onnx's export of leaky_relu
            return same(y, g.node("LeakyRelu", nameOf(c) + ".activate", List.of(y.name()), Map.of("alpha", c.negativeSlope)));
        if (!MobileNetV2Config.RELU6.equals(c.activation)) return y;
        String lo = g.scalar("relu6.min", 0f), hi = g.scalar("relu6.max", 6f);
        return same(y, g.node("Clip", nameOf(c) + ".activate", List.of(y.name(), lo, hi)));
    }

    private Feature block(Feature x, ResBlock block) {
        String prefix = nameOf(block);
        Feature out;
        if (block instanceof ResBlock.Bottleneck b) {
            out = convNorm(x, b.conv1, b.norm1, true);
            out = b.deformConv2 != null ? deformConvNorm(out, b.deformConv2, b.norm2) : convNorm(out, b.conv2, b.norm2, true);
            out = convNorm(out, b.conv3, b.norm3, false);
        } else if (block instanceof autoassign.model.Bottle2neck b) {
            out = bottle2neck(x, b, prefix);
        } else if (block instanceof autoassign.model.ResNeStBottleneck b) {
            out = convNorm(x, b.conv1, b.norm1, true);
            out = splitAttention(out, b.conv2);
            if (b.avdLayer != null) out = avgPool(out, b.avdLayer.params, nameOf(b.avdLayer));
            out = convNorm(out, b.conv3, b.norm3, false);
        } else {
            ResBlock.Basic b = (ResBlock.Basic) block;
            out = convNorm(x, b.conv1, b.norm1, true);
            out = convNorm(out, b.conv2, b.norm2, false);
        }
        Feature identity = x;
        if (block.downsample != null) {
            Feature in = x;
            if (block.downsamplePool() != null) in = avgPool(x, block.downsamplePool().params, nameOf(block.downsamplePool()));
            identity = convNorm(in, block.downsampleConv(), block.downsampleNorm(), false);
        }
        Feature sum = same(out, g.node("Add", prefix, List.of(out.name(), identity.name())));
        return relu(sum, prefix);
    }

    /**
     * ResNeSt's {@code SplitAttentionConv2d} as torch.onnx writes upstream's forward: {@code conv} (+ folded bn0) + Relu;
     * with radix &gt; 1 a {@code Slice} per split of the channels and their {@code Add}; {@code GlobalAveragePool}
     * (adaptive_avg_pool2d(·, 1)); {@code fc1} (+ folded bn1) + Relu; {@code fc2}; RSoftmax as {@code Reshape}
     * [N, groups, radix, −1] → {@code Transpose} (0, 2, 1, 3) → {@code Softmax} (axis 1) → {@code Reshape} [N, −1, 1, 1]
     * ({@code Sigmoid} at radix 1); then per split a {@code Slice} of the weights, its {@code Mul} with the split
     * (broadcast over H, W) and the {@code Add} of the products.
     */
    private Feature splitAttention(Feature x, autoassign.model.SplitAttentionConv2d sa) {
        String p = nameOf(sa);
        int c = sa.channels, r = sa.radix;
        Feature y = convNorm(x, sa.conv, sa.bn0, true);
        Feature[] splits = new Feature[r];
        String axes = r == 1 ? null : g.longs("resnest.channel_axis", new long[] {1}, 1); // no Slice at radix 1
        for (int k = 0; k < r; k++)
            splits[k] = r == 1 ? y : new Feature(g.node("Slice", p + ".split", List.of(y.name(), channel(k * c), channel((k + 1) * c), axes)),
                    c, y.h(), y.w());
        Feature sum = splits[0];
        for (int k = 1; k < r; k++) sum = same(sum, g.node("Add", p + ".gap", List.of(sum.name(), splits[k].name())));
        Feature gap = new Feature(g.node("GlobalAveragePool", p + ".gap", List.of(sum.name())), c, 1, 1);
        Feature h = convNorm(gap, sa.fc1, sa.bn1, true);
        Feature logits = conv(h, sa.fc2, null);
        String att;
        if (r > 1) {
            String grouped = g.longs("resnest.rsoftmax_g" + sa.groups + "_r" + r, new long[] {0, sa.groups, r, -1}, 4);
            String v = g.node("Reshape", p + ".rsoftmax", List.of(logits.name(), grouped));
            String t = g.node("Transpose", p + ".rsoftmax", List.of(v), Map.of("perm", new long[] {0, 2, 1, 3}));
            String sm = g.node("Softmax", p + ".rsoftmax", List.of(t), Map.of("axis", 1L));
            att = g.node("Reshape", p + ".rsoftmax", List.of(sm, g.longs("resnest.attention_shape", new long[] {0, -1, 1, 1}, 4)));
        } else {
            att = g.node("Sigmoid", p + ".rsoftmax", List.of(logits.name()));
        }
        Feature out = null;
        for (int k = 0; k < r; k++) {
            String w = r == 1 ? att : g.node("Slice", p + ".attention", List.of(att, channel(k * c), channel((k + 1) * c), axes));
            Feature m = same(splits[k], g.node("Mul", p, List.of(splits[k].name(), w)));
            out = out == null ? m : same(m, g.node("Add", p, List.of(out.name(), m.name())));
        }
        return out;
    }

    /** A one-element int64 initializer holding a channel index (Slice starts / ends). */
    private String channel(long index) { return g.longs("resnest.channel_" + index, new long[] {index}, 1); }

    /**
     * Res2Net's block up to conv3 + norm: conv1 (+ folded norm) + Relu, one {@code Slice} per slice of the channels
     * (torch.split), each slice's 3×3 (+ folded norm) + Relu after the {@code Add} of the previous slice's output
     * (normal blocks), the last slice as it is or through the block's {@code AveragePool} (3×3, the stride, pads 1,
     * count_include_pad 1: {@code nn.AvgPool2d}'s defaults), {@code Concat} on the channels, conv3 (+ folded norm).
     */
    private Feature bottle2neck(Feature x, autoassign.model.Bottle2neck b, String prefix) {
        Feature t = convNorm(x, b.conv1, b.norm1, true);
        String axes = g.longs("res2net.channel_axis", new long[] {1}, 1);
        Feature[] spx = new Feature[b.scales];
        for (int k = 0; k < b.scales; k++) {
            String starts = g.longs("res2net.channel_" + k * b.width, new long[] {(long) k * b.width}, 1);
            String ends = g.longs("res2net.channel_" + (k + 1) * b.width, new long[] {(long) (k + 1) * b.width}, 1);
            spx[k] = new Feature(g.node("Slice", prefix + ".split", List.of(t.name(), starts, ends, axes)), b.width, t.h(), t.w());
        }
        List<String> parts = new ArrayList<>();
        Feature sp = null;
        for (int k = 0; k < b.scales - 1; k++) {
            Feature in = k == 0 || b.stageType ? spx[k]
                    : same(spx[k], g.node("Add", prefix + ".convs." + k, List.of(sp.name(), spx[k].name())));
            sp = b.convs.get(k) instanceof DeformConv2dPack d ? deformConvNorm(in, d, b.bns.get(k))
                    : convNorm(in, (Conv2d) b.convs.get(k), b.bns.get(k), true);
            parts.add(sp.name());
        }
        Feature last = b.pool != null ? avgPool(spx[b.scales - 1], b.pool.params, nameOf(b.pool)) : spx[b.scales - 1];
        parts.add(last.name());
        Feature cat = new Feature(g.node("Concat", prefix + ".cat", parts, Map.of("axis", 1L)), b.width * b.scales, sp.h(), sp.w());
        return convNorm(cat, b.conv3, b.norm3, false);
    }

    /**
     * CSPDarknet as torch.onnx writes MMDetection's: Focus's four strided {@code Slice}s (steps 2 on H and W, starts
     * (0,0), (1,0), (0,1), (1,1): upstream's cat order) and their {@code Concat}; every ConvModule a Conv with the BN
     * folded and its activation (Swish as {@code Sigmoid} + {@code Mul}, torch.onnx's export of
     * {@code x * torch.sigmoid(x)}; ReLU; LeakyRelu); SPPBottleneck's stride-1 {@code MaxPool}s; the CSPLayers'
     * {@code Concat}s and the bottlenecks' {@code Add}. Only the layers up to the last returned one are written.
     */
    private List<Feature> cspDarknet(Feature x, autoassign.model.CspDarknet m) {
        String axes = g.longs("focus.axes", new long[] {2, 3}, 2), steps = g.longs("focus.steps", new long[] {2, 2}, 2);
        String ends = g.longs("focus.ends", new long[] {Long.MAX_VALUE, Long.MAX_VALUE}, 2);
        List<String> parts = new ArrayList<>();
        for (int q = 0; q < 4; q++) {
            String starts = g.longs("focus.starts." + q, new long[] {q & 1, q >> 1}, 2);
            parts.add(g.node("Slice", "backbone.stem.slice", List.of(x.name(), starts, ends, axes, steps)));
        }
        Feature y = new Feature(g.node("Concat", "backbone.stem.cat", parts, Map.of("axis", 1L)), 4 * x.channels(),
                x.h() < 0 ? -1 : x.h() / 2, x.w() < 0 ? -1 : x.w() / 2);
        y = csp(y, m.stem.conv);
        List<Feature> outs = new ArrayList<>();
        if (m.config().outIndices().contains(0)) outs.add(y);
        for (int i = 1; i <= m.config().lastLayer(); i++) {
            for (Module layer : m.stages.get(i - 1)) y = csp(y, layer);
            if (m.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    /**
     * CSPNeXt: the three stem ConvModules and the stages' layers as {@link #csp} (CSPNeXtBlocks, ChannelAttention), up
     * to the last returned layer.
     */
    private List<Feature> cspNext(Feature x, autoassign.model.CspNext m) {
        List<Feature> outs = new ArrayList<>();
        Feature y = x;
        for (int i = 0; i <= m.config().lastLayer(); i++) {
            for (Module layer : (ModuleList<?>) m.layer(i)) y = csp(y, layer);
            if (m.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    /**
     * EfficientNet: each ConvModule a Conv (BN folded) after a constant {@code Pad} when Conv2dAdaptivePadding pads
     * (TensorFlow's "same", from the fixed input size: torch.onnx's export of MMCV's {@code F.pad}), then Swish as
     * {@code Sigmoid} + {@code Mul} (or Relu / LeakyRelu); an SE layer {@code GlobalAveragePool} → Conv (bias) →
     * activation → Conv → {@code Sigmoid} → {@code Mul} with its input; a residual block's {@code Add} (drop path is
     * the identity at inference). At a symbolic input size the pads that depend on it are computed in the graph
     * ({@link SamePadGraph}).
     */
    private List<Feature> efficientNet(Feature x, autoassign.model.EfficientNet m) {
        List<Feature> outs = new ArrayList<>();
        Feature y = x;
        for (int i = 0; i < m.layers.size(); i++) {
            Module l = m.layers.get(i);
            if (l instanceof autoassign.model.AdaptiveConvModule c) {
                y = effConv(y, c);
            } else {
                for (Module b : (ModuleList<?>) l) {
                    Feature in = y;
                    if (b instanceof autoassign.model.InvertedResidual r) {
                        if (r.expandConv != null) y = effConv(y, r.expandConv);
                        y = effConv(y, r.depthwiseConv);
                        if (r.se != null) y = effSe(y, r.se);
                        y = effConv(y, r.linearConv);
                        if (r.residual) y = same(y, g.node("Add", nameOf(r), List.of(in.name(), y.name())));
                    } else {
                        autoassign.model.EdgeResidual e = (autoassign.model.EdgeResidual) b;
                        y = effConv(y, e.conv1);
                        if (e.se != null) y = effSe(y, e.se);
                        y = effConv(y, e.conv2);
                        if (e.residual) y = same(y, g.node("Add", nameOf(e), List.of(in.name(), y.name())));
                    }
                }
            }
            if (m.config().outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }

    /** An EfficientNet ConvModule (see {@link #efficientNet}). */
    private Feature effConv(Feature x, autoassign.model.AdaptiveConvModule c) {
        Feature in = x;
        if (c.adaptivePadding && x.h() < 0) { // symbolic size: constant pads where they do not depend on it, else from Shape(x)
            String pads = SamePadGraph.pads(g, x.name(), c.kernel(), c.stride, nameOf(c.conv));
            if (pads != null)
                in = new Feature(g.node("Pad", nameOf(c.conv) + ".pad", List.of(x.name(), pads), Map.of("mode", "constant")), x.channels(), -1, -1);
        } else if (c.adaptivePadding) {
            int[] p = c.padding(x.h(), x.w()); // top, bottom, left, right
            if (p[0] + p[1] + p[2] + p[3] > 0) {
                String pads = g.longs(nameOf(c.conv) + ".pads", new long[] {0, 0, p[0], p[2], 0, 0, p[1], p[3]}, 8);
                in = new Feature(g.node("Pad", nameOf(c.conv) + ".pad", List.of(x.name(), pads), Map.of("mode", "constant")),
                        x.channels(), x.h() + p[0] + p[1], x.w() + p[2] + p[3]);
            }
        }
        Feature y = convNorm(in, c.conv, c.norm, autoassign.config.ActivationConfig.RELU.equals(c.act));
        String act = nameOf(c) + ".activate";
        if (autoassign.config.ActivationConfig.SWISH.equals(c.act))
            return same(y, g.node("Mul", act, List.of(y.name(), g.node("Sigmoid", act, List.of(y.name())))));
        if (autoassign.config.ActivationConfig.LEAKY_RELU.equals(c.act))
            return same(y, g.node("LeakyRelu", act, List.of(y.name()), Map.of("alpha", c.negativeSlope)));
        if (autoassign.model.AdaptiveConvModule.SIGMOID.equals(c.act)) return same(y, g.node("Sigmoid", act, List.of(y.name())));
        return y;
    }

    /** MMDetection's SELayer: x · sigmoid(conv2(act(conv1(mean over H, W)))). */
    private Feature effSe(Feature x, autoassign.model.SeLayer se) {
        Feature gap = new Feature(g.node("GlobalAveragePool", nameOf(se) + ".global_avgpool", List.of(x.name())), x.channels(), 1, 1);
        Feature w = effConv(effConv(gap, se.conv1), se.conv2);
        return same(x, g.node("Mul", nameOf(se), List.of(x.name(), w.name())));
    }

    /**
     * One of the YOLOX-family layers (see {@link #cspDarknet}); CSPNeXt's ChannelAttention as torch.onnx writes it:
     * {@code GlobalAveragePool} (nn.AdaptiveAvgPool2d(1)), {@code Conv} with bias, {@code HardSigmoid} (alpha 1/6, beta
     * 0.5: nn.Hardsigmoid) and a broadcast {@code Mul}.
     */
    private Feature csp(Feature x, Module m) {
        if (m instanceof autoassign.model.CspConvModule c) {
            Feature y = convNorm(x, c.conv, c.norm, c.act.isRelu());
            if (c.act.isSwish()) return same(y, g.node("Mul", nameOf(c) + ".activate",
                    List.of(y.name(), g.node("Sigmoid", nameOf(c) + ".activate", List.of(y.name())))));
            if (c.act.isLeakyRelu()) return same(y, g.node("LeakyRelu", nameOf(c) + ".activate", List.of(y.name()),
                    Map.of("alpha", (float) c.act.negativeSlope())));
            return y;
        }
        if (m instanceof autoassign.model.DepthwiseSeparableConvModule d) return csp(csp(x, d.depthwiseConv), d.pointwiseConv);
        if (m instanceof autoassign.model.SppBottleneck s) {
            Feature a = csp(x, s.conv1);
            List<String> parts = new ArrayList<>(List.of(a.name()));
            for (int k = 0; k < s.kernelSizes.size(); k++)
                parts.add(maxPool(a, s.kernelSizes.get(k), 1, s.kernelSizes.get(k) / 2, nameOf(s) + ".poolings." + k).name());
            return csp(new Feature(g.node("Concat", nameOf(s) + ".cat", parts, Map.of("axis", 1L)), a.channels() * parts.size(),
                    a.h(), a.w()), s.conv2);
        }
        if (m instanceof autoassign.model.DarknetBottleneck b) {
            Feature y = csp(csp(x, b.conv1), b.conv2);
            return b.addIdentity ? same(y, g.node("Add", nameOf(b), List.of(y.name(), x.name()))) : y;
        }
        if (m instanceof autoassign.model.CspNextBlock b) {
            Feature y = csp(csp(x, b.conv1), b.conv2);
            return b.addIdentity ? same(y, g.node("Add", nameOf(b), List.of(y.name(), x.name()))) : y;
        }
        if (m instanceof autoassign.model.ChannelAttention a) {
            String p = nameOf(a);
            Feature gap = new Feature(g.node("GlobalAveragePool", p + ".global_avgpool", List.of(x.name())), x.channels(), 1, 1);
            Feature z = conv(gap, a.fc, null);
            String gate = g.node("HardSigmoid", p + ".act", List.of(z.name()), Map.of("alpha", 1f / 6f, "beta", 0.5f));
            return same(x, g.node("Mul", p, List.of(x.name(), gate)));
        }
        if (m instanceof autoassign.model.CspLayer c) {
            Feature s = csp(x, c.shortConv), y = csp(x, c.mainConv);
            for (Module b : c.blocks) y = csp(y, b);
            Feature cat = new Feature(g.node("Concat", nameOf(c) + ".cat", List.of(y.name(), s.name()), Map.of("axis", 1L)),
                    y.channels() + s.channels(), y.h(), y.w());
            if (c.attention != null) cat = csp(cat, c.attention);
            return csp(cat, c.finalConv);
        }
        throw new IllegalArgumentException("ONNX export: unsupported layer " + m.getClass().getSimpleName());
    }

    /**
     * YOLOXPAFPN: its ConvModules and CSPLayers as {@link #csp}; the upsampling a {@code Resize} (nearest,
     * asymmetric, floor) with scales [1, 1, 2, 2], torch.onnx's export of {@code nn.Upsample(scale_factor=2)};
     * {@code Concat}s in upstream's order.
     */
    private List<Feature> yoloxPafpn(autoassign.model.YoloxPafpn p, List<Feature> inputs) {
        int n = inputs.size();
        Feature[] inner = new Feature[n];
        inner[n - 1] = inputs.get(n - 1);
        String scales = g.floats("neck.upsample.scales", new float[] {1, 1, 2, 2}, 4);
        for (int idx = n - 1; idx > 0; idx--) {
            int j = n - 1 - idx;
            Feature high = csp(inner[idx], p.reduceLayers.get(j));
            inner[idx] = high;
            Feature up = new Feature(g.node("Resize", "neck.upsample", List.of(high.name(), "", scales), Map.of(
                    "mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor")),
                    high.channels(), high.h() < 0 ? -1 : 2 * high.h(), high.w() < 0 ? -1 : 2 * high.w());
            Feature low = inputs.get(idx - 1);
            inner[idx - 1] = csp(new Feature(g.node("Concat", "neck.top_down_blocks." + j + ".cat", List.of(up.name(), low.name()),
                    Map.of("axis", 1L)), up.channels() + low.channels(), low.h(), low.w()), p.topDownBlocks.get(j));
        }
        List<Feature> outs = new ArrayList<>(List.of(inner[0]));
        for (int idx = 0; idx < n - 1; idx++) {
            Feature down = csp(outs.get(outs.size() - 1), p.downsamples.get(idx));
            Feature high = inner[idx + 1];
            outs.add(csp(new Feature(g.node("Concat", "neck.bottom_up_blocks." + idx + ".cat", List.of(down.name(), high.name()),
                    Map.of("axis", 1L)), down.channels() + high.channels(), high.h(), high.w()), p.bottomUpBlocks.get(idx)));
        }
        for (int i = 0; i < n; i++) outs.set(i, csp(outs.get(i), p.outConvs.get(i)));
        return outs;
    }

    // ------------------------------------------------------------------------------------------------ neck

    private List<Feature> neck(List<Feature> inputs) {
        if (model.neck instanceof autoassign.model.Hrfpn h) return hrfpn(h, inputs);
        if (model.neck instanceof autoassign.model.YoloxPafpn y) return yoloxPafpn(y, inputs);
        Fpn fpn = (Fpn) model.neck;
        NeckConfig cfg = fpn.config();
        int used = fpn.lateralConvs.size();
        Feature[] lat = new Feature[used];
        for (int i = 0; i < used; i++)
            lat[i] = convModule(inputs.get(i + cfg.startLevel()), fpn.lateralConvs.get(i));
        for (int i = used - 1; i > 0; i--) {
            String prefix = "neck.top_down." + (i - 1);
            // sizes = the lateral's own shape (same N and C): nearest to its exact h×w, dynamic or not
            String sizes = g.node("Shape", prefix, List.of(lat[i - 1].name()));
            String up = g.node("Resize", prefix, List.of(lat[i].name(), "", "", sizes), Map.of(
                    "mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor"));
            lat[i - 1] = same(lat[i - 1], g.node("Add", prefix, List.of(lat[i - 1].name(), up)));
        }
        List<Feature> outs = new ArrayList<>();
        for (int i = 0; i < used; i++) outs.add(convModule(lat[i], fpn.fpnConvs.get(i)));
        if (fpn instanceof autoassign.model.Pafpn p) { // bottom-up: inter[i+1] += downsample_convs[i](inter[i]), pafpn_convs
            for (int i = 0; i < used - 1; i++) {
                Feature down = convModule(outs.get(i), p.downsampleConvs.get(i));
                outs.set(i + 1, same(outs.get(i + 1), g.node("Add", "neck.bottom_up." + i, List.of(outs.get(i + 1).name(), down.name()))));
            }
            for (int i = 1; i < used; i++) outs.set(i, convModule(outs.get(i), p.pafpnConvs.get(i - 1)));
        }
        int extra = cfg.numOuts() - used;
        if (extra <= 0) return outs;
        if (!cfg.extraConvs()) {
            for (int i = 0; i < extra; i++) outs.add(maxPool(outs.get(outs.size() - 1), 1, 2, 0, "neck.extra_pool." + i));
            return outs;
        }
        Feature src = switch (cfg.addExtraConvs()) {
            case "on_input" -> inputs.get(cfg.backboneEndLevel() - 1);
            case "on_lateral" -> lat[used - 1];
            default -> outs.get(used - 1);
        };
        outs.add(convModule(src, fpn.fpnConvs.get(used)));
        for (int i = used + 1; i < cfg.numOuts(); i++) {
            Feature prev = outs.get(outs.size() - 1);
            if (cfg.reluBeforeExtraConvs()) prev = relu(prev, "neck.fpn_convs." + i);
            outs.add(convModule(prev, fpn.fpnConvs.get(i)));
        }
        return outs;
    }

    /**
     * HRFPN: input i through {@code Resize} (linear, {@code pytorch_half_pixel}, scales 2^i: torch.onnx's export of
     * {@code F.interpolate(scale_factor=2**i, mode='bilinear')}, whose source index uses 1/scale as ATen does),
     * {@code Concat} on channels, reduction_conv, then {@code MaxPool} / {@code AveragePool} 2^i and fpn_convs.
     */
    private List<Feature> hrfpn(autoassign.model.Hrfpn h, List<Feature> inputs) {
        Feature first = inputs.get(0);
        List<String> parts = new ArrayList<>(List.of(first.name()));
        int channels = first.channels();
        for (int i = 1; i < inputs.size(); i++) {
            Feature x = inputs.get(i);
            int k = 1 << i;
            String prefix = "neck.upsample." + i;
            String scales = g.floats(prefix + ".scales", new float[] {1, 1, k, k}, 4);
            parts.add(g.node("Resize", prefix, List.of(x.name(), "", scales), Map.of(
                    "mode", "linear", "coordinate_transformation_mode", "pytorch_half_pixel")));
            channels += x.channels();
            if (first.h() >= 0 && x.h() >= 0 && (x.h() * k != first.h() || x.w() * k != first.w()))
                throw new IllegalArgumentException("ONNX export: HRFPN input " + i + " (" + x.h() + "x" + x.w() + ") upsampled ×" + k
                        + " does not match input 0 (" + first.h() + "x" + first.w() + "): pad to a multiple of the largest stride");
        }
        String cat = g.node("Concat", "neck.cat", parts, Map.of("axis", 1L));
        Feature reduced = convModule(new Feature(cat, channels, first.h(), first.w()), h.reductionConv);
        List<Feature> outs = new ArrayList<>();
        for (int i = 0; i < h.fpnConvs.size(); i++) {
            int k = 1 << i;
            Feature p = reduced;
            if (i > 0) p = h.config().poolingType().equals("MAX") ? maxPool(reduced, k, k, 0, "neck.pool." + i)
                    : avgPool(reduced, autoassign.model.Hrfpn.poolParams(k), "neck.pool." + i);
            outs.add(convModule(p, h.fpnConvs.get(i)));
        }
        return outs;
    }

    // ------------------------------------------------------------------------------------------------ head

    private Levels head(List<Feature> feats) {
        AutoAssignHead h = model.bboxHead;
        int[] strides = h.config().stridesArray();
        if (feats.size() != strides.length)
            throw new IllegalArgumentException("ONNX export: the neck gives " + feats.size() + " levels for " + strides.length + " strides");
        List<Feature> cls = new ArrayList<>(), dist = new ArrayList<>(), obj = new ArrayList<>();
        for (int l = 0; l < strides.length; l++) {
            String p = "bbox_head.level" + l;
            Feature c = feats.get(l), r = feats.get(l);
            // the layers are shared by the levels: their weights are stored once, under the module's name
            for (ConvModule m : h.clsConvs) c = convModule(c, m);
            for (ConvModule m : h.regConvs) r = convModule(r, m);
            cls.add(conv(c, h.convCls, clsScore(l)));
            Feature reg = conv(r, h.convReg, null);
            // max(raw·scale_l, 0)·stride_l, in the engine's order of operations
            String scale = g.floats("bbox_head.scales." + l + ".scale", h.scales.get(l).scale.toFloatArray());
            String scaled = g.node("Mul", p + ".scale", List.of(reg.name(), scale));
            String clamped = g.node("Relu", p + ".scale", List.of(scaled));
            String stride = g.scalar("bbox_head.stride_" + strides[l], strides[l]);
            dist.add(same(reg, g.node("Mul", p + ".stride", bboxPred(l), List.of(clamped, stride), Map.of())));
            obj.add(conv(r, h.convCenterness, objectness(l)));
        }
        return new Levels(cls, dist, obj);
    }

    // ------------------------------------------------------------------------------------------------ layers

    /** MMCV's ConvModule: conv → optional norm → optional ReLU. */
    private Feature convModule(Feature x, ConvModule m) { return convNorm(x, m.conv, m.norm, m.relu); }

    /** conv → norm (BatchNorm folded into the conv, GroupNorm as its pattern, or none) → ReLU when {@code relu}. */
    private Feature convNorm(Feature x, Conv2d conv, Module norm, boolean relu) {
        Feature y;
        if (norm instanceof BatchNorm2d bn) y = foldedConv(x, conv, bn);
        else {
            y = conv(x, conv, null);
            if (norm instanceof GroupNorm gn) y = groupNorm(y, gn);
            else if (norm != null) throw new IllegalArgumentException("ONNX export: unsupported norm layer " + norm.getClass().getSimpleName());
        }
        return relu ? relu(y, nameOf(norm != null ? norm : conv)) : y;
    }

    /**
     * MMCV's DCN / DCNv2 (+ BN folded, + Relu) as ONNX {@code DeformConv} (opset 19: the graph declares it): its
     * {@code conv_offset} a plain Conv; DCN's output is the offset, DCNv2's is split by two {@code Slice}s into the
     * offset (the first two thirds of the channels: upstream's cat(o1, o2)) and the mask logits, through
     * {@code Sigmoid}. The offset layout (per deform group, per kernel tap: dy, dx) and the bilinear sampling (zero
     * outside the input) are MMCV's; the BatchNorm after it is folded into the weight and bias as for a Conv.
     */
    private Feature deformConvNorm(Feature x, DeformConv2dPack d, Module norm) {
        g.requireOpset(19);
        String name = nameOf(d);
        Feature off = conv(x, d.convOffset, null);
        List<String> in;
        String mask = null;
        String offset = off.name();
        if (d.modulated) {
            long split = 2L * d.deformGroups() * d.kernel * d.kernel;
            String axes = g.longs("dcn.channel_axis", new long[] {1}, 1);
            offset = g.node("Slice", name + ".offset", List.of(off.name(), g.longs("dcn.channel_0", new long[] {0}, 1),
                    g.longs("dcn.channel_" + split, new long[] {split}, 1), axes));
            String logits = g.node("Slice", name + ".mask", List.of(off.name(), g.longs("dcn.channel_" + split, new long[] {split}, 1),
                    g.longs("dcn.channel_end", new long[] {Long.MAX_VALUE}, 1), axes));
            mask = g.node("Sigmoid", name + ".mask", List.of(logits));
        }
        float[] w = d.weight.toFloatArray();
        int out = d.weight.dim(0);
        float[] b = d.bias == null ? new float[out] : d.bias.toFloatArray();
        if (norm instanceof BatchNorm2d bn) {
            foldInto(w, b, bn);
        } else if (norm != null) {
            throw new IllegalArgumentException("ONNX export: unsupported norm layer " + norm.getClass().getSimpleName() + " after " + name);
        }
        in = new ArrayList<>(List.of(x.name(), g.floats(name + ".weight", w, longs(d.weight.shape())), offset,
                g.floats(name + ".bias", b, out)));
        if (mask != null) in.add(mask);
        var p = d.geometry();
        String y = g.node("DeformConv", name, in, Map.of(
                "kernel_shape", new long[] {d.kernel, d.kernel},
                "strides", new long[] {p.strideH(), p.strideW()},
                "pads", new long[] {p.padH(), p.padW(), p.padH(), p.padW()},
                "dilations", new long[] {p.dilationH(), p.dilationW()},
                "group", (long) p.groups(),
                "offset_group", (long) d.deformGroups()));
        Feature conv = new Feature(y, out, off.h(), off.w());
        return relu(conv, nameOf(norm != null ? norm : d));
    }

    private Feature conv(Feature x, Conv2d conv, String outName) {
        String name = nameOf(conv);
        String w = g.floats(name + ".weight", conv.weight.toFloatArray(), longs(conv.weight.shape()));
        List<String> in = new ArrayList<>(List.of(x.name(), w));
        if (conv.bias != null) in.add(g.floats(name + ".bias", conv.bias.toFloatArray(), conv.bias.numel()));
        return convNode(x, conv, in, name, outName);
    }

    /**
     * conv(x, w·s) + (b·s + t) with the BatchNorm's eval-mode scale s and shift t, stored under the conv's names
     * ({@code <conv>.weight}, {@code <conv>.bias}).
     */
    private Feature foldedConv(Feature x, Conv2d conv, BatchNorm2d bn) {
        String name = nameOf(conv);
        float[] w = conv.weight.toFloatArray();
        int out = conv.weight.dim(0);
        float[] b = conv.bias == null ? new float[out] : conv.bias.toFloatArray();
        foldInto(w, b, bn);
        String wName = g.floats(name + ".weight", w, longs(conv.weight.shape()));
        String bName = g.floats(name + ".bias", b, out);
        return convNode(x, conv, new ArrayList<>(List.of(x.name(), wName, bName)), name, null);
    }

    /**
     * Folds an eval-mode BatchNorm into a conv's weight {@code w} [out, ...] and bias {@code b} [out] in place:
     * {@code w·s}, {@code b·s + t}, with the engine's own float32 scale s and shift t (computed on the CPU).
     */
    private static void foldInto(float[] w, float[] b, BatchNorm2d bn) {
        Tensor[] st = bn.scaleShift(Tensor.zeros(1));
        float[] s = st[0].toFloatArray(), t = st[1].toFloatArray();
        int out = b.length, per = w.length / out;
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < per; k++) w[o * per + k] *= s[o];
            b[o] = b[o] * s[o] + t[o];
        }
    }

    private Feature convNode(Feature x, Conv2d conv, List<String> in, String name, String outName) {
        int k = conv.weight.dim(2);
        var p = conv.geometry;
        String y = g.node("Conv", name, outName, in, Map.of(
                "kernel_shape", new long[] {k, conv.weight.dim(3)},
                "strides", new long[] {p.strideH(), p.strideW()},
                "pads", new long[] {p.padH(), p.padW(), p.padH(), p.padW()},
                "dilations", new long[] {p.dilationH(), p.dilationW()},
                "group", (long) p.groups())); // ONNX's Conv takes W [M, C/group, kH, kW], as the engine stores it
        return new Feature(y, conv.weight.dim(0),
                x.h() < 0 ? -1 : p.outH(x.h(), k), x.w() < 0 ? -1 : p.outW(x.w(), conv.weight.dim(3)));
    }

    /** torch.onnx's GroupNorm: Reshape [0,G,-1] → InstanceNormalization(1, 0, eps) → Reshape back → ·weight + bias. */
    private Feature groupNorm(Feature x, GroupNorm gn) {
        String[] k = groupNormConstants.computeIfAbsent(gn.groups, groups -> {
            float[] ones = new float[groups];
            java.util.Arrays.fill(ones, 1f);
            return new String[] {
                g.longs("gn" + groups + ".grouped_shape", new long[] {0, groups, -1}, 3),
                g.floats("gn" + groups + ".ones", ones, groups),
                g.floats("gn" + groups + ".zeros", new float[groups], groups)};
        });
        String name = nameOf(gn);
        String grouped = g.node("Reshape", name, List.of(x.name(), k[0]));
        String normed = g.node("InstanceNormalization", name, List.of(grouped, k[1], k[2]), Map.of("epsilon", gn.eps));
        String shape = g.node("Shape", name, List.of(x.name()));
        String back = g.node("Reshape", name, List.of(normed, shape));
        int c = gn.weight.numel();
        String w = g.floats(name + ".weight", gn.weight.toFloatArray(), c, 1, 1);
        String b = g.floats(name + ".bias", gn.bias.toFloatArray(), c, 1, 1);
        String scaled = g.node("Mul", name, List.of(back, w));
        return same(x, g.node("Add", name, List.of(scaled, b)));
    }

    private Feature relu(Feature x, String prefix) { return same(x, g.node("Relu", prefix, List.of(x.name()))); }

    private Feature maxPool(Feature x, int kernel, int stride, int pad, String prefix) {
        String y = g.node("MaxPool", prefix, List.of(x.name()), Map.of(
                "kernel_shape", new long[] {kernel, kernel}, "strides", new long[] {stride, stride},
                "pads", new long[] {pad, pad, pad, pad}));
        return new Feature(y, x.channels(), pooled(x.h(), kernel, stride, pad), pooled(x.w(), kernel, stride, pad));
    }

    /**
     * ONNX {@code AveragePool} (opset ≥ 10 for {@code ceil_mode}; ONNX clips a ceil-mode window that would start in the
     * right padding exactly as PyTorch's output size does, and {@code count_include_pad} 0 divides by the in-input
     * count): the same attributes torch.onnx writes for {@code nn.AvgPool2d}.
     */
    private Feature avgPool(Feature x, autoassign.backend.AvgPool2dParams p, String prefix) {
        int k = p.kernel(), s = p.stride(), pad = p.pad();
        String y = g.node("AveragePool", prefix, List.of(x.name()), Map.of(
                "kernel_shape", new long[] {k, k}, "strides", new long[] {s, s}, "pads", new long[] {pad, pad, pad, pad},
                "ceil_mode", (long) (p.ceilMode() ? 1 : 0), "count_include_pad", (long) (p.countIncludePad() ? 1 : 0)));
        return new Feature(y, x.channels(), x.h() < 0 ? -1 : p.outSize(x.h()), x.w() < 0 ? -1 : p.outSize(x.w()));
    }

    private static int pooled(int size, int kernel, int stride, int pad) {
        return size < 0 ? -1 : (size + 2 * pad - kernel) / stride + 1;
    }

    /** A new value with the channels and size of {@code like}. */
    private static Feature same(Feature like, String name) { return new Feature(name, like.channels(), like.h(), like.w()); }

    private static long[] longs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }
}
