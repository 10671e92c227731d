package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.NeckConfig;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Feature pyramid (MMDetection {@code FPN}, AA_2 §2): 1×1 laterals on inputs {@code start_level..end},
 * top-down sum with nearest upsampling to each lateral's exact size, 3×3 output convs, then extra levels by
 * stride-2 3×3 convs ({@code add_extra_convs}: source = last input, last lateral or last output) with an
 * optional ReLU before all but the first, or by stride-2 subsampling when there are no extra convs.
 */
public final class Fpn extends Module {
    private final NeckConfig cfg;
    public final ModuleList<ConvModule> lateralConvs;
    public final ModuleList<ConvModule> fpnConvs;

    public Fpn(NeckConfig cfg) {
        this.cfg = cfg;
        lateralConvs = child("lateral_convs", new ModuleList<>());
        fpnConvs = child("fpn_convs", new ModuleList<>());
        int out = cfg.outChannels();
        for (int i = cfg.startLevel(); i < cfg.backboneEndLevel(); i++) {
            lateralConvs.add(new ConvModule(cfg.inChannels().get(i), out, 1, 1, 0, true, null, false));
            fpnConvs.add(new ConvModule(out, out, 3, 1, 1, true, null, false));
        }
        if (cfg.extraConvs()) {
            for (int i = 0; i < cfg.extraLevels(); i++) {
                int in = i == 0 && cfg.addExtraConvs().equals("on_input")
                        ? cfg.inChannels().get(cfg.backboneEndLevel() - 1) : out;
                fpnConvs.add(new ConvModule(in, out, 3, 2, 1, true, null, false));
            }
        }
    }

    public NeckConfig config() { return cfg; }

    /** Caffe2Xavier (or Xavier-uniform) weights, zero biases, in registration order. */
    public void initWeights(Random rng) {
        List<ConvModule> all = new ArrayList<>(lateralConvs.asList());
        all.addAll(fpnConvs.asList());
        for (ConvModule m : all) {
            Tensor w = m.conv.weight;
            double bound = cfg.init().equals("Caffe2Xavier") ? Init.caffe2XavierBound(w)
                    : Math.sqrt(6.0 / (Init.fanIn(w) + Init.fanOut(w)));
            Init.uniform(w, -bound, bound, rng);
            if (m.conv.bias != null) Init.constant(m.conv.bias, 0f);
        }
    }

    /** @param inputs the backbone features (one per {@code in_channels} entry) */
    public List<Tensor> forward(List<Tensor> inputs) {
        if (inputs.size() != cfg.inChannels().size())
            throw new IllegalArgumentException("FPN: " + inputs.size() + " inputs, expected " + cfg.inChannels().size());
        for (int i = 0; i < inputs.size(); i++)
            if (inputs.get(i).dim(1) != cfg.inChannels().get(i))
                throw new IllegalArgumentException("FPN: input " + i + " has " + inputs.get(i).dim(1)
                        + " channels, expected " + cfg.inChannels().get(i));
        int used = lateralConvs.size();
        Tensor[] lat = new Tensor[used];
        for (int i = 0; i < used; i++) lat[i] = lateralConvs.get(i).forward(inputs.get(i + cfg.startLevel()));
        for (int i = used - 1; i > 0; i--) {
            Tensor up = F.upsampleNearest(lat[i], lat[i - 1].dim(2), lat[i - 1].dim(3));
            lat[i - 1] = F.add(lat[i - 1], up);
        }
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < used; i++) outs.add(fpnConvs.get(i).forward(lat[i]));
        int extra = cfg.numOuts() - used;
        if (extra > 0) {
            if (!cfg.extraConvs()) {
                for (int i = 0; i < extra; i++) outs.add(F.maxPool2d(outs.get(outs.size() - 1), 1, 2, 0));
            } else {
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
        return outs;
    }
}
