package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.NeckConfig;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection's {@code PAFPN} (mmdet/models/necks/pafpn.py, Path Aggregation Network): {@link Fpn}'s laterals,
 * top-down path and 3×3 {@code fpn_convs}, then a bottom-up path — {@code inter[i+1] += downsample_convs[i](inter[i])}
 * (3×3, stride 2) from the finest level up — and a 3×3 {@code pafpn_convs[i-1]} on every level but the first; extra
 * levels as FPN's (the extra convs are {@code fpn_convs[used..]}; {@code on_output} reads the last PAFPN output).
 * The bottom-up ConvModules take the same norm_cfg / act_cfg as FPN's.
 */
public final class Pafpn extends Fpn {
    public final ModuleList<ConvModule> downsampleConvs;
    public final ModuleList<ConvModule> pafpnConvs;

    public Pafpn(NeckConfig cfg) {
        super(cfg);
        downsampleConvs = child("downsample_convs", new ModuleList<>());
        pafpnConvs = child("pafpn_convs", new ModuleList<>());
        for (int i = cfg.startLevel() + 1; i < cfg.backboneEndLevel(); i++) {
            downsampleConvs.add(convModule(cfg.outChannels(), 3, 2, false));
            pafpnConvs.add(convModule(cfg.outChannels(), 3, 1, false));
        }
    }

    @Override protected List<ConvModule> convModules() {
        return concat(super.convModules(), concat(downsampleConvs.asList(), pafpnConvs.asList()));
    }

    @Override
    public List<Tensor> forward(List<Tensor> inputs) {
        checkInputs("PAFPN", inputs);
        Tensor[] lat = topDown(inputs);
        int used = lat.length;
        Tensor[] inter = new Tensor[used];
        for (int i = 0; i < used; i++) inter[i] = fpnConvs.get(i).forward(lat[i]);
        for (int i = 0; i < used - 1; i++) {
            Tensor down = downsampleConvs.get(i).forward(inter[i]);
            if (down.dim(2) != inter[i + 1].dim(2) || down.dim(3) != inter[i + 1].dim(3))
                throw new IllegalArgumentException("PAFPN: level " + i + " downsampled to " + down.dim(2) + "x" + down.dim(3)
                        + " does not match level " + (i + 1) + "'s " + inter[i + 1].dim(2) + "x" + inter[i + 1].dim(3));
            inter[i + 1] = F.add(inter[i + 1], down);
        }
        List<Tensor> outs = new ArrayList<>();
        outs.add(inter[0]);
        for (int i = 1; i < used; i++) outs.add(pafpnConvs.get(i - 1).forward(inter[i]));
        addExtraLevels(outs, inputs, lat);
        return outs;
    }
}
