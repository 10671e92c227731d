package autoassign.config;

import java.util.List;

/**
 * What the detector, the config checks and the trainer need of any {@code model.backbone}: the ResNet family
 * ({@link BackboneConfig}) or HRNet ({@link HrNetConfig}).
 */
public interface BackboneSpec {
    /** MMDetection's registry name: {@code ResNet}, {@code ResNeXt}, {@code RegNet}, {@code ResNetV1d}, {@code Res2Net}, {@code HRNet}. */
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
     * The {@code model.backbone} mapping's type: {@code HRNet} builds {@link HrNetConfig}, every other type
     * {@link BackboneConfig}.
     */
    static BackboneSpec from(ConfigNode n) {
        var t = n.raw("type");
        if (t != null && t.isTextual() && HrNetConfig.TYPE.equals(ConfigNode.unscoped(t.asText()))) return HrNetConfig.from(n);
        return BackboneConfig.from(n);
    }
}
