package autoassign.backend.cuda;

import autoassign.autograd.F;
import autoassign.autograd.Graph;
import autoassign.backend.Backend;
import autoassign.backend.ConvParams;
import autoassign.backend.FusedPostProcess;
import autoassign.backend.AdamUpdate;
import autoassign.backend.SgdUpdate;
import autoassign.loss.AutoAssignLoss;
import autoassign.loss.GroundTruth;
import autoassign.loss.PointGrid;
import autoassign.postprocess.Detections;
import autoassign.postprocess.ImageMeta;
import autoassign.postprocess.LevelOutput;
import autoassign.postprocess.PostProcessConfig;
import autoassign.postprocess.PostProcessor;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Every Backend op as a check case: random inputs (fixed seed), the op run on the CPU reference and on a
 * CUDA backend, outputs compared by relative error max|cuda − cpu| / max|cpu|. Shared by
 * {@link CudaSelfCheck} (table with timings) and the GPU-tagged JUnit tests.
 */
public final class OpChecks {
    private OpChecks() {}

    /** An op under test: receives the inputs on the backend's device, returns the tensors to compare. */
    public interface Op {
        Tensor[] run(Backend be, Tensor[] in);
    }

    /**
     * @param tol       largest accepted relative error
     * @param tf32      null: the op does not depend on TF32; else the TF32 setting the case runs with
     * @param inputs    host values of the inputs
     * @param shapes    their shapes
     */
    public record Case(String op, String detail, double tol, Boolean tf32, float[][] inputs, int[][] shapes, Op fn) {
        public String label() { return op + (tf32 == null ? "" : tf32 ? " [tf32]" : " [fp32]"); }

        public Tensor[] upload(Backend be) {
            Tensor[] t = new Tensor[inputs.length];
            for (int i = 0; i < t.length; i++) t[i] = be.fromHost(inputs[i], shapes[i]);
            return t;
        }
    }

    /** The largest {@link #relError} over a case's outputs; a missing, extra or reshaped output counts as +inf. */
    public static double worstError(Tensor[] got, Tensor[] ref) {
        if (got.length != ref.length) return Double.POSITIVE_INFINITY;
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            if (ref[i] == null && got[i] == null) continue;
            if (ref[i] == null || got[i] == null || !Arrays.equals(ref[i].shape(), got[i].shape())) return Double.POSITIVE_INFINITY;
            worst = Math.max(worst, relError(got[i].toFloatArray(), ref[i].toFloatArray()));
        }
        return worst;
    }

    /** Relative error max|a − b| / max|b| (b the reference); NaN/length mismatch → +inf. */
    public static double relError(float[] a, float[] ref) {
        if (a.length != ref.length) return Double.POSITIVE_INFINITY;
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - ref[i]);
            if (Double.isNaN(d)) {
                if (Float.isNaN(a[i]) && Float.isNaN(ref[i])) continue;
                return Double.POSITIVE_INFINITY;
            }
            num = Math.max(num, d);
            den = Math.max(den, Math.abs(ref[i]));
        }
        return den == 0 ? num : num / den;
    }

    static float[] rnd(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static float[] pos(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = 0.5f + r.nextFloat();
        return a;
    }

    static int n(int... s) { return Math.toIntExact(autoassign.tensor.Shape.numel(s)); }

    private static final class Builder {
        final List<Case> cases = new ArrayList<>();
        final Random r = new Random(20240901);

        Case add(String op, String detail, double tol, Boolean tf32, int[][] shapes, Op fn) {
            float[][] in = new float[shapes.length][];
            for (int i = 0; i < shapes.length; i++) in[i] = rnd(r, n(shapes[i]), 1f);
            Case c = new Case(op, detail, tol, tf32, in, shapes, fn);
            cases.add(c);
            return c;
        }

        void addWith(String op, String detail, double tol, Boolean tf32, float[][] in, int[][] shapes, Op fn) {
            cases.add(new Case(op, detail, tol, tf32, in, shapes, fn));
        }
    }

    private static int[] s(int... d) { return d; }

    /** Every op, on odd shapes (correctness) and one realistic size each for timings. */
    public static List<Case> all() {
        Builder b = new Builder();
        record ConvShape(String name, int[] x, int[] w, ConvParams p) {}
        List<ConvShape> convs = List.of(
                new ConvShape("3x3 s1 p1", s(2, 16, 19, 23), s(24, 16, 3, 3), ConvParams.of(1, 1)),
                new ConvShape("1x1 s2", s(2, 32, 15, 17), s(16, 32, 1, 1), ConvParams.of(2, 0)),
                new ConvShape("7x7 s2 p3", s(1, 3, 37, 41), s(8, 3, 7, 7), ConvParams.of(2, 3)),
                new ConvShape("3x3 s2 p1 dil2", s(2, 8, 21, 18), s(8, 8, 3, 3), new ConvParams(2, 1, 2, 1, 2, 1)),
                new ConvShape("head 3x3 256ch 100x152", s(2, 256, 100, 152), s(256, 256, 3, 3), ConvParams.of(1, 1)),
                // grouped: odd sizes, a depthwise 3x3, and ResNeXt-101 64x4d's layer2 3x3 (stride 2, 64 groups of 8)
                new ConvShape("3x3 s1 p1 groups2", s(2, 6, 13, 11), s(10, 3, 3, 3), ConvParams.of(1, 1).withGroups(2)),
                new ConvShape("3x3 s2 p1 depthwise", s(2, 12, 17, 15), s(12, 1, 3, 3), ConvParams.of(2, 1).withGroups(12)),
                new ConvShape("x101-64x4d 3x3 s2 g64 512ch 100x152", s(2, 512, 100, 152), s(512, 8, 3, 3),
                        ConvParams.of(2, 1).withGroups(64)));
        for (ConvShape c : convs) {
            int[] os = {c.x[0], c.w[0], c.p.outH(c.x[2], c.w[2]), c.p.outW(c.x[3], c.w[3])};
            String d = c.name + " x" + Arrays.toString(c.x) + " w" + Arrays.toString(c.w);
            float[] xv = rnd(b.r, n(c.x), 1f), wv = rnd(b.r, n(c.w), 1f), bv = rnd(b.r, c.w[0], 1f), gv = rnd(b.r, n(os), 1f);
            for (boolean tf32 : new boolean[] {true, false}) {
                double tol = tf32 ? 1e-2 : 1e-3;
                b.addWith("conv2d", d + " +bias", tol, tf32, new float[][] {xv, wv, bv}, new int[][] {c.x, c.w, s(c.w[0])},
                        (be, in) -> new Tensor[] {be.conv2d(in[0], in[1], in[2], c.p)});
                b.addWith("conv2dBackwardInput", d, tol, tf32, new float[][] {gv, wv}, new int[][] {os, c.w},
                        (be, in) -> new Tensor[] {be.conv2dBackwardInput(in[0], in[1], c.x, c.p)});
                b.addWith("conv2dBackwardWeight", d, tol, tf32, new float[][] {gv, xv}, new int[][] {os, c.x},
                        (be, in) -> new Tensor[] {be.conv2dBackwardWeight(in[0], in[1], c.w, c.p)});
            }
        }
        for (int[] g : new int[][] {{37, 29, 23, 0, 0}, {29, 37, 23, 1, 0}, {37, 29, 23, 0, 1}, {23, 31, 41, 1, 1},
                {1024, 1024, 1024, 0, 0}}) {
            boolean ta = g[3] == 1, tb = g[4] == 1;
            int m = g[0], k = g[1], nn = g[2];
            int[] as = ta ? s(k, m) : s(m, k), bs = tb ? s(nn, k) : s(k, nn);
            float[] av = rnd(b.r, n(as), 1f), bv = rnd(b.r, n(bs), 1f);
            for (boolean tf32 : new boolean[] {true, false})
                b.addWith("gemm", (ta ? "Aᵀ" : "A") + Arrays.toString(as) + (tb ? "·Bᵀ" : "·B") + Arrays.toString(bs),
                        tf32 ? 1e-2 : 1e-3, tf32, new float[][] {av, bv}, new int[][] {as, bs},
                        (be, in) -> new Tensor[] {be.gemm(in[0], ta, in[1], tb)});
        }
        // window attention: [windows·heads, 49, 32] · [.., 32, 49]ᵀ and the other transposes (Swin)
        for (int[] g : new int[][] {{6, 49, 32, 49, 0, 1}, {6, 49, 49, 32, 0, 0}, {5, 13, 7, 9, 1, 0}, {5, 13, 7, 9, 1, 1}}) {
            boolean ta = g[4] == 1, tb = g[5] == 1;
            int batch = g[0], m = g[1], k = g[2], nn = g[3];
            int[] as = ta ? s(batch, k, m) : s(batch, m, k), bs = tb ? s(batch, nn, k) : s(batch, k, nn);
            float[] av = rnd(b.r, n(as), 1f), bv = rnd(b.r, n(bs), 1f);
            for (boolean tf32 : new boolean[] {true, false})
                b.addWith("bmm", (ta ? "Aᵀ" : "A") + Arrays.toString(as) + (tb ? "·Bᵀ" : "·B") + Arrays.toString(bs),
                        tf32 ? 1e-2 : 1e-3, tf32, new float[][] {av, bv}, new int[][] {as, bs},
                        (be, in) -> new Tensor[] {be.bmm(in[0], ta, in[1], tb)});
        }
        for (int[] x : new int[][] {s(37, 24, 1, 1), s(300, 96, 1, 1)}) { // a Linear's bias / Swin's attention bias: hw 1
            String d = Arrays.toString(x);
            b.add("channelAffineActInPlace", d + " shift only (hw 1)", 1e-6, null, new int[][] {x, s(x[1])}, (be, in) -> {
                be.channelAffineActInPlace(in[0], null, in[1], null, false);
                return new Tensor[] {in[0]};
            });
            b.add("channelAffineActInPlace", d + " scale+shift (hw 1)", 1e-6, null, new int[][] {x, s(x[1]), s(x[1])}, (be, in) -> {
                be.channelAffineActInPlace(in[0], in[1], in[2], null, false);
                return new Tensor[] {in[0]};
            });
        }
        { // gathers: rows of 24 with zero rows and repeats (window partition / head split), element-wise (a table lookup)
            int[] rows = new int[300];
            for (int i = 0; i < rows.length; i++) rows[i] = b.r.nextInt(121) - 1;
            autoassign.backend.GatherIndex byRow = new autoassign.backend.GatherIndex(rows, 24, 120, 300, 24);
            autoassign.backend.GatherIndex byElement = new autoassign.backend.GatherIndex(rows.clone(), 1, 120, 3, 100);
            for (autoassign.backend.GatherIndex gi : new autoassign.backend.GatherIndex[] {byRow, byElement}) {
                String d = "rows 300 of " + gi.block() + " from " + gi.sourceRows();
                int[] src = s(gi.sourceRows(), gi.block()), out = gi.outShape();
                b.add("gather", d, 0, null, new int[][] {src}, (be, in) -> new Tensor[] {be.gather(in[0], gi)});
                b.add("gatherBackward", d, 1e-6, null, new int[][] {out}, (be, in) -> new Tensor[] {be.gatherBackward(in[0], gi, src)});
            }
        }
        { // batched transposes: one tile, ragged tiles with batch > 1, PatchMerging's [T', 4, C] (rows 4), tokens → NCHW
            for (int[] brc : new int[][] {{1, 32, 32}, {3, 45, 70}, {150, 4, 96}, {2, 1200, 40}}) {
                String d = Arrays.toString(brc);
                b.add("transpose2d", d, 0, null, new int[][] {s(brc[0], brc[1], brc[2])},
                        (be, in) -> new Tensor[] {be.transpose2d(in[0], brc[0], brc[1], brc[2])});
            }
        }
        double t = 1e-3;
        int[] fm = s(2, 64, 50, 76), odd = s(3, 5, 7, 11);
        for (int[] x : new int[][] {odd, fm}) {
            String d = Arrays.toString(x);
            b.add("channelSum", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.channelSum(in[0])});
            b.add("channelDot", d, t, null, new int[][] {x, x}, (be, in) -> new Tensor[] {be.channelDot(in[0], in[1])});
            b.add("add", d, t, null, new int[][] {x, x}, (be, in) -> new Tensor[] {be.add(in[0], in[1])});
            b.add("addInPlace", d, t, null, new int[][] {x, x}, (be, in) -> {
                be.addInPlace(in[0], in[1]);
                return new Tensor[] {in[0]};
            });
            b.add("mulScalar", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.mulScalar(in[0], -1.7f)});
            b.add("mulByTensorScalar", d, t, null, new int[][] {x, s(1)}, (be, in) -> new Tensor[] {be.mulByTensorScalar(in[0], in[1])});
            b.add("dot", d, t, null, new int[][] {x, x}, (be, in) -> new Tensor[] {be.dot(in[0], in[1])});
            b.add("clampMin", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.clampMin(in[0], 0.1f)});
            b.add("clampMinBackward", d, t, null, new int[][] {x, x}, (be, in) -> new Tensor[] {be.clampMinBackward(in[0], in[1], 0.1f)});
            b.add("hardtanh", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.hardtanh(in[0], -0.3f, 0.4f)});
            b.add("hardtanhBackward", d, t, null, new int[][] {x, x},
                    (be, in) -> new Tensor[] {be.hardtanhBackward(in[0], in[1], -0.3f, 0.4f)});
            b.add("leakyRelu", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.leakyRelu(in[0], 0.1f)});
            b.add("gelu", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.gelu(in[0])});
            b.add("geluBackward", d, t, null, new int[][] {x, x}, (be, in) -> new Tensor[] {be.geluBackward(in[0], in[1])});
            b.add("dropout", d + " p 0.1", 0, null, new int[][] {x}, (be, in) -> new Tensor[] {be.dropout(in[0], 0.1, 20260527L)});
            b.add("dropout", d + " p 0.5", 0, null, new int[][] {x}, (be, in) -> new Tensor[] {be.dropout(in[0], 0.5, -3L)});
            b.add("leakyReluBackward", d, t, null, new int[][] {x, x},
                    (be, in) -> new Tensor[] {be.leakyReluBackward(in[0], in[1], 0.1f)});
            int hw = x[2] * x[3], rows = n(x) / x[3];
            b.add("softmax", d + " over C", t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.softmax(in[0], x[0], x[1], hw)});
            b.add("softmax", d + " over W", t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.softmax(in[0], rows, x[3], 1)});
            b.add("softmaxBackward", d + " over C", t, null, new int[][] {x, x},
                    (be, in) -> new Tensor[] {be.softmaxBackward(in[0], in[1], x[0], x[1], hw)});
            b.add("softmaxBackward", d + " over W", t, null, new int[][] {x, x},
                    (be, in) -> new Tensor[] {be.softmaxBackward(in[0], in[1], rows, x[3], 1)});
            b.add("rowScale", d + " per (n, c)", t, null, new int[][] {x, s(x[0], x[1])},
                    (be, in) -> new Tensor[] {be.rowScale(in[0], in[1])});
            b.add("rowScale", d + " per sample", t, null, new int[][] {x, s(x[0])}, (be, in) -> new Tensor[] {be.rowScale(in[0], in[1])});
            b.add("rowScaleBackward", d + " per (n, c)", t, null, new int[][] {x, x, s(x[0], x[1])},
                    (be, in) -> new Tensor[] {be.rowScaleBackward(in[0], in[1], in[2])});
            b.add("rowScaleBackward", d + " per sample", t, null, new int[][] {x, x, s(x[0])},
                    (be, in) -> new Tensor[] {be.rowScaleBackward(in[0], in[1], in[2])});
            b.add("rowMean", d + " per (n, c)", t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.rowMean(in[0], x[0] * x[1])});
            b.add("rowBroadcast", d + " per (n, c)", t, null, new int[][] {s(x[0], x[1])},
                    (be, in) -> new Tensor[] {be.rowBroadcast(in[0], 1f / hw, x)});
            b.add("swish", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.swish(in[0])});
            b.add("swishBackward", d, t, null, new int[][] {x, x}, (be, in) -> new Tensor[] {be.swishBackward(in[0], in[1])});
            // inputs of scale 3 so both clamps of (-3, 3) are reached
            b.addWith("hardsigmoid", d, t, null, new float[][] {rnd(b.r, n(x), 3f)}, new int[][] {x},
                    (be, in) -> new Tensor[] {be.hardsigmoid(in[0])});
            b.addWith("hardsigmoidBackward", d, t, null, new float[][] {rnd(b.r, n(x), 1f), rnd(b.r, n(x), 3f)}, new int[][] {x, x},
                    (be, in) -> new Tensor[] {be.hardsigmoidBackward(in[0], in[1])});
            b.add("sigmoid", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.sigmoid(in[0])});
            float[] y = new float[n(x)];
            for (int i = 0; i < y.length; i++) y[i] = b.r.nextFloat();
            b.addWith("sigmoidBackward", d, t, null, new float[][] {rnd(b.r, n(x), 1f), y}, new int[][] {x, x},
                    (be, in) -> new Tensor[] {be.sigmoidBackward(in[0], in[1])});
            b.add("channelAffine", d + " scale+shift", t, null, new int[][] {x, s(x[1]), s(x[1])},
                    (be, in) -> new Tensor[] {be.channelAffine(in[0], in[1], in[2])});
            b.add("channelAffine", d + " scale only", t, null, new int[][] {x, s(x[1])},
                    (be, in) -> new Tensor[] {be.channelAffine(in[0], in[1], null)});
            b.add("channelAffineActInPlace", d + " scale+shift+residual+relu", t, null, new int[][] {x, s(x[1]), s(x[1]), x},
                    (be, in) -> {
                        be.channelAffineActInPlace(in[0], in[1], in[2], in[3], true);
                        return new Tensor[] {in[0]};
                    });
            b.add("channelAffineActInPlace", d + " relu only", t, null, new int[][] {x}, (be, in) -> {
                be.channelAffineActInPlace(in[0], null, null, null, true);
                return new Tensor[] {in[0]};
            });
            b.add("channelAffineActInPlace", d + " scale+shift", t, null, new int[][] {x, s(x[1]), s(x[1])}, (be, in) -> {
                be.channelAffineActInPlace(in[0], in[1], in[2], null, false);
                return new Tensor[] {in[0]};
            });
            b.add("actAffineBackward", d + " relu+scale", t, null, new int[][] {x, x, s(x[1])},
                    (be, in) -> new Tensor[] {be.actAffineBackward(in[0], in[1], in[2], true)});
            b.add("actAffineBackward", d + " relu", t, null, new int[][] {x, x},
                    (be, in) -> new Tensor[] {be.actAffineBackward(in[0], in[1], null, true)});
            b.add("actAffineBackward", d + " scale", t, null, new int[][] {x, x, s(x[1])},
                    (be, in) -> new Tensor[] {be.actAffineBackward(in[0], in[1], in[2], false)});
            b.add("sum", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.sum(in[0])});
            b.add("broadcastScalar", d, t, null, new int[][] {s(1)}, (be, in) -> new Tensor[] {be.broadcastScalar(in[0], 0.25f, x)});
            b.add("zeros+fromHost", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.zeros(x), be.fromHost(in[0].toFloatArray(), x)});
        }
        for (int[] x : new int[][] {s(2, 12, 7, 9), s(2, 256, 50, 76)}) {
            int groups = x[1] == 12 ? 3 : 32;
            String d = Arrays.toString(x) + " G=" + groups;
            int c = x[1];
            b.addWith("groupNorm", d, t, null, new float[][] {rnd(b.r, n(x), 2f), pos(b.r, c), rnd(b.r, c, 1f)},
                    new int[][] {x, s(c), s(c)}, (be, in) -> be.groupNorm(in[0], in[1], in[2], groups, 1e-5f));
            b.add("groupNorm", d + " no affine", t, null, new int[][] {x},
                    (be, in) -> be.groupNorm(in[0], null, null, groups, 1e-5f));
            // backward: mean/rstd from the CPU forward are inputs, so both sides use the same statistics
            float[] xv = rnd(b.r, n(x), 2f);
            float[] gamma = pos(b.r, c);
            Tensor[] st = autoassign.backend.Backends.cpu().groupNorm(Tensor.of(xv.clone(), x), null, null, groups, 1e-5f);
            float[] mean = st[1].toFloatArray(), rstd = st[2].toFloatArray();
            int ng = x[0] * groups;
            b.addWith("groupNormBackward", d, t, null, new float[][] {rnd(b.r, n(x), 1f), xv, mean, rstd, gamma},
                    new int[][] {x, x, s(ng), s(ng), s(c)}, (be, in) -> be.groupNormBackward(in[0], in[1], in[2], in[3], in[4], groups));
            b.addWith("groupNormBackward", d + " no affine", t, null, new float[][] {rnd(b.r, n(x), 1f), xv, mean, rstd},
                    new int[][] {x, x, s(ng), s(ng)}, (be, in) -> be.groupNormBackward(in[0], in[1], in[2], in[3], null, groups));
        }
        // Focus's space-to-depth slicing (CSPDarknet's stem) and its inverse, an odd channel count and map
        for (int[] x : new int[][] {s(2, 3, 10, 14), s(1, 5, 6, 22)}) {
            String d = Arrays.toString(x);
            int[] o = s(x[0], 4 * x[1], x[2] / 2, x[3] / 2);
            b.add("spaceToDepth", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.spaceToDepth(in[0])});
            b.add("spaceToDepthBackward", Arrays.toString(o), t, null, new int[][] {o},
                    (be, in) -> new Tensor[] {be.spaceToDepthBackward(in[0])});
        }
        // {5, 1, 2}, {9, 1, 4}, {13, 1, 6}: SPPBottleneck's pools (stride 1, windows wider than a small map)
        for (int[] pool : new int[][] {{3, 2, 1}, {2, 2, 0}, {1, 2, 0}, {5, 1, 2}, {9, 1, 4}, {13, 1, 6}}) {
            for (int[] x : new int[][] {s(2, 3, 9, 12), s(2, 64, 200, 304)}) {
                if (pool[0] != 3 && x[1] == 64) continue;
                int kk = pool[0], st = pool[1], pd = pool[2];
                int oh = (x[2] + 2 * pd - kk) / st + 1, ow = (x[3] + 2 * pd - kk) / st + 1;
                String d = Arrays.toString(x) + " k" + kk + " s" + st + " p" + pd;
                b.add("maxPool2d", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.maxPool2d(in[0], kk, st, pd)});
                b.add("maxPool2dBackward", d, t, null, new int[][] {s(x[0], x[1], oh, ow), x},
                        (be, in) -> new Tensor[] {be.maxPool2dBackward(in[0], in[1], kk, st, pd)});
            }
        }
        // average pool: ResLayer's avg_down (k = s = 2, ceil, padding excluded) on odd maps whose last window is partial,
        // at a ResNet-50 layer2 size, plus padded / overlapping / dropped-ceil-window geometries
        for (var ap : new Object[][] {
                {s(2, 3, 9, 13), autoassign.backend.AvgPool2dParams.avgDown(2)},
                {s(2, 256, 199, 301), autoassign.backend.AvgPool2dParams.avgDown(2)},
                {s(2, 3, 9, 10), new autoassign.backend.AvgPool2dParams(3, 2, 1, false, true)},
                {s(2, 3, 8, 11), new autoassign.backend.AvgPool2dParams(3, 2, 1, true, false)},
                {s(1, 2, 5, 10), new autoassign.backend.AvgPool2dParams(3, 3, 1, true, true)},
                {s(2, 3, 6, 7), new autoassign.backend.AvgPool2dParams(3, 1, 1, false, false)},
                {s(2, 16, 100, 170), autoassign.model.Hrfpn.poolParams(8)}}) { // HRFPN's AVG pooling: floor mode, 100 % 8 != 0
            int[] x = (int[]) ap[0];
            var pp = (autoassign.backend.AvgPool2dParams) ap[1];
            int oh = pp.outSize(x[2]), ow = pp.outSize(x[3]);
            String d = Arrays.toString(x) + " k" + pp.kernel() + " s" + pp.stride() + " p" + pp.pad()
                    + (pp.ceilMode() ? " ceil" : "") + (pp.countIncludePad() ? " count_pad" : " exclude_pad");
            b.add("avgPool2d", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.avgPool2d(in[0], pp)});
            b.add("avgPool2dBackward", d, t, null, new int[][] {s(x[0], x[1], oh, ow)},
                    (be, in) -> new Tensor[] {be.avgPool2dBackward(in[0], x[2], x[3], pp)});
        }
        for (int[] u : new int[][] {{2, 3, 5, 7, 10, 14}, {1, 2, 5, 7, 13, 9}, {2, 256, 25, 38, 50, 76}}) {
            int[] x = s(u[0], u[1], u[2], u[3]);
            int oh = u[4], ow = u[5];
            String d = Arrays.toString(x) + " -> " + oh + "x" + ow;
            b.add("upsampleNearest", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.upsampleNearest(in[0], oh, ow)});
            b.add("upsampleNearestBackward", d, t, null, new int[][] {s(u[0], u[1], oh, ow)},
                    (be, in) -> new Tensor[] {be.upsampleNearestBackward(in[0], u[2], u[3])});
        }
        // HRFPN's 2^i (an HRNet-W32 input at 800x1344), non-integer scales (ATen's 1/scale ratio), downsampling, copy
        for (double[] u : new double[][] {{2, 64, 25, 42, 8, 8}, {2, 3, 5, 7, 2, 4}, {1, 2, 13, 9, 1.7, 2.3},
                {1, 3, 10, 9, 0.45, 0.6}, {1, 2, 3, 4, 1.2, 1.1}}) {
            int[] x = s((int) u[0], (int) u[1], (int) u[2], (int) u[3]);
            int oh = autoassign.backend.BilinearResize.outSize(x[2], u[4]), ow = autoassign.backend.BilinearResize.outSize(x[3], u[5]);
            float rh = autoassign.backend.BilinearResize.ratio(x[2], oh, u[4]), rw = autoassign.backend.BilinearResize.ratio(x[3], ow, u[5]);
            String d = Arrays.toString(x) + " scale " + u[4] + "x" + u[5] + " -> " + oh + "x" + ow;
            b.add("upsampleBilinear", d, t, null, new int[][] {x}, (be, in) -> new Tensor[] {be.upsampleBilinear(in[0], oh, ow, rh, rw)});
            b.add("upsampleBilinearBackward", d, t, null, new int[][] {s(x[0], x[1], oh, ow)},
                    (be, in) -> new Tensor[] {be.upsampleBilinearBackward(in[0], x[2], x[3], rh, rw)});
        }
        b.add("concatChannels", "[2,3,5,7]+[2,4,5,7] (copyRange)", t, null, new int[][] {s(2, 3, 5, 7), s(2, 4, 5, 7)},
                (be, in) -> new Tensor[] {F.concatChannels(java.util.List.of(in[0], in[1]))});
        for (int[] x : new int[][] {s(7, 13), s(256, 256, 3, 3)}) {
            for (boolean first : new boolean[] {true, false}) {
                b.add("sgdStep", Arrays.toString(x) + (first ? " first" : ""), t, null, new int[][] {x, x, x}, (be, in) -> {
                    be.sgdStep(in[0], in[1], in[2], 0.01f, 0.9f, 1e-4f, first);
                    return new Tensor[] {in[0], in[2]};
                });
            }
        }
        // every tensor of a step in one call (CUDA: one aa_sgd_multi launch): odd sizes, first and later steps,
        // with and without weight decay, as the trainer's groups are
        int[][] sgdShapes = {s(7, 13), s(256, 256, 3, 3), s(1), s(80), s(2049), s(64, 3, 7, 7)};
        int[][] sgdIn = new int[3 * sgdShapes.length][];
        for (int i = 0; i < sgdShapes.length; i++) sgdIn[3 * i] = sgdIn[3 * i + 1] = sgdIn[3 * i + 2] = sgdShapes[i];
        b.add("sgdStepAll", sgdShapes.length + " tensors, 601,453 values, 2 steps", t, null, sgdIn, (be, in) -> {
            List<SgdUpdate> ups = new ArrayList<>();
            for (int i = 0; i < sgdShapes.length; i++)
                ups.add(new SgdUpdate(in[3 * i], in[3 * i + 1], in[3 * i + 2], i % 2 == 0 ? 1e-4f : 0f, i % 3 == 0));
            be.sgdStepAll(ups, 0.01f, 0.9f);
            be.sgdStepAll(ups.stream().map(u -> new SgdUpdate(u.param(), u.grad(), u.momentumBuf(), u.weightDecay(), false)).toList(),
                    0.02f, 0.9f);
            Tensor[] out = new Tensor[2 * sgdShapes.length];
            for (int i = 0; i < sgdShapes.length; i++) {
                out[2 * i] = in[3 * i];
                out[2 * i + 1] = in[3 * i + 2];
            }
            return out;
        });
        // SGD with Nesterov momentum, then with dampening (the elementwise-op path of sgdStepAll), two steps each
        for (boolean nesterov : new boolean[] {true, false}) {
            b.add("sgdStepAll " + (nesterov ? "nesterov" : "dampening 0.25"), sgdShapes.length + " tensors, 2 steps", t, null, sgdIn,
                    (be, in) -> {
                        List<SgdUpdate> ups = new ArrayList<>();
                        for (int i = 0; i < sgdShapes.length; i++)
                            ups.add(new SgdUpdate(in[3 * i], in[3 * i + 1], in[3 * i + 2], i % 2 == 0 ? 1e-4f : 0f, true));
                        float damp = nesterov ? 0f : 0.25f;
                        be.sgdStepAll(ups, 0.01f, 0.9f, damp, nesterov);
                        be.sgdStepAll(ups.stream().map(u -> new SgdUpdate(u.param(), u.grad(), u.momentumBuf(), u.weightDecay(), false))
                                .toList(), 0.02f, 0.9f, damp, nesterov);
                        Tensor[] out = new Tensor[2 * sgdShapes.length];
                        for (int i = 0; i < sgdShapes.length; i++) {
                            out[2 * i] = in[3 * i];
                            out[2 * i + 1] = in[3 * i + 2];
                        }
                        return out;
                    });
        }
        // Adam / AdamW over every tensor in one call (CUDA: one aaj_adam_multi launch): decoupled decay, L2 and neither,
        // two steps from zero moments (the second with another gradient and bias corrections)
        int[][] adamIn = new int[2 * sgdShapes.length][];
        for (int i = 0; i < sgdShapes.length; i++) adamIn[2 * i] = adamIn[2 * i + 1] = sgdShapes[i];
        b.add("adamStepAll", sgdShapes.length + " tensors, 601,453 values, 2 steps", t, null, adamIn, (be, in) -> {
            Tensor[] out = new Tensor[3 * sgdShapes.length];
            for (int step = 1; step <= 2; step++) {
                List<AdamUpdate> ups = new ArrayList<>();
                for (int i = 0; i < sgdShapes.length; i++) {
                    if (step == 1) {
                        out[3 * i] = in[2 * i];
                        out[3 * i + 1] = be.zeros(sgdShapes[i]);
                        out[3 * i + 2] = be.zeros(sgdShapes[i]);
                    }
                    Tensor g = step == 1 ? in[2 * i + 1] : be.mulScalar(in[2 * i + 1], -0.5f);
                    float lr = 1e-3f * step;
                    float decay = i % 3 == 0 ? 1 - lr * 0.05f : 1f, l2 = i % 3 == 1 ? 1e-2f : 0f;
                    ups.add(new AdamUpdate(out[3 * i], g, out[3 * i + 1], out[3 * i + 2], decay, l2,
                            (float) (lr / (1 - Math.pow(0.9, step))), (float) Math.sqrt(1 - Math.pow(0.999, step))));
                }
                be.adamStepAll(ups, 0.1f, 0.999f, (float) (1 - 0.999), 1e-8f);
            }
            return out;
        });
        // the element-wise torch.optim rules over every tensor in one call (CUDA: one aaj_opt_multi launch), each with
        // its option bits; L2 decay on one tensor in three, decoupled decay and maximize on another; two steps from zero
        // states (the second with another gradient). Scalars as the train/ optimizer classes pack them for step 1.
        int decoupledBit = autoassign.backend.OptimRule.DECOUPLED, maximizeBit = autoassign.backend.OptimRule.MAXIMIZE;
        Object[][] rules = {
                {autoassign.backend.OptimRule.RMSPROP, 0, new float[] {0, 0, 0.99f, 0.01f, 1e-8f, 0, -0.01f}},
                {autoassign.backend.OptimRule.RMSPROP, autoassign.backend.OptimRule.CENTERED | autoassign.backend.OptimRule.MOMENTUM,
                        new float[] {0, 0, 0.9f, 0.1f, 1e-8f, 0.8f, -0.01f}},
                {autoassign.backend.OptimRule.ADAGRAD, 0, new float[] {0, 0, 1e-10f, -0.01f}},
                {autoassign.backend.OptimRule.ADADELTA, 0, new float[] {0, 0, 0.9f, 0.1f, 1e-6f, -1f}},
                {autoassign.backend.OptimRule.ADAMAX, 0, new float[] {0, 0, 0.1f, 0.999f, 1e-8f, -0.02f}},
                {autoassign.backend.OptimRule.NADAM, 0, new float[] {0, 0, 0.1f, 0.999f, 1e-3f, 1e-3f, 1e-8f, -4e-3f, -2e-2f}},
                {autoassign.backend.OptimRule.RADAM, 0, new float[] {0, 0, 0.1f, 0.999f, 1e-3f, 0.1f, 1e-3f, 1e-8f, 0.03f, 0}},
                {autoassign.backend.OptimRule.RADAM, autoassign.backend.OptimRule.RECTIFIED,
                        new float[] {0, 0, 0.1f, 0.5f, 0.5f, 0.1f, 1e-3f, 1e-8f, 0.7f, 0.3f}},
                {autoassign.backend.OptimRule.ADAM_AMSGRAD, 0, new float[] {0, 0, 0.1f, 0.999f, 1e-3f, 1e-2f, 0.03f, 1e-8f}},
                // Rprop from zero step sizes: step 1 clamps them up to step_size_min, step 2 (gradient × −0.5) shrinks and
                // zeroes; ASGD with μ = 0.5 (averaging; μ = 1 copies p into ax)
                {autoassign.backend.OptimRule.RPROP, 0, new float[] {0, 0, 1.2f, 0.5f, 1e-3f, 50f}},
                {autoassign.backend.OptimRule.ASGD, 0, new float[] {0, 0, 0.999999f, -0.01f, 0.5f}}};
        for (Object[] r : rules) {
            var rule = (autoassign.backend.OptimRule) r[0];
            int flags = (int) r[1];
            float[] c = (float[]) r[2];
            b.add("foreachUpdate " + rule + (flags != 0 ? " flags " + flags : ""), sgdShapes.length + " tensors, 2 steps", t, null,
                    adamIn, (be, in) -> {
                        Tensor[] out = new Tensor[4 * sgdShapes.length];
                        for (int step = 1; step <= 2; step++) {
                            List<autoassign.backend.ForeachUpdate> ups = new ArrayList<>();
                            for (int i = 0; i < sgdShapes.length; i++) {
                                if (step == 1) {
                                    out[4 * i] = in[2 * i];
                                    for (int k = 1; k < 4; k++) out[4 * i + k] = be.zeros(sgdShapes[i]);
                                }
                                Tensor g = step == 1 ? in[2 * i + 1] : be.mulScalar(in[2 * i + 1], -0.5f);
                                float[] ci = c.clone();
                                int fi = flags;
                                if (i % 3 == 0) ci[0] = 1e-2f;
                                if (i % 3 == 1) {
                                    fi |= decoupledBit | maximizeBit;
                                    ci[1] = 1 - 1e-4f;
                                }
                                ups.add(new autoassign.backend.ForeachUpdate(rule, out[4 * i], g, out[4 * i + 1], out[4 * i + 2],
                                        out[4 * i + 3], fi, ci));
                            }
                            be.foreachUpdate(ups);
                        }
                        return out;
                    });
        }
        // the fused AutoAssign loss through the tape, as the trainer calls it: on CUDA the native loss kernels, on
        // the CPU the reference op; outputs: the three losses, then the gradients of cls, bbox, obj (per level),
        // mean, sigma. The "(host op)" row times the copy-to-host path the kernels replace.
        lossCase(b, LOSS_OP, 1, 800, 1216, 80, new int[] {7}, false);
        lossCase(b, LOSS_OP, 2, 800, 1216, 80, new int[] {7, 12}, false);
        lossCase(b, LOSS_OP, 2, 128, 192, 80, new int[] {3, 0}, false);
        lossCase(b, LOSS_OP + " (host op)", 1, 800, 1216, 80, new int[] {7}, true);
        postprocessCase(b, 2, 128, 192, 80, new PostProcessConfig(50, 0.05f, 0.6f, 30, 0f));
        postprocessCase(b, 2, 800, 1216, 80, PostProcessConfig.DEFAULT);
        // end to end through autograd: conv -> GN -> relu -> maxpool -> upsample -> add -> sigmoid -> scale -> sum
        b.add("autograd mini-net", "x[2,8,16,20] conv3x3(16)+GN(4)+pool+upsample", 1e-3, false,
                new int[][] {s(2, 8, 16, 20), s(16, 8, 3, 3), s(16), s(16), s(16), s(1)}, OpChecks::miniNet);
        // ResNetV1d's avg_down shortcut through autograd on odd sizes: pool 2x2/2 ceil → 1x1 conv → + main path → relu
        b.add("autograd avg_down shortcut", "x[2,8,15,21] avgpool(2, ceil)+conv1x1(16) + conv3x3/2(16)", 1e-3, false,
                new int[][] {s(2, 8, 15, 21), s(16, 8, 1, 1), s(16, 8, 3, 3)}, OpChecks::avgDownNet);
        b.add("autograd mini-net fused", "x[2,8,16,20] conv+BN+residual+relu, conv+GN+relu", 1e-3, false,
                new int[][] {s(2, 8, 16, 20), s(8, 8, 3, 3), s(8), s(8), s(8), s(8), s(8)}, OpChecks::miniNetFused);
        deformConvCases(b);
        return b.cases;
    }


    static final String LOSS_OP = CudaAutoAssignLoss.OP;

    /**
     * A loss case on a padded {@code height×width} batch (strides 8..128): head outputs like a real head's
     * (cls logits around −4.6, distances of 0.5–6 strides with 5% zeros), {@code numGt[i]} boxes per image of
     * log-uniform size, labels from a few classes so that same-class boxes overlap, and in the small case a
     * box too small to hold a point.
     */
    private static void lossCase(Builder b, String op, int batch, int height, int width, int numClasses, int[] numGt,
                                 boolean hostOp) {
        Random r = b.r;
        PointGrid grid = PointGrid.forPaddedImage(height, width, PointGrid.DEFAULT_STRIDES);
        int levels = grid.numLevels();
        float[][] in = new float[3 * levels + 2][];
        int[][] shapes = new int[3 * levels + 2][];
        headOutputs(r, grid, batch, numClasses, -4.6, 1.5, in, shapes);
        float[] mean = new float[2 * numClasses], sigma = new float[2 * numClasses];
        for (int k = 0; k < 2 * numClasses; k++) {
            mean[k] = r.nextFloat() * 0.6f - 0.3f;
            sigma[k] = 0.7f + 0.8f * r.nextFloat();
        }
        in[3 * levels] = mean;
        in[3 * levels + 1] = sigma;
        shapes[3 * levels] = s(numClasses, 2);
        shapes[3 * levels + 1] = s(numClasses, 2);
        GroundTruth[] gts = new GroundTruth[batch];
        int labelsUsed = 5;
        for (int i = 0; i < batch; i++) {
            float[] boxes = new float[4 * numGt[i]];
            int[] labels = new int[numGt[i]];
            for (int g = 0; g < numGt[i]; g++) {
                float cx = width * r.nextFloat(), cy = height * r.nextFloat(), smax = Math.max(width, height) / 8f;
                float bw = (float) (4 * Math.pow(smax, r.nextFloat())), bh = (float) (4 * Math.pow(smax, r.nextFloat()));
                if (height < 200 && g == numGt[i] - 1) bw = bh = 1f;   // no point strictly inside
                float x1 = Math.max(0f, cx - bw / 2), y1 = Math.max(0f, cy - bh / 2);
                boxes[4 * g] = x1;
                boxes[4 * g + 1] = y1;
                boxes[4 * g + 2] = Math.min(width, x1 + bw);
                boxes[4 * g + 3] = Math.min(height, y1 + bh);
                labels[g] = r.nextInt(labelsUsed);
            }
            gts[i] = new GroundTruth(boxes, labels);
        }
        String detail = batch + " img " + height + "x" + width + " P=" + grid.numPoints() + " C=" + numClasses + " G="
                + Arrays.toString(numGt);
        b.addWith(op, detail, 1e-3, null, in, shapes, (be, t) -> lossFwdBwd(t, levels, gts, hostOp));
    }

    static final String POSTPROCESS_OP = CudaPostProcess.OP;

    /**
     * Post-processing of a padded {@code height×width} batch: head outputs like a trained head's (cls logits
     * N(−3.9, 1): about 17 % of the scores pass 0.05; distances of 0.5–6 strides, 5 % zero), each image with its own
     * unpadded size and scale factors. The device's {@link FusedPostProcess} against {@link PostProcessor} per image.
     */
    private static void postprocessCase(Builder b, int batch, int height, int width, int numClasses, PostProcessConfig cfg) {
        Random r = b.r;
        PointGrid grid = PointGrid.forPaddedImage(height, width, PointGrid.DEFAULT_STRIDES);
        int levels = grid.numLevels();
        float[][] in = new float[3 * levels][];
        int[][] shapes = new int[3 * levels][];
        headOutputs(r, grid, batch, numClasses, -3.9, 1.0, in, shapes);
        ImageMeta[] metas = new ImageMeta[batch];
        for (int i = 0; i < batch; i++) {
            // unpadded sizes up to 31 pixels below the padded ones, scale factors of a 1333x800 resize
            int h = height - r.nextInt(Math.min(32, height / 2)), w = width - r.nextInt(Math.min(32, width / 2));
            metas[i] = new ImageMeta(h, w, 1.2 + r.nextDouble(), 1.2 + r.nextDouble());
        }
        String detail = batch + " img " + height + "x" + width + " P=" + grid.numPoints() + " C=" + numClasses + " nms_pre "
                + cfg.nmsPre() + " max " + cfg.maxPerImg();
        b.addWith(POSTPROCESS_OP, detail, 1e-3, null, in, shapes, (be, t) -> postprocess(be, t, grid, metas, cfg));
    }

    /**
     * Detections of every image with the backend's fused post-processing, or with {@link PostProcessor} where it has
     * none (the CPU): per image {count}, boxes, scores, labels (as floats), each padded to one value when empty.
     */
    static Tensor[] postprocess(Backend be, Tensor[] in, PointGrid grid, ImageMeta[] metas, PostProcessConfig cfg) {
        int levels = grid.numLevels(), batch = metas.length;
        Tensor[] cls = Arrays.copyOfRange(in, 0, levels), dist = Arrays.copyOfRange(in, levels, 2 * levels),
                obj = Arrays.copyOfRange(in, 2 * levels, 3 * levels);
        FusedPostProcess op = be.fusedPostProcess();
        FusedPostProcess.Result[] res = new FusedPostProcess.Result[batch];
        if (op != null && op.supports(levels, cfg.nmsPre(), cfg.minBboxSize())) {
            float[][] geometry = new float[batch][];
            for (int i = 0; i < batch; i++)
                geometry[i] = new float[] {metas[i].imgWidth(), metas[i].imgHeight(), (float) (1.0 / metas[i].scaleW()),
                        (float) (1.0 / metas[i].scaleH())};
            res = op.run(cls, dist, obj, grid.packed(), geometry, cfg.nmsPre(), cfg.scoreThr(), cfg.iouThr(), cfg.maxPerImg());
        } else {
            float[][] c = new float[levels][], d = new float[levels][], o = new float[levels][];
            for (int l = 0; l < levels; l++) {
                c[l] = cls[l].toFloatArray();
                d[l] = dist[l].toFloatArray();
                o[l] = obj[l].toFloatArray();
            }
            for (int i = 0; i < batch; i++) {
                List<LevelOutput> lv = new ArrayList<>();
                for (int l = 0; l < levels; l++) {
                    int hw = grid.levelSize(l), k = cls[l].dim(1);
                    lv.add(new LevelOutput(grid.stride(l), k, grid.height(l), grid.width(l),
                            Arrays.copyOfRange(c[l], i * k * hw, (i + 1) * k * hw),
                            Arrays.copyOfRange(d[l], i * 4 * hw, (i + 1) * 4 * hw), Arrays.copyOfRange(o[l], i * hw, (i + 1) * hw)));
                }
                Detections det = PostProcessor.process(lv, metas[i], cfg);
                res[i] = new FusedPostProcess.Result(det.boxes(), det.scores(), det.labels());
            }
        }
        Tensor[] out = new Tensor[4 * batch];
        for (int i = 0; i < batch; i++) {
            int n = res[i].scores().length;
            float[] labels = new float[n];
            for (int k = 0; k < n; k++) labels[k] = res[i].labels()[k];
            out[4 * i] = Tensor.of(new float[] {n}, 1);
            out[4 * i + 1] = padded(res[i].boxes());
            out[4 * i + 2] = padded(res[i].scores());
            out[4 * i + 3] = padded(labels);
        }
        return out;
    }

    private static Tensor padded(float[] v) { return v.length == 0 ? Tensor.of(new float[1], 1) : Tensor.of(v, v.length); }

    /**
     * Head outputs like a real head's into {@code in}/{@code shapes} [0, 3L): per level cls logits N(clsMean, clsStd),
     * distances of 0.5–6 strides (5 % zero), objectness logits N(0, 1.5).
     */
    private static void headOutputs(Random r, PointGrid grid, int batch, int numClasses, double clsMean, double clsStd,
                                    float[][] in, int[][] shapes) {
        int levels = grid.numLevels();
        for (int l = 0; l < levels; l++) {
            int h = grid.height(l), w = grid.width(l), st = grid.stride(l);
            float[] c = new float[batch * numClasses * h * w], d = new float[batch * 4 * h * w], o = new float[batch * h * w];
            for (int i = 0; i < c.length; i++) c[i] = (float) (r.nextGaussian() * clsStd + clsMean);
            for (int i = 0; i < d.length; i++) d[i] = r.nextFloat() < 0.05f ? 0f : st * (0.5f + 5.5f * r.nextFloat());
            for (int i = 0; i < o.length; i++) o[i] = (float) (r.nextGaussian() * 1.5);
            in[l] = c;
            in[levels + l] = d;
            in[2 * levels + l] = o;
            shapes[l] = s(batch, numClasses, h, w);
            shapes[levels + l] = s(batch, 4, h, w);
            shapes[2 * levels + l] = s(batch, 1, h, w);
        }
    }

    /** AutoAssignLoss forward and backward of the summed losses; returns the losses and every input's gradient. */
    static Tensor[] lossFwdBwd(Tensor[] in, int levels, GroundTruth[] gts, boolean hostOp) {
        for (Tensor t : in) {
            t.setGrad(null);
            t.setRequiresGrad(true);
        }
        Tensor[] cls = Arrays.copyOfRange(in, 0, levels), bbox = Arrays.copyOfRange(in, levels, 2 * levels),
                obj = Arrays.copyOfRange(in, 2 * levels, 3 * levels);
        boolean fused = CudaOptions.fusedLoss();
        if (hostOp) CudaOptions.setFusedLoss(false);
        try {
            AutoAssignLoss.Losses l = AutoAssignLoss.apply(cls, bbox, obj, in[3 * levels], in[3 * levels + 1], gts,
                    PointGrid.DEFAULT_STRIDES);
            Graph.backward(F.add(F.add(l.pos(), l.neg()), l.center()));
            Tensor[] out = new Tensor[3 + in.length];
            out[0] = l.pos();
            out[1] = l.neg();
            out[2] = l.center();
            for (int i = 0; i < in.length; i++) out[3 + i] = in[i].grad();
            return out;
        } finally {
            CudaOptions.setFusedLoss(fused);
        }
    }

    /** relu(conv1x1(avgpool_avg_down(x)) + conv3x3/2(x)), mean, backward; returns the loss and the three gradients. */
    static Tensor[] avgDownNet(Backend be, Tensor[] in) {
        for (Tensor t : in) t.setGrad(null);
        Tensor x = in[0].setRequiresGrad(true), w1 = in[1].setRequiresGrad(true), w3 = in[2].setRequiresGrad(true);
        Tensor id = F.conv2d(F.avgPool2d(x, autoassign.backend.AvgPool2dParams.avgDown(2)), w1, null, ConvParams.of(1, 0));
        Tensor main = F.conv2d(x, w3, null, ConvParams.of(2, 1));
        Tensor loss = F.mean(F.relu(F.add(main, id)));
        Graph.backward(loss);
        return new Tensor[] {loss, x.grad(), w1.grad(), w3.grad()};
    }

    /** Forward + backward of a small network built from the autograd ops; returns loss and every gradient. */
    static Tensor[] miniNet(Backend be, Tensor[] in) {
        for (Tensor t : in) t.setGrad(null);
        Tensor x = in[0].setRequiresGrad(true), w = in[1].setRequiresGrad(true), bias = in[2].setRequiresGrad(true);
        Tensor gamma = in[3].setRequiresGrad(true), beta = in[4].setRequiresGrad(true), scale = in[5].setRequiresGrad(true);
        Tensor h = F.conv2d(x, w, bias, ConvParams.of(1, 1));
        h = F.relu(F.groupNorm(h, gamma, beta, 4, 1e-5f));
        Tensor p = F.maxPool2d(h, 3, 2, 1);
        Tensor u = F.upsampleNearest(p, h.dim(2), h.dim(3));
        Tensor y = F.scale(F.sigmoid(F.add(h, u)), scale);
        Tensor loss = F.mean(y);
        Graph.backward(loss);
        return new Tensor[] {loss, x.grad(), w.grad(), bias.grad(), gamma.grad(), beta.grad(), scale.grad()};
    }

    /** The fused layers through autograd (F.convAffineAct with a frozen-BN affine and a residual, F.groupNormAct). */
    static Tensor[] miniNetFused(Backend be, Tensor[] in) {
        for (Tensor t : in) t.setGrad(null);
        Tensor x = in[0].setRequiresGrad(true), w = in[1].setRequiresGrad(true), bias = in[2].setRequiresGrad(true);
        Tensor scale = in[3], shift = in[4], gamma = in[5].setRequiresGrad(true), beta = in[6].setRequiresGrad(true);
        Tensor h = F.convAffineAct(x, w, null, ConvParams.of(1, 1), scale, shift, x, true);
        h = F.convAffineAct(h, w, bias, ConvParams.of(1, 1), null, null, null, false);
        Tensor y = F.sigmoid(F.groupNormAct(h, gamma, beta, 4, 1e-5f, true));
        Tensor loss = F.mean(y);
        Graph.backward(loss);
        return new Tensor[] {loss, x.grad(), w.grad(), bias.grad(), gamma.grad(), beta.grad()};
    }

    // ---------------------------------------------------------------- deformable convolution (MMCV DCN / DCNv2)

    /**
     * deformConv2d forward and backward (every gradient) against the CPU twin: DCN and DCNv2 on odd sizes (groups,
     * deform groups, stride 2, dilation, a bias, offsets of a few pixels so that samples leave the image), an R50
     * layer3 DCNv2 at 1333×800 for timings, and DCNv2 as its layer runs it through autograd (conv_offset → split →
     * sigmoid → deformable conv).
     */
    private static void deformConvCases(Builder b) {
        record DcnShape(String name, int[] x, int[] w, ConvParams p, int dg, boolean mask, boolean bias) {}
        List<DcnShape> shapes = List.of(
                new DcnShape("DCN 3x3 s1 p1", s(2, 8, 13, 11), s(6, 8, 3, 3), ConvParams.of(1, 1), 1, false, false),
                new DcnShape("DCNv2 3x3 s2 p1 g2 dg2 +bias", s(2, 8, 15, 12), s(6, 4, 3, 3), ConvParams.of(2, 1).withGroups(2), 2, true, true),
                new DcnShape("DCNv2 3x3 s1 p2 dil2 dg4", s(1, 8, 9, 14), s(4, 8, 3, 3), ConvParams.of(1, 2, 2), 4, true, false),
                new DcnShape("R50 layer3 DCNv2 256ch 50x76", s(2, 256, 50, 76), s(256, 256, 3, 3), ConvParams.of(1, 1), 1, true, false));
        for (DcnShape c : shapes) {
            var dp = new autoassign.backend.DeformConvParams(c.p, c.dg);
            int kk = c.w[2] * c.w[3], ho = c.p.outH(c.x[2], c.w[2]), wo = c.p.outW(c.x[3], c.w[3]);
            int[] os = s(c.x[0], c.dg * 2 * kk, ho, wo), ms = s(c.x[0], c.dg * kk, ho, wo), ys = s(c.x[0], c.w[0], ho, wo);
            float[] mask = new float[n(ms)];
            for (int i = 0; i < mask.length; i++) mask[i] = b.r.nextFloat();
            float[][] in = {rnd(b.r, n(c.x), 1f), rnd(b.r, n(os), 2f), mask, rnd(b.r, n(c.w), 0.1f), rnd(b.r, c.w[0], 1f), rnd(b.r, n(ys), 1f)};
            int[][] sh = {c.x, os, ms, c.w, s(c.w[0]), ys};
            String d = c.name + " x" + Arrays.toString(c.x) + " w" + Arrays.toString(c.w);
            b.addWith("deformConv2d", d, 1e-3, false, in, sh, (be, t) -> new Tensor[] {
                    be.deformConv2d(t[0], t[1], c.mask ? t[2] : null, t[3], c.bias ? t[4] : null, dp)});
            b.addWith("deformConv2dBackward", d, 1e-3, false, in, sh, (be, t) -> {
                var g = be.deformConv2dBackward(t[5], t[0], t[1], c.mask ? t[2] : null, t[3], c.bias, dp);
                return new Tensor[] {g.input(), g.offset(), g.mask(), g.weight(), g.bias()};
            });
        }
        b.add("autograd DCNv2 layer", "x[2,8,11,13] conv_offset(27)+split+sigmoid+DCNv2(8) s2", 1e-3, false,
                new int[][] {s(2, 8, 11, 13), s(27, 8, 3, 3), s(27), s(8, 8, 3, 3)}, OpChecks::dcnv2Layer);
    }

    /** DCNv2 as ModulatedDeformConv2dPack runs it, then mean and backward; returns the loss and the four gradients. */
    static Tensor[] dcnv2Layer(Backend be, Tensor[] in) {
        for (Tensor t : in) t.setGrad(null);
        Tensor x = in[0].setRequiresGrad(true), ow = in[1].setRequiresGrad(true), ob = in[2].setRequiresGrad(true);
        Tensor w = in[3].setRequiresGrad(true);
        ConvParams p = ConvParams.of(2, 1);
        Tensor[] parts = autoassign.autograd.ChannelSlices.split(F.conv2d(x, F.mulScalar(ow, 0.3f), ob, p), 18, 9);
        Tensor y = autoassign.autograd.DeformConvOps.deformConv2d(x, parts[0], F.sigmoid(parts[1]), w, null,
                new autoassign.backend.DeformConvParams(p, 1));
        Tensor loss = F.mean(F.relu(y));
        Graph.backward(loss);
        return new Tensor[] {loss, x.grad(), ow.grad(), ob.grad(), w.grad()};
    }
}
