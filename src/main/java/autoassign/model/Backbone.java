package autoassign.model;

import autoassign.config.BackboneConfig;
import autoassign.config.BackboneSpec;
import autoassign.config.HrNetConfig;
import autoassign.nn.Module;
import autoassign.tensor.Tensor;

import java.util.List;
import java.util.Random;

/**
 * The detector's {@code backbone}: images to the feature maps the neck takes. A class rather than an interface
 * because every backbone is a {@link Module} (state dict, train mode, freezing, {@link Norms#forEachBatchNorm}).
 */
public abstract class Backbone extends Module {
    /** The config it was built from. */
    public abstract BackboneSpec spec();

    /** @return the feature maps, finest first ({@link BackboneSpec#outChannels} channels, {@link BackboneSpec#outStrides}) */
    public abstract List<Tensor> forward(Tensor images);

    /**
     * Names (within the backbone) of the parameters no returned feature map depends on: stages after the last of
     * {@code out_indices}. They never get a gradient, so the optimizer leaves them out of its groups, as torch's SGD
     * skips a None grad.
     */
    public java.util.Set<String> parametersAfterTheLastOutput() { return java.util.Set.of(); }

    /**
     * The generator of the backbone's stochastic layers (Swin's drop path and dropout) for the next training step; the trainer
     * seeds one per (seed, rank, iteration) so a resumed run draws the same. Backbones without such layers ignore it.
     */
    public void setTrainingRandom(Random rng) {}

    /** Random initialisation (MMDetection's default without a pretrained file). */
    public abstract void initWeights(Random rng);

    /**
     * Builds the backbone a config names: {@link HrNet}, {@link MobileNetV2}, {@link SwinTransformer}, {@link CspDarknet}, {@link CspNext},
     * {@link PyramidVisionTransformer} (PVT v1 / v2), else the ResNet family (ResNeSt included).
     */
    public static Backbone build(BackboneSpec spec) {
        if (spec instanceof HrNetConfig h) return new HrNet(h);
        if (spec instanceof autoassign.config.MobileNetV2Config m) return new MobileNetV2(m);
        if (spec instanceof autoassign.config.SwinConfig sw) return new SwinTransformer(sw);
        if (spec instanceof autoassign.config.CspDarknetConfig c) return new CspDarknet(c);
        if (spec instanceof autoassign.config.CspNextConfig c) return new CspNext(c);
        if (spec instanceof autoassign.config.EfficientNetConfig e) return new EfficientNet(e);
        if (spec instanceof autoassign.config.PvtConfig p) return new PyramidVisionTransformer(p);
        if (spec instanceof autoassign.config.ResNeStConfig r) return new ResNet(r);
        if (spec instanceof BackboneConfig b) return new ResNet(b);
        throw new IllegalArgumentException("no backbone for " + spec.getClass().getSimpleName());
    }
}
