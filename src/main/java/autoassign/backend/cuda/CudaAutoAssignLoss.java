package autoassign.backend.cuda;

import autoassign.backend.FusedAutoAssignLoss;
import autoassign.backend.cuda.LaunchPlan.Launch;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

import static autoassign.backend.cuda.LaunchPlan.grid;
import static autoassign.backend.cuda.LaunchPlan.layout;
import static autoassign.backend.cuda.LaunchPlan.p;

/**
 * {@link FusedAutoAssignLoss} on one GPU with the native/ loss kernels ({@code aa_loss_fwd_*} / {@code aa_loss_bwd_*},
 * contract in native/README.md, launched as its wrappers in native/src/aa_loss.cu do) and three kernels of the
 * backend (backend_kernels.cu): {@code aaj_level_to_points} / {@code aaj_points_to_level} convert between the
 * head's per-level NCHW tensors and the image-major {@code [B][P,K]} arrays the loss kernels read, and
 * {@code aaj_flag_nonfinite} flags undefined inputs.
 *
 * <p>Forward: per level 3 layout launches; one upload of the points and the ground truth; per image the four
 * forward kernels (max IoU, per-GT sums, negatives, finalize) into {@code stats[i][8]} (doubles); one download of
 * all stats and the flags (the only synchronisation). The image-major inputs, workspaces and stats stay on the
 * device for the backward: per image the three backward kernels ({@code dmean}/{@code dsigma} accumulate over the
 * images), then per level the inverse layout. Everything is enqueued on the device's stream.
 *
 * <p>The launch sequences are {@link LaunchPlan}s built by pure functions ({@link #forwardPlan}, {@link #backwardPlan},
 * {@link #toLevelsPlan}) over a {@link Layout} of addresses and sizes, so that a CPU test checks parameter types
 * against native/src, the pointer arithmetic and the grids without a GPU.
 */
final class CudaAutoAssignLoss extends FusedDeviceOp implements FusedAutoAssignLoss {
    /** The op's name in {@link CudaBackend#implementations()} and the self-check. */
    static final String OP = "autoAssignLoss fwd+bwd";
    static final List<String> NATIVE_KERNELS = List.of("aa_loss_fwd_maxiou", "aa_loss_fwd_gt", "aa_loss_fwd_neg",
            "aa_loss_fwd_finalize", "aa_loss_bwd_gt", "aa_loss_bwd_point", "aa_loss_bwd_prior");
    static final List<String> BACKEND_KERNELS = List.of("aaj_level_to_points", "aaj_points_to_level", "aaj_flag_nonfinite");
    /** AA_LOSS_MAX_CLASSES (static shared memory of the warp-per-point kernels). */
    static final int MAX_CLASSES = 256;
    /** AA_LOSS_WARPS: points per 256-thread block of the warp-per-point kernels. */
    static final int POINTS_PER_BLOCK = 8;
    static final int BLOCK = Kernels.BLOCK;
    /** Per-image workspaces start on this alignment (bytes). */
    static final long WS_ALIGN = 256;
    /** Flag slots after the per-image stats (doubles): non-finite cls, dist, obj; mean/sigma (or sigma = 0). */
    static final int FLAG_CLS = 0, FLAG_DIST = 1, FLAG_OBJ = 2, FLAG_PRIOR = 3, FLAGS = 4;

    CudaAutoAssignLoss(CudaBackend backend, CudaContext ctx) {
        super(backend, ctx, "autoAssignLoss");
    }

    /** Whether every kernel the op launches is loaded. */
    static boolean available(Kernels k) { return LaunchPlan.allLoaded(k, NATIVE_KERNELS, BACKEND_KERNELS); }

    @Override public int maxClasses() { return MAX_CLASSES; }

    // ============================================================================ launch plans (pure)

    /** Bytes of the loss workspace of one image (aa_loss_workspace_bytes). */
    static long workspaceBytes(int p, int g) {
        long nparts = p > 0 ? (p + POINTS_PER_BLOCK - 1) / POINTS_PER_BLOCK : 1;
        return 8L * (12L * g + nparts) + 4L * Math.max(p, 1);
    }

    /**
     * Sizes, offsets and (once allocated) device addresses of one batch. Offsets are in bytes from the base of
     * the buffer they belong to; the image-major arrays are {@code [B][P,K]} (image {@code i} of cls at
     * {@code cls + 4·i·P·C}).
     */
    static final class Layout extends HeadLayout {
        final int[] numGt;
        final long[] gtBoxOffset, gtLabelOffset; // bytes into the gt buffer
        final long gtFloats;                      // floats of the gt buffer (boxes then labels)
        final long[] wsOffset;                    // bytes into the workspace buffer
        final long wsBytes;
        final long statsDoubles;                  // 8 per image + FLAGS
        // device addresses (the head outputs' are HeadLayout's)
        long gt, ws, stats, mean, sigma;

        Layout(int batch, int numClasses, long[] levelSize, int[] numGt) {
            super(batch, numClasses, levelSize);
            this.numGt = numGt.clone();
            gtBoxOffset = new long[batch];
            gtLabelOffset = new long[batch];
            wsOffset = new long[batch];
            long totalGt = 0;
            for (int g : numGt) totalGt += g;
            long box = 0, lab = 16L * totalGt, w = 0;
            for (int i = 0; i < batch; i++) {
                gtBoxOffset[i] = box;
                gtLabelOffset[i] = lab;
                box += 16L * numGt[i];
                lab += 4L * numGt[i];
                wsOffset[i] = w;
                w += (workspaceBytes(numPoints, numGt[i]) + WS_ALIGN - 1) / WS_ALIGN * WS_ALIGN;
            }
            gtFloats = Math.max(1, 5 * totalGt);
            wsBytes = w;
            statsDoubles = 8L * batch + FLAGS;
        }

        int nparts() { return (numPoints + POINTS_PER_BLOCK - 1) / POINTS_PER_BLOCK; }

        long gtOf(int i) { return gt + gtBoxOffset[i]; }
        long labelsOf(int i) { return gt + gtLabelOffset[i]; }
        long statsOf(int i) { return stats + 64L * i; }
        long flag(int k) { return stats + 8L * (8L * batch + k); }
        // workspace carve of aa_loss.cu: gt_stats double[8G] at 0, gt_grad double[4G] at 64G,
        // neg_partial double[nb] at 96G, m float[P] at 96G + 8nb
        long gtStatsOf(int i) { return ws + wsOffset[i]; }
        long gtGradOf(int i) { return ws + wsOffset[i] + 64L * numGt[i]; }
        long negPartialOf(int i) { return ws + wsOffset[i] + 96L * numGt[i]; }
        long maxIouOf(int i) { return ws + wsOffset[i] + 96L * numGt[i] + 8L * nparts(); }
    }

    /**
     * Layout of the inputs, the input checks (flags must be zeroed before), then per image the forward sequence of
     * aa_loss_forward (F1, F2 only with GTs; P ≥ 1 always).
     */
    static List<Launch> forwardPlan(Layout a) {
        List<Launch> out = new ArrayList<>();
        long bP = (long) a.batch * a.numPoints;
        a.addGather(out);
        out.add(flag(a.flag(FLAG_CLS), a.cls, 0, bP * a.numClasses));
        out.add(flag(a.flag(FLAG_DIST), a.dist, 0, bP * 4));
        out.add(flag(a.flag(FLAG_OBJ), a.obj, 0, bP));
        out.add(flag(a.flag(FLAG_PRIOR), a.mean, 0, 2L * a.numClasses));
        out.add(flag(a.flag(FLAG_PRIOR), a.sigma, 1, 2L * a.numClasses));
        int P = a.numPoints, C = a.numClasses, nb = a.nparts();
        for (int i = 0; i < a.batch; i++) {
            int G = a.numGt[i];
            if (G > 0) {
                out.add(new Launch("aa_loss_fwd_maxiou", new Object[] {p(a.distOf(i)), p(a.pts), p(a.gtOf(i)), P, G,
                        p(a.maxIouOf(i))}, grid(P, BLOCK), 1, BLOCK));
                out.add(new Launch("aa_loss_fwd_gt", new Object[] {p(a.clsOf(i)), p(a.distOf(i)), p(a.objOf(i)), p(a.pts),
                        p(a.gtOf(i)), p(a.labelsOf(i)), p(a.mean), p(a.sigma), p(a.maxIouOf(i)), P, C, G,
                        p(a.gtStatsOf(i))}, G, 1, BLOCK));
            }
            out.add(new Launch("aa_loss_fwd_neg", new Object[] {p(a.clsOf(i)), p(a.objOf(i)), p(a.pts), p(a.gtOf(i)),
                    p(a.labelsOf(i)), p(a.maxIouOf(i)), p(a.gtStatsOf(i)), P, C, G, p(a.negPartialOf(i))}, nb, 1, BLOCK));
            out.add(new Launch("aa_loss_fwd_finalize", new Object[] {p(a.gtStatsOf(i)), p(a.negPartialOf(i)), nb, G,
                    p(a.statsOf(i))}, 1, 1, BLOCK));
        }
        return out;
    }

    /**
     * Per image the backward sequence of aa_loss_backward into the image-major gradients {@code dcls [B][P,C]},
     * {@code ddist [B][P,4]}, {@code dobj [B][P]} (overwritten) and {@code dmean}, {@code dsigma [C,2]} (written by
     * image 0, accumulated by the others).
     */
    static List<Launch> backwardPlan(Layout a, float wpos, float wneg, float wctr, long dcls, long ddist, long dobj,
                                     long dmean, long dsigma) {
        List<Launch> out = new ArrayList<>();
        int P = a.numPoints, C = a.numClasses, nb = a.nparts();
        for (int i = 0; i < a.batch; i++) {
            int G = a.numGt[i];
            if (G > 0)
                out.add(new Launch("aa_loss_bwd_gt", new Object[] {p(a.clsOf(i)), p(a.distOf(i)), p(a.objOf(i)), p(a.pts),
                        p(a.gtOf(i)), p(a.labelsOf(i)), p(a.mean), p(a.sigma), p(a.gtStatsOf(i)), p(a.statsOf(i)), P, C, G,
                        wpos, wctr, p(a.gtGradOf(i))}, G, 1, BLOCK));
            out.add(new Launch("aa_loss_bwd_point", new Object[] {p(a.clsOf(i)), p(a.distOf(i)), p(a.objOf(i)), p(a.pts),
                    p(a.gtOf(i)), p(a.labelsOf(i)), p(a.mean), p(a.sigma), p(a.maxIouOf(i)), p(a.gtStatsOf(i)), P, C, G,
                    wpos, wneg, p(dcls + 4L * i * P * C), p(ddist + 16L * i * P), p(dobj + 4L * i * P)}, nb, 1, BLOCK));
            out.add(new Launch("aa_loss_bwd_prior", new Object[] {p(a.labelsOf(i)), p(a.gtGradOf(i)), C, G, p(dmean),
                    p(dsigma), i == 0 ? 0 : 1}, grid(C, BLOCK), 1, BLOCK));
        }
        return out;
    }

    /** Image-major {@code src [B][P,K]} → level {@code l} as NCHW {@code dst [B,K,h_l,w_l]}. */
    static Launch toLevelsPlan(Layout a, long src, int k, int level, long dst) {
        long hw = a.levelSize[level];
        return layout("aaj_points_to_level", dst, src, k, hw, a.numPoints, a.levelOffset[level], (long) a.batch * k * hw);
    }

    private static Launch flag(long flag, long x, int zeroToo, long n) {
        return new Launch("aaj_flag_nonfinite", new Object[] {p(flag), p(x), zeroToo, n}, Kernels.grid1d(n), 1, BLOCK);
    }

    // ============================================================================ the op

    /** Device state of one forward. */
    final class State implements Forward {
        final Layout layout;
        final int[][] clsShape, distShape, objShape;
        final int[] meanShape, sigmaShape;
        final double[][] stats;
        final boolean finite;
        private Tensor cls, dist, obj, pts, gt, ws, statsBuf;
        // the caller's mean / sigma (their pointers are in the layout): referenced so they live as long as the state
        private Tensor mean, sigma;
        private boolean released;

        State(Layout layout, Tensor[] clsIn, Tensor[] distIn, Tensor[] objIn, Tensor mean, Tensor sigma, Tensor cls,
              Tensor dist, Tensor obj, Tensor pts, Tensor gt, Tensor ws, Tensor statsBuf, double[] all) {
            this.layout = layout;
            int n = layout.levels;
            clsShape = new int[n][];
            distShape = new int[n][];
            objShape = new int[n][];
            for (int l = 0; l < n; l++) {
                clsShape[l] = clsIn[l].shape();
                distShape[l] = distIn[l].shape();
                objShape[l] = objIn[l].shape();
            }
            meanShape = mean.shape();
            sigmaShape = sigma.shape();
            this.mean = mean;
            this.sigma = sigma;
            this.cls = cls;
            this.dist = dist;
            this.obj = obj;
            this.pts = pts;
            this.gt = gt;
            this.ws = ws;
            this.statsBuf = statsBuf;
            stats = new double[layout.batch][];
            for (int i = 0; i < layout.batch; i++) {
                stats[i] = new double[8];
                System.arraycopy(all, 8 * i, stats[i], 0, 8);
            }
            boolean ok = true;
            for (int k = 0; k < FLAGS; k++) ok &= all[8 * layout.batch + k] == 0.0;
            finite = ok;
        }

        @Override public int images() { return layout.batch; }

        @Override public double[] stats(int image) { return stats[image].clone(); }

        @Override public boolean inputsFinite() { return finite; }

        @Override public void release() {
            if (released) return;
            released = true;
            for (Tensor t : new Tensor[] {cls, dist, obj, pts, gt, ws, statsBuf}) t.releaseStorage();
            cls = dist = obj = pts = gt = ws = statsBuf = null;
            mean = sigma = null;
        }
    }

    @Override
    public Forward forward(Tensor[] clsIn, Tensor[] distIn, Tensor[] objIn, Tensor mean, Tensor sigma, float[] points,
                           float[][] gtBoxes, int[][] gtLabels) {
        long[] sizes = HeadLayout.levelSizes("autoAssignLoss", clsIn, distIn, objIn);
        int levels = sizes.length, batch = clsIn[0].dim(0), numClasses = clsIn[0].dim(1);
        if (numClasses < 1 || numClasses > MAX_CLASSES)
            throw new IllegalArgumentException("autoAssignLoss: " + numClasses + " classes, the kernels take 1.." + MAX_CLASSES);
        if (mean.numel() != 2 * numClasses || sigma.numel() != 2 * numClasses)
            throw new IllegalArgumentException("autoAssignLoss: mean/sigma must have " + 2 * numClasses + " values");
        if (gtBoxes.length != batch || gtLabels.length != batch)
            throw new IllegalArgumentException("autoAssignLoss: " + gtBoxes.length + " gt lists for " + batch + " images");
        int[] numGt = new int[batch];
        for (int i = 0; i < batch; i++) {
            numGt[i] = gtLabels[i].length;
            if (gtBoxes[i].length != 4 * numGt[i])
                throw new IllegalArgumentException("autoAssignLoss: image " + i + " has " + gtBoxes[i].length
                        + " box values for " + numGt[i] + " labels");
            for (int lab : gtLabels[i])
                if (lab < 0 || lab >= numClasses)
                    throw new IllegalArgumentException("autoAssignLoss: image " + i + " label " + lab + " outside 0.." + (numClasses - 1));
        }
        Layout a = new Layout(batch, numClasses, sizes, numGt);
        if (points.length != 3L * a.numPoints)
            throw new IllegalArgumentException("autoAssignLoss: " + points.length + " point values for " + a.numPoints + " points");
        bindLevels(a, clsIn, distIn, objIn);
        a.mean = addr(mean, "mean");
        a.sigma = addr(sigma, "sigma");

        ctx.makeCurrent();
        Tensor[] head = placeHead(a, points);
        Tensor cls = head[0], dist = head[1], obj = head[2], pts = head[3];
        Tensor gt = empty(a.gtFloats), ws = empty((a.wsBytes + 3) / 4), stats = empty(2 * a.statsDoubles);
        a.gt = address(gt);
        a.ws = address(ws);
        a.stats = address(stats);

        float[] g = new float[Math.toIntExact(a.gtFloats)];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(gtBoxes[i], 0, g, (int) (a.gtBoxOffset[i] / 4), gtBoxes[i].length);
            // labels travel as their int32 bit patterns (small non-negative ints: exact as float bits)
            for (int k = 0; k < numGt[i]; k++) g[(int) (a.gtLabelOffset[i] / 4) + k] = Float.intBitsToFloat(gtLabels[i][k]);
        }
        ctx.upload(a.gt, g);
        ctx.memsetZero(a.flag(0), 8L * FLAGS);
        LaunchPlan.run(ctx, forwardPlan(a));
        double[] all = ctx.downloadDoubles(a.stats, Math.toIntExact(a.statsDoubles));
        backend.used(OP, "aa_loss_fwd_* + aa_loss_bwd_* (native) + aaj_level_to_points / aaj_points_to_level");
        return new State(a, clsIn, distIn, objIn, mean, sigma, cls, dist, obj, pts, gt, ws, stats, all);
    }

    @Override
    public Tensor[] backward(Forward f, float wpos, float wneg, float wctr, boolean[] wanted) {
        if (!(f instanceof State s)) throw new IllegalArgumentException("autoAssignLoss: not a forward of this backend");
        if (s.released) throw new IllegalStateException("autoAssignLoss: backward after the forward state was released");
        Layout a = s.layout;
        int levels = a.levels;
        if (wanted.length != 3 * levels + 2)
            throw new IllegalArgumentException("autoAssignLoss: " + wanted.length + " gradient flags for " + levels + " levels");
        ctx.makeCurrent();
        long bp = (long) a.batch * a.numPoints;
        Tensor dcls = empty(bp * a.numClasses), ddist = empty(bp * 4), dobj = empty(bp);
        Tensor dmean = Tensor.ofBuffer(ctx.allocate(2L * a.numClasses), s.meanShape);
        Tensor dsigma = Tensor.ofBuffer(ctx.allocate(2L * a.numClasses), s.sigmaShape);
        long dc = address(dcls), dd = address(ddist), dob = address(dobj);
        LaunchPlan.run(ctx, backwardPlan(a, wpos, wneg, wctr, dc, dd, dob, address(dmean), address(dsigma)));
        Tensor[] out = new Tensor[3 * levels + 2];
        List<Launch> plan = new ArrayList<>();
        for (int l = 0; l < levels; l++) {
            if (wanted[l]) {
                out[l] = Tensor.ofBuffer(ctx.allocate(Shape.numel(s.clsShape[l])), s.clsShape[l]);
                plan.add(toLevelsPlan(a, dc, a.numClasses, l, address(out[l])));
            }
            if (wanted[levels + l]) {
                out[levels + l] = Tensor.ofBuffer(ctx.allocate(Shape.numel(s.distShape[l])), s.distShape[l]);
                plan.add(toLevelsPlan(a, dd, 4, l, address(out[levels + l])));
            }
            if (wanted[2 * levels + l]) {
                out[2 * levels + l] = Tensor.ofBuffer(ctx.allocate(Shape.numel(s.objShape[l])), s.objShape[l]);
                plan.add(toLevelsPlan(a, dob, 1, l, address(out[2 * levels + l])));
            }
        }
        LaunchPlan.run(ctx, plan);
        // stream-ordered: blocks released here are reused only by work enqueued after these kernels
        dcls.releaseStorage();
        ddist.releaseStorage();
        dobj.releaseStorage();
        if (wanted[3 * levels]) out[3 * levels] = dmean;
        else dmean.releaseStorage();
        if (wanted[3 * levels + 1]) out[3 * levels + 1] = dsigma;
        else dsigma.releaseStorage();
        s.release();
        return out;
    }
}
