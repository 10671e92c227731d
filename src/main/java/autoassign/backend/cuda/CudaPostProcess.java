package autoassign.backend.cuda;

import autoassign.backend.FusedPostProcess;
import autoassign.backend.cuda.LaunchPlan.Launch;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static autoassign.backend.cuda.LaunchPlan.grid;
import static autoassign.backend.cuda.LaunchPlan.p;

/**
 * {@link FusedPostProcess} on one GPU with the native/ post-processing kernels ({@code aa_pp_topk_levels},
 * {@code aa_pp_decode}, {@code aa_nms_sort}, {@code aa_nms_mask}, {@code aa_nms_select}: the sequence of the
 * {@code aa_postprocess} wrapper in native/src/aa_postprocess.cu, contract in native/README.md) and the backend's
 * {@code aaj_level_to_points} for the layout.
 *
 * <p>Per level 3 layout launches gather the head outputs of all images into image-major {@code [B][P,K]} arrays;
 * the points and the level starts are uploaded and the per-image NMS counters zeroed; then per image the five
 * kernels write the image's detections into its slot of one output buffer, and one download of that buffer (a few
 * KB) is the only synchronisation. The candidate workspace is shared by the images (stream order). The launch
 * sequence is a {@link LaunchPlan} built by {@link #plan} over a {@link Layout}, checked on the CPU by
 * CudaPostProcessPlanTest.
 */
final class CudaPostProcess extends FusedDeviceOp implements FusedPostProcess {
    /** The op's name in {@link CudaBackend#implementations()}, the profile and the self-check. */
    static final String OP = "postprocess (fused)";
    static final List<String> NATIVE_KERNELS = List.of("aa_pp_topk_levels", "aa_pp_decode", "aa_nms_sort", "aa_nms_mask",
            "aa_nms_select");
    static final List<String> BACKEND_KERNELS = List.of("aaj_level_to_points");
    /** AA_PP_THREADS: threads of the top-k kernel's one block per level. */
    static final int TOPK_THREADS = 1024;
    /** AA_PP_MAX_K (top-k shared memory) and AA_PP_MAX_CAND (NMS mask words in shared memory). */
    static final int MAX_PER_LEVEL = 1024, MAX_CANDIDATES = 8192;
    /** Threads of an aa_nms_mask block (one 64-box column tile) and of the single-warp aa_nms_select. */
    static final int MASK_THREADS = 64, SELECT_THREADS = 32;
    static final int BLOCK = Kernels.BLOCK;

    CudaPostProcess(CudaBackend backend, CudaContext ctx) {
        super(backend, ctx, OP);
    }

    /** Whether every kernel the op launches is loaded. */
    static boolean available(Kernels k) { return LaunchPlan.allLoaded(k, NATIVE_KERNELS, BACKEND_KERNELS); }

    @Override
    public boolean supports(int levels, int nmsPre, float minBboxSize) { return supported(levels, nmsPre, minBboxSize); }

    static boolean supported(int levels, int nmsPre, float minBboxSize) {
        // the kernels keep boxes with width and height > 0, i.e. min_bbox_size 0 (AutoAssign's test config)
        return levels >= 1 && nmsPre >= 1 && nmsPre <= MAX_PER_LEVEL && (long) levels * nmsPre <= MAX_CANDIDATES
                && minBboxSize == 0f;
    }

    // ============================================================================ launch plan (pure)

    /**
     * Sizes, offsets and (once allocated) device addresses of one batch. The image-major arrays are {@code [B][P,K]};
     * the workspace (shared by the images) holds, at byte offsets, the candidates and NMS arrays of n = L·K slots;
     * each image has two NMS counters and an output slot of {@code 6·maxOut + 1} words (boxes, scores, labels, count).
     */
    static final class Layout extends HeadLayout {
        final int k, maxOut, n, words;
        // workspace carve, bytes (mask first: 8-byte words)
        final long mask, candIdx, candProb, candCount, boxes, scores, labels, valid, sboxes, nboxes, sscores, slabels, wsBytes;
        // device addresses (the head outputs' are HeadLayout's)
        long levelStart, ws, counters, out;

        Layout(int batch, int numClasses, long[] levelSize, int k, int maxOut) {
            super(batch, numClasses, levelSize);
            this.k = k;
            this.maxOut = maxOut;
            this.n = levels * k;
            this.words = (n + 63) / 64;
            long o = 0;
            mask = o;
            o += 8L * n * words;
            candIdx = o;
            o += 4L * n;
            candProb = o;
            o += 4L * n;
            candCount = o;
            o += 4L * levels;
            boxes = o;
            o += 16L * n;
            scores = o;
            o += 4L * n;
            labels = o;
            o += 4L * n;
            valid = o;
            o += 4L * n;
            sboxes = o;
            o += 16L * n;
            nboxes = o;
            o += 16L * n;
            sscores = o;
            o += 4L * n;
            slabels = o;
            o += 4L * n;
            wsBytes = o;
        }

        /** Words (4 bytes) of one image's output slot: boxes [maxOut·4], scores [maxOut], labels [maxOut], count. */
        int outWords() { return 6 * maxOut + 1; }

        long countersOf(int i) { return counters + 8L * i; }
        long outBoxesOf(int i) { return out + 4L * i * outWords(); }
        long outScoresOf(int i) { return outBoxesOf(i) + 16L * maxOut; }
        long outLabelsOf(int i) { return outBoxesOf(i) + 20L * maxOut; }
        long outCountOf(int i) { return outBoxesOf(i) + 24L * maxOut; }
        long ws(long offset) { return ws + offset; }
    }

    /**
     * The layout launches, then per image the sequence of aa_postprocess; {@code geometry[i]} = {imgW, imgH,
     * invScaleW, invScaleH}. The counters must be zero before it runs.
     */
    static List<Launch> plan(Layout a, float scoreThr, float iouThr, float[][] geometry) {
        List<Launch> out = new ArrayList<>();
        a.addGather(out);
        int L = a.levels, K = a.k, C = a.numClasses, n = a.n;
        for (int i = 0; i < a.batch; i++) {
            float[] g = geometry[i];
            out.add(new Launch("aa_pp_topk_levels", new Object[] {p(a.clsOf(i)), C, p(a.levelStart), scoreThr, K,
                    p(a.ws(a.candIdx)), p(a.ws(a.candProb)), p(a.ws(a.candCount))}, L, 1, TOPK_THREADS));
            out.add(new Launch("aa_pp_decode", new Object[] {p(a.ws(a.candIdx)), p(a.ws(a.candProb)), p(a.ws(a.candCount)),
                    L, K, C, p(a.distOf(i)), p(a.objOf(i)), p(a.pts), g[0], g[1], g[2], g[3], p(a.ws(a.boxes)),
                    p(a.ws(a.scores)), p(a.ws(a.labels)), p(a.ws(a.valid)), p(a.countersOf(i))}, grid(n, BLOCK), 1, BLOCK));
            out.add(new Launch("aa_nms_sort", new Object[] {p(a.ws(a.boxes)), p(a.ws(a.scores)), p(a.ws(a.labels)),
                    p(a.ws(a.valid)), n, p(a.countersOf(i)), p(a.ws(a.sboxes)), p(a.ws(a.nboxes)), p(a.ws(a.sscores)),
                    p(a.ws(a.slabels))}, grid(n, BLOCK), 1, BLOCK));
            out.add(new Launch("aa_nms_mask", new Object[] {p(a.ws(a.nboxes)), p(a.countersOf(i)), iouThr, a.words,
                    p(a.ws(a.mask))}, a.words, a.words, MASK_THREADS));
            out.add(new Launch("aa_nms_select", new Object[] {p(a.ws(a.mask)), p(a.countersOf(i)), a.words, a.maxOut,
                    p(a.ws(a.sboxes)), p(a.ws(a.sscores)), p(a.ws(a.slabels)), p(a.outBoxesOf(i)), p(a.outScoresOf(i)),
                    p(a.outLabelsOf(i)), p(a.outCountOf(i))}, 1, 1, SELECT_THREADS));
        }
        return out;
    }

    /** The {@code level_start [L+1]} ints of aa_pp_topk_levels (first point of each level, then P), as float bits. */
    static float[] levelStarts(Layout a) {
        float[] st = new float[a.levels + 1];
        for (int l = 0; l <= a.levels; l++) st[l] = Float.intBitsToFloat(l < a.levels ? (int) a.levelOffset[l] : a.numPoints);
        return st;
    }

    /** Image {@code i}'s detections from the downloaded output buffer (ints travel as their bit patterns). */
    static Result parse(Layout a, float[] host, int i) {
        int base = i * a.outWords();
        int count = Float.floatToRawIntBits(host[base + 6 * a.maxOut]);
        if (count < 0 || count > a.maxOut) throw new IllegalStateException(OP + ": image " + i + " reports " + count + " detections");
        float[] boxes = Arrays.copyOfRange(host, base, base + 4 * count);
        float[] scores = Arrays.copyOfRange(host, base + 4 * a.maxOut, base + 4 * a.maxOut + count);
        int[] labels = new int[count];
        for (int d = 0; d < count; d++) labels[d] = Float.floatToRawIntBits(host[base + 5 * a.maxOut + d]);
        return new Result(boxes, scores, labels);
    }

    // ============================================================================ the op

    /**
     * The layout of a run, after checking its arguments (shapes of every level, geometry, points, limits); input
     * addresses and buffers are not set. Shared with the CPU tests that run the plan on emulated memory.
     */
    static Layout layoutFor(Tensor[] clsIn, Tensor[] distIn, Tensor[] objIn, float[] points, float[][] geometry, int nmsPre,
                            int maxPerImg) {
        long[] sizes = HeadLayout.levelSizes(OP, clsIn, distIn, objIn);
        int levels = sizes.length, batch = clsIn[0].dim(0), numClasses = clsIn[0].dim(1);
        if (!supported(levels, nmsPre, 0f))
            throw new IllegalArgumentException(OP + ": nms_pre " + nmsPre + " over " + levels + " levels is outside the kernels' limits ("
                    + MAX_PER_LEVEL + " per level, " + MAX_CANDIDATES + " in all)");
        if (maxPerImg < 1) throw new IllegalArgumentException(OP + ": max_per_img " + maxPerImg);
        if (geometry.length != batch) throw new IllegalArgumentException(OP + ": " + geometry.length + " image geometries for " + batch + " images");
        for (float[] g : geometry)
            if (g.length != 4) throw new IllegalArgumentException(OP + ": an image geometry has " + g.length + " values, expected 4");
        Layout a = new Layout(batch, numClasses, sizes, nmsPre, Math.min(maxPerImg, levels * nmsPre));
        if ((long) a.numPoints * numClasses > Integer.MAX_VALUE)
            throw new IllegalArgumentException(OP + ": " + a.numPoints + " points × " + numClasses + " classes exceed the kernels' int cell index");
        if (points.length != 3L * a.numPoints)
            throw new IllegalArgumentException(OP + ": " + points.length + " point values for " + a.numPoints + " points");
        return a;
    }

    @Override
    public Result[] run(Tensor[] clsIn, Tensor[] distIn, Tensor[] objIn, float[] points, float[][] geometry, int nmsPre,
                        float scoreThr, float iouThr, int maxPerImg) {
        Layout a = layoutFor(clsIn, distIn, objIn, points, geometry, nmsPre, maxPerImg);
        int levels = a.levels, batch = a.batch;
        bindLevels(a, clsIn, distIn, objIn);

        ctx.makeCurrent();
        Tensor[] head = placeHead(a, points);
        Tensor starts = empty(levels + 1), ws = empty((a.wsBytes + 3) / 4), counters = empty(2L * batch);
        Tensor out = empty((long) batch * a.outWords());
        Tensor[] temps = {head[0], head[1], head[2], head[3], starts, ws, counters, out};
        try {
            a.levelStart = address(starts);
            a.ws = address(ws);
            a.counters = address(counters);
            a.out = address(out);
            ctx.upload(a.levelStart, levelStarts(a));
            ctx.memsetZero(a.counters, 8L * batch);
            LaunchPlan.run(ctx, plan(a, scoreThr, iouThr, geometry));
            float[] host = new float[batch * a.outWords()];
            ctx.download(a.out, host);
            Result[] res = new Result[batch];
            for (int i = 0; i < batch; i++) res[i] = parse(a, host, i);
            backend.used(OP, "aa_pp_topk_levels + aa_pp_decode + aa_nms_* (native) + aaj_level_to_points");
            return res;
        } finally {
            for (Tensor t : temps) t.releaseStorage();
        }
    }
}
