package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.NeckConfig;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Feature pyramid (MMDetection {@code FPN}, AA_2 §2): 1×1 laterals on inputs {@code start_level..end},
 * top-down sum with nearest upsampling to each lateral's exact size, 3×3 output convs, then extra levels by
 * stride-2 3×3 convs ({@code add_extra_convs}: source = last input, last lateral or last output) with an
 * optional ReLU before all but the first, or by stride-2 subsampling when there are no extra convs. Every conv is
 * an MMCV ConvModule with the config's {@code norm_cfg} (none on the laterals with {@code no_norm_on_lateral}; a
 * bias only without a norm, ConvModule's {@code bias='auto'}) and {@code act_cfg}.
 */
public class Fpn extends Neck {
    public final ModuleList<ConvModule> lateralConvs;
    public final ModuleList<ConvModule> fpnConvs;

    public Fpn(NeckConfig cfg) {
        super(cfg);
        lateralConvs = child("lateral_convs", new ModuleList<>());
        fpnConvs = child("fpn_convs", new ModuleList<>());
        int out = cfg.outChannels();
        for (int i = cfg.startLevel(); i < cfg.backboneEndLevel(); i++) {
            lateralConvs.add(convModule(cfg.inChannels().get(i), 1, 1, cfg.noNormOnLateral()));
            fpnConvs.add(convModule(out, 3, 1, false));
        }
        if (cfg.extraConvs()) {
            for (int i = 0; i < cfg.extraLevels(); i++) {
                int in = i == 0 && cfg.addExtraConvs().equals("on_input")
                        ? cfg.inChannels().get(cfg.backboneEndLevel() - 1) : out;
                fpnConvs.add(convModule(in, 3, 2, false));
            }
        }
    }

    /** A ConvModule to out_channels with the neck's norm (unless {@code noNorm}) and activation; padding k/2. */
    protected final ConvModule convModule(int in, int kernel, int stride, boolean noNorm) {
        var norm = noNorm ? null : cfg.norm();
        return new ConvModule(in, cfg.outChannels(), kernel, stride, kernel / 2, norm == null, norm, cfg.relu());
    }

    @Override protected List<ConvModule> convModules() { return concat(lateralConvs.asList(), fpnConvs.asList()); }

    @Override
    public List<Tensor> forward(List<Tensor> inputs) {
        checkInputs(cfg.type(), inputs);
        Tensor[] lat = topDown(inputs);
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < lat.length; i++) outs.add(fpnConvs.get(i).forward(lat[i]));
        addExtraLevels(outs, inputs, lat);
        return outs;
    }

    /** The laterals after the top-down path: lateral i plus the nearest upsampling of the (summed) lateral i + 1. */
    protected final Tensor[] topDown(List<Tensor> inputs) {
        int used = lateralConvs.size();
        Tensor[] lat = new Tensor[used];
        for (int i = 0; i < used; i++) lat[i] = lateralConvs.get(i).forward(inputs.get(i + cfg.startLevel()));
        for (int i = used - 1; i > 0; i--) {
            Tensor up = F.upsampleNearest(lat[i], lat[i - 1].dim(2), lat[i - 1].dim(3));
            lat[i - 1] = F.add(lat[i - 1], up);
        }
        return lat;
    }

    /** Levels above the backbone's: stride-2 max pooling of the last output, or the extra convs. */
    protected final void addExtraLevels(List<Tensor> outs, List<Tensor> inputs, Tensor[] lat) {
        int used = lat.length;
        int extra = cfg.numOuts() - used;
        if (extra <= 0) return;
        if (!cfg.extraConvs()) {
            for (int i = 0; i < extra; i++) outs.add(F.maxPool2d(outs.get(outs.size() - 1), 1, 2, 0));
            return;
        }
        Tensor src = switch (cfg.addExtraConvs()) {
            case "on_input" -> inputs.get(cfg.backboneEndLevel() - 1);
            case "on_lateral" -> lat[used - 1];
            default -> outs.get(used - 1);
        };
        outs.add(fpnConvs.get(used).forward(src));
        for (int i = used + 1; i < cfg.numOuts(); i++) {
            Tensor prev = outs.get(outs.size() - 1);
            outs.add(fpnConvs.get(i).forward(cfg.reluBeforeExtraConvs() ? F.relu(prev) : prev));
        }
    }
}
