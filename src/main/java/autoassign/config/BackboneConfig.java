package autoassign.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code model.backbone} (MMDetection {@code ResNet} or {@code ResNeXt}: the same network with ResNeXt's grouped 3×3 in
 * every bottleneck, {@code mmdet/models/backbones/resnext.py}).
 *
 * @param depth            18, 34 (basic blocks), 50, 101, 152 (bottlenecks); ResNeXt: 50, 101, 152 only
 * @param numStages        1..4
 * @param baseChannels     planes of stage 1 (64 for the real network; the width knob for small models)
 * @param stemChannels     channels of the stem conv (default = baseChannels)
 * @param outIndices       stage indices returned (0 = C2 ... 3 = C5), strictly increasing
 * @param frozenStages     -1 none, 0 stem, k stem + layer1..layerk: no gradients, never updated
 * @param normCfg          BN (the real model: frozen statistics and affine) or GN
 * @param normEval         BN only: true keeps every BN on its running statistics (MMDetection's default); false
 *                         normalises the BN layers of the stages that train with batch statistics in training
 * @param style            "caffe" (stride on the first 1x1 conv of a bottleneck) or "pytorch" (on the 3x3)
 * @param zeroInitResidual random init only: last norm of each block starts at weight 0 (MMDetection default)
 * @param pretrained       {@code init_cfg.checkpoint} of a Pretrained init, or null for random init
 * @param type             "ResNet" or "ResNeXt"
 * @param groups           ResNeXt: groups of each bottleneck's 3×3 conv (1 for ResNet)
 * @param baseWidth        ResNeXt: channels per group of stage 1 at {@code base_channels} 64 (4 for ResNet, unused)
 */
public record BackboneConfig(int depth, int numStages, int baseChannels, int stemChannels, List<Integer> outIndices,
                             int frozenStages, NormConfig normCfg, boolean normEval, String style,
                             boolean zeroInitResidual, String pretrained, String type, int groups, int baseWidth) {

    public static final String RESNET = "ResNet", RESNEXT = "ResNeXt";

    public BackboneConfig {
        outIndices = List.copyOf(outIndices);
    }

    /** True for depths 50, 101 and 152. */
    public boolean bottleneck() { return depth >= 50; }

    public boolean resNeXt() { return RESNEXT.equals(type); }

    /**
     * Channels of the 1×1 → 3×3 part of a bottleneck of stage {@code i} (0-based; its {@code planes} are
     * baseChannels·2^i): planes when groups is 1, else ResNeXt's
     * {@code floor(planes · (base_width / base_channels)) · groups} (MMDetection 3.x, the {@code base_channels} of
     * the backbone; 64x4d at base 64: 256, 512, 1024, 2048).
     */
    public int bottleneckWidth(int i) {
        int planes = baseChannels << i;
        if (groups == 1) return planes;
        return (int) Math.floor(planes * ((double) baseWidth / baseChannels)) * groups;
    }

    public int expansion() { return bottleneck() ? 4 : 1; }

    /** Blocks per stage (first {@code numStages} of them are built). */
    public int[] stageBlocks() {
        return switch (depth) {
            case 18 -> new int[] {2, 2, 2, 2};
            case 34, 50 -> new int[] {3, 4, 6, 3};
            case 101 -> new int[] {3, 4, 23, 3};
            case 152 -> new int[] {3, 8, 36, 3};
            default -> throw new IllegalStateException("depth " + depth);
        };
    }

    /** Output channels of stage {@code i} (0-based): baseChannels·2^i·expansion. */
    public int stageChannels(int i) { return baseChannels * (1 << i) * expansion(); }

    /** Channels of each returned feature, in {@code outIndices} order. */
    public List<Integer> outChannels() {
        List<Integer> out = new ArrayList<>();
        for (int i : outIndices) out.add(stageChannels(i));
        return List.copyOf(out);
    }

    /** Stride of each returned feature (stage i has stride 4·2^i). */
    public List<Integer> outStrides() {
        List<Integer> out = new ArrayList<>();
        for (int i : outIndices) out.add(4 << i);
        return List.copyOf(out);
    }

    static BackboneConfig from(ConfigNode n) {
        String type = n.choice("type", RESNET, RESNET, RESNEXT);
        boolean resNeXt = RESNEXT.equals(type);
        // ResNeXt's arch_settings have bottleneck depths only; building it with 18 or 34 is a KeyError upstream
        int depth = resNeXt ? n.intChoice("depth", 50, 50, 101, 152) : n.intChoice("depth", 50, 18, 34, 50, 101, 152);
        int groups = 1, baseWidth = 4;
        if (resNeXt) {
            groups = n.integer("groups", 1); // MMDetection's default: a ResNeXt of one group is a ResNet
            if (groups < 1) throw n.error("groups", "must be >= 1, got " + groups);
            baseWidth = n.integer("base_width", 4);
            if (baseWidth < 1) throw n.error("base_width", "must be >= 1, got " + baseWidth);
        } else {
            for (String k : new String[] {"groups", "base_width"})
                if (n.has(k)) throw n.error(k, "is a ResNeXt argument: set type: ResNeXt (ResNet takes no " + k + ")");
        }
        int numStages = n.integer("num_stages", 4);
        if (numStages < 1 || numStages > 4) throw n.error("num_stages", "must be in 1..4, got " + numStages);
        int base = n.positive("base_channels", n.integer("base_channels", 64));
        int stem = n.positive("stem_channels", n.integer("stem_channels", base));
        List<Integer> out = n.intList("out_indices", List.of(0, 1, 2, 3));
        if (out.isEmpty()) throw n.error("out_indices", "must name at least one stage");
        for (int k = 0; k < out.size(); k++) {
            int v = out.get(k);
            if (v < 0 || v >= numStages)
                throw n.error("out_indices", "stage index " + v + " is outside 0.." + (numStages - 1) + " (num_stages " + numStages + ")");
            if (k > 0 && v <= out.get(k - 1)) throw n.error("out_indices", "must be strictly increasing, got " + out);
        }
        int frozen = n.integer("frozen_stages", -1);
        if (frozen < -1 || frozen > numStages)
            throw n.error("frozen_stages", "must be in -1.." + numStages + ", got " + frozen);
        NormConfig norm = NormConfig.from(n.child("norm_cfg"), NormConfig.RESNET_DEFAULT);
        boolean normEval = n.bool("norm_eval", true); // false: BN of the trained stages uses batch statistics in training
        String style = n.choice("style", "pytorch", "pytorch", "caffe");
        boolean zero = n.bool("zero_init_residual", true);
        String pretrained = null;
        ConfigNode init = n.child("init_cfg");
        if (init.has("type") || init.has("checkpoint")) {
            init.fixed("type", "Pretrained");
            pretrained = init.string("checkpoint");
        }
        init.finish();
        n.finish();
        BackboneConfig c = new BackboneConfig(depth, numStages, base, stem, out, frozen, norm, normEval, style, zero, pretrained,
                type, groups, baseWidth);
        for (int i = 0; i < numStages && groups > 1; i++) {
            if (c.bottleneckWidth(i) < groups)
                throw n.error("base_width", "base_width " + baseWidth + " with base_channels " + base + " leaves layer" + (i + 1)
                        + " no channel per group (width floor(" + (base << i) + " * " + baseWidth + " / " + base + ") * " + groups + " = "
                        + c.bottleneckWidth(i) + ")");
        }
        if (norm.isGroupNorm()) {
            norm.checkDivides(n, "norm_cfg", stem, "the stem");
            for (int i = 0; i < numStages; i++) {
                norm.checkDivides(n, "norm_cfg", c.bottleneck() ? c.bottleneckWidth(i) : base << i, "layer" + (i + 1));
                norm.checkDivides(n, "norm_cfg", c.stageChannels(i), "layer" + (i + 1));
            }
        }
        return c;
    }
}
