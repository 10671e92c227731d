package autoassign.config;

import java.util.List;

/**
 * {@code model.backbone} (MMDetection {@code ResNet} or {@code ResNeXt}: the same network with ResNeXt's grouped 3×3 in
 * every bottleneck, {@code mmdet/models/backbones/resnext.py}; or {@code RegNet}, {@code mmdet/models/backbones/regnet.py}:
 * a 3×3/2 stem without max-pool and stages of ResNeXt bottlenecks at expansion 1 whose widths, depths and groups its
 * {@code arch} generates, {@link RegNetArch}; or {@code Res2Net}, {@code mmdet/models/backbones/res2net.py}: a
 * ResNetV1d whose bottlenecks split their 3×3 into {@code scales} slices, {@link autoassign.model.Bottle2neck}).
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
 * @param type             "ResNet", "ResNeXt", "RegNet", "ResNetV1d" or "Res2Net"
 * @param groups           ResNeXt: groups of each bottleneck's 3×3 conv (1 for ResNet; RegNet: see {@link #stageGroups})
 * @param baseWidth        ResNeXt: channels per group of stage 1 at {@code base_channels} 64 (4 for ResNet, unused);
 *                         Res2Net: channels per slice of stage 1 at {@code base_channels} 64 (its default 26)
 * @param arch             RegNet only (else null): the {@code arch}; {@code depth} then holds the total block count
 *                         and {@code numStages} the arch's stage count, as upstream's attributes do
 * @param strides          stride of the first block of each stage (ResNet / ResNeXt: 1, 2, 2, 2; RegNet's
 *                         {@code strides}, default 2, 2, 2, 2)
 * @param dilations        dilation of each stage's 3×3 convs (1 except RegNet's {@code dilations})
 * @param deepStem         ResNet / ResNeXt {@code deep_stem}: the 7×7 stem conv replaced by three 3×3 conv + norm + ReLU
 *                         ({@code stem_channels/2}, {@code stem_channels/2}, {@code stem_channels}; the first of stride 2),
 *                         state-dict names {@code stem.0/1/3/4/6/7} (ResNetV1c's stem; {@code type: ResNetV1d} sets it)
 * @param avgDown          ResNet / ResNeXt {@code avg_down}: every downsample (stride s, also layer1's s = 1) becomes
 *                         {@code AvgPool2d(s, s, ceil_mode=True, count_include_pad=False)} then the 1×1 conv at stride 1
 *                         ({@code downsample.1} conv, {@code downsample.2} norm; {@code type: ResNetV1d} sets it)
 * @param dcn              {@code dcn}: the deformable conv of the bottlenecks' 3×3 in the stages {@code stageWithDcn}
 *                         marks ({@link DcnConfig}), or null
 * @param stageWithDcn     {@code stage_with_dcn}: per stage, whether its bottlenecks take the dcn (all false without)
 * @param scales           Res2Net's {@code scales} (≥ 2, default 4): slices of each bottleneck's 3×3; 1 for the others
 */
public record BackboneConfig(int depth, int numStages, int baseChannels, int stemChannels, List<Integer> outIndices,
                             int frozenStages, NormConfig normCfg, boolean normEval, String style,
                             boolean zeroInitResidual, String pretrained, String type, int groups, int baseWidth,
                             RegNetArch arch, List<Integer> strides, List<Integer> dilations, boolean deepStem,
                             boolean avgDown, DcnConfig dcn, List<Boolean> stageWithDcn, int scales) implements BackboneSpec {

    /** {@code ResNetV1d} is MMDetection's {@code ResNet(deep_stem=True, avg_down=True)}; there is no ResNetV1c type. */
    public static final String RESNET = "ResNet", RESNEXT = "ResNeXt", REGNET = "RegNet", RESNET_V1D = "ResNetV1d";
    /** MMDetection's {@code Res2Net}: always {@code deep_stem}, {@code avg_down}, style pytorch, bottlenecks only. */
    public static final String RES2NET = "Res2Net";

    public BackboneConfig {
        outIndices = List.copyOf(outIndices);
        strides = List.copyOf(strides);
        dilations = List.copyOf(dilations);
        stageWithDcn = stageWithDcn == null || dcn == null ? java.util.Collections.nCopies(numStages, false) : List.copyOf(stageWithDcn);
        if (stageWithDcn.size() != numStages)
            throw new IllegalArgumentException("stage_with_dcn needs one entry per stage (" + numStages + "), got " + stageWithDcn);
        if (REGNET.equals(type) != (arch != null)) throw new IllegalArgumentException("a RegNet needs its arch, others none");
        if (REGNET.equals(type) && (deepStem || avgDown)) throw new IllegalArgumentException("RegNet takes no deep_stem / avg_down");
        if (deepStem && stemChannels < 2)
            throw new IllegalArgumentException("deep_stem needs stem_channels >= 2, got " + stemChannels);
        if (RES2NET.equals(type) ? scales < 2 || !deepStem || !avgDown || depth < 50 : scales != 1)
            throw new IllegalArgumentException("a Res2Net has scales >= 2, deep_stem, avg_down and depth 50/101/152, the others"
                    + " scales 1; got " + type + " scales " + scales + ", depth " + depth);
    }

    /** A configuration other than Res2Net (scales 1). */
    public BackboneConfig(int depth, int numStages, int baseChannels, int stemChannels, List<Integer> outIndices,
                          int frozenStages, NormConfig normCfg, boolean normEval, String style,
                          boolean zeroInitResidual, String pretrained, String type, int groups, int baseWidth,
                          RegNetArch arch, List<Integer> strides, List<Integer> dilations, boolean deepStem,
                          boolean avgDown, DcnConfig dcn, List<Boolean> stageWithDcn) {
        this(depth, numStages, baseChannels, stemChannels, outIndices, frozenStages, normCfg, normEval, style,
                zeroInitResidual, pretrained, type, groups, baseWidth, arch, strides, dilations, deepStem, avgDown, dcn,
                stageWithDcn, 1);
    }

    /** ResNet / ResNeXt with MMDetection's default strides (1, 2, 2, 2) and dilations (1, ...). */
    public BackboneConfig(int depth, int numStages, int baseChannels, int stemChannels, List<Integer> outIndices,
                          int frozenStages, NormConfig normCfg, boolean normEval, String style,
                          boolean zeroInitResidual, String pretrained, String type, int groups, int baseWidth) {
        this(depth, numStages, baseChannels, stemChannels, outIndices, frozenStages, normCfg, normEval, style,
                zeroInitResidual, pretrained, type, groups, baseWidth, null,
                List.of(1, 2, 2, 2).subList(0, numStages), java.util.Collections.nCopies(numStages, 1),
                RESNET_V1D.equals(type), RESNET_V1D.equals(type), null, null);
    }

    /** The configuration of a ResNet / ResNeXt / RegNet (built as given) with {@code dcn} in the marked stages. */
    public BackboneConfig(int depth, int numStages, int baseChannels, int stemChannels, List<Integer> outIndices,
                          int frozenStages, NormConfig normCfg, boolean normEval, String style,
                          boolean zeroInitResidual, String pretrained, String type, int groups, int baseWidth,
                          RegNetArch arch, List<Integer> strides, List<Integer> dilations, boolean deepStem, boolean avgDown) {
        this(depth, numStages, baseChannels, stemChannels, outIndices, frozenStages, normCfg, normEval, style,
                zeroInitResidual, pretrained, type, groups, baseWidth, arch, strides, dilations, deepStem, avgDown, null, null);
    }

    /** This configuration with {@code dcn} (null: none) in the stages {@code stageWithDcn} marks. */
    public BackboneConfig withDcn(DcnConfig dcn, List<Boolean> stageWithDcn) {
        return new BackboneConfig(depth, numStages, baseChannels, stemChannels, outIndices, frozenStages, normCfg, normEval,
                style, zeroInitResidual, pretrained, type, groups, baseWidth, arch, strides, dilations, deepStem, avgDown, dcn,
                stageWithDcn, scales);
    }

    /** Whether stage {@code i}'s bottlenecks are built with the {@link #dcn}. */
    public boolean stageHasDcn(int i) { return dcn != null && stageWithDcn.get(i); }

    /**
     * Upstream's {@code fallback_on_stride}, as it acts: MMDetection's ResNet Bottleneck pops it from the {@code dcn}
     * dict every block shares, so only the first block built with the dcn sees true and keeps a plain 3×3; ResNeXt's
     * Bottleneck (also RegNet's) pops it again after its parent's constructor did, so none of its blocks falls back.
     */
    public boolean dcnFallbackOnFirstBlock() { return dcn != null && dcn.fallbackOnStride() && !resNeXt() && !regNet() && !res2Net(); }

    /** This configuration with MMDetection's {@code deep_stem} / {@code avg_down} set as given (ResNet / ResNeXt). */
    public BackboneConfig withStemAndDownsample(boolean deepStem, boolean avgDown) {
        return new BackboneConfig(depth, numStages, baseChannels, stemChannels, outIndices, frozenStages, normCfg, normEval,
                style, zeroInitResidual, pretrained, type, groups, baseWidth, arch, strides, dilations, deepStem, avgDown, dcn,
                stageWithDcn, scales);
    }

    /** True for depths 50, 101 and 152, and for RegNet (ResNeXt's bottleneck at expansion 1). */
    public boolean bottleneck() { return regNet() || depth >= 50; }

    public boolean resNeXt() { return RESNEXT.equals(type); }

    /** MMDetection's {@code Res2Net}: {@link autoassign.model.Bottle2neck} blocks, the deep stem and avg_down. */
    public boolean res2Net() { return RES2NET.equals(type); }

    /**
     * Res2Net: channels of each of the {@link #scales} slices of stage {@code i}'s bottlenecks, Bottle2neck's
     * {@code int(math.floor(planes * (base_width / base_channels)))} (26w at base 64: 26, 52, 104, 208).
     */
    public int res2NetSliceWidth(int i) {
        return (int) Math.floor((baseChannels << i) * ((double) baseWidth / baseChannels));
    }

    /** MMDetection's {@code RegNet}: a 3×3/2 stem without max-pool, then ResNeXt bottlenecks of expansion 1. */
    public boolean regNet() { return REGNET.equals(type); }

    /** The RegNet stage plan ({@link RegNetArch#plan}), or null for ResNet / ResNeXt. */
    public RegNetArch.Plan regNetPlan() { return arch == null ? null : arch.plan(); }

    /** Channels of the deep stem's first two 3×3 convs: {@code stem_channels // 2}. */
    public int deepStemMidChannels() { return stemChannels / 2; }

    /**
     * The stem: ResNet's 7×7/2 conv (or the deep stem's three 3×3 convs, the first of stride 2) + max-pool 3×3/2
     * (stride 4), RegNet's 3×3/2 conv alone (stride 2).
     */
    public boolean stemMaxPool() { return !regNet(); }

    /** Kernel size of the stem conv (7, RegNet 3). */
    public int stemKernel() { return regNet() ? 3 : 7; }

    /** {@code planes} of stage {@code i}: baseChannels·2^i, RegNet's stage width. */
    public int stagePlanes(int i) { return regNet() ? regNetPlan().stageWidths().get(i) : baseChannels << i; }

    /** Groups of stage {@code i}'s 3×3 convs. */
    public int stageGroups(int i) { return regNet() ? regNetPlan().stageGroups().get(i) : groups; }

    /**
     * Channels of the 1×1 → 3×3 part of a bottleneck of stage {@code i} (0-based; its {@code planes} are
     * baseChannels·2^i): planes when groups is 1, else ResNeXt's
     * {@code floor(planes · (base_width / base_channels)) · groups} (MMDetection 3.x, the {@code base_channels} of
     * the backbone; 64x4d at base 64: 256, 512, 1024, 2048); Res2Net: its conv1's output, the slice width ·
     * scales ({@link #res2NetSliceWidth}).
     */
    public int bottleneckWidth(int i) {
        if (regNet()) return regNetPlan().innerWidths().get(i);
        if (res2Net()) return res2NetSliceWidth(i) * scales; // conv1's output: all slices
        int planes = baseChannels << i;
        if (groups == 1) return planes;
        return (int) Math.floor(planes * ((double) baseWidth / baseChannels)) * groups;
    }

    /** Output channels of a block per plane: 4 for bottlenecks, 1 for basic blocks and RegNet's bottlenecks. */
    public int expansion() { return regNet() ? 1 : bottleneck() ? 4 : 1; }

    /** Blocks per stage (first {@code numStages} of them are built). */
    public int[] stageBlocks() {
        if (regNet()) return regNetPlan().stageBlocks().stream().mapToInt(Integer::intValue).toArray();
        return switch (depth) {
            case 18 -> new int[] {2, 2, 2, 2};
            case 34, 50 -> new int[] {3, 4, 6, 3};
            case 101 -> new int[] {3, 4, 23, 3};
            case 152 -> new int[] {3, 8, 36, 3};
            case 200 -> new int[] {3, 24, 36, 3}; // ResNeSt-200 only (ResNeStConfig's arch_settings)
            default -> throw new IllegalStateException("depth " + depth);
        };
    }

    /** Output channels of stage {@code i} (0-based): baseChannels·2^i·expansion. */
    public int stageChannels(int i) { return stagePlanes(i) * expansion(); }

    /** Channels of each returned feature, in {@code outIndices} order. */
    public List<Integer> outChannels() {
        return BackboneSpec.perOutIndex(outIndices, this::stageChannels);
    }

    /** Stride of stage {@code i}'s output: the stem's (4, RegNet 2) times the strides of stages 0..i. */
    public int stageStride(int i) {
        int s = stemMaxPool() ? 4 : 2;
        for (int k = 0; k <= i; k++) s *= strides.get(k);
        return s;
    }

    /** Stride of each returned feature (ResNet: stage i has stride 4·2^i; RegNet at its default strides too). */
    public List<Integer> outStrides() {
        return BackboneSpec.perOutIndex(outIndices, this::stageStride);
    }

    /** What the backbone is, for messages: {@code depth 50}, {@code arch regnetx_3.2gf}. */
    public String describe() {
        if (regNet()) return "arch " + arch.describe();
        String d = "depth " + depth + ", base_channels " + baseChannels;
        if (RESNET_V1D.equals(type)) return "ResNetV1d " + d;
        if (res2Net()) return "Res2Net " + d + ", scales " + scales + ", base_width " + baseWidth
                + (dcn != null ? ", dcn " + dcn.type() + " in stages " + stageWithDcn : "");
        return d + (deepStem ? ", deep_stem" : "") + (avgDown ? ", avg_down" : "") + (dcn != null ? ", dcn " + dcn.type() + " in stages " + stageWithDcn : "");
    }

    static BackboneConfig from(ConfigNode n) {
        String type = n.choice("type", RESNET, RESNET, RESNEXT, REGNET, RESNET_V1D, RES2NET);
        if (REGNET.equals(type)) return regNetFrom(n);
        if (RES2NET.equals(type)) return res2NetFrom(n);
        boolean v1d = RESNET_V1D.equals(type);
        boolean deepStem = v1d, avgDown = v1d;
        if (v1d) { // ResNetV1d passes deep_stem=True, avg_down=True to ResNet itself: a second value is a TypeError upstream
            for (String k : new String[] {"deep_stem", "avg_down"})
                if (n.has(k)) throw n.error(k, "is set by type ResNetV1d (deep_stem and avg_down are always true there); "
                        + "remove it, or use type: ResNet with deep_stem / avg_down");
        } else {
            deepStem = n.bool("deep_stem", false);
            avgDown = n.bool("avg_down", false);
        }
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
        if (deepStem && stem < 2)
            throw n.error("stem_channels", "must be >= 2 with deep_stem (its first two convs have stem_channels // 2 = "
                    + stem / 2 + " channels), got " + stem);
        Shared sh = Shared.from(n, numStages, "num_stages " + numStages);
        n.finish();
        BackboneConfig c = new BackboneConfig(depth, numStages, base, stem, sh.outIndices, sh.frozenStages, sh.norm, sh.normEval,
                sh.style, sh.zeroInitResidual, sh.pretrained, type, groups, baseWidth).withStemAndDownsample(deepStem, avgDown)
                .withDcn(sh.dcn, sh.stageWithDcn);
        if (!c.bottleneck() && c.stageWithDcn().contains(true)) // upstream's BasicBlock asserts dcn is None (no DCN in basic blocks)
            throw n.error("dcn", "depth " + depth + " builds basic blocks, which take no deformable conv upstream (BasicBlock asserts dcn is None); "
                    + "use depth 50, 101 or 152");
        for (int i = 0; i < numStages && groups > 1; i++) {
            if (c.bottleneckWidth(i) < groups)
                throw n.error("base_width", "base_width " + baseWidth + " with base_channels " + base + " leaves layer" + (i + 1)
                        + " no channel per group (width floor(" + (base << i) + " * " + baseWidth + " / " + base + ") * " + groups + " = "
                        + c.bottleneckWidth(i) + ")");
        }
        checkGroupNorm(n, c);
        checkDcn(n, c);
        return c;
    }

    /**
     * MMDetection's {@code Res2Net(scales=4, base_width=26, style='pytorch', deep_stem=True, avg_down=True, **kwargs)}
     * over its ResNet: depth 50 / 101 / 152 only (its arch_settings). Upstream passes style pytorch, deep_stem and
     * avg_down to ResNet whatever the config says, silently; here a config that sets another value is refused rather
     * than ignored. ResNeXt's {@code groups} and the unsupported {@code plugins} are refused; {@code zero_init_residual}
     * is read but, as upstream (ResNet's {@code block is Bottleneck} test fails for Bottle2neck), zeroes nothing.
     */
    private static BackboneConfig res2NetFrom(ConfigNode n) {
        if (n.has("deep_stem") && !n.bool("deep_stem", true))
            throw n.error("deep_stem", "must be true: Res2Net always builds the deep stem (upstream overrides the value); remove it");
        if (n.has("avg_down") && !n.bool("avg_down", true))
            throw n.error("avg_down", "must be true: Res2Net always downsamples through an average pool (upstream overrides the value); remove it");
        if (n.has("groups")) throw n.error("groups", "is a ResNeXt argument: Res2Net's 3x3 convs are not grouped");
        if (n.has("plugins")) throw n.error("plugins", "are not supported (Res2Net is built without plugins)");
        int depth = n.intChoice("depth", 50, 50, 101, 152);
        int scales = n.integer("scales", 4);
        if (scales < 2) throw n.error("scales", "must be >= 2 (Res2Net degenerates to ResNet at 1; upstream asserts scales > 1), got " + scales);
        int baseWidth = n.integer("base_width", 26);
        if (baseWidth < 1) throw n.error("base_width", "must be >= 1, got " + baseWidth);
        DeepStemWidths w = DeepStemWidths.from(n);
        int numStages = w.numStages(), base = w.base(), stem = w.stem();
        Shared sh = Shared.from(n, numStages, "num_stages " + numStages);
        if (!"pytorch".equals(sh.style))
            throw n.error("style", "must be pytorch: Res2Net always puts the stride on its 3x3 convs (upstream overrides the value); remove it");
        n.finish();
        BackboneConfig c = new BackboneConfig(depth, numStages, base, stem, sh.outIndices, sh.frozenStages, sh.norm, sh.normEval,
                "pytorch", sh.zeroInitResidual, sh.pretrained, RES2NET, 1, baseWidth, null, List.of(1, 2, 2, 2).subList(0, numStages),
                java.util.Collections.nCopies(numStages, 1), true, true, sh.dcn, sh.stageWithDcn, scales);
        for (int i = 0; i < numStages; i++)
            if (c.res2NetSliceWidth(i) < 1)
                throw n.error("base_width", "base_width " + baseWidth + " with base_channels " + base + " leaves layer" + (i + 1)
                        + " slices of no channel (floor(" + (base << i) + " * " + baseWidth + " / " + base + ") = 0)");
        checkGroupNorm(n, c);
        checkDcn(n, c);
        return c;
    }

    /** {@code num_stages}, {@code base_channels} and {@code stem_channels} of a backbone with the deep stem (Res2Net, ResNeSt). */
    private record DeepStemWidths(int numStages, int base, int stem) {
        static DeepStemWidths from(ConfigNode n) {
            int numStages = n.integer("num_stages", 4);
            if (numStages < 1 || numStages > 4) throw n.error("num_stages", "must be in 1..4, got " + numStages);
            int base = n.positive("base_channels", n.integer("base_channels", 64));
            int stem = n.positive("stem_channels", n.integer("stem_channels", base));
            if (stem < 2)
                throw n.error("stem_channels", "must be >= 2 (the deep stem's first two convs have stem_channels // 2 = "
                        + stem / 2 + " channels), got " + stem);
            return new DeepStemWidths(numStages, base, stem);
        }
    }

    /**
     * The ResNetV1d that MMDetection's {@code ResNeSt} extends ({@code ResNeSt(..., **kwargs)} → {@code ResNetV1d(**kwargs)}
     * → {@code ResNet(deep_stem=True, avg_down=True, **kwargs)}), read from the keys {@link ResNeStConfig} leaves:
     * {@code num_stages}, {@code base_channels}, {@code stem_channels} and the keys every ResNet shares; finishes
     * {@code n}. {@code deep_stem} / {@code avg_down} (fixed by ResNetV1d), {@code dcn} (not supported in the split
     * attention conv here) and a GroupNorm {@code norm_cfg} are refused.
     */
    static BackboneConfig resNeStBase(ConfigNode n, int depth) {
        for (String k : new String[] {"deep_stem", "avg_down"})
            if (n.has(k)) throw n.error(k, "is set by ResNeSt (a ResNetV1d: deep_stem and avg_down are always true); remove it");
        DeepStemWidths w = DeepStemWidths.from(n);
        int numStages = w.numStages(), base = w.base(), stem = w.stem();
        Shared sh = Shared.from(n, numStages, "num_stages " + numStages);
        if (sh.dcn != null) throw n.error("dcn", "is not supported for ResNeSt (its deformable split-attention conv is not built here)");
        if (sh.norm.isGroupNorm()) throw n.error("norm_cfg", "GN is not supported for ResNeSt here: use BN or SyncBN");
        n.finish();
        return new BackboneConfig(depth, numStages, base, stem, sh.outIndices, sh.frozenStages, sh.norm, sh.normEval,
                sh.style, sh.zeroInitResidual, sh.pretrained, RESNET_V1D, 1, 4);
    }

    /** The keys ResNet, ResNeXt and RegNet share, read once the stage count is known ({@code stages} says whence, for messages). */
    private record Shared(List<Integer> outIndices, int frozenStages, NormConfig norm, boolean normEval, String style,
                          boolean zeroInitResidual, String pretrained, DcnConfig dcn, List<Boolean> stageWithDcn) {
        static Shared from(ConfigNode n, int numStages, String stages) {
            List<Integer> out = n.intList("out_indices", List.of(0, 1, 2, 3));
            if (out.isEmpty()) throw n.error("out_indices", "must name at least one stage");
            for (int k = 0; k < out.size(); k++) {
                int v = out.get(k);
                if (v < 0 || v >= numStages)
                    throw n.error("out_indices", "stage index " + v + " is outside 0.." + (numStages - 1) + " (" + stages + ")");
                if (k > 0 && v <= out.get(k - 1)) throw n.error("out_indices", "must be strictly increasing, got " + out);
            }
            int frozen = n.integer("frozen_stages", -1);
            if (frozen < -1 || frozen > numStages)
                throw n.error("frozen_stages", "must be in -1.." + numStages + ", got " + frozen);
            NormConfig norm = NormConfig.from(n.child("norm_cfg"), NormConfig.RESNET_DEFAULT);
            boolean normEval = n.bool("norm_eval", true); // false: BN of the trained stages uses batch statistics in training
            String style = n.choice("style", "pytorch", "pytorch", "caffe");
            boolean zero = n.bool("zero_init_residual", true);
            String pretrained = BackboneSpec.pretrainedCheckpoint(n);
            DcnConfig dcn = DcnConfig.from(n);
            List<Boolean> withDcn = DcnConfig.stagesFrom(n, dcn, numStages);
            return new Shared(out, frozen, norm, normEval, style, zero, pretrained, dcn, withDcn);
        }
    }

    /** MMCV's deformable conv splits its input channels into deform_groups: each deformable stage's width must divide. */
    private static void checkDcn(ConfigNode n, BackboneConfig c) {
        for (int i = 0; i < c.numStages(); i++) {
            int convIn = c.res2Net() ? c.res2NetSliceWidth(i) : c.bottleneckWidth(i); // Res2Net: each 3x3 takes one slice
            if (c.stageHasDcn(i) && convIn % c.dcn().deformGroups() != 0)
                throw new ConfigException(n.source(), n.key("dcn") + ".deform_groups", c.dcn().deformGroups()
                        + " deform groups do not divide the " + convIn + " channels of layer" + (i + 1) + "'s 3x3 conv");
        }
    }

    private static void checkGroupNorm(ConfigNode n, BackboneConfig c) {
        NormConfig norm = c.normCfg();
        if (!norm.isGroupNorm()) return;
        if (c.deepStem()) norm.checkDivides(n, "norm_cfg", c.deepStemMidChannels(), "the deep stem's first two convs");
        norm.checkDivides(n, "norm_cfg", c.stemChannels(), "the stem");
        for (int i = 0; i < c.numStages(); i++) {
            norm.checkDivides(n, "norm_cfg", c.bottleneck() ? c.bottleneckWidth(i) : c.stagePlanes(i), "layer" + (i + 1));
            if (c.res2Net()) norm.checkDivides(n, "norm_cfg", c.res2NetSliceWidth(i), "layer" + (i + 1) + "'s slices (bns)");
            norm.checkDivides(n, "norm_cfg", c.stageChannels(i), "layer" + (i + 1));
        }
    }

    /**
     * MMDetection's {@code RegNet(arch, in_channels=3, stem_channels=32, base_channels=32, strides=(2, 2, 2, 2),
     * dilations=(1, 1, 1, 1), out_indices=(0, 1, 2, 3), style='pytorch', frozen_stages=-1, norm_cfg=BN,
     * norm_eval=True, zero_init_residual=True, init_cfg=None)}. {@code base_channels} is stored and unused upstream
     * (so here); the stage count comes from the arch, so {@code strides} / {@code dilations} must have one entry per
     * stage, as upstream asserts. ResNet's {@code depth}, {@code num_stages} and ResNeXt's {@code groups},
     * {@code base_width} are not RegNet arguments.
     */
    private static BackboneConfig regNetFrom(ConfigNode n) {
        for (String k : new String[] {"depth", "num_stages", "groups", "base_width"})
            if (n.has(k)) throw n.error(k, "is not a RegNet argument: RegNet's arch sets its depth, stages and groups");
        for (String k : new String[] {"deep_stem", "avg_down"})
            if (n.has(k)) throw n.error(k, "is not a RegNet argument (RegNet builds its own 3x3 stem and downsamples)");
        RegNetArch arch = RegNetArch.from(n);
        RegNetArch.Plan plan;
        try {
            plan = arch.plan();
        } catch (IllegalArgumentException e) {
            throw n.error("arch", arch.describe() + ": " + e.getMessage());
        }
        int numStages = plan.numStages();
        if (numStages < 1 || numStages > 4)
            throw n.error("arch", arch.describe() + " gives " + numStages + " stages (block widths " + plan.blockWidths()
                    + "); RegNet builds 1..4");
        int inChannels = n.integer("in_channels", 3);
        if (inChannels != 3) throw n.error("in_channels", "only 3 (an RGB / BGR image) is supported, got " + inChannels);
        int stem = n.positive("stem_channels", n.integer("stem_channels", 32));
        int base = n.positive("base_channels", n.integer("base_channels", 32));
        List<Integer> strides = n.intList("strides", List.of(2, 2, 2, 2));
        List<Integer> dilations = n.intList("dilations", List.of(1, 1, 1, 1));
        if (strides.size() != numStages || dilations.size() != numStages)
            throw n.error(strides.size() != numStages ? "strides" : "dilations", "needs one entry per stage: " + arch.describe()
                    + " has " + numStages + " stages, got strides " + strides + ", dilations " + dilations);
        for (int s : strides) if (s != 1 && s != 2) throw n.error("strides", "each stride must be 1 or 2, got " + strides);
        for (int d : dilations) if (d < 1) throw n.error("dilations", "each dilation must be >= 1, got " + dilations);
        Shared sh = Shared.from(n, numStages, arch.describe() + " has " + numStages + " stages");
        n.finish();
        BackboneConfig c = new BackboneConfig(plan.totalBlocks(), numStages, base, stem, sh.outIndices, sh.frozenStages, sh.norm,
                sh.normEval, sh.style, sh.zeroInitResidual, sh.pretrained, REGNET, 1, 4, arch, strides, dilations, false, false,
                sh.dcn, sh.stageWithDcn);
        checkGroupNorm(n, c);
        checkDcn(n, c);
        return c;
    }
}
