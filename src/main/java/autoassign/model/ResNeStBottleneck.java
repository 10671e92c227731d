package autoassign.model;

import autoassign.backend.AvgPool2dParams;
import autoassign.config.NormConfig;
import autoassign.config.ResNeStConfig;
import autoassign.nn.AvgPool2d;
import autoassign.nn.Conv2d;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * MMDetection 3.3.0's ResNeSt {@code Bottleneck} ({@code mmdet/models/backbones/resnest.py}, expansion 4):
 * {@code conv1} 1×1 inplanes → width (+ norm + ReLU), {@code conv2} a {@link SplitAttentionConv2d} width → width,
 * with {@code avg_down_stride} and a stride &gt; 1 on the 3×3 (pytorch style) the split attention runs at stride 1 and
 * {@code avd_layer} = {@code AvgPool2d(3, stride, padding=1)} (counting the padding) follows it, {@code conv3} 1×1
 * width → planes·4 + norm, + the identity (ResNetV1d's {@code avg_down} downsample), ReLU.
 *
 * <p>Children in upstream's order: its parent registers conv1, bn1, conv2, bn2, conv3, bn3, downsample; the ResNeSt
 * block re-assigns conv1, bn1, conv2 (same places), deletes bn2 and adds {@code avd_layer} last, so the state dict
 * lists {@code conv1, bn1, conv2.*, conv3, bn3, downsample.*}.
 */
public final class ResNeStBottleneck extends ResBlock {
    public final Conv2d conv1, conv3;
    public final Module norm1, norm3;
    public final SplitAttentionConv2d conv2;
    /** {@code avd_layer}: the 3×3 average pool that takes the stride; null when the block has none. */
    public final AvgPool2d avdLayer;

    public ResNeStBottleneck(int inplanes, int planes, int width, int stride, int dilation, boolean caffe, NormConfig norm,
                             ResNeStConfig cfg) {
        super(buildDownsample(inplanes, planes * 4, stride, norm, true));
        String a = Norms.abbr(norm);
        int s1 = caffe ? stride : 1, s2 = caffe ? 1 : stride;
        boolean avd = cfg.avgDownStride() && s2 > 1;
        conv1 = child("conv1", new Conv2d(inplanes, width, 1, s1, 0, false));
        norm1 = child(a + "1", Norms.build(norm, width));
        conv2 = child("conv2", new SplitAttentionConv2d(width, width, avd ? 1 : s2, dilation, cfg.groups(), cfg.radix(),
                cfg.reductionFactor(), norm));
        conv3 = child("conv3", new Conv2d(width, planes * 4, 1, 1, 0, false));
        norm3 = child(a + "3", Norms.build(norm, planes * 4));
        if (downsample != null) child("downsample", downsample);
        avdLayer = avd ? child("avd_layer", new AvgPool2d(new AvgPool2dParams(3, s2, 1, false, true))) : null;
    }

    @Override public Tensor forward(Tensor x) {
        Tensor out = step(x, conv1, norm1, true, false);
        Tensor sa = conv2.forward(out);
        MemoryScope.dispose(out);
        if (avdLayer != null) {
            Tensor p = avdLayer.forward(sa);
            MemoryScope.dispose(sa);
            sa = p;
        }
        return residual(sa, conv3, norm3, x);
    }

    @Override public Module lastNorm() { return norm3; }
}
