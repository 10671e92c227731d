package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.NeckConfig;
import autoassign.config.YoloxPafpnConfig;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * MMDetection 3.3.0's {@code YOLOXPAFPN} ({@code mmdet/models/necks/yolox_pafpn.py}) and, with
 * {@link YoloxPafpnConfig#cspNext()}, {@code CSPNeXtPAFPN} ({@code mmdet/models/necks/cspnext_pafpn.py}: CSPNeXtBlocks
 * and {@code expand_ratio} in the CSPLayers, 3×3 out_convs; otherwise the same modules, names and paths). For L inputs: top-down, from
 * the coarsest, {@code reduce_layers[j]} (1×1 to the next finer level's channels) replaces the running map, which
 * is upsampled ×2 (nearest) and concatenated before the finer input into {@code top_down_blocks[j]} (a CSPLayer
 * without identity); bottom-up, {@code downsamples[i]} (3×3 stride 2) of the last output concatenated before the
 * stored map of level i + 1 into {@code bottom_up_blocks[i]}; then {@code out_convs[i]} (1×1 to out_channels) on
 * every level. One output per input, at the inputs' strides. The upsampled map must equal the finer input's size
 * (upstream's {@code torch.cat} fails otherwise): input sizes divisible by 32 guarantee it.
 */
public final class YoloxPafpn extends Neck {
    public final ModuleList<CspConvModule> reduceLayers = new ModuleList<>(), outConvs = new ModuleList<>();
    public final ModuleList<CspLayer> topDownBlocks = new ModuleList<>(), bottomUpBlocks = new ModuleList<>();
    public final ModuleList<Module> downsamples = new ModuleList<>();
    /** Upstream's {@code nn.Upsample(scale_factor=2, mode='nearest')}: no parameters, a module name for FLOP tables. */
    public final Upsample upsample = new Upsample();

    /** The parameterless {@code upsample} module. */
    public static final class Upsample extends Module {}

    public YoloxPafpn(NeckConfig cfg) {
        super(cfg);
        YoloxPafpnConfig y = cfg.yoloxPafpn();
        List<Integer> in = cfg.inChannels();
        var norm = y.norm();
        var act = y.act();
        child("upsample", upsample);
        child("reduce_layers", reduceLayers);
        child("top_down_blocks", topDownBlocks);
        for (int idx = in.size() - 1; idx > 0; idx--) {
            reduceLayers.add(new CspConvModule(in.get(idx), in.get(idx - 1), 1, 1, norm, act));
            topDownBlocks.add(cspLayer(y, in.get(idx - 1) * 2, in.get(idx - 1)));
        }
        child("downsamples", downsamples);
        child("bottom_up_blocks", bottomUpBlocks);
        for (int idx = 0; idx < in.size() - 1; idx++) {
            downsamples.add(DepthwiseSeparableConvModule.conv(y.useDepthwise(), in.get(idx), in.get(idx), 3, 2, 1, norm, act));
            bottomUpBlocks.add(cspLayer(y, in.get(idx) * 2, in.get(idx + 1)));
        }
        child("out_convs", outConvs);
        int outKernel = y.cspNext() ? 3 : 1; // CSPNeXtPAFPN: 3×3, padding 1
        for (int c : in) outConvs.add(new CspConvModule(c, cfg.outChannels(), outKernel, 1, norm, act));
    }

    /**
     * A top-down / bottom-up CSPLayer without identity: YOLOXPAFPN's DarknetBottlenecks (expand 0.5, use_depthwise), or
     * CSPNeXtPAFPN's CSPNeXtBlocks with its expand_ratio, where upstream passes no use_depthwise (so False).
     */
    private static CspLayer cspLayer(YoloxPafpnConfig y, int in, int out) {
        return y.cspNext() ? new CspLayer(in, out, y.expandRatio(), y.numCspBlocks(), false, false, true, false, y.norm(), y.act())
                : new CspLayer(in, out, 0.5, y.numCspBlocks(), false, y.useDepthwise(), y.norm(), y.act());
    }

    @Override protected List<ConvModule> convModules() { return List.of(); }

    /** Upstream's init_cfg: Kaiming-uniform (a = √5, fan_in) on every Conv2d, U(±1/√fan_in); norms 1 / 0. */
    @Override public void initWeights(Random rng) {
        for (Tensor t : namedParameters().values())
            if (t.rank() == 4) {
                double bound = 1.0 / Math.sqrt(Init.fanIn(t));
                Init.uniform(t, -bound, bound, rng);
            }
    }

    @Override public List<Tensor> forward(List<Tensor> inputs) {
        checkInputs(cfg.type(), inputs);
        int n = inputs.size();
        // top-down path: inner[k] is the map of level k; the running (coarser) map is replaced by its reduce_layer output
        Tensor[] inner = new Tensor[n];
        inner[n - 1] = inputs.get(n - 1);
        for (int idx = n - 1; idx > 0; idx--) {
            int j = n - 1 - idx;
            Tensor high = reduceLayers.get(j).forward(inner[idx]);
            inner[idx] = high;
            Tensor low = inputs.get(idx - 1);
            Tensor up = F.upsampleNearest(high, 2 * high.dim(2), 2 * high.dim(3));
            checkSize(cfg.type(), "top-down", up, low, idx - 1);
            inner[idx - 1] = topDownBlocks.get(j).forward(F.concatChannels(List.of(up, low)));
        }
        // bottom-up path
        List<Tensor> outs = new ArrayList<>();
        outs.add(inner[0]);
        for (int idx = 0; idx < n - 1; idx++) {
            Tensor down = ((SingleInputLayer) downsamples.get(idx)).forward(outs.get(outs.size() - 1));
            checkSize(cfg.type(), "bottom-up", down, inner[idx + 1], idx + 1);
            outs.add(bottomUpBlocks.get(idx).forward(F.concatChannels(List.of(down, inner[idx + 1]))));
        }
        for (int i = 0; i < n; i++) outs.set(i, outConvs.get(i).forward(outs.get(i)));
        return outs;
    }

    private static void checkSize(String type, String path, Tensor a, Tensor b, int level) {
        if (a.dim(2) != b.dim(2) || a.dim(3) != b.dim(3))
            throw new IllegalArgumentException(type + ": the " + path + " path gives " + a.dim(2) + "x" + a.dim(3) + " at level "
                    + level + ", whose map is " + b.dim(2) + "x" + b.dim(3) + " (upstream's torch.cat fails too): pad the input"
                    + " to a multiple of 32");
    }
}
