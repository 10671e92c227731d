package autoassign.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code model.backbone} of {@code type: HRNet}: MMDetection 3.3's {@code HRNet(extra, in_channels=3, conv_cfg=None,
 * norm_cfg=dict(type='BN'), norm_eval=True, with_cp=False, zero_init_residual=False, multiscale_output=True,
 * pretrained=None, init_cfg=None)} ({@code mmdet/models/backbones/hrnet.py}).
 *
 * <p>{@code extra} holds {@code stage1 .. stage4}, each {@code num_modules, num_branches, block (BASIC | BOTTLENECK),
 * num_blocks, num_channels} (lists of {@code num_branches} entries, as upstream asserts). Stage 1 uses only its first
 * branch ({@code layer1}: {@code num_blocks[0]} blocks on the 64-channel stem, as upstream). The backbone returns the
 * branches of stage 4 (strides 4, 8, 16, ...), or only the first with {@code multiscale_output: false}.
 *
 * <p>Accepted as upstream acts: {@code zero_init_residual} (upstream's condition {@code not hasattr(self,
 * 'init_cfg')} is never true after BaseModule's constructor, so it changes nothing), {@code with_cp} (activation
 * checkpointing only trades memory for time). Refused: {@code frozen_stages} (not an argument of MMDetection's HRNet),
 * {@code conv_cfg} other than plain Conv2d, {@code in_channels} other than 3.
 *
 * @param stages           stage1..stage4
 * @param normCfg          BN, SyncBN or GN
 * @param normEval         BN only: keep running statistics in training (upstream's default true)
 * @param multiscaleOutput false: the last HRModule of stage 4 fuses into branch 0 only and one map is returned
 * @param zeroInitResidual accepted, no effect (see above)
 * @param withCp           accepted, no effect on the results
 * @param pretrained       {@code init_cfg.checkpoint} of a Pretrained init, or null
 */
public record HrNetConfig(List<Stage> stages, NormConfig normCfg, boolean normEval, boolean multiscaleOutput,
                          boolean zeroInitResidual, boolean withCp, String pretrained) implements BackboneSpec {
    public static final String TYPE = "HRNet";
    public static final String BASIC = "BASIC", BOTTLENECK = "BOTTLENECK";
    /** The stem's two 3×3/2 convs have 64 channels (fixed upstream). */
    public static final int STEM_CHANNELS = 64;

    /** One {@code extra.stageK}. */
    public record Stage(int numModules, int numBranches, String block, List<Integer> numBlocks, List<Integer> numChannels) {
        public Stage {
            numBlocks = List.copyOf(numBlocks);
            numChannels = List.copyOf(numChannels);
            if (numBlocks.size() != numBranches || numChannels.size() != numBranches)
                throw new IllegalArgumentException("num_blocks and num_channels need num_branches " + numBranches + " entries");
        }

        /** 4 for BOTTLENECK, 1 for BASIC (mmdet's Bottleneck / BasicBlock). */
        public int expansion() { return BOTTLENECK.equals(block) ? 4 : 1; }

        /** Output channels of branch {@code i}: {@code num_channels[i] · expansion}. */
        public int branchChannels(int i) { return numChannels.get(i) * expansion(); }

        /** Output channels of every branch. */
        public List<Integer> branchChannels() {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < numBranches; i++) out.add(branchChannels(i));
            return List.copyOf(out);
        }
    }

    public HrNetConfig {
        stages = List.copyOf(stages);
        if (stages.size() != 4) throw new IllegalArgumentException("HRNet has 4 stages, got " + stages.size());
    }

    public Stage stage(int k) { return stages.get(k - 1); }

    @Override public String type() { return TYPE; }

    /** Stage 4's branch channels (only the first without multiscale_output). */
    @Override public List<Integer> outChannels() {
        List<Integer> c = stage(4).branchChannels();
        return multiscaleOutput ? c : List.of(c.get(0));
    }

    /** Branch i of stage 4 has stride 4·2^i (the stem: 4; each new branch halves the previous last one). */
    @Override public List<Integer> outStrides() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < outChannels().size(); i++) out.add(4 << i);
        return List.copyOf(out);
    }

    @Override public String describe() {
        return "HRNet with stage4 num_channels " + stage(4).numChannels() + (multiscaleOutput ? "" : ", multiscale_output false");
    }

    static HrNetConfig from(ConfigNode n) {
        n.fixed("type", TYPE);
        ConfigNode extra = n.requiredChild("extra");
        List<Stage> stages = new ArrayList<>();
        for (int k = 1; k <= 4; k++) stages.add(stageFrom(extra.requiredChild("stage" + k), "stage" + k));
        extra.finish();
        if (n.has("frozen_stages"))
            throw n.error("frozen_stages", "is not an argument of MMDetection's HRNet (it freezes nothing; a TypeError upstream)");
        int inChannels = n.integer("in_channels", 3);
        if (inChannels != 3) throw n.error("in_channels", "only 3 (an RGB / BGR image) is supported, got " + inChannels);
        ConfigNode conv = n.child("conv_cfg");
        if (conv.has("type")) conv.choice("type", "Conv2d", "Conv2d", "Conv");
        conv.finish();
        NormConfig norm = NormConfig.from(n.child("norm_cfg"), new NormConfig("BN", 0, true, 1e-5));
        boolean normEval = n.bool("norm_eval", true);
        boolean withCp = n.bool("with_cp", false);
        boolean zero = n.bool("zero_init_residual", false);
        boolean multiscale = n.bool("multiscale_output", true);
        String pretrained = BackboneSpec.pretrainedCheckpoint(n);
        n.finish();
        checkTransitions(extra, stages);
        HrNetConfig c = new HrNetConfig(stages, norm, normEval, multiscale, zero, withCp, pretrained);
        if (norm.isGroupNorm()) checkGroupNorm(n, c);
        return c;
    }

    private static Stage stageFrom(ConfigNode s, String name) {
        int modules = s.positive("num_modules", s.integer("num_modules"));
        int branches = s.positive("num_branches", s.integer("num_branches"));
        String block = s.choice("block", null, BASIC, BOTTLENECK);
        if (block == null) throw s.error("block", "required key is missing");
        List<Integer> blocks = s.intList("num_blocks", null), channels = s.intList("num_channels", null);
        if (blocks == null) throw s.error("num_blocks", "required key is missing");
        if (channels == null) throw s.error("num_channels", "required key is missing");
        if (blocks.size() != branches) // upstream: assert len(cfg['num_blocks']) == cfg['num_branches']
            throw s.error("num_blocks", "needs num_branches " + branches + " entries, got " + blocks);
        if (channels.size() != branches)
            throw s.error("num_channels", "needs num_branches " + branches + " entries, got " + channels);
        for (int b : blocks) if (b < 1) throw s.error("num_blocks", "each branch needs >= 1 block, got " + blocks);
        for (int c : channels) if (c < 1) throw s.error("num_channels", "each must be positive, got " + channels);
        s.finish();
        return new Stage(modules, branches, block, blocks, channels);
    }

    /**
     * Upstream's forward feeds a transition of an existing branch whose channels change the LAST branch's output
     * ({@code self.transition2[i](y_list[-1])}): only the last existing branch can change its channels; others would
     * get the wrong map (a shape error upstream).
     */
    private static void checkTransitions(ConfigNode extra, List<Stage> stages) {
        List<Integer> pre = List.of(stages.get(0).branchChannels(0));
        for (int k = 2; k <= 4; k++) {
            List<Integer> cur = stages.get(k - 1).branchChannels();
            for (int i = 0; i < Math.min(pre.size(), cur.size()); i++)
                if (!cur.get(i).equals(pre.get(i)) && i != pre.size() - 1)
                    throw extra.error("stage" + k + ".num_channels", "branch " + i + " has " + cur.get(i) + " channels after "
                            + pre.get(i) + " in the stage before: upstream's transition of an existing branch reads the last "
                            + "branch's output, so only the last existing branch may change its channels");
            pre = cur;
        }
    }

    private static void checkGroupNorm(ConfigNode n, HrNetConfig c) {
        NormConfig norm = c.normCfg();
        norm.checkDivides(n, "norm_cfg", STEM_CHANNELS, "the stem");
        for (int k = 1; k <= 4; k++) {
            Stage s = c.stage(k);
            for (int i = 0; i < (k == 1 ? 1 : s.numBranches()); i++) {
                norm.checkDivides(n, "norm_cfg", s.numChannels().get(i), "stage" + k + " branch " + i);
                norm.checkDivides(n, "norm_cfg", s.branchChannels(i), "stage" + k + " branch " + i);
            }
        }
    }
}
