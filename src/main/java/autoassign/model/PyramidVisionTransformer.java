package autoassign.model;

import autoassign.autograd.Dropout;
import autoassign.autograd.F;
import autoassign.autograd.SequenceOps;
import autoassign.backend.ConvParams;
import autoassign.config.BackboneSpec;
import autoassign.config.PvtConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.Init;
import autoassign.nn.InterpolationMatrices;
import autoassign.nn.LayerNorm;
import autoassign.nn.Linear;
import autoassign.nn.Module;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * MMDetection 3.3.0's {@code PyramidVisionTransformer} and {@code PyramidVisionTransformerV2}
 * ({@code mmdet/models/backbones/pvt.py}) with {@code PatchEmbed} of {@code mmdet/models/layers/transformer/utils.py}
 * (int padding: a plain conv) and MMCV's {@code MultiheadAttention} (torch's {@code nn.MultiheadAttention}):
 * {@code layers.i} = [{@code 0} PatchEmbed (conv + LN), {@code 1} [v1: {@code 0} AbsolutePositionEmbedding, then]
 * PVTEncoderLayers, {@code 2} LayerNorm when {@code norm_after_stage} (v2), else nn.Identity].
 *
 * <p>Tokens are [B·H·W, C] matrices (torch's [B, L, C] order); NCHW ↔ tokens is a batched transpose. Attention:
 * q = x·W_qᵀ + b_q and [k | v] = x_kv·W_kvᵀ + b_kv (the packed in-projection sliced by whole rows, as torch's
 * {@code _in_projection_packed} when key is value but not query), the head split and merge as row gathers
 * ({@link PvtIndices}), q / √d, {@code bmm}, softmax, {@code bmm}, {@code out_proj}; x_kv is x, or with
 * {@code sr_ratio} &gt; 1 the sr conv (kernel = stride = sr) of the map, then its LayerNorm. MixFFN's 1×1 convs are
 * Linears on the tokens (the conv weight [out, in, 1, 1] viewed [out, in]: the same products), v2's 3×3 depth-wise conv
 * runs on the NCHW map. v1's position embedding is resized to the patch grid by {@link InterpolationMatrices} (torch's
 * bilinear weights, align_corners=False) when the grid differs from the pretrain grid. Drop path (stochastic depth)
 * and dropout ({@code drop_rate}, {@code attn_drop_rate}: the {@link Dropout} op, one seed per call) act in train
 * mode with the engine's seeded randomness ({@link #setTrainingRandom}); torch's random stream is not reproduced.
 */
public final class PyramidVisionTransformer extends Backbone {
    private final PvtConfig cfg;
    public final ModuleList<Stage> layers;
    private Random dropPathRandom;

    public PyramidVisionTransformer(PvtConfig cfg) {
        this.cfg = cfg;
        layers = child("layers", new ModuleList<>());
        int in = 3;
        for (int i = 0; i < cfg.numStages(); i++) {
            int c = cfg.stageChannels(i);
            Stage s = new Stage();
            s.patchEmbed = s.put("0", new PatchEmbed(in, c, cfg.patchSizes().get(i), cfg.strides().get(i), cfg.paddings().get(i), cfg.lnEps()));
            s.blocks = s.put("1", new ModuleList<>());
            if (cfg.useAbsPosEmbed()) {
                int[] ps = cfg.posShape(i);
                s.posEmbed = new AbsolutePositionEmbedding(this, ps[0], ps[1], c);
                s.blocks.add(s.posEmbed);
            }
            for (int j = 0; j < cfg.numLayers().get(i); j++) {
                EncoderLayer layer = new EncoderLayer(this, c, cfg.numHeads().get(i), cfg.mlpRatios().get(i) * c,
                        cfg.qkvBias(), cfg.srRatios().get(i), cfg.useConvFfn(), cfg.lnEps(), cfg.dropPathRate(cfg.layerIndex(i, j)));
                layer.attn.owner = this;
                layer.ffn.owner = this;
                s.blocks.add(layer);
                s.encoders.add(layer);
            }
            if (cfg.normAfterStage()) s.norm = s.put("2", new LayerNorm(c, cfg.lnEps()));
            else s.put("2", new Identity());
            layers.add(s);
            in = c;
        }
    }

    public PvtConfig config() { return cfg; }

    @Override public BackboneSpec spec() { return cfg; }

    /** The generator drop path and dropout draw from in train mode (null: both off). */
    @Override public void setTrainingRandom(Random rng) { this.dropPathRandom = rng; }

    /** nn.Dropout(rate) in train mode: one seed from the training generator per call (rate 0 or no generator: x). */
    Tensor dropout(Tensor x, double rate, boolean training) {
        if (rate == 0 || !training || dropPathRandom == null) return x;
        return Dropout.apply(x, rate, dropPathRandom.nextLong());
    }

    /** {@link #dropout}, releasing x when a new tensor replaces it. */
    Tensor dropoutReleasing(Tensor x, double rate, boolean training) {
        Tensor y = dropout(x, rate, training);
        if (y != x) MemoryScope.dispose(x);
        return y;
    }

    /** Stages after the last returned one (no output depends on them). */
    @Override public java.util.Set<String> parametersAfterTheLastOutput() {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (int i = cfg.lastStage() + 1; i < cfg.numStages(); i++)
            for (String k : layers.get(i).namedParameters().keySet()) out.add("layers." + i + "." + k);
        return out;
    }

    /**
     * Upstream's init_weights without a checkpoint: every nn.Linear (the attention's {@code out_proj})
     * trunc_normal(std 0.02, bounds ±2: a plain normal at this std) with bias 0; LayerNorm 1 / 0; every Conv2d
     * normal(0, √(2 / fan_out)), fan_out = k²·out / groups, bias 0; the position embeddings trunc_normal(std 0.02).
     * The packed {@code in_proj_weight} keeps torch's own init (xavier_uniform, bias 0), which that loop does not touch.
     */
    @Override public void initWeights(Random rng) { init(this, rng); }

    private static void init(Module m, Random rng) {
        if (m instanceof Linear l) {
            Init.normal(l.weight, 0, 0.02, rng);
            if (l.bias != null) Init.constant(l.bias, 0f);
        } else if (m instanceof LayerNorm n) {
            Init.constant(n.weight, 1f);
            Init.constant(n.bias, 0f);
        } else if (m instanceof Conv2d c) {
            int[] s = c.weight.shape();
            int fanOut = s[2] * s[3] * s[0] / c.geometry.groups();
            Init.normal(c.weight, 0, Math.sqrt(2.0 / fanOut), rng);
            if (c.bias != null) Init.constant(c.bias, 0f);
        } else if (m instanceof AbsolutePositionEmbedding p) {
            Init.normal(p.posEmbed, 0, 0.02, rng);
        } else if (m instanceof Attention a) {
            int c = a.inProjWeight.dim(1);
            double bound = Math.sqrt(6.0 / (c + 3 * c)); // xavier_uniform_ of [3C, C]
            Init.uniform(a.inProjWeight, -bound, bound, rng);
            if (a.inProjBias != null) Init.constant(a.inProjBias, 0f);
        }
        for (Module c : m.children().values()) init(c, rng);
    }

    @Override public List<Tensor> forward(Tensor images) {
        if (images.rank() != 4 || images.dim(1) != 3)
            throw new IllegalArgumentException(cfg.type() + ": input must be [N, 3, H, W], got " + images);
        int b = images.dim(0);
        List<Tensor> outs = new ArrayList<>();
        Tensor x = images;
        boolean returned = false; // x is a returned map (kept) rather than an intermediate
        for (int i = 0; i <= cfg.lastStage(); i++) {
            Stage s = layers.get(i);
            int[] hw = new int[2];
            Tensor t = s.patchEmbed.forward(x, hw);
            if (x != images && !returned) MemoryScope.dispose(x);
            int h = hw[0], w = hw[1], c = cfg.stageChannels(i);
            if (s.posEmbed != null) {
                Tensor p = s.posEmbed.forward(t, b, h, w);
                MemoryScope.dispose(t);
                t = p;
            }
            for (EncoderLayer layer : s.encoders) {
                Tensor y = layer.forward(t, b, h, w);
                MemoryScope.dispose(t);
                t = y;
            }
            if (s.norm != null) {
                Tensor n = s.norm.forward(t);
                MemoryScope.dispose(t);
                t = n;
            }
            x = SequenceOps.transpose2d(t, b, h * w, c, b, c, h, w); // nlc_to_nchw
            MemoryScope.dispose(t);
            returned = cfg.outIndices().contains(i);
            if (returned) outs.add(x);
        }
        return outs;
    }

    /** One stage: {@code 0} PatchEmbed, {@code 1} [position embedding,] encoder layers, {@code 2} norm or identity. */
    public static final class Stage extends Module {
        public PatchEmbed patchEmbed;
        public ModuleList<Module> blocks;
        public AbsolutePositionEmbedding posEmbed;
        public final List<EncoderLayer> encoders = new ArrayList<>();
        public LayerNorm norm;

        <M extends Module> M put(String name, M m) { return child(name, m); }
    }

    /** nn.Identity (no parameters): {@code layers.i.2} without {@code norm_after_stage}. */
    static final class Identity extends Module {}

    /** MMDetection's PatchEmbed with an int padding: {@code projection} conv (bias), {@code norm} LayerNorm. */
    public static final class PatchEmbed extends Module {
        public final Conv2d projection;
        public final LayerNorm norm;

        PatchEmbed(int in, int c, int kernel, int stride, int pad, float eps) {
            projection = child("projection", new Conv2d(in, c, kernel, stride, pad, true));
            norm = child("norm", new LayerNorm(c, eps));
        }

        /** NCHW → tokens [B·h·w, C] (conv, flatten(2).transpose(1, 2), LN); writes (h, w) into {@code hw}. */
        Tensor forward(Tensor x, int[] hw) {
            Tensor y = F.conv2d(x, projection.weight, projection.bias, projection.geometry);
            int n = y.dim(0), c = y.dim(1);
            hw[0] = y.dim(2);
            hw[1] = y.dim(3);
            Tensor t = SequenceOps.transpose2d(y, n, c, hw[0] * hw[1], n * hw[0] * hw[1], c);
            MemoryScope.dispose(y);
            Tensor r = norm.forward(t);
            MemoryScope.dispose(t);
            return r;
        }
    }

    /** AbsolutePositionEmbedding: {@code pos_embed} [1, h0·w0, C], resized bilinearly to the input's grid and added. */
    public static final class AbsolutePositionEmbedding extends Module {
        public final Tensor posEmbed;
        final int posH, posW;
        private final PyramidVisionTransformer owner;

        AbsolutePositionEmbedding(PyramidVisionTransformer owner, int posH, int posW, int c) {
            this.owner = owner;
            this.posH = posH;
            this.posW = posW;
            posEmbed = param("pos_embed", Tensor.zeros(1, posH * posW, c));
        }

        /** x [B·h·w, C] + the embedding at (h, w) (F.interpolate at the same size is the identity: skipped). */
        Tensor forward(Tensor x, int b, int h, int w) {
            int c = posEmbed.dim(2);
            Tensor table = F.reshape(posEmbed, posH * posW, c);
            Tensor pos = h == posH && w == posW ? table : InterpolationMatrices.resizeTokens(table, posH, posW, h, w);
            Tensor rep = b == 1 ? pos : SequenceOps.gather(pos, PvtIndices.repeatRows(b, h * w, c));
            if (rep != pos && pos != table) MemoryScope.dispose(pos);
            Tensor y = F.add(x, rep);
            if (rep != table) MemoryScope.dispose(rep);
            return owner.dropoutReleasing(y, owner.cfg.dropRate(), isTraining()); // self.drop(x + pos_embed)
        }
    }

    /**
     * PVTEncoderLayer: x + drop_path(attn(norm1(x))), then + drop_path(ffn(norm2(·))); {@code attn} is
     * SpatialReductionAttention, {@code ffn} MixFFN.
     */
    public static final class EncoderLayer extends Module {
        public final LayerNorm norm1, norm2;
        public final Attention attn;
        public final MixFfn ffn;
        final double dropPathRate;
        private final PyramidVisionTransformer owner;

        EncoderLayer(PyramidVisionTransformer owner, int c, int heads, int hidden, boolean qkvBias, int sr, boolean convFfn,
                     float eps, double dropPathRate) {
            this.owner = owner;
            this.dropPathRate = dropPathRate;
            norm1 = child("norm1", new LayerNorm(c, eps));
            attn = child("attn", new Attention(c, heads, qkvBias, sr, eps));
            norm2 = child("norm2", new LayerNorm(c, eps));
            ffn = child("ffn", new MixFfn(c, hidden, convFfn));
        }

        Tensor forward(Tensor x, int b, int h, int w) {
            Tensor n1 = norm1.forward(x);
            Tensor a = attn.forward(n1, b, h, w);
            MemoryScope.dispose(n1);
            Tensor ad = DropPath.apply(a, dropPathRate, b, isTraining(), owner.dropPathRandom);
            if (ad != a) MemoryScope.dispose(a);
            Tensor x1 = F.add(x, ad);
            MemoryScope.dispose(ad);
            Tensor n2 = norm2.forward(x1);
            Tensor f = ffn.forward(n2, b, h, w);
            MemoryScope.dispose(n2);
            Tensor fd = DropPath.apply(f, dropPathRate, b, isTraining(), owner.dropPathRandom);
            if (fd != f) MemoryScope.dispose(f);
            Tensor y = F.add(x1, fd);
            MemoryScope.dispose(fd);
            MemoryScope.dispose(x1);
            return y;
        }
    }

    /**
     * SpatialReductionAttention (MMCV's MultiheadAttention, batch_first): {@code attn} (torch's nn.MultiheadAttention:
     * {@code in_proj_weight} [3C, C], {@code in_proj_bias}, {@code out_proj}; both biases only with {@code qkv_bias}),
     * and with sr_ratio &gt; 1 {@code sr} (conv, kernel = stride = sr) and {@code norm}. Returns the attention output
     * (the encoder layer adds the identity).
     */
    public static final class Attention extends Module {
        public final Tensor inProjWeight, inProjBias;
        public final Linear outProj;
        public final Conv2d sr;
        public final LayerNorm norm;
        final int heads, srRatio;
        PyramidVisionTransformer owner;

        Attention(int c, int heads, boolean qkvBias, int srRatio, float eps) {
            if (c % heads != 0) throw new IllegalArgumentException("embed_dim must be divisible by num_heads");
            this.heads = heads;
            this.srRatio = srRatio;
            Mha mha = child("attn", new Mha());
            inProjWeight = mha.p("in_proj_weight", Tensor.zeros(3 * c, c));
            inProjBias = qkvBias ? mha.p("in_proj_bias", Tensor.zeros(3 * c)) : null;
            outProj = mha.put("out_proj", new Linear(c, c, qkvBias));
            sr = srRatio > 1 ? child("sr", new Conv2d(c, c, srRatio, srRatio, 0, true)) : null;
            norm = srRatio > 1 ? child("norm", new LayerNorm(c, eps)) : null;
        }

        /** The {@code attn} child: torch's nn.MultiheadAttention (its parameters live here under upstream's names). */
        static final class Mha extends Module {
            Tensor p(String name, Tensor t) { return param(name, t); }

            <M extends Module> M put(String name, M m) { return child(name, m); }
        }

        /** x [B·N, C] (normed tokens of an h × w map) → the attention output [B·N, C]. */
        Tensor forward(Tensor x, int b, int h, int w) {
            int c = x.dim(1), n = h * w, d = c / heads;
            Tensor kvIn = x;
            int m = n;
            if (srRatio > 1) {
                Tensor map = SequenceOps.transpose2d(x, b, n, c, b, c, h, w);
                Tensor r = F.conv2d(map, sr.weight, sr.bias, sr.geometry);
                MemoryScope.dispose(map);
                int rh = r.dim(2), rw = r.dim(3);
                m = rh * rw;
                Tensor t = SequenceOps.transpose2d(r, b, c, m, b * m, c);
                MemoryScope.dispose(r);
                kvIn = norm.forward(t);
                MemoryScope.dispose(t);
            }
            Tensor wq = SequenceOps.gather(inProjWeight, PvtIndices.rowSlice(3 * c, c, 0, c, c, c));
            Tensor wkv = SequenceOps.gather(inProjWeight, PvtIndices.rowSlice(3 * c, c, c, 2 * c, 2 * c, c));
            Tensor bq = inProjBias == null ? null : SequenceOps.gather(inProjBias, PvtIndices.rowSlice(3, c, 0, 1, c));
            Tensor bkv = inProjBias == null ? null : SequenceOps.gather(inProjBias, PvtIndices.rowSlice(3, c, 1, 2, 2 * c));
            Tensor q = SequenceOps.linear(x, wq, bq);
            Tensor kv = SequenceOps.linear(kvIn, wkv, bkv);
            if (kvIn != x) MemoryScope.dispose(kvIn);
            for (Tensor t : new Tensor[] {wq, wkv, bq, bkv}) MemoryScope.dispose(t);
            Tensor qh = heads == 1 ? F.reshape(q, b, n, d) : SequenceOps.gather(q, PvtIndices.headSplit(b, n, heads, d, 1, 0));
            if (heads != 1) MemoryScope.dispose(q);
            Tensor k = SequenceOps.gather(kv, PvtIndices.headSplit(b, m, heads, d, 2, 0));
            Tensor v = SequenceOps.gather(kv, PvtIndices.headSplit(b, m, heads, d, 2, 1));
            MemoryScope.dispose(kv);
            Tensor qs = F.mulScalar(qh, (float) (1 / Math.sqrt(d))); // torch: q / math.sqrt(E)
            MemoryScope.dispose(qh);
            Tensor logits = SequenceOps.bmm(qs, false, k, true);
            Tensor attn = owner.dropoutReleasing(F.softmax(logits, b * heads * n, m, 1), owner.cfg.attnDropRate(), isTraining());
            MemoryScope.dispose(logits);
            Tensor o = SequenceOps.bmm(attn, false, v, false);
            Tensor merged = heads == 1 ? F.reshape(o, b * n, c) : SequenceOps.gather(o, PvtIndices.headMerge(b, n, heads, d));
            if (heads != 1) MemoryScope.dispose(o);
            Tensor y = outProj.forward(merged);
            MemoryScope.dispose(merged);
            return owner.dropoutReleasing(y, owner.cfg.dropRate(), isTraining()); // proj_drop
        }
    }

    /**
     * MixFFN: {@code layers.0} fc1 (1×1 conv), v2 {@code layers.1} the 3×3 depth-wise conv, GELU, fc2 (1×1 conv:
     * {@code layers.4} in v2, {@code layers.3} in v1). The 1×1 convs run as Linears on the tokens.
     */
    public static final class MixFfn extends Module {
        public final Conv2d fc1, dwConv, fc2;
        PyramidVisionTransformer owner;

        MixFfn(int c, int hidden, boolean useConv) {
            Seq l = child("layers", new Seq());
            fc1 = l.put("0", new Conv2d(c, hidden, 1, 1, 0, true));
            dwConv = useConv ? l.put("1", new Conv2d(hidden, hidden, 3, 1, 1, 1, hidden, true)) : null;
            fc2 = l.put(useConv ? "4" : "3", new Conv2d(hidden, c, 1, 1, 0, true));
        }

        Tensor forward(Tensor x, int b, int h, int w) {
            int c = x.dim(1), hidden = fc1.weight.dim(0), n = h * w;
            Tensor y = SequenceOps.linear(x, F.reshape(fc1.weight, hidden, c), fc1.bias);
            if (dwConv != null) {
                Tensor map = SequenceOps.transpose2d(y, b, n, hidden, b, hidden, h, w);
                MemoryScope.dispose(y);
                Tensor dw = F.conv2d(map, dwConv.weight, dwConv.bias, dwConv.geometry);
                MemoryScope.dispose(map);
                y = SequenceOps.transpose2d(dw, b, hidden, n, b * n, hidden);
                MemoryScope.dispose(dw);
            }
            Tensor g = owner.dropoutReleasing(SequenceOps.gelu(y), owner.cfg.dropRate(), isTraining()); // act, drop
            MemoryScope.dispose(y);
            Tensor out = SequenceOps.linear(g, F.reshape(fc2.weight, c, hidden), fc2.bias);
            MemoryScope.dispose(g);
            return owner.dropoutReleasing(out, owner.cfg.dropRate(), isTraining()); // fc2, drop
        }
    }

    /** A container of named children (torch's nn.Sequential without a forward of its own). */
    static final class Seq extends Module {
        <M extends Module> M put(String name, M m) { return child(name, m); }
    }
}
