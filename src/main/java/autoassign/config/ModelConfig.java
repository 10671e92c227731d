package autoassign.config;

/** {@code model}: the detector (MMDetection {@code type='AutoAssign'}). */
public record ModelConfig(DataPreprocessorConfig dataPreprocessor, BackboneSpec backboneSpec, NeckConfig neck,
                          HeadConfig bboxHead, TestConfig testCfg) {

    /** The ResNet-family backbone ({@code ResNet, ResNeXt, RegNet, ResNetV1d, Res2Net}); an error for HRNet ({@link #backboneSpec}). */
    public BackboneConfig backbone() {
        if (backboneSpec instanceof BackboneConfig b) return b;
        throw new IllegalStateException("model.backbone is " + backboneSpec.type() + ", not a ResNet-family backbone");
    }

    static ModelConfig from(ConfigNode n) {
        n.fixed("type", "AutoAssign");
        DataPreprocessorConfig pre = DataPreprocessorConfig.from(n.child("data_preprocessor"));
        BackboneSpec backbone = BackboneSpec.from(n.requiredChild("backbone"));
        NeckConfig neck = NeckConfig.from(n.requiredChild("neck"));
        HeadConfig head = HeadConfig.from(n.requiredChild("bbox_head"));
        if (n.raw("train_cfg") != null) throw n.error("train_cfg", "AutoAssign has no train_cfg: must be null or absent");
        TestConfig test = TestConfig.from(n.child("test_cfg"));
        n.finish();
        ModelConfig m = new ModelConfig(pre, backbone, neck, head, test);
        m.check(n);
        return m;
    }

    /** Cross-section checks: channels and strides must chain backbone → neck → head. */
    private void check(ConfigNode n) {
        if (!neck.inChannels().equals(backboneSpec.outChannels()))
            throw n.error("neck.in_channels", "must equal the channels of the backbone outputs ("
                    + (backboneSpec instanceof BackboneConfig b ? "out_indices " + b.outIndices() + ", " : "")
                    + backboneSpec.describe() + "): " + backboneSpec.outChannels() + ", got " + neck.inChannels());
        if (bboxHead.inChannels() != neck.outChannels())
            throw n.error("bbox_head.in_channels", "must equal model.neck.out_channels " + neck.outChannels()
                    + ", got " + bboxHead.inChannels());
        java.util.List<Integer> expect = expectedStrides();
        if (!bboxHead.strides().equals(expect))
            throw n.error("bbox_head.strides", "the neck's " + neck.numOuts() + " outputs have strides " + expect
                    + ", got " + bboxHead.strides());
    }

    /** Strides of the neck outputs ({@link NeckConfig#outStrides}). */
    public java.util.List<Integer> expectedStrides() { return neck.outStrides(backboneSpec.outStrides()); }
}
