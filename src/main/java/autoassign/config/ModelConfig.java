package autoassign.config;

/** {@code model}: the detector (MMDetection {@code type='AutoAssign'}). */
public record ModelConfig(DataPreprocessorConfig dataPreprocessor, BackboneConfig backbone, NeckConfig neck,
                          HeadConfig bboxHead, TestConfig testCfg) {

    static ModelConfig from(ConfigNode n) {
        n.fixed("type", "AutoAssign");
        DataPreprocessorConfig pre = DataPreprocessorConfig.from(n.child("data_preprocessor"));
        BackboneConfig backbone = BackboneConfig.from(n.requiredChild("backbone"));
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
        if (!neck.inChannels().equals(backbone.outChannels()))
            throw n.error("neck.in_channels", "must equal the channels of the backbone outputs (out_indices "
                    + backbone.outIndices() + ", " + backbone.describe() + "): " + backbone.outChannels() + ", got "
                    + neck.inChannels());
        if (bboxHead.inChannels() != neck.outChannels())
            throw n.error("bbox_head.in_channels", "must equal model.neck.out_channels " + neck.outChannels()
                    + ", got " + bboxHead.inChannels());
        java.util.List<Integer> expect = expectedStrides();
        if (!bboxHead.strides().equals(expect))
            throw n.error("bbox_head.strides", "the neck's " + neck.numOuts() + " outputs have strides " + expect
                    + ", got " + bboxHead.strides());
    }

    /** Strides of the neck outputs: those of the backbone levels used, then doubling for each extra level. */
    public java.util.List<Integer> expectedStrides() {
        java.util.List<Integer> bs = backbone.outStrides();
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int i = neck.startLevel(); i < neck.backboneEndLevel(); i++) out.add(bs.get(i));
        while (out.size() < neck.numOuts()) out.add(out.get(out.size() - 1) * 2);
        return java.util.List.copyOf(out);
    }
}
