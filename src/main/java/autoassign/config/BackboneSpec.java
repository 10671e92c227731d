package autoassign.config;

import java.util.List;

/**
 * What the detector, the config checks and the trainer need of any {@code model.backbone}: the ResNet family
 * ({@link BackboneConfig}), HRNet ({@link HrNetConfig}) or MobileNetV2 ({@link MobileNetV2Config}).
 */
public interface BackboneSpec {
    /** MMDetection's registry name: {@code ResNet}, {@code ResNeXt}, {@code RegNet}, {@code ResNetV1d}, {@code Res2Net}, {@code HRNet}, {@code MobileNetV2}, {@code ResNeSt}. */
    String type();

    /** Channels of each feature map the backbone returns, in order. */
    List<Integer> outChannels();

    /** Stride (to the input) of each returned feature map. */
    List<Integer> outStrides();

    /** What the backbone is, for messages. */
    String describe();

    NormConfig normCfg();

    /** True keeps every BN on its running statistics in training (MMDetection's {@code norm_eval}). */
    boolean normEval();

    /** {@code init_cfg.checkpoint} of a Pretrained init, or null for random init. */
    String pretrained();

    /**
     * The {@code model.backbone} mapping's type: {@code HRNet} builds {@link HrNetConfig}, {@code MobileNetV2}
     * {@link MobileNetV2Config}, {@code ResNeSt} {@link ResNeStConfig}, {@code PyramidVisionTransformer(V2)} {@link PvtConfig}, every other type {@link BackboneConfig}.
     */
    static BackboneSpec from(ConfigNode n) {
        var t = n.raw("type");
        if (t != null && t.isTextual() && HrNetConfig.TYPE.equals(ConfigNode.unscoped(t.asText()))) return HrNetConfig.from(n);
        if (t != null && t.isTextual() && MobileNetV2Config.TYPE.equals(ConfigNode.unscoped(t.asText()))) return MobileNetV2Config.from(n);
        if (t != null && t.isTextual() && ResNeStConfig.TYPE.equals(ConfigNode.unscoped(t.asText()))) return ResNeStConfig.from(n);
        if (t != null && t.isTextual() && SwinConfig.TYPE.equals(ConfigNode.unscoped(t.asText()))) return SwinConfig.from(n);
        if (t != null && t.isTextual() && CspDarknetConfig.TYPE.equals(ConfigNode.unscoped(t.asText()))) return CspDarknetConfig.from(n);
        if (t != null && t.isTextual() && CspNextConfig.TYPE.equals(ConfigNode.unscoped(t.asText()))) return CspNextConfig.from(n);
        if (t != null && t.isTextual() && PvtConfig.isType(ConfigNode.unscoped(t.asText()))) return PvtConfig.from(n);
        if (t != null && t.isTextual() && EfficientNetConfig.TYPE.equals(ConfigNode.unscoped(t.asText()))) return EfficientNetConfig.from(n);
        return BackboneConfig.from(n);
    }

    /**
     * The checkpoint of {@code init_cfg: {type: Pretrained, checkpoint: ...}} (the only init_cfg a backbone takes
     * here), or null when {@code init_cfg} is absent or empty.
     */
    static String pretrainedCheckpoint(ConfigNode n) {
        String checkpoint = null;
        ConfigNode init = n.child("init_cfg");
        if (init.has("type") || init.has("checkpoint")) {
            init.fixed("type", "Pretrained");
            checkpoint = init.string("checkpoint");
        }
        init.finish();
        return checkpoint;
    }

    /** {@code f} of each out index, in order: the channels or strides of a backbone that returns its layers by index. */
    static List<Integer> perOutIndex(List<Integer> outIndices, java.util.function.IntUnaryOperator f) {
        return outIndices.stream().map(f::applyAsInt).toList();
    }
}
