package autoassign.model;

import autoassign.autograd.F;
import autoassign.config.BackboneSpec;
import autoassign.config.HrNetConfig;
import autoassign.config.NormConfig;
import autoassign.nn.Conv2d;
import autoassign.nn.Init;
import autoassign.nn.Module;
import autoassign.nn.ReLU;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * MMDetection's {@code HRNet} (HRNetV2, {@code mmdet/models/backbones/hrnet.py}, 3.x): stem {@code conv1} 3×3/2 +
 * {@code bn1} + ReLU + {@code conv2} 3×3/2 + {@code bn2} + ReLU (64 channels, stride 4); {@code layer1}: stage 1's
 * blocks on the first branch; then {@code transition1..3} + {@code stage2..4}, each stage a chain of
 * {@link HrModule}s over parallel branches of strides 4, 8, 16, 32. Returns stage 4's branches.
 *
 * <p>State-dict names are upstream's: {@code transitionK.i} is absent (upstream's None) when branch i keeps its
 * channels, a Sequential {@code [conv 3×3/1, norm, ReLU]} ({@code transitionK.i.0.weight}, {@code .1.*}) when an
 * existing branch changes them, and for a new branch a Sequential of such Sequentials at stride 2
 * ({@code transitionK.i.0.0.weight}); {@code stageK.m.branches.i.b.*} are mmdet's BasicBlock / Bottleneck
 * ({@link ResBlock}); {@code stageK.m.fuse_layers.i.j} is absent for j = i, for j &gt; i a Sequential
 * {@code [conv 1×1, norm, nearest Upsample ×2^(j−i)]}, for j &lt; i a Sequential of i − j Sequentials
 * {@code [conv 3×3/2, norm(, ReLU)]} (ReLU on all but the last).
 */
public final class HrNet extends Backbone {
    private final HrNetConfig cfg;
    public final Conv2d conv1, conv2;
    public final Module norm1, norm2;
    public final ModuleList<ResBlock> layer1;
    /** transition1..3: one entry per branch of the next stage ({@link Absent}, {@link ConvNorm} or a list of them). */
    public final List<ModuleList<Module>> transitions = new ArrayList<>();
    /** stage2..4. */
    public final List<ModuleList<HrModule>> stages = new ArrayList<>();

    public HrNet(HrNetConfig cfg) {
        this.cfg = cfg;
        NormConfig norm = cfg.normCfg();
        String a = Norms.abbr(norm);
        int stem = HrNetConfig.STEM_CHANNELS;
        conv1 = child("conv1", new Conv2d(3, stem, 3, 2, 1, false));
        norm1 = child(a + "1", Norms.build(norm, stem));
        conv2 = child("conv2", new Conv2d(stem, stem, 3, 2, 1, false));
        norm2 = child(a + "2", Norms.build(norm, stem));
        child("relu", new ReLU()); // upstream's self.relu (parameterless; module names as upstream's)
        HrNetConfig.Stage s1 = cfg.stage(1);
        layer1 = child("layer1", blocks(s1.block(), stem, s1.numChannels().get(0), s1.numBlocks().get(0), norm));
        List<Integer> pre = List.of(s1.branchChannels(0));
        for (int k = 2; k <= 4; k++) {
            HrNetConfig.Stage s = cfg.stage(k);
            List<Integer> cur = s.branchChannels();
            transitions.add(child("transition" + (k - 1), transition(pre, cur, norm)));
            ModuleList<HrModule> stage = new ModuleList<>();
            for (int m = 0; m < s.numModules(); m++) {
                boolean multiscale = k < 4 || cfg.multiscaleOutput() || m < s.numModules() - 1; // only stage 4's last
                stage.add(new HrModule(s, cur, multiscale, norm));
            }
            stages.add(child("stage" + k, stage));
            pre = cur;
        }
        if (!cfg.normEval()) Norms.forEachBatchNorm(this, bn -> bn.useBatchStatistics(true));
    }

    public HrNetConfig config() { return cfg; }

    @Override public BackboneSpec spec() { return cfg; }

    /** upstream's {@code _make_layer} / {@code _make_one_branch}: the first block changes the channels (1×1 downsample). */
    static ModuleList<ResBlock> blocks(String block, int inplanes, int planes, int count, NormConfig norm) {
        ModuleList<ResBlock> l = new ModuleList<>();
        boolean bottleneck = HrNetConfig.BOTTLENECK.equals(block);
        for (int b = 0; b < count; b++) {
            l.add(bottleneck ? new ResBlock.Bottleneck(inplanes, planes, 1, false, norm) : new ResBlock.Basic(inplanes, planes, 1, norm));
            inplanes = planes * (bottleneck ? 4 : 1);
        }
        return l;
    }

    /** upstream's {@code _make_transition_layer}. */
    private static ModuleList<Module> transition(List<Integer> pre, List<Integer> cur, NormConfig norm) {
        ModuleList<Module> t = new ModuleList<>();
        for (int i = 0; i < cur.size(); i++) {
            if (i < pre.size()) {
                t.add(cur.get(i).equals(pre.get(i)) ? new Absent() : new ConvNorm(pre.get(i), cur.get(i), 3, 1, norm, true, 1));
            } else {
                ModuleList<ConvNorm> down = new ModuleList<>();
                int in = pre.get(pre.size() - 1);
                for (int j = 0; j < i + 1 - pre.size(); j++)
                    down.add(new ConvNorm(in, j == i - pre.size() ? cur.get(i) : in, 3, 2, norm, true, 1));
                t.add(down);
            }
        }
        return t;
    }

    /** Kaiming-normal (fan_out, ReLU) conv weights, norms at 1 / 0: MMDetection's default init_cfg for HRNet. */
    @Override public void initWeights(Random rng) {
        for (Tensor t : namedParameters().values())
            if (t.rank() == 4) Init.normal(t, 0, Math.sqrt(2.0 / Init.fanOut(t)), rng);
        // zero_init_residual: upstream's block_init_cfg is never set (see HrNetConfig), so nothing is zeroed
    }

    @Override public List<Tensor> forward(Tensor x) {
        if (x.rank() != 4 || x.dim(1) != 3)
            throw new IllegalArgumentException("HRNet: input must be [N, 3, H, W], got " + x);
        Tensor y = ResBlock.step(x, conv1, norm1, true, false);
        y = ResBlock.step(y, conv2, norm2, true, true);
        for (ResBlock b : layer1) {
            Tensor in = y;
            y = b.forward(in);
            MemoryScope.dispose(in);
        }
        List<Tensor> ys = List.of(y);
        for (int k = 0; k < 3; k++) {
            List<Tensor> xs = applyTransition(transitions.get(k), ys);
            for (HrModule m : stages.get(k)) xs = m.forward(xs);
            ys = xs;
        }
        return ys;
    }

    /**
     * Upstream's forward between stages: branch i takes y_list[i] unchanged where the transition is None, else the
     * transition applied to the LAST branch's output (the stem's output before stage 2). Consumed maps no output
     * keeps are released.
     */
    private static List<Tensor> applyTransition(ModuleList<Module> t, List<Tensor> ys) {
        List<Tensor> out = new ArrayList<>();
        Tensor last = ys.get(ys.size() - 1);
        for (int i = 0; i < t.size(); i++) {
            Module m = t.get(i);
            if (m instanceof Absent) out.add(ys.get(i));
            else if (m instanceof ConvNorm c) out.add(c.forward(last, null));
            else out.add(chain(asConvNorms(m), last, null));
        }
        disposeUnused(ys, out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static ModuleList<ConvNorm> asConvNorms(Module m) { return (ModuleList<ConvNorm>) m; }

    /** Runs a Sequential of ConvNorms, the last with {@code residual} added; releases its intermediates. */
    private static Tensor chain(ModuleList<ConvNorm> seq, Tensor x, Tensor residual) {
        Tensor y = x;
        for (int k = 0; k < seq.size(); k++) {
            Tensor in = y;
            y = seq.get(k).forward(in, k == seq.size() - 1 ? residual : null);
            if (in != x) MemoryScope.dispose(in);
        }
        return y;
    }

    /** Releases (when untaped) each of {@code inputs} that {@code kept} does not hold. */
    private static void disposeUnused(List<Tensor> inputs, List<Tensor> kept) {
        Set<Tensor> keep = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        keep.addAll(kept);
        Set<Tensor> done = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor t : inputs) if (!keep.contains(t) && done.add(t)) MemoryScope.dispose(t);
    }

    /** Upstream's None entry of a ModuleList: no parameters, no state-dict names, keeps the indices after it. */
    public static final class Absent extends Module {}

    /** Upstream's parameterless {@code nn.Upsample(scale_factor, mode='nearest')} of a fuse layer. */
    public static final class NearestUpsample extends Module {
        public final int factor;

        NearestUpsample(int factor) { this.factor = factor; }
    }

    /**
     * A Sequential {@code [conv (no bias), norm(, ReLU | nearest Upsample)]}: children {@code 0} (conv), {@code 1}
     * (norm) and the parameterless {@code 2}, as upstream's {@code nn.Sequential} names them.
     */
    public static final class ConvNorm extends Module {
        public final Conv2d conv;
        public final Module norm;
        public final boolean relu;
        /** Nearest upsampling factor after the norm (1: none). */
        public final int upsample;

        ConvNorm(int in, int out, int kernel, int stride, NormConfig norm, boolean relu, int upsample) {
            this.conv = child("0", new Conv2d(in, out, kernel, stride, kernel / 2, false));
            this.norm = child("1", Norms.build(norm, out));
            this.relu = relu;
            this.upsample = upsample;
            if (relu) child("2", new ReLU());
            else if (upsample > 1) child("2", new NearestUpsample(upsample));
        }

        /** conv → norm (→ ReLU) (+ residual, added before the ReLU; upsampling layers take none). */
        Tensor forward(Tensor x, Tensor residual) {
            if (upsample == 1) return Norms.convNormAct(conv, norm, x, residual, relu);
            Tensor y = Norms.convNormAct(conv, norm, x, null, false);
            Tensor up = F.upsampleNearest(y, y.dim(2) * upsample, y.dim(3) * upsample);
            MemoryScope.dispose(y);
            return up;
        }
    }

    /**
     * Upstream's {@code HRModule}: {@code branches.i} (a Sequential of blocks per branch) then, with more than one
     * branch, {@code fuse_layers.i.j}: output i = ReLU(Σ_j f_ij(x_j)), f_ii the identity, summed in j order. Without
     * {@code multiscale_output} only output 0 is fused and returned. One branch: the branch's output, no fusion.
     */
    public static final class HrModule extends Module {
        public final ModuleList<ModuleList<ResBlock>> branches;
        /** null with one branch (upstream's {@code fuse_layers = None}). */
        public final ModuleList<ModuleList<Module>> fuseLayers;

        HrModule(HrNetConfig.Stage s, List<Integer> inChannels, boolean multiscale, NormConfig norm) {
            int n = s.numBranches();
            branches = child("branches", new ModuleList<>());
            for (int i = 0; i < n; i++)
                branches.add(blocks(s.block(), inChannels.get(i), s.numChannels().get(i), s.numBlocks().get(i), norm));
            List<Integer> c = s.branchChannels(); // upstream's in_channels after _make_branches
            if (n == 1) {
                fuseLayers = null;
                child("relu", new ReLU());
                return;
            }
            fuseLayers = child("fuse_layers", new ModuleList<>());
            for (int i = 0; i < (multiscale ? n : 1); i++) {
                ModuleList<Module> row = new ModuleList<>();
                for (int j = 0; j < n; j++) {
                    if (j > i) row.add(new ConvNorm(c.get(j), c.get(i), 1, 1, norm, false, 1 << (j - i)));
                    else if (j == i) row.add(new Absent());
                    else {
                        ModuleList<ConvNorm> down = new ModuleList<>();
                        for (int k = 0; k < i - j; k++) {
                            boolean last = k == i - j - 1;
                            down.add(new ConvNorm(c.get(j), last ? c.get(i) : c.get(j), 3, 2, norm, !last, 1));
                        }
                        row.add(down);
                    }
                }
                fuseLayers.add(row);
            }
            child("relu", new ReLU());
        }

        public List<Tensor> forward(List<Tensor> xs) {
            if (xs.size() != branches.size())
                throw new IllegalArgumentException("HRModule: " + branches.size() + " branches, got " + xs.size() + " inputs");
            List<Tensor> x = new ArrayList<>();
            for (int i = 0; i < xs.size(); i++) {
                Tensor y = xs.get(i);
                for (ResBlock b : branches.get(i)) {
                    Tensor in = y;
                    y = b.forward(in);
                    MemoryScope.dispose(in);
                }
                x.add(y);
            }
            if (fuseLayers == null) return x;
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; i < fuseLayers.size(); i++) {
                ModuleList<Module> row = fuseLayers.get(i);
                Tensor sum = null;
                for (int j = 0; j < x.size(); j++) {
                    Tensor prev = sum;
                    Module f = row.get(j);
                    if (f instanceof Absent) sum = prev == null ? x.get(j) : F.add(prev, x.get(j));
                    else if (f instanceof ConvNorm up) {
                        Tensor t = up.forward(x.get(j), null);
                        checkSize(t, x.get(i), i, j);
                        sum = prev == null ? t : F.add(prev, t);
                        if (prev != null) MemoryScope.dispose(t);
                    } else {
                        sum = chain(asConvNorms(f), x.get(j), prev); // the last conv adds the running sum
                        checkSize(sum, x.get(i), i, j);
                    }
                    if (prev != null && prev != x.get(i)) MemoryScope.dispose(prev);
                }
                Tensor r = F.relu(sum);
                if (sum != x.get(i)) MemoryScope.dispose(sum);
                out.add(r);
            }
            disposeUnused(x, List.of());
            return out;
        }

        /** Upstream adds the maps as they are: a size that does not match (an input not divisible by 32) fails there. */
        private static void checkSize(Tensor t, Tensor target, int i, int j) {
            if (t.dim(2) != target.dim(2) || t.dim(3) != target.dim(3))
                throw new IllegalArgumentException("HRModule: branch " + j + " fused into branch " + i + " is " + t.dim(2) + "x"
                        + t.dim(3) + ", branch " + i + " is " + target.dim(2) + "x" + target.dim(3)
                        + " (the input size must be divisible by 32)");
        }
    }
}
