package autoassign.model;

import autoassign.autograd.ChannelSlices;
import autoassign.autograd.F;
import autoassign.backend.AvgPool2dParams;
import autoassign.config.DcnConfig;
import autoassign.config.NormConfig;
import autoassign.nn.AvgPool2d;
import autoassign.nn.Conv2d;
import autoassign.nn.DeformConv2dPack;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * MMDetection's Res2Net block ({@code Bottle2neck}, mmdet/models/backbones/res2net.py; style pytorch, expansion 4):
 * {@code conv1} 1×1 inplanes → width·scales + norm + ReLU, split into {@code scales} slices of {@code width}
 * channels; slice k &lt; scales−1 goes through its own 3×3 ({@code convs.k}, the block's stride, padding = dilation) +
 * norm ({@code bns.k}) + ReLU, in a {@code normal} block after adding the previous slice's output (k ≥ 1); the last
 * slice is passed on as it is, or, in a stage's first block ({@code stage}) with stride &gt; 1, through
 * {@code pool} = {@code AvgPool2d(3, stride, padding=1)} (counting the padding); the slices are concatenated,
 * then {@code conv3} 1×1 → planes·4 + norm, + the identity (Res2Layer's downsample: always the average pool, then
 * the stride-1 1×1 conv and norm, {@code downsample.0/1/2}), ReLU. With a {@code dcn} every {@code convs.k} is a
 * deformable conv (upstream's Bottleneck pops {@code fallback_on_stride} before Bottle2neck reads it, so no block
 * falls back).
 *
 * <p>Children are registered in upstream's order (its parent registers conv1, bn1, conv2, bn2, conv3, bn3,
 * downsample; Bottle2neck replaces conv1 / bn1 in place, adds pool, convs, bns and deletes conv2 / bn2), so the
 * state dict lists {@code conv1, bn1, conv3, bn3, downsample, convs, bns}, as torch does.
 */
public final class Bottle2neck extends ResBlock {
    public final Conv2d conv1, conv3;
    public final Module norm1, norm3;
    /** The 3×3 of each of the first scales−1 slices: {@link Conv2d}, or {@link DeformConv2dPack} with a dcn. */
    public final ModuleList<Module> convs;
    public final ModuleList<Module> bns;
    /** The last slice's 3×3 average pool of a strided {@code stage} block; null otherwise. */
    public final AvgPool2d pool;
    public final int width, scales;
    /** {@code stage_type='stage'} (a stage's first block): slices go to their convs without the previous output. */
    public final boolean stageType;

    /**
     * @param width  channels of each slice: {@code floor(planes · base_width / base_channels)}
     * @param stage  the first block of its stage (upstream's {@code stage_type='stage'}), else {@code normal}
     * @param dcn    the deformable conv of the slices' 3×3s, or null
     */
    public Bottle2neck(int inplanes, int planes, int width, int scales, int stride, int dilation, boolean stage,
                       NormConfig norm, DcnConfig dcn) {
        super(buildDownsample(inplanes, planes * 4, stride, norm, true));
        if (scales < 2) throw new IllegalArgumentException("Bottle2neck: scales must be > 1, got " + scales);
        if (width < 1) throw new IllegalArgumentException("Bottle2neck: width must be >= 1, got " + width);
        this.width = width;
        this.scales = scales;
        this.stageType = stage;
        String a = Norms.abbr(norm);
        conv1 = child("conv1", new Conv2d(inplanes, width * scales, 1, 1, 0, false));
        norm1 = child(a + "1", Norms.build(norm, width * scales));
        conv3 = child("conv3", new Conv2d(width * scales, planes * 4, 1, 1, 0, false));
        norm3 = child(a + "3", Norms.build(norm, planes * 4));
        if (downsample != null) child("downsample", downsample);
        pool = stage && stride != 1 ? child("pool", new AvgPool2d(new AvgPool2dParams(3, stride, 1, false, true))) : null;
        convs = child("convs", new ModuleList<>());
        bns = child("bns", new ModuleList<>());
        for (int i = 0; i < scales - 1; i++) {
            convs.add(dcn == null ? new Conv2d(width, width, 3, stride, dilation, dilation, 1, false)
                    : new DeformConv2dPack(width, width, 3, stride, dilation, dilation, 1, dcn.deformGroups(), dcn.modulated(), false));
            bns.add(Norms.build(norm, width));
        }
    }

    @Override public Tensor forward(Tensor x) {
        Tensor out = step(x, conv1, norm1, true, false);
        int[] sizes = new int[scales];
        java.util.Arrays.fill(sizes, width);
        Tensor[] spx = ChannelSlices.split(out, sizes);
        MemoryScope.dispose(out); // released now only when untaped (frozen stage, inference)
        List<Tensor> parts = new ArrayList<>(scales);
        Tensor sp = null;
        for (int i = 0; i < scales - 1; i++) {
            Tensor in = i == 0 || stageType ? spx[i] : F.add(sp, spx[i]);
            if (in != spx[i]) MemoryScope.dispose(spx[i]);
            sp = sliceConv(i, in);
            parts.add(sp);
        }
        Tensor last = spx[scales - 1];
        if (pool != null) {
            last = pool.forward(spx[scales - 1]);
            MemoryScope.dispose(spx[scales - 1]);
        }
        parts.add(last);
        Tensor cat = F.concatChannels(parts);
        for (Tensor p : parts) MemoryScope.dispose(p);
        return residual(cat, conv3, norm3, x);
    }

    /** Slice i's 3×3 → norm → ReLU; releases its input (an intermediate of this block) when no tape node needs it. */
    private Tensor sliceConv(int i, Tensor in) {
        Module conv = convs.get(i);
        if (conv instanceof DeformConv2dPack d) return Bottleneck.deformStep(in, d, bns.get(i));
        return step(in, (Conv2d) conv, bns.get(i), true, true);
    }

    /** The deformable 3×3s (every {@code convs.k} with a dcn), else empty. */
    public List<DeformConv2dPack> deformConvs() {
        List<DeformConv2dPack> out = new ArrayList<>();
        for (Module m : convs) if (m instanceof DeformConv2dPack d) out.add(d);
        return out;
    }

    /** Stride of the slices' 3×3s (the block's stride: Res2Net is always pytorch style). */
    public int stride() {
        Module c = convs.get(0);
        return c instanceof DeformConv2dPack d ? d.geometry().strideH() : ((Conv2d) c).geometry.strideH();
    }

    @Override public Module lastNorm() { return norm3; }
}
