package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.BackboneConfig;
import autoassign.config.DcnConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.nn.ReLU;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * ResNet backbone (MMDetection {@code ResNet}, AA_2 §1): stem {@code conv1} 7×7/2 + norm + ReLU + max-pool
 * 3×3/2, then stages {@code layer1..layerN}; returns the stage outputs named by {@code out_indices}.
 * {@code type: ResNeXt} builds MMDetection's {@code ResNeXt}: the same stem, stages and names, with bottlenecks of
 * {@link BackboneConfig#bottleneckWidth} inner channels and a grouped 3×3 ({@code groups}).
 * {@code type: RegNet} builds MMDetection's {@code RegNet} (a subclass of its ResNet): stem {@code conv1} 3×3/2 +
 * norm + ReLU without max-pool, then stages of ResNeXt bottlenecks at expansion 1 whose planes, blocks, groups,
 * strides and dilations come from its arch ({@link autoassign.config.RegNetArch}); the same state-dict names.
 * {@code deep_stem} (ResNetV1c's stem; {@code type: ResNetV1d} with {@code avg_down}) replaces {@code conv1 / norm1} by
 * {@code stem}: three 3×3 conv + norm + ReLU ({@code stem_channels/2} twice, then {@code stem_channels}; the first at
 * stride 2), named {@code stem.0/1, stem.3/4, stem.6/7} as upstream's Sequential; {@code avg_down} gives each
 * strided downsample ResLayer's average pool ({@link ResBlock#buildDownsample}).
 * Frozen stages ({@code frozen_stages}) get no gradients: stem for ≥ 0, plus {@code layer1..layerK}.
 * {@code dcn} / {@code stage_with_dcn} build the bottlenecks' 3×3 {@code conv2} of the marked stages as MMCV's DCN /
 * DCNv2 ({@link autoassign.nn.DeformConv2dPack}; {@link ResBlock.Bottleneck#deformConv2}), with upstream's
 * {@code fallback_on_stride} as it acts ({@link BackboneConfig#dcnFallbackOnFirstBlock}).
 * {@code type: Res2Net} builds MMDetection's {@code Res2Net}: the deep stem, then Res2Layers of {@link Bottle2neck}
 * (the first block of each stage of {@code stage} type, with the average-pool downsample); a dcn makes every slice's
 * 3×3 deformable.
 * {@code type: ResNeSt} ({@link autoassign.config.ResNeStConfig}) builds MMDetection's {@code ResNeSt}: its ResNetV1d
 * ({@link #config()}) with {@link ResNeStBottleneck} blocks (split-attention 3×3, the avd pool); no zero-init of bn3,
 * as upstream.
 */
public final class ResNet extends Backbone {
    private final BackboneConfig cfg;
    /** The ResNeSt configuration when this is MMDetection's {@code ResNeSt} ({@link #config()} is its ResNetV1d part); else null. */
    private final autoassign.config.ResNeStConfig resNeSt;
    /** The plain stem's conv and norm; null with {@code deep_stem} (see {@link #stem}). */
    public final Conv2d conv1;
    public final Module norm1;
    /** The deep stem's Sequential [conv, norm, ReLU] × 3 ({@code stem.0 .. stem.8}); null without {@code deep_stem}. */
    public final ModuleList<Module> stem;
    public final List<ModuleList<ResBlock>> layers = new ArrayList<>();

    /** One conv + norm (+ ReLU) of the stem, with the modules' state-dict names relative to the backbone. */
    public record StemLayer(String convName, Conv2d conv, String normName, Module norm) {}

    public ResNet(BackboneConfig cfg) {
        this(cfg, null);
    }

    /** MMDetection's {@code ResNeSt}: its ResNetV1d with {@link ResNeStBottleneck} blocks. */
    public ResNet(autoassign.config.ResNeStConfig resNeSt) {
        this(resNeSt.base(), resNeSt);
    }

    private ResNet(BackboneConfig cfg, autoassign.config.ResNeStConfig resNeSt) {
        this.cfg = cfg;
        this.resNeSt = resNeSt;
        if (cfg.deepStem()) {
            conv1 = null;
            norm1 = null;
            stem = child("stem", new ModuleList<>());
            int mid = cfg.deepStemMidChannels();
            int[][] io = {{3, mid, 2}, {mid, mid, 1}, {mid, cfg.stemChannels(), 1}};
            for (int[] l : io) {
                stem.add(new Conv2d(l[0], l[1], 3, l[2], 1, false));
                stem.add(Norms.build(cfg.normCfg(), l[1]));
                stem.add(new ReLU());
            }
        } else {
            int k = cfg.stemKernel();
            stem = null;
            conv1 = child("conv1", new Conv2d(3, cfg.stemChannels(), k, 2, k / 2, false));
            norm1 = child(Norms.abbr(cfg.normCfg()) + "1", Norms.build(cfg.normCfg(), cfg.stemChannels()));
        }
        int[] blocks = cfg.stageBlocks();
        boolean caffe = "caffe".equals(cfg.style());
        int inplanes = cfg.stemChannels();
        boolean fallbackPending = cfg.dcnFallbackOnFirstBlock(); // upstream pops fallback_on_stride from the shared dict
        for (int i = 0; i < cfg.numStages(); i++) {
            int planes = cfg.stagePlanes(i);
            int stride = cfg.strides().get(i), dilation = cfg.dilations().get(i);
            ModuleList<ResBlock> layer = new ModuleList<>();
            for (int b = 0; b < blocks[i]; b++) {
                int s = b == 0 ? stride : 1;
                DcnConfig dcn = cfg.stageHasDcn(i) ? cfg.dcn() : null;
                if (dcn != null && fallbackPending) {
                    dcn = null;
                    fallbackPending = false;
                }
                layer.add(resNeSt != null
                        ? new ResNeStBottleneck(inplanes, planes, resNeSt.width(i), s, dilation, caffe, cfg.normCfg(), resNeSt)
                        : cfg.res2Net()
                        ? new Bottle2neck(inplanes, planes, cfg.res2NetSliceWidth(i), cfg.scales(), s, dilation, b == 0,
                                cfg.normCfg(), dcn)
                        : cfg.bottleneck()
                        ? new ResBlock.Bottleneck(inplanes, planes, cfg.bottleneckWidth(i), cfg.stageGroups(i), s, dilation,
                                cfg.expansion(), caffe, cfg.normCfg(), cfg.avgDown(), dcn)
                        : new ResBlock.Basic(inplanes, planes, s, cfg.normCfg(), cfg.avgDown()));
                inplanes = planes * cfg.expansion();
            }
            layers.add(child("layer" + (i + 1), layer));
        }
        freezeStages();
        if (!cfg.normEval()) useBatchStatistics();
    }

    public BackboneConfig config() { return cfg; }

    @Override public autoassign.config.BackboneSpec spec() { return resNeSt != null ? resNeSt : cfg; }

    /** The ResNeSt configuration, or null when this is not a ResNeSt. */
    public autoassign.config.ResNeStConfig resNeSt() { return resNeSt; }

    /**
     * The stem's conv + norm pairs in order, each followed by a ReLU: {@code conv1 / bn1}, or the deep stem's
     * {@code stem.0 / stem.1}, {@code stem.3 / stem.4}, {@code stem.6 / stem.7}.
     */
    public List<StemLayer> stemLayers() {
        if (stem == null) return List.of(new StemLayer("conv1", conv1, Norms.abbr(cfg.normCfg()) + "1", norm1));
        List<StemLayer> out = new ArrayList<>();
        for (int i = 0; i < stem.size(); i += 3)
            out.add(new StemLayer("stem." + i, (Conv2d) stem.get(i), "stem." + (i + 1), stem.get(i + 1)));
        return List.copyOf(out);
    }

    /** Whether the stem ends with the 3×3/2 max-pool (ResNet, ResNeXt; not RegNet). */
    public boolean hasStemMaxPool() { return cfg.stemMaxPool(); }

    /** MMDetection {@code _freeze_stages}. Norm parameters of frozen BN are frozen anyway. */
    private void freezeStages() {
        if (cfg.frozenStages() >= 0) {
            if (stem != null) stem.freeze();
            else {
                conv1.freeze();
                norm1.freeze();
            }
        }
        for (int i = 1; i <= cfg.frozenStages(); i++) layers.get(i - 1).freeze();
    }

    /**
     * {@code norm_eval=False}: the BatchNorm layers of the stages that train normalise with batch statistics in train
     * mode. Those of frozen stages stay in eval mode, as MMDetection's {@code _freeze_stages} leaves them.
     */
    private void useBatchStatistics() {
        if (cfg.frozenStages() < 0) Norms.forEachBatchNorm(stem != null ? stem : norm1, bn -> bn.useBatchStatistics(true));
        for (int i = Math.max(1, cfg.frozenStages() + 1); i <= layers.size(); i++)
            Norms.forEachBatchNorm(layers.get(i - 1), bn -> bn.useBatchStatistics(true));
    }

    /**
     * Random initialisation (MMDetection's default without a pretrained file): Kaiming-normal (fan_out,
     * ReLU; read off the weight's shape as PyTorch does, so a grouped conv's fan_out is out·kH·kW) conv weights, norm weight 1 / bias 0, and the last norm of every block at weight 0 when
     * {@code zero_init_residual} (not Res2Net's, as upstream). A pretrained backbone is loaded over this afterwards.
     */
    @Override public void initWeights(Random rng) {
        for (var e : namedParameters().entrySet()) {
            Tensor t = e.getValue();
            if (t.rank() == 4) Init.normal(t, 0, Math.sqrt(2.0 / Init.fanOut(t)), rng);
        }
        // Res2Net / ResNeSt: upstream's ResNet zero-inits only when the block `is Bottleneck` (or BasicBlock), not
        // Bottle2neck nor ResNeSt's Bottleneck subclass; their Kaiming init sets conv biases (ResNeSt's fc1 / fc2) to 0
        if (cfg.zeroInitResidual() && !cfg.res2Net() && resNeSt == null)
            for (ModuleList<ResBlock> layer : layers)
                for (ResBlock b : layer) Init.constant(Norms.weight(b.lastNorm()), 0f);
        // deformable 3×3s: MMEngine's Kaiming (layer='Conv2d') reaches conv_offset (an nn.Conv2d) but not the
        // DeformConv2dPack itself, whose weight keeps MMCV's init; DCNv2's init_weights, called after it by the module
        // recursion, re-draws the weight and zeroes conv_offset
        for (ModuleList<ResBlock> layer : layers)
            for (ResBlock b : layer) {
                List<autoassign.nn.DeformConv2dPack> deform = b instanceof Bottle2neck b2 ? b2.deformConvs()
                        : b instanceof ResBlock.Bottleneck bt && bt.deformConv2 != null ? List.of(bt.deformConv2) : List.of();
                for (autoassign.nn.DeformConv2dPack d : deform) {
                    d.resetParameters(rng);
                    if (d.modulated) d.initOffset();
                }
            }
    }

    @Override public java.util.Set<String> parametersAfterTheLastOutput() {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        int last = cfg.outIndices().stream().mapToInt(Integer::intValue).max().orElse(layers.size() - 1);
        for (int i = last + 1; i < layers.size(); i++)
            for (String k : layers.get(i).namedParameters().keySet()) out.add("layer" + (i + 1) + "." + k);
        return out;
    }

    /** Stage outputs at {@code out_indices} (C2..C5 for 0..3). */
    @Override public List<Tensor> forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != 3)
            throw new IllegalArgumentException("ResNet: input must be [N, 3, H, W], got " + x);
        // intermediates no tape node references (the frozen stem and stages; inference) are released as soon as
        // they are consumed, not at the end of the step's memory scope
        Tensor y = x;
        for (StemLayer l : stemLayers()) y = ResBlock.step(y, l.conv(), l.norm(), true, y != x);
        if (cfg.stemMaxPool()) {
            Tensor r = y;
            y = F.maxPool2d(r, 3, 2, 1);
            MemoryScope.dispose(r);
        }
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            for (ResBlock b : layers.get(i)) {
                Tensor in = y;
                y = b.forward(in);
                if (!outs.contains(in)) MemoryScope.dispose(in);
            }
            if (cfg.outIndices().contains(i)) outs.add(y);
        }
        return outs;
    }
}
