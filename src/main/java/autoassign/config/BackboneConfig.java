package autoassign.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code model.backbone} (MMDetection {@code ResNet}).
 *
 * @param depth            18, 34 (basic blocks), 50, 101 (bottlenecks)
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
 */
public record BackboneConfig(int depth, int numStages, int baseChannels, int stemChannels, List<Integer> outIndices,
                             int frozenStages, NormConfig normCfg, boolean normEval, String style,
                             boolean zeroInitResidual, String pretrained) {

    public BackboneConfig {
        outIndices = List.copyOf(outIndices);
    }

    /** True for depths 50 and 101. */
    public boolean bottleneck() { return depth >= 50; }

    public int expansion() { return bottleneck() ? 4 : 1; }

    /** Blocks per stage (first {@code numStages} of them are built). */
    public int[] stageBlocks() {
        return switch (depth) {
            case 18 -> new int[] {2, 2, 2, 2};
            case 34, 50 -> new int[] {3, 4, 6, 3};
            case 101 -> new int[] {3, 4, 23, 3};
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
        n.fixed("type", "ResNet");
        int depth = n.intChoice("depth", 50, 18, 34, 50, 101);
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
        BackboneConfig c = new BackboneConfig(depth, numStages, base, stem, out, frozen, norm, normEval, style, zero, pretrained);
        if (norm.isGroupNorm()) {
            norm.checkDivides(n, "norm_cfg", stem, "the stem");
            for (int i = 0; i < numStages; i++) {
                norm.checkDivides(n, "norm_cfg", base << i, "layer" + (i + 1));
                norm.checkDivides(n, "norm_cfg", c.stageChannels(i), "layer" + (i + 1));
            }
        }
        return c;
    }
}
