package autoassign.config;

import java.util.List;

/**
 * {@code model.backbone} of {@code type: ResNeSt}: MMDetection 3.3.0's {@code ResNeSt(groups=1, base_width=4, radix=2,
 * reduction_factor=4, avg_down_stride=True, **kwargs)} ({@code mmdet/models/backbones/resnest.py}), a
 * {@code ResNetV1d} (deep stem, {@code avg_down}) whose bottlenecks replace the 3×3 {@code conv2} by a
 * {@code SplitAttentionConv2d} ({@link autoassign.model.SplitAttentionConv2d}) and, with {@code avg_down_stride}, move
 * a strided block's stride to an {@code AvgPool2d(3, stride, padding=1)} after it ({@code avd_layer}).
 *
 * @param base            the ResNetV1d part (depth, stages, stem, out_indices, frozen_stages, norm, style, init_cfg):
 *                        {@link BackboneConfig#resNeStBase}
 * @param groups          cardinality of the split-attention conv (upstream's default 1)
 * @param baseWidth       channels per group at {@code base_channels} when groups &gt; 1 (width
 *                        {@code floor(planes · base_width / base_channels) · groups}); unused at groups 1
 * @param radix           splits of the split-attention conv (≥ 1; 1 uses a sigmoid instead of the radix softmax)
 * @param reductionFactor the attention's inner channels are {@code max(width · radix // reduction_factor, 32)}
 * @param avgDownStride   a strided block's 3×3 runs at stride 1 and an {@code AvgPool2d(3, stride, 1)} follows it
 */
public record ResNeStConfig(BackboneConfig base, int groups, int baseWidth, int radix, int reductionFactor,
                            boolean avgDownStride) implements BackboneSpec {
    public static final String TYPE = "ResNeSt";

    public ResNeStConfig {
        if (groups < 1 || baseWidth < 1 || radix < 1 || reductionFactor < 1)
            throw new IllegalArgumentException("ResNeSt: groups, base_width, radix and reduction_factor must be >= 1, got "
                    + groups + ", " + baseWidth + ", " + radix + ", " + reductionFactor);
    }

    /**
     * Channels of the bottleneck's 1×1 → split-attention part in stage {@code i}: {@code planes} at groups 1, else
     * {@code floor(planes · (base_width / base_channels)) · groups} (upstream's Bottleneck).
     */
    public int width(int i) {
        int planes = base.baseChannels() << i;
        if (groups == 1) return planes;
        return (int) Math.floor(planes * ((double) baseWidth / base.baseChannels())) * groups;
    }

    /** SplitAttentionConv2d's {@code inter_channels = max(in_channels * radix // reduction_factor, 32)}. */
    public int interChannels(int i) { return Math.max(width(i) * radix / reductionFactor, 32); }

    @Override public String type() { return TYPE; }

    @Override public List<Integer> outChannels() { return base.outChannels(); }

    @Override public List<Integer> outStrides() { return base.outStrides(); }

    @Override public String describe() {
        return "ResNeSt depth " + base.depth() + ", radix " + radix + ", reduction_factor " + reductionFactor
                + (groups > 1 ? ", groups " + groups + ", base_width " + baseWidth : "") + (avgDownStride ? ", avg_down_stride" : "");
    }

    @Override public NormConfig normCfg() { return base.normCfg(); }

    @Override public boolean normEval() { return base.normEval(); }

    @Override public String pretrained() { return base.pretrained(); }

    public List<Integer> outIndices() { return base.outIndices(); }

    /**
     * Reads the ResNeSt keys, then the ResNetV1d ones. Depths are upstream's {@code arch_settings}: 50, 101, 152 and
     * 200 (there is no ResNeSt-269 in MMDetection 3.3.0: building it is a KeyError there).
     */
    static ResNeStConfig from(ConfigNode n) {
        n.fixed("type", TYPE);
        if (n.has("depth") && n.raw("depth").isInt() && n.raw("depth").asInt() == 269)
            throw n.error("depth", "269 is not in MMDetection 3.3.0's ResNeSt arch_settings (50, 101, 152, 200)");
        int depth = n.intChoice("depth", 50, 50, 101, 152, 200);
        int groups = n.integer("groups", 1);
        if (groups < 1) throw n.error("groups", "must be >= 1, got " + groups);
        int baseWidth = n.integer("base_width", 4);
        if (baseWidth < 1) throw n.error("base_width", "must be >= 1, got " + baseWidth);
        int radix = n.integer("radix", 2);
        if (radix < 1) throw n.error("radix", "must be >= 1, got " + radix);
        int reduction = n.integer("reduction_factor", 4);
        if (reduction < 1) throw n.error("reduction_factor", "must be >= 1, got " + reduction);
        boolean avgDownStride = n.bool("avg_down_stride", true);
        if (n.has("plugins")) throw n.error("plugins", "are not supported (ResNeSt is built without plugins)");
        BackboneConfig base = BackboneConfig.resNeStBase(n, depth);
        ResNeStConfig c = new ResNeStConfig(base, groups, baseWidth, radix, reduction, avgDownStride);
        for (int i = 0; i < base.numStages(); i++)
            if (c.width(i) < groups)
                throw n.error("base_width", "base_width " + baseWidth + " with base_channels " + base.baseChannels() + " leaves layer"
                        + (i + 1) + " no channel per group (width " + c.width(i) + ", groups " + groups + ")");
        for (int i = 0; i < base.numStages(); i++) // nn.Conv2d: in_channels must be divisible by groups
            if (c.width(i) % (groups * radix) != 0)
                throw n.error(groups > 1 ? "groups" : "radix", "the split-attention 3x3 of layer" + (i + 1) + " has groups * radix = "
                        + groups * radix + " groups, which do not divide its " + c.width(i) + " channels");
        for (int i = 0; i < base.numStages(); i++) // fc1 / fc2: nn.Conv2d(…, groups=groups) on the inter channels
            if (c.interChannels(i) % groups != 0)
                throw n.error("groups", "the split attention's fc1 / fc2 of layer" + (i + 1) + " have " + groups
                        + " groups, which do not divide their " + c.interChannels(i) + " inter channels (max(width * radix // "
                        + "reduction_factor, 32))");
        return c;
    }
}
