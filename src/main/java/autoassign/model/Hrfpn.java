package autoassign.model;

import autoassign.autograd.F;
import autoassign.backend.AvgPool2dParams;
import autoassign.config.NeckConfig;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection's {@code HRFPN} (mmdet/models/necks/hrfpn.py, High Resolution Feature Pyramids): input i upsampled by
 * {@code F.interpolate(scale_factor=2**i, mode='bilinear')} to the first input's size, all concatenated on channels,
 * a 1×1 {@code reduction_conv} (ConvModule, no activation), then output i = {@code fpn_convs[i]} (3×3, stride
 * {@code stride}, no activation) of that map pooled with kernel = stride = 2^i ({@code pooling_type} MAX or AVG:
 * {@code F.max_pool2d} / {@code F.avg_pool2d} defaults, floor mode, padding counted). As upstream, {@code norm_cfg} is
 * accepted but no ConvModule gets a norm, so every conv has a bias; {@code with_cp} changes memory use only.
 */
public final class Hrfpn extends Neck {
    public final ConvModule reductionConv;
    public final ModuleList<ConvModule> fpnConvs;

    public Hrfpn(NeckConfig cfg) {
        super(cfg);
        int sum = 0;
        for (int c : cfg.inChannels()) sum += c;
        int out = cfg.outChannels();
        reductionConv = child("reduction_conv", new ConvModule(sum, out, 1, 1, 0, true, null, false));
        fpnConvs = child("fpn_convs", new ModuleList<>());
        for (int i = 0; i < cfg.numOuts(); i++) fpnConvs.add(new ConvModule(out, out, 3, cfg.stride(), 1, true, null, false));
    }

    @Override protected List<ConvModule> convModules() { return concat(List.of(reductionConv), fpnConvs.asList()); }

    @Override
    public List<Tensor> forward(List<Tensor> inputs) {
        checkInputs("HRFPN", inputs);
        Tensor first = inputs.get(0);
        List<Tensor> ups = new ArrayList<>();
        ups.add(first);
        for (int i = 1; i < inputs.size(); i++) {
            Tensor u = F.upsampleBilinear(inputs.get(i), 1 << i, 1 << i);
            if (u.dim(2) != first.dim(2) || u.dim(3) != first.dim(3))
                throw new IllegalArgumentException("HRFPN: input " + i + " " + Shape.str(inputs.get(i).shape()) + " upsampled ×"
                        + (1 << i) + " is " + u.dim(2) + "x" + u.dim(3) + ", input 0 is " + first.dim(2) + "x" + first.dim(3)
                        + " (torch.cat fails too): pad the images to a multiple of the largest backbone stride");
            ups.add(u);
        }
        Tensor reduced = reductionConv.forward(F.concatChannels(ups));
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < cfg.numOuts(); i++) outs.add(fpnConvs.get(i).forward(i == 0 ? reduced : pool(reduced, 1 << i)));
        return outs;
    }

    private Tensor pool(Tensor x, int k) {
        return cfg.poolingType().equals("MAX") ? F.maxPool2d(x, k, k, 0) : F.avgPool2d(x, poolParams(k));
    }

    /** {@code F.avg_pool2d(x, kernel_size=k, stride=k)}: no padding, floor mode, count_include_pad (torch defaults). */
    public static AvgPool2dParams poolParams(int k) { return new AvgPool2dParams(k, k, 0, false, true); }
}
