package autoassign.model;

import autoassign.autograd.F;
import autoassign.backend.AvgPool2dParams;
import autoassign.config.DcnConfig;
import autoassign.config.NormConfig;
import autoassign.nn.AvgPool2d;
import autoassign.nn.BatchNorm2d;
import autoassign.nn.Conv2d;
import autoassign.nn.DeformConv2dPack;
import autoassign.nn.GroupNorm;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

/**
 * A residual block of {@link ResNet} (MMDetection {@code BasicBlock} / {@code Bottleneck}); child names match
 * MMDetection: {@code conv1, bn1, conv2, bn2[, conv3, bn3], downsample.0, downsample.1} ({@code avg_down}:
 * {@code downsample.0} is the parameterless average pool, {@code downsample.1} the conv, {@code downsample.2} the norm).
 * Res2Net's block is {@link Bottle2neck}.
 */
public abstract class ResBlock extends Module {
    /**
     * {@code downsample}: 1×1 conv (stride s, no bias) + norm, or with {@code avg_down} an
     * {@link AvgPool2d} (k = s, ceil mode, padding excluded) + 1×1 conv at stride 1 + norm, the pool also at s = 1
     * (layer1's channel change: an identity {@code AvgPool2d(1, 1)}, as upstream builds it, so the conv is
     * {@code downsample.1} there too); null when the shapes already match.
     */
    public final ModuleList<Module> downsample;

    protected ResBlock(ModuleList<Module> downsample) { this.downsample = downsample; }

    public abstract Tensor forward(Tensor x);

    /** The last norm of the residual branch (zeroed by zero_init_residual). */
    public abstract Module lastNorm();

    protected Tensor identity(Tensor x) {
        if (downsample == null) return x;
        if (downsample.get(0) instanceof AvgPool2d pool && pool.params.stride() > 1) { // a 1×1/1 pool is the identity
            Tensor p = pool.forward(x);
            Tensor y = Norms.convNormAct(downsampleConv(), downsampleNorm(), p, null, false);
            MemoryScope.dispose(p); // released now only when untaped (frozen stage, inference)
            return y;
        }
        return Norms.convNormAct(downsampleConv(), downsampleNorm(), x, null, false);
    }

    /** The downsample's pool, or null without {@code avg_down} (or without a downsample). */
    public AvgPool2d downsamplePool() {
        return downsample != null && downsample.get(0) instanceof AvgPool2d p ? p : null;
    }

    /** The downsample's 1×1 conv (index 0, or 1 after an {@code avg_down} pool); null without a downsample. */
    public Conv2d downsampleConv() {
        return downsample == null ? null : (Conv2d) downsample.get(downsamplePool() == null ? 0 : 1);
    }

    /** The downsample's norm (index 1, or 2 after an {@code avg_down} pool); null without a downsample. */
    public Module downsampleNorm() {
        return downsample == null ? null : downsample.get(downsamplePool() == null ? 1 : 2);
    }

    /**
     * conv → norm (→ ReLU), fused where the norm allows ({@link Norms#convNormAct}); {@code disposeInput}: release
     * the input at once when no tape node references it (an intermediate of this block in a frozen stage or at
     * inference, never the block's own input).
     */
    static Tensor step(Tensor in, Conv2d conv, Module norm, boolean relu, boolean disposeInput) {
        Tensor y = Norms.convNormAct(conv, norm, in, null, relu);
        if (disposeInput) MemoryScope.dispose(in);
        return y;
    }

    /** relu(norm(conv(out)) + identity(x)): the block's last layer with the residual fused in; never releases x. */
    protected Tensor residual(Tensor out, Conv2d conv, Module norm, Tensor x) {
        Tensor id = identity(x);
        Tensor y = Norms.convNormAct(conv, norm, out, id, true);
        MemoryScope.dispose(out);
        if (id != x) MemoryScope.dispose(id);
        return y;
    }

    static ModuleList<Module> buildDownsample(int in, int out, int stride, NormConfig norm) {
        return buildDownsample(in, out, stride, norm, false);
    }

    /**
     * MMDetection's ResLayer downsample; with {@code avg_down} the pool (kernel = stride, also 1) before a stride-1
     * conv: {@code [AvgPool2d, conv, norm]}.
     */
    static ModuleList<Module> buildDownsample(int in, int out, int stride, NormConfig norm, boolean avgDown) {
        if (stride == 1 && in == out) return null;
        ModuleList<Module> d = new ModuleList<>();
        int convStride = stride;
        if (avgDown) {
            convStride = 1;
            d.add(new AvgPool2d(AvgPool2dParams.avgDown(stride)));
        }
        d.add(new Conv2d(in, out, 1, convStride, 0, false));
        d.add(Norms.build(norm, out));
        return d;
    }

    /** Two 3×3 convs; expansion 1 (ResNet-18/34). */
    public static final class Basic extends ResBlock {
        public final Conv2d conv1, conv2;
        public final Module norm1, norm2;

        public Basic(int inplanes, int planes, int stride, NormConfig norm) {
            this(inplanes, planes, stride, norm, false);
        }

        public Basic(int inplanes, int planes, int stride, NormConfig norm, boolean avgDown) {
            super(buildDownsample(inplanes, planes, stride, norm, avgDown));
            String a = Norms.abbr(norm);
            conv1 = child("conv1", new Conv2d(inplanes, planes, 3, stride, 1, false));
            norm1 = child(a + "1", Norms.build(norm, planes));
            conv2 = child("conv2", new Conv2d(planes, planes, 3, 1, 1, false));
            norm2 = child(a + "2", Norms.build(norm, planes));
            if (downsample != null) child("downsample", downsample);
        }

        @Override public Tensor forward(Tensor x) {
            Tensor out = step(x, conv1, norm1, true, false);
            return residual(out, conv2, norm2, x);
        }

        @Override public Module lastNorm() { return norm2; }
    }

    /**
     * 1×1 → 3×3 → 1×1 (expansion 4, ResNet-50/101/152). {@code caffe} style puts the stride on {@code conv1}
     * (the 1×1), {@code pytorch} style on {@code conv2} (the 3×3). ResNeXt's bottleneck is the same block with
     * {@code width} channels inside (instead of {@code planes}) and a grouped 3×3: conv1 inplanes → width,
     * conv2 width → width in {@code groups} groups, conv3 width → planes·4. With a {@link DcnConfig} the 3×3 is
     * MMCV's deformable conv ({@link #deformConv2}, still named {@code conv2}: {@code conv2.weight},
     * {@code conv2.conv_offset.weight / .bias}) and {@link #conv2} is null.
     */
    public static final class Bottleneck extends ResBlock {
        /** The plain 3×3 {@code conv2}; null when the block is deformable ({@link #deformConv2}). */
        public final Conv2d conv2;
        public final Conv2d conv1, conv3;
        /** The deformable 3×3 {@code conv2} (DCN / DCNv2); null for the plain block. */
        public final DeformConv2dPack deformConv2;
        public final Module norm1, norm2, norm3;

        public Bottleneck(int inplanes, int planes, int stride, boolean caffe, NormConfig norm) {
            this(inplanes, planes, planes, 1, stride, caffe, norm);
        }

        /** A ResNeXt bottleneck: {@code width} inner channels ({@code BackboneConfig#bottleneckWidth}), grouped 3×3. */
        public Bottleneck(int inplanes, int planes, int width, int groups, int stride, boolean caffe, NormConfig norm) {
            this(inplanes, planes, width, groups, stride, 1, 4, caffe, norm);
        }

        /**
         * The general block: RegNet's is ResNeXt's at {@code expansion} 1 (conv3 width → planes, a downsample
         * whenever the stride or the channels change) with the 3×3 at {@code dilation} (padding = dilation).
         */
        public Bottleneck(int inplanes, int planes, int width, int groups, int stride, int dilation, int expansion,
                          boolean caffe, NormConfig norm) {
            this(inplanes, planes, width, groups, stride, dilation, expansion, caffe, norm, false);
        }

        /** The general block with ResLayer's {@code avg_down} downsample when {@code avgDown}. */
        public Bottleneck(int inplanes, int planes, int width, int groups, int stride, int dilation, int expansion,
                          boolean caffe, NormConfig norm, boolean avgDown) {
            this(inplanes, planes, width, groups, stride, dilation, expansion, caffe, norm, avgDown, null);
        }

        /**
         * The general block with its 3×3 built from {@code dcn} when not null (upstream's
         * {@code build_conv_layer(dcn, width, width, 3, stride, padding=dilation, dilation, groups, bias=False)}).
         */
        public Bottleneck(int inplanes, int planes, int width, int groups, int stride, int dilation, int expansion,
                          boolean caffe, NormConfig norm, boolean avgDown, DcnConfig dcn) {
            super(buildDownsample(inplanes, planes * expansion, stride, norm, avgDown));
            String a = Norms.abbr(norm);
            int s1 = caffe ? stride : 1, s2 = caffe ? 1 : stride;
            conv1 = child("conv1", new Conv2d(inplanes, width, 1, s1, 0, false));
            norm1 = child(a + "1", Norms.build(norm, width));
            if (dcn == null) {
                conv2 = child("conv2", new Conv2d(width, width, 3, s2, dilation, dilation, groups, false));
                deformConv2 = null;
            } else {
                conv2 = null;
                deformConv2 = child("conv2", new DeformConv2dPack(width, width, 3, s2, dilation, dilation, groups,
                        dcn.deformGroups(), dcn.modulated(), false));
            }
            norm2 = child(a + "2", Norms.build(norm, width));
            conv3 = child("conv3", new Conv2d(width, planes * expansion, 1, 1, 0, false));
            norm3 = child(a + "3", Norms.build(norm, planes * expansion));
            if (downsample != null) child("downsample", downsample);
        }

        @Override public Tensor forward(Tensor x) {
            Tensor out = step(x, conv1, norm1, true, false);
            out = deformConv2 != null ? deformStep(out, deformConv2, norm2) : step(out, conv2, norm2, true, true);
            return residual(out, conv3, norm3, x);
        }

        /** The 3×3 module, plain or deformable (its stride, padding and groups are the same). */
        public Module conv2Module() { return deformConv2 != null ? deformConv2 : conv2; }

        /** Stride of the 3×3 (pytorch style: the block's stride; caffe: 1). */
        public int conv2Stride() { return deformConv2 != null ? deformConv2.geometry().strideH() : conv2.geometry.strideH(); }

        @Override public Module lastNorm() { return norm3; }

        /**
         * deformable conv → norm → ReLU, releasing the intermediates no tape node needs (the conv's input is an
         * intermediate of this block). Unfused: the norm runs as its own op on the conv's output.
         */
        static Tensor deformStep(Tensor in, DeformConv2dPack conv, Module norm) {
            Tensor c = conv.forward(in);
            MemoryScope.dispose(in);
            if (norm instanceof GroupNorm gn) {
                Tensor y = gn.forward(c, true);
                MemoryScope.dispose(c);
                return y;
            }
            if (!(norm instanceof BatchNorm2d bn)) throw new IllegalStateException("not a norm layer: " + norm.getClass().getSimpleName());
            Tensor y = bn.forward(c);
            if (y != c) MemoryScope.dispose(c);
            Tensor r = F.relu(y);
            MemoryScope.dispose(y);
            return r;
        }
    }
}
