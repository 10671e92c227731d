package autoassign.model;

import autoassign.autograd.Dropout;
import autoassign.autograd.F;
import autoassign.autograd.SequenceOps;
import autoassign.backend.ConvParams;
import autoassign.config.BackboneSpec;
import autoassign.config.SwinConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.Init;
import autoassign.nn.LayerNorm;
import autoassign.nn.Linear;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * MMDetection 3.3.0's {@code SwinTransformer} ({@code mmdet/models/backbones/swin.py}) with its {@code PatchEmbed} /
 * {@code PatchMerging} ({@code mmdet/models/layers/transformer/utils.py}) and MMCV's {@code FFN}: {@code patch_embed}
 * (4×4/4 conv after corner padding, LayerNorm), {@code stages.i} (SwinBlockSequence: {@code blocks.j} of W-MSA /
 * SW-MSA + FFN, {@code downsample} PatchMerging but in the last stage), {@code norm{i}} per returned stage.
 *
 * <p>Tokens are [B·H·W, C] matrices; NCHW ↔ tokens is a batched transpose ({@link SequenceOps#transpose2d}), every
 * other reshuffle (padding to window multiples, the cyclic shift, window partition and reverse, head split / merge)
 * one {@link autoassign.backend.GatherIndex} gather ({@link SwinIndices}), Unfold a gather of whole tokens then a
 * transpose (no element-wise index on a feature map); attention is {@link SequenceOps#bmm} + softmax, LayerNorm is
 * GroupNorm with one group.
 * State-dict names and order are upstream's, including the {@code relative_position_index} buffers (stored as floats
 * here, int64 upstream). Drop path (stochastic depth, rate rising linearly over the blocks) and dropout
 * ({@code drop_rate}: {@code drop_after_pos}, each attention's {@code proj_drop}, the FFN's two dropouts;
 * {@code attn_drop_rate}: {@code attn_drop} on the softmax) act in train mode with the engine's seeded randomness
 * ({@link #setTrainingRandom}: dropout draws one seed per call for {@link Dropout}'s counter-based mask); without a
 * generator they are the identity. {@code use_abs_pos_embed} adds {@code absolute_pos_embed} [1, L, C] to the patch
 * tokens as upstream does (no interpolation: the input's patch grid must hold L tokens).
 */
public final class SwinTransformer extends Backbone {
    private final SwinConfig cfg;
    public final PatchEmbed patchEmbed;
    public final ModuleList<SwinBlockSequence> stages;
    /** norm{i} for each returned stage i (null elsewhere). */
    private final LayerNorm[] outNorms;
    /** {@code absolute_pos_embed} [1, L, C] with use_abs_pos_embed, else null. */
    public final Tensor absolutePosEmbed;
    private Random dropPathRandom;

    public SwinTransformer(SwinConfig cfg) {
        this.cfg = cfg;
        absolutePosEmbed = cfg.useAbsPosEmbed()
                ? param("absolute_pos_embed", Tensor.zeros(1, cfg.absPosEmbedTokens(), cfg.embedDims())) : null;
        patchEmbed = child("patch_embed", new PatchEmbed(cfg.embedDims(), cfg.patchSize(), cfg.patchNorm()));
        stages = child("stages", new ModuleList<>());
        for (int i = 0; i < cfg.numStages(); i++) {
            int c = cfg.stageChannels(i);
            PatchMerging down = i < cfg.numStages() - 1 ? new PatchMerging(c, 2 * c, cfg.strides().get(i + 1), cfg.patchNorm()) : null;
            double[] rates = new double[cfg.depths().get(i)];
            for (int j = 0; j < rates.length; j++) rates[j] = cfg.dropPathRate(cfg.blockIndex(i, j));
            stages.add(new SwinBlockSequence(this, c, cfg.numHeads().get(i), cfg.mlpRatio() * c, cfg.windowSize(),
                    cfg.qkvBias(), cfg.qkScale(), rates, down, cfg.dropRate(), cfg.attnDropRate()));
        }
        outNorms = new LayerNorm[cfg.numStages()];
        for (int i : cfg.outIndices()) outNorms[i] = child("norm" + i, new LayerNorm(cfg.stageChannels(i), SwinConfig.LN_EPS));
        // upstream's _freeze_stages: patch_embed, then stages 0..k-1 and the norms of returned ones
        if (cfg.frozenStages() >= 0) {
            patchEmbed.freeze();
            if (absolutePosEmbed != null) absolutePosEmbed.setRequiresGrad(false);
        }
        for (int i = 1; i <= cfg.frozenStages(); i++) {
            if (outNorms[i - 1] != null) outNorms[i - 1].freeze();
            stages.get(i - 1).freeze();
        }
    }

    public SwinConfig config() { return cfg; }

    /** norm{i} of returned stage i, else null. */
    public LayerNorm outNorm(int i) { return outNorms[i]; }

    /**
     * Upstream's train(mode) re-runs _freeze_stages: patch_embed, the frozen stages and their norms stay in eval mode,
     * so the DropPath layers of frozen blocks pass x through.
     */
    @Override public void train(boolean mode) {
        super.train(mode);
        if (cfg.frozenStages() >= 0) patchEmbed.train(false);
        for (int i = 1; i <= cfg.frozenStages(); i++) {
            if (outNorms[i - 1] != null) outNorms[i - 1].train(false);
            stages.get(i - 1).train(false);
        }
    }

    @Override public BackboneSpec spec() { return cfg; }

    /**
     * The generator drop path draws its per-sample keep masks from in train mode (null: drop path off). The trainer
     * seeds it; each masked block draws B uniforms in block order, so a run is reproducible.
     */
    @Override public void setTrainingRandom(Random rng) { this.dropPathRandom = rng; }

    Random dropPathRandom() { return dropPathRandom; }

    /**
     * nn.Dropout(rate) of a module in train mode ({@code training}: that module's mode; a frozen stage's stay in eval):
     * one seed drawn from the training generator per call, in forward order (null generator or rate 0: identity).
     */
    Tensor dropout(Tensor x, double rate, boolean training) {
        if (rate == 0 || !training || dropPathRandom == null) return x;
        return Dropout.apply(x, rate, dropPathRandom.nextLong());
    }

    /** Stages after the last returned one (no output depends on them). */
    @Override public java.util.Set<String> parametersAfterTheLastOutput() {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        int last = cfg.lastStage();
        for (int i = last + 1; i < cfg.numStages(); i++)
            for (String k : stages.get(i).namedParameters().keySet()) out.add("stages." + i + "." + k);
        // the last returned stage's PatchMerging feeds only later stages
        PatchMerging d = stages.get(last).downsample;
        if (d != null) for (String k : d.namedParameters().keySet()) out.add("stages." + last + ".downsample." + k);
        return out;
    }

    /**
     * Upstream's init_weights without a checkpoint: trunc_normal_(std=0.02) (bounds ±2, i.e. a plain normal at this
     * std) on every Linear weight with bias 0, LayerNorm 1 / 0; the patch conv keeps torch's Conv2d default
     * (kaiming_uniform(a=√5): U(±1/√fan_in) for weight and bias); relative position tables stay 0 (WindowMSA's own
     * init_weights is not called by the overriding SwinTransformer.init_weights); {@code absolute_pos_embed}
     * trunc_normal_(std=0.02) first, as upstream.
     */
    @Override public void initWeights(Random rng) {
        if (absolutePosEmbed != null) Init.normal(absolutePosEmbed, 0, 0.02, rng);
        Conv2d proj = patchEmbed.projection;
        double bound = 1 / Math.sqrt(Init.fanIn(proj.weight));
        Init.uniform(proj.weight, -bound, bound, rng);
        if (proj.bias != null) Init.uniform(proj.bias, -bound, bound, rng);
        initLinears(this, rng);
    }

    private static void initLinears(Module m, Random rng) {
        if (m instanceof Linear l) {
            Init.normal(l.weight, 0, 0.02, rng);
            if (l.bias != null) Init.constant(l.bias, 0f);
        }
        for (Module c : m.children().values()) initLinears(c, rng);
    }

    @Override public List<Tensor> forward(Tensor images) {
        if (images.rank() != 4 || images.dim(1) != 3)
            throw new IllegalArgumentException("SwinTransformer: input must be [N, 3, H, W], got " + images);
        int b = images.dim(0);
        int[] hw = new int[2];
        Tensor x = patchEmbed.forward(images, hw);
        if (absolutePosEmbed != null) {
            int l = cfg.absPosEmbedTokens(), c = cfg.embedDims();
            if (hw[0] * hw[1] != l)
                throw new IllegalArgumentException("SwinTransformer: use_abs_pos_embed adds absolute_pos_embed of " + l + " tokens ("
                        + "pretrain_img_size " + cfg.pretrainImgH() + "x" + cfg.pretrainImgW() + " / patch_size " + cfg.patchSize()
                        + ") to the patch grid as is (upstream does not interpolate it), but this input has " + hw[0] + "x" + hw[1]
                        + " patches");
            Tensor pos = SequenceOps.gather(F.reshape(absolutePosEmbed, l, c), SwinIndices.repeatRows(b, l, c));
            Tensor withPos = F.add(x, pos);
            MemoryScope.dispose(pos);
            MemoryScope.dispose(x);
            x = withPos;
        }
        // drop_after_pos (kept in eval mode with frozen_stages >= 0, as upstream's _freeze_stages)
        Tensor dropped = dropout(x, cfg.dropRate(), isTraining() && cfg.frozenStages() < 0);
        if (dropped != x) MemoryScope.dispose(x);
        x = dropped;
        List<Tensor> outs = new ArrayList<>();
        int last = cfg.lastStage();
        for (int i = 0; i <= last; i++) {
            SwinBlockSequence stage = stages.get(i);
            Tensor in = x;
            for (SwinBlock blk : stage.blocks) {
                Tensor prev = x;
                x = blk.forward(prev, b, hw[0], hw[1]);
                if (prev != in) MemoryScope.dispose(prev);
            }
            if (in != x) MemoryScope.dispose(in);
            int h = hw[0], w = hw[1], c = cfg.stageChannels(i);
            if (outNorms[i] != null) {
                Tensor n = outNorms[i].forward(x);
                outs.add(SequenceOps.transpose2d(n, b, h * w, c, b, c, h, w)); // out.view(-1, H, W, C).permute(0, 3, 1, 2)
                MemoryScope.dispose(n);
            }
            if (i < last) {
                Tensor down = stage.downsample.forward(x, b, hw);
                MemoryScope.dispose(x);
                x = down;
            } else if (outNorms[i] != null) {
                MemoryScope.dispose(x);
            }
        }
        return outs;
    }

    /** Drop path of one block: x (rows of B samples) times floor(keep + U[0,1))/keep per sample, in train mode. */
    Tensor dropPath(Tensor x, double rate, int batch) {
        return DropPath.apply(x, rate, batch, isTraining(), dropPathRandom);
    }

    /** MMDetection's PatchEmbed with {@code padding='corner'}: {@code projection} conv (bias), optional {@code norm}. */
    public static final class PatchEmbed extends Module {
        public final Conv2d projection;
        public final LayerNorm norm;
        final int patch;

        /** The conv's kernel and stride ({@code patch_size}). */
        public int patchSize() { return patch; }

        PatchEmbed(int embedDims, int patch, boolean withNorm) {
            this.patch = patch;
            this.projection = child("projection", new Conv2d(3, embedDims, patch, patch, 0, true));
            this.norm = withNorm ? child("norm", new LayerNorm(embedDims, SwinConfig.LN_EPS)) : null;
        }

        /** Tokens [B·h·w, C]; writes (h, w) into {@code hw}. */
        Tensor forward(Tensor images, int[] hw) {
            int n = images.dim(0), h = images.dim(2), w = images.dim(3);
            int hp = SwinIndices.cornerPadded(h, patch, patch), wp = SwinIndices.cornerPadded(w, patch, patch);
            Tensor x = hp == h && wp == w ? images : SequenceOps.gather(images, SwinIndices.padImage(n, 3, h, w, hp, wp));
            Tensor y = F.conv2d(x, projection.weight, projection.bias, new ConvParams(patch, patch, 0, 0, 1, 1));
            if (x != images) MemoryScope.dispose(x);
            int c = y.dim(1), oh = y.dim(2), ow = y.dim(3);
            hw[0] = oh;
            hw[1] = ow;
            Tensor t = SequenceOps.transpose2d(y, n, c, oh * ow, n * oh * ow, c); // x.flatten(2).transpose(1, 2)
            MemoryScope.dispose(y);
            if (norm == null) return t;
            Tensor r = norm.forward(t);
            MemoryScope.dispose(t);
            return r;
        }
    }

    /** MMDetection's PatchMerging (kernel 2, corner padding, Unfold order): {@code norm} over 4C, {@code reduction} 4C → out, no bias. */
    public static final class PatchMerging extends Module {
        public final LayerNorm norm;
        public final Linear reduction;
        final int stride, inChannels;

        public int stride() { return stride; }

        public int inChannels() { return inChannels; }

        PatchMerging(int in, int out, int stride, boolean withNorm) {
            this.stride = stride;
            this.inChannels = in;
            this.norm = withNorm ? child("norm", new LayerNorm(4 * in, SwinConfig.LN_EPS)) : null;
            this.reduction = child("reduction", new Linear(4 * in, out, false));
        }

        /** x [B·H·W, C] with hw = (H, W) → [B·Ho·Wo, out]; hw becomes (Ho, Wo). */
        Tensor forward(Tensor x, int b, int[] hw) {
            Tensor windows = SequenceOps.gather(x, SwinIndices.patchMergingRows(b, hw[0], hw[1], inChannels, stride));
            int[] o = SwinIndices.mergedSize(hw[0], hw[1], stride);
            hw[0] = o[0];
            hw[1] = o[1];
            int t = b * o[0] * o[1];
            Tensor u = SequenceOps.transpose2d(windows, t, 4, inChannels, t, 4 * inChannels); // Unfold's order c·4 + k
            MemoryScope.dispose(windows);
            Tensor n = norm == null ? u : norm.forward(u);
            if (n != u) MemoryScope.dispose(u);
            Tensor r = reduction.forward(n);
            MemoryScope.dispose(n);
            return r;
        }
    }

    /** SwinBlockSequence: {@code blocks} (even ones W-MSA, odd ones shifted) and {@code downsample} (null in the last stage). */
    public static final class SwinBlockSequence extends Module {
        public final ModuleList<SwinBlock> blocks;
        public final PatchMerging downsample;

        SwinBlockSequence(SwinTransformer owner, int c, int heads, int ffn, int ws, boolean qkvBias, Double qkScale,
                          double[] dropPathRates, PatchMerging downsample, double dropRate, double attnDropRate) {
            blocks = child("blocks", new ModuleList<>());
            for (int j = 0; j < dropPathRates.length; j++)
                blocks.add(new SwinBlock(owner, c, heads, ffn, ws, j % 2 == 1, qkvBias, qkScale, dropPathRates[j], dropRate,
                        attnDropRate));
            this.downsample = downsample == null ? null : child("downsample", downsample);
        }
    }

    /** SwinBlock: x + drop_path(attn(norm1(x))), then + drop_path(ffn(norm2(·))). */
    public static final class SwinBlock extends Module {
        public final LayerNorm norm1, norm2;
        public final ShiftWindowMsa attn;
        public final Ffn ffn;
        final double dropPathRate;
        private final SwinTransformer owner;

        SwinBlock(SwinTransformer owner, int c, int heads, int ffnChannels, int ws, boolean shift, boolean qkvBias,
                  Double qkScale, double dropPathRate, double dropRate, double attnDropRate) {
            this.owner = owner;
            this.dropPathRate = dropPathRate;
            norm1 = child("norm1", new LayerNorm(c, SwinConfig.LN_EPS));
            attn = child("attn", new ShiftWindowMsa(owner, c, heads, ws, shift ? ws / 2 : 0, qkvBias, qkScale, dropRate, attnDropRate));
            norm2 = child("norm2", new LayerNorm(c, SwinConfig.LN_EPS));
            ffn = child("ffn", new Ffn(owner, c, ffnChannels, dropRate));
        }

        Tensor forward(Tensor x, int b, int h, int w) {
            Tensor n1 = norm1.forward(x);
            Tensor a = attn.forward(n1, b, h, w);
            MemoryScope.dispose(n1);
            Tensor ad = isTraining() ? owner.dropPath(a, dropPathRate, b) : a; // a frozen stage's blocks stay in eval mode
            if (ad != a) MemoryScope.dispose(a);
            Tensor x1 = F.add(ad, x);
            MemoryScope.dispose(ad);
            Tensor n2 = norm2.forward(x1);
            Tensor f = ffn.forward(n2);
            MemoryScope.dispose(n2);
            Tensor fd = isTraining() ? owner.dropPath(f, dropPathRate, b) : f;
            if (fd != f) MemoryScope.dispose(f);
            Tensor y = F.add(x1, fd);
            MemoryScope.dispose(fd);
            MemoryScope.dispose(x1);
            return y;
        }
    }

    /** ShiftWindowMSA: {@code w_msa} on (shifted) windows of the padded map. */
    public static final class ShiftWindowMsa extends Module {
        public final WindowMsa wMsa;
        final int windowSize, shiftSize;

        public int windowSize() { return windowSize; }

        public int shiftSize() { return shiftSize; }

        ShiftWindowMsa(SwinTransformer owner, int c, int heads, int ws, int shift, boolean qkvBias, Double qkScale, double projDrop,
                       double attnDrop) {
            if (!(shift >= 0 && shift < ws)) throw new IllegalArgumentException("shift_size must be in [0, window_size)");
            this.windowSize = ws;
            this.shiftSize = shift;
            this.wMsa = child("w_msa", new WindowMsa(owner, c, heads, ws, qkvBias, qkScale, projDrop, attnDrop));
        }

        private Tensor maskTensor;
        private String maskKey;

        /** The shifted windows' mask on q's device, kept across steps while the padded size stays the same. */
        private synchronized Tensor mask(Tensor q, int hp, int wp) {
            String key = hp + "x" + wp + "@" + q.device();
            if (!key.equals(maskKey)) {
                if (maskTensor != null && !maskTensor.isCpu()) maskTensor.releaseStorage();
                float[] m = SwinIndices.shiftMask(hp, wp, windowSize, shiftSize, wMsa.heads);
                maskTensor = q.backend().fromHost(m, m.length).keep();
                maskKey = key;
            }
            return maskTensor;
        }

        /** query [B·H·W, C] (normed tokens) → [B·H·W, C]. */
        Tensor forward(Tensor q, int b, int h, int w) {
            int c = q.dim(1), ws = windowSize;
            int hp = SwinIndices.padTo(h, ws), wp = SwinIndices.padTo(w, ws);
            Tensor windows = SequenceOps.gather(q, SwinIndices.windowPartition(b, h, w, c, ws, shiftSize));
            Tensor mask = shiftSize > 0 ? mask(q, hp, wp) : null;
            Tensor o = wMsa.forward(windows, b * (hp / ws) * (wp / ws), mask);
            MemoryScope.dispose(windows);
            Tensor y = SequenceOps.gather(o, SwinIndices.windowReverse(b, h, w, c, ws, shiftSize));
            MemoryScope.dispose(o);
            return y;
        }
    }

    /** WindowMSA: {@code relative_position_bias_table}, {@code relative_position_index} (buffer), {@code qkv}, {@code proj}. */
    public static final class WindowMsa extends Module {
        public final Tensor relativePositionBiasTable, relativePositionIndex;
        public final Linear qkv, proj;
        final int heads, windowSize;
        final float scale;
        final double projDrop, attnDrop;
        private final SwinTransformer owner;

        public int heads() { return heads; }

        /** q's factor: qk_scale or head_dims^-0.5, in float. */
        public float scale() { return scale; }

        WindowMsa(SwinTransformer owner, int c, int heads, int ws, boolean qkvBias, Double qkScale, double projDrop, double attnDrop) {
            this.owner = owner;
            this.projDrop = projDrop;
            this.attnDrop = attnDrop;
            this.heads = heads;
            this.windowSize = ws;
            int d = c / heads;
            // upstream: qk_scale or head_embed_dims ** -0.5 (a Python float; q * scale runs in float32)
            this.scale = (float) (qkScale != null && qkScale != 0 ? qkScale : Math.pow(d, -0.5));
            relativePositionBiasTable = param("relative_position_bias_table", Tensor.zeros((2 * ws - 1) * (2 * ws - 1), heads));
            int[] idx = SwinIndices.relativePositionIndex(ws);
            float[] f = new float[idx.length];
            for (int i = 0; i < idx.length; i++) f[i] = idx[i];
            relativePositionIndex = buffer("relative_position_index", Tensor.of(f, ws * ws, ws * ws));
            qkv = child("qkv", new Linear(c, 3 * c, qkvBias));
            proj = child("proj", new Linear(c, c, true));
        }

        /** windows [B_·N, C] → [B_·N, C]; mask: the shifted windows' [nW·nH·N·N] constant, or null. */
        Tensor forward(Tensor x, int windows, Tensor mask) {
            int n = windowSize * windowSize, c = x.dim(1), d = c / heads;
            Tensor qkvOut = qkv.forward(x);
            Tensor q = SequenceOps.gather(qkvOut, SwinIndices.headSplit(windows, n, heads, d, 0));
            Tensor k = SequenceOps.gather(qkvOut, SwinIndices.headSplit(windows, n, heads, d, 1));
            Tensor v = SequenceOps.gather(qkvOut, SwinIndices.headSplit(windows, n, heads, d, 2));
            MemoryScope.dispose(qkvOut);
            Tensor qs = F.mulScalar(q, scale);
            MemoryScope.dispose(q);
            Tensor logits = SequenceOps.bmm(qs, false, k, true);
            Tensor bias = SequenceOps.gather(relativePositionBiasTable, SwinIndices.relativeBias(windowSize, heads));
            Tensor withBias = SequenceOps.addRepeated(logits, bias);
            Tensor masked = mask == null ? withBias : SequenceOps.addRepeated(withBias, mask);
            Tensor soft = F.softmax(masked, windows * heads * n, n, 1);
            MemoryScope.dispose(masked);
            Tensor attn = owner == null ? soft : owner.dropout(soft, attnDrop, isTraining()); // attn_drop
            Tensor o = SequenceOps.bmm(attn, false, v, false);
            if (attn != soft) MemoryScope.dispose(soft);
            Tensor merged = SequenceOps.gather(o, SwinIndices.headMerge(windows, n, heads, d));
            MemoryScope.dispose(o);
            Tensor y = proj.forward(merged);
            MemoryScope.dispose(merged);
            Tensor yd = owner == null ? y : owner.dropout(y, projDrop, isTraining()); // proj_drop
            if (yd != y) MemoryScope.dispose(y);
            return yd;
        }
    }

    /** MMCV's FFN (num_fcs 2, GELU): {@code layers.0.0} Linear C → hidden, GELU, {@code layers.1} Linear hidden → C. */
    public static final class Ffn extends Module {
        public final Linear fc1, fc2;
        final double drop;
        private final SwinTransformer owner;

        Ffn(SwinTransformer owner, int c, int hidden, double drop) {
            this.owner = owner;
            this.drop = drop;
            Seq layers = child("layers", new Seq());
            Seq first = layers.put("0", new Seq());
            fc1 = first.put("0", new Linear(c, hidden, true));
            fc2 = layers.put("1", new Linear(hidden, c, true));
        }

        Tensor forward(Tensor x) {
            Tensor h = fc1.forward(x);
            Tensor g0 = SequenceOps.gelu(h);
            MemoryScope.dispose(h);
            Tensor g = owner.dropout(g0, drop, isTraining()); // layers.0.2: Dropout(ffn_drop)
            if (g != g0) MemoryScope.dispose(g0);
            Tensor y = fc2.forward(g);
            MemoryScope.dispose(g);
            Tensor yd = owner.dropout(y, drop, isTraining()); // layers.2: Dropout(ffn_drop)
            if (yd != y) MemoryScope.dispose(y);
            return yd;
        }

    }

    /** A container of named children (torch's nn.Sequential without a forward of its own). */
    static final class Seq extends Module {
        <M extends Module> M put(String name, M m) { return child(name, m); }
    }
}
