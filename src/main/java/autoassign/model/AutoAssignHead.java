package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.HeadConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.nn.Scale;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * AutoAssign head (AA_2 §3), shared across levels except the per-level {@link Scale}: cls and reg towers of
 * {@code stacked_convs}×(conv3×3 with bias + GN + ReLU), {@code conv_cls} on the cls tower, {@code conv_reg}
 * and {@code conv_centerness} (objectness) on the reg tower; distances = {@code max(raw·scale_l, 0)·stride_l}.
 * State-dict order and names follow MMDetection: {@code cls_convs, reg_convs, conv_cls, conv_reg,
 * conv_centerness, scales, center_prior}.
 */
public final class AutoAssignHead extends Module {
    /** {@code -ln((1-0.02)/0.02) = -ln 49}. */
    public static final float CLS_BIAS_INIT = Init.biasInitWithProb(0.02);
    public static final float REG_BIAS_INIT = 4.0f;
    public static final double WEIGHT_STD = 0.01;

    private final HeadConfig cfg;
    public final ModuleList<ConvModule> clsConvs, regConvs;
    public final Conv2d convCls, convReg, convCenterness;
    public final ModuleList<Scale> scales;
    public final CenterPrior centerPrior;

    public AutoAssignHead(HeadConfig cfg) {
        this.cfg = cfg;
        clsConvs = child("cls_convs", new ModuleList<>());
        regConvs = child("reg_convs", new ModuleList<>());
        for (int i = 0; i < cfg.stackedConvs(); i++) {
            int in = i == 0 ? cfg.inChannels() : cfg.featChannels();
            clsConvs.add(new ConvModule(in, cfg.featChannels(), 3, 1, 1, cfg.convBias(), cfg.normCfg(), true));
        }
        for (int i = 0; i < cfg.stackedConvs(); i++) {
            int in = i == 0 ? cfg.inChannels() : cfg.featChannels();
            regConvs.add(new ConvModule(in, cfg.featChannels(), 3, 1, 1, cfg.convBias(), cfg.normCfg(), true));
        }
        int towerOut = cfg.stackedConvs() > 0 ? cfg.featChannels() : cfg.inChannels();
        convCls = child("conv_cls", new Conv2d(towerOut, cfg.numClasses(), 3, 1, 1, true));
        convReg = child("conv_reg", new Conv2d(towerOut, 4, 3, 1, 1, true));
        convCenterness = child("conv_centerness", new Conv2d(towerOut, 1, 3, 1, 1, true));
        scales = child("scales", new ModuleList<>());
        for (int i = 0; i < cfg.strides().size(); i++) scales.add(new Scale(1.0f));
        centerPrior = child("center_prior", new CenterPrior(cfg.numClasses(), cfg.stridesArray()));
    }

    public HeadConfig config() { return cfg; }

    /**
     * Final initial state of AA_2 §5: all head convs N(0, 0.01²) with bias 0, then {@code conv_cls} bias
     * −ln 49 and {@code conv_reg} bias 4.0; GN 1/0, scales 1, center prior 0/1 (set by construction).
     */
    public void initWeights(Random rng) {
        for (ConvModule m : clsConvs) Init.normalInit(m.conv, WEIGHT_STD, 0f, rng);
        for (ConvModule m : regConvs) Init.normalInit(m.conv, WEIGHT_STD, 0f, rng);
        Init.normalInit(convCls, WEIGHT_STD, CLS_BIAS_INIT, rng);
        Init.normalInit(convReg, WEIGHT_STD, REG_BIAS_INIT, rng);
        Init.normalInit(convCenterness, WEIGHT_STD, 0f, rng);
    }

    /** Runs the shared head on every level. */
    /** The stacked convs on one level's feature (x itself when there are none), releasing what they no longer need. */
    private static Tensor tower(ModuleList<ConvModule> convs, Tensor x) {
        Tensor t = x;
        for (ConvModule m : convs) {
            Tensor next = m.forward(t);
            if (t != x) MemoryScope.dispose(t);
            t = next;
        }
        return t;
    }

    public HeadOutputs forward(List<Tensor> feats) {
        int levels = cfg.strides().size();
        if (feats.size() != levels)
            throw new IllegalArgumentException("AutoAssignHead: " + feats.size() + " levels for " + levels + " strides");
        List<Tensor> cls = new ArrayList<>(), dist = new ArrayList<>(), obj = new ArrayList<>();
        // tower intermediates no tape node references (inference) are released as soon as they are consumed
        for (int l = 0; l < levels; l++) {
            Tensor x = feats.get(l);
            Tensor c = tower(clsConvs, x), r = tower(regConvs, x);
            cls.add(convCls.forward(c));
            if (c != x) MemoryScope.dispose(c);
            Tensor reg = convReg.forward(r), raw = scales.get(l).forward(reg);
            MemoryScope.dispose(reg);
            Tensor clamped = F.clampMin(raw, 0f);
            MemoryScope.dispose(raw);
            dist.add(F.mulScalar(clamped, cfg.strides().get(l)));
            MemoryScope.dispose(clamped);
            obj.add(convCenterness.forward(r));
            if (r != x) MemoryScope.dispose(r);
        }
        return new HeadOutputs(cls, dist, obj, cfg.stridesArray());
    }
}
