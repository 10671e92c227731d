package autoassign.model;

import autoassign.config.NeckConfig;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The detector's neck: backbone features in, {@code num_outs} maps of {@code out_channels} out ({@link Fpn},
 * {@link Pafpn}, {@link Hrfpn}, by {@code model.neck.type}).
 */
public abstract class Neck extends Module {
    protected final NeckConfig cfg;

    protected Neck(NeckConfig cfg) { this.cfg = cfg; }

    public static Neck build(NeckConfig cfg) {
        Neck n = switch (cfg.type()) {
            case "FPN" -> new Fpn(cfg);
            case "PAFPN" -> new Pafpn(cfg);
            case "HRFPN" -> new Hrfpn(cfg);
            case autoassign.config.YoloxPafpnConfig.TYPE, autoassign.config.YoloxPafpnConfig.CSPNEXT_TYPE -> new YoloxPafpn(cfg);
            default -> throw new IllegalArgumentException("unknown neck type " + cfg.type());
        };
        // a neck's BatchNorm (norm_cfg BN) is a plain torch BatchNorm2d: batch statistics in train mode
        Norms.forEachBatchNorm(n, bn -> bn.useBatchStatistics(true));
        return n;
    }

    public NeckConfig config() { return cfg; }

    /** @param inputs the backbone features (one per {@code in_channels} entry) */
    public abstract List<Tensor> forward(List<Tensor> inputs);

    /** Every ConvModule of the neck, in registration order (the weights MMEngine's init_cfg reaches). */
    protected abstract List<ConvModule> convModules();

    /** MMEngine's init_cfg on every Conv2d: Caffe2Xavier or Xavier-uniform weights, zero biases; norms keep 1 / 0. */
    public void initWeights(Random rng) {
        for (ConvModule m : convModules()) {
            Tensor w = m.conv.weight;
            double bound = cfg.init().equals("Caffe2Xavier") ? Init.caffe2XavierBound(w)
                    : Math.sqrt(6.0 / (Init.fanIn(w) + Init.fanOut(w)));
            Init.uniform(w, -bound, bound, rng);
            if (m.conv.bias != null) Init.constant(m.conv.bias, 0f);
        }
    }

    protected final void checkInputs(String name, List<Tensor> inputs) {
        if (inputs.size() != cfg.inChannels().size())
            throw new IllegalArgumentException(name + ": " + inputs.size() + " inputs, expected " + cfg.inChannels().size());
        for (int i = 0; i < inputs.size(); i++)
            if (inputs.get(i).dim(1) != cfg.inChannels().get(i))
                throw new IllegalArgumentException(name + ": input " + i + " has " + inputs.get(i).dim(1)
                        + " channels, expected " + cfg.inChannels().get(i));
    }

    static List<ConvModule> concat(List<ConvModule> a, List<ConvModule> b) {
        List<ConvModule> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
