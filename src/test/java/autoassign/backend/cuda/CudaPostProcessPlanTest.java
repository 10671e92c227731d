package autoassign.backend.cuda;

import autoassign.backend.FusedPostProcess;
import autoassign.backend.cuda.CudaAutoAssignLossPlanTest.Mem;
import autoassign.backend.cuda.CudaPostProcess.Layout;
import autoassign.backend.cuda.LaunchPlan.Launch;
import autoassign.backend.cuda.LaunchPlan.Ptr;
import autoassign.loss.PointGrid;
import autoassign.postprocess.Detections;
import autoassign.postprocess.ImageMeta;
import autoassign.postprocess.LevelOutput;
import autoassign.postprocess.PostProcessConfig;
import autoassign.postprocess.PostProcessor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GPU post-processing path without a GPU. The launch plan of {@link CudaPostProcess} is checked against the
 * kernels' source (argument kinds), the grids and blocks of native/README.md and the pointer extents (every pointer
 * argument stays in its buffer; different roles never share bytes). Then the whole plan runs on fake device memory
 * with each kernel replaced by its contract (native/README.md: what it computes, not how), and the detections it
 * leaves in the output buffer must equal {@link PostProcessor}'s: this checks the wiring (which buffer feeds which
 * kernel, sizes, level starts, per-image geometry, the output slots). That the kernels meet their contract is
 * checked by the CPU emulator test of native/ (CTest) and on a GPU by CudaSelfCheck.
 */
class CudaPostProcessPlanTest {
    static final int C = 80;

    record Setup(Layout a, Mem mem, PointGrid grid, float[][] cls, float[][] dist, float[][] obj, float[][] geometry,
                 ImageMeta[] metas) {}

    /** Random head outputs of a padded 128×192 batch, in fake device memory, with the plan's buffers allocated. */
    static Setup setup(int batch, int k, int maxOut, long seed, boolean ties) {
        PointGrid grid = PointGrid.forPaddedImage(128, 192, PointGrid.DEFAULT_STRIDES);
        int levels = grid.numLevels();
        long[] sizes = new long[levels];
        for (int l = 0; l < levels; l++) sizes[l] = grid.levelSize(l);
        Layout a = new Layout(batch, C, sizes, k, maxOut);
        Random r = new Random(seed);
        float[][] cls = new float[levels][], dist = new float[levels][], obj = new float[levels][];
        for (int l = 0; l < levels; l++) {
            int hw = (int) sizes[l];
            cls[l] = new float[batch * C * hw];
            // mostly below the 0.05 threshold (logit -2.94); with ties, logits on a coarse grid
            for (int i = 0; i < cls[l].length; i++)
                cls[l][i] = ties ? (float) Math.floor(r.nextGaussian() * 2 - 3) : (float) (r.nextGaussian() - 3.2);
            dist[l] = new float[batch * 4 * hw];
            for (int i = 0; i < dist[l].length; i++) dist[l][i] = r.nextFloat() * 4 * grid.stride(l) * (r.nextInt(20) == 0 ? 0 : 1);
            obj[l] = new float[batch * hw];
            for (int i = 0; i < obj[l].length; i++) obj[l][i] = (float) r.nextGaussian();
        }
        Mem m = new Mem();
        EmulatedPostProcess.place(m, a, cls, dist, obj, grid.packed());
        float[][] geometry = new float[batch][];
        ImageMeta[] metas = new ImageMeta[batch];
        for (int i = 0; i < batch; i++) {
            int h = 100 + 13 * i, w = 150 + 29 * i;
            double sw = 0.6 + 0.1 * i, sh = 0.65 - 0.05 * i;
            metas[i] = new ImageMeta(h, w, sw, sh);
            geometry[i] = new float[] {w, h, (float) (1.0 / sw), (float) (1.0 / sh)};
        }
        return new Setup(a, m, grid, cls, dist, obj, geometry, metas);
    }

    static final float THR = 0.05f, IOU = 0.6f;

    // ----------------------------------------------------------------------------------------- static checks

    @Test
    void everyLaunchMatchesTheKernelSignatureAndTheReadmeGrid() throws IOException {
        Map<String, List<String[]>> params = CudaAutoAssignLossPlanTest.params();
        Setup s = setup(2, 50, 20, 1, false);
        Layout a = s.a;
        List<Launch> plan = CudaPostProcess.plan(a, THR, IOU, s.geometry);
        assertEquals(3 * a.levels + 5 * a.batch, plan.size());
        for (Launch l : plan) {
            List<String[]> ps = params.get(l.kernel());
            assertNotNull(ps, "no kernel " + l.kernel() + " in native/src or backend_kernels.cu");
            assertEquals(ps.size(), l.args().length, "argument count of " + l.kernel());
            for (int i = 0; i < ps.size(); i++) {
                String type = ps.get(i)[0];
                String want = type.endsWith("*") ? "Ptr" : switch (type) {
                    case "int" -> "Integer";
                    case "long long" -> "Long";
                    case "float" -> "Float";
                    default -> "?" + type;
                };
                assertEquals(want, l.args()[i].getClass().getSimpleName(), l.kernel() + " parameter " + i + " (" + type + " " + ps.get(i)[1] + ")");
            }
            int n = a.n;
            switch (l.kernel()) {
                case "aa_pp_topk_levels" -> assertGrid(l, a.levels, 1, 1024);
                case "aa_pp_decode", "aa_nms_sort" -> assertGrid(l, (n + 255) / 256, 1, 256);
                case "aa_nms_mask" -> assertGrid(l, (n + 63) / 64, (n + 63) / 64, 64);
                case "aa_nms_select" -> assertGrid(l, 1, 1, 32);
                case "aaj_level_to_points" -> assertGrid(l, Kernels.grid1d((Long) l.args()[6]), 1, 256);
                default -> fail("unexpected kernel " + l.kernel());
            }
        }
        for (String k : CudaPostProcess.NATIVE_KERNELS) assertTrue(CudaBackend.NATIVE_SIGNATURES.containsKey(k), k);
        // the kernels' static limits
        assertTrue(a.words <= CudaPostProcess.MAX_CANDIDATES / 64);
    }

    private static void assertGrid(Launch l, int gx, int gy, int bx) {
        assertEquals(gx, l.gridX(), l.kernel() + " grid x");
        assertEquals(gy, l.gridY(), l.kernel() + " grid y");
        assertEquals(bx, l.blockX(), l.kernel() + " block");
    }

    /** Bytes a post-processing kernel touches through a pointer parameter, by the parameter's name. */
    private static long extent(String kernel, String name, Map<String, Long> ints, Layout a) {
        long P = a.numPoints, n = a.n, L = a.levels, K = a.k;
        long maxOut = ints.getOrDefault("max_out", (long) a.maxOut);
        if (kernel.equals("aaj_level_to_points")) {
            long k = ints.get("K"), hw = ints.get("HW"), pp = ints.get("P"), off = ints.get("off"), cnt = ints.get("n");
            long b = cnt / (k * hw);
            return name.equals("in") ? 4 * cnt : 4 * (((b - 1) * pp + off + hw - 1) * k + k);
        }
        return switch (name) {
            case "cls" -> 4 * P * ints.get("C");
            case "level_start" -> 4 * (L + 1);
            case "cand_idx", "cand_prob" -> 4 * L * K;
            case "cand_count" -> 4 * L;
            case "dist" -> 16 * P;
            case "obj" -> 4 * P;
            case "pts" -> 12 * P;
            case "boxes", "sboxes", "nboxes" -> 16 * n;
            case "scores", "labels", "valid", "sscores", "slabels" -> 4 * n;
            case "counters" -> 8;
            case "mask" -> 8 * n * ints.get("words");
            case "out_boxes" -> 16 * maxOut;
            case "out_scores", "out_labels" -> 4 * maxOut;
            case "out_count" -> 4;
            default -> -1;
        };
    }

    @Test
    void pointerArgumentsStayInTheirBuffersAndNeverOverlap() throws IOException {
        Map<String, List<String[]>> params = CudaAutoAssignLossPlanTest.params();
        for (int[] bkm : new int[][] {{2, 50, 20}, {1, 1000, 100}, {3, 7, 7}}) {
            Setup s = setup(bkm[0], bkm[1], bkm[2], 2, false);
            record Range(String role, long lo, long hi) {}
            List<Range> ranges = new ArrayList<>();
            for (Launch l : CudaPostProcess.plan(s.a, THR, IOU, s.geometry)) {
                List<String[]> ps = params.get(l.kernel());
                Map<String, Long> ints = new HashMap<>();
                for (int i = 0; i < ps.size(); i++)
                    if (l.args()[i] instanceof Integer v) ints.put(ps.get(i)[1], (long) v);
                    else if (l.args()[i] instanceof Long v) ints.put(ps.get(i)[1], v);
                for (int i = 0; i < ps.size(); i++) {
                    if (!(l.args()[i] instanceof Ptr ptr)) continue;
                    String name = ps.get(i)[1];
                    long bytes = extent(l.kernel(), name, ints, s.a);
                    assertTrue(bytes >= 0, "no extent for " + l.kernel() + "." + name);
                    Mem.Buf buf = s.mem.find(ptr.address());
                    assertNotNull(buf, l.kernel() + "." + name + " points outside every buffer");
                    assertTrue(ptr.address() + bytes <= buf.base() + buf.bytes(), l.kernel() + "." + name + " overruns "
                            + buf.name() + " by " + (ptr.address() + bytes - buf.base() - buf.bytes()) + " bytes");
                    if (!l.kernel().startsWith("aaj_")) {
                        String role = name.replace("out_", "").replace("cand_", "");
                        ranges.add(new Range(role + "@" + buf.name() + "+" + (ptr.address() - buf.base()), ptr.address(), ptr.address() + bytes));
                    }
                }
            }
            // "boxes" of aa_pp_decode is "boxes" of aa_nms_sort (same role); sorted and offset copies, the mask,
            // the per-image counters and output slots are all distinct
            for (Range r1 : ranges)
                for (Range r2 : ranges)
                    if (!r1.role().equals(r2.role()) && r1.lo() < r2.hi() && r2.lo() < r1.hi())
                        fail("overlap " + r1.role() + " / " + r2.role() + " (batch " + bkm[0] + ", K " + bkm[1] + ")");
        }
    }

    // ----------------------------------------------------------------------------------------- the plan, run

    @Test
    void thePlanOnKernelContractsGivesThePostProcessorsDetections() {
        for (boolean ties : new boolean[] {false, true})
            for (int[] bkm : new int[][] {{2, 50, 20}, {1, 1000, 100}, {3, 7, 300}}) {
                Setup s = setup(bkm[0], bkm[1], bkm[2], 3 + bkm[1], ties);
                Layout a = s.a;
                FusedPostProcess.Result[] res = EmulatedPostProcess.execute(s.mem, a, THR, IOU, s.geometry);
                PostProcessConfig cfg = new PostProcessConfig(bkm[1], THR, IOU, bkm[2], 0f);
                int total = 0;
                for (int b = 0; b < a.batch; b++) {
                    FusedPostProcess.Result got = res[b];
                    List<LevelOutput> lv = new ArrayList<>();
                    for (int l = 0; l < a.levels; l++) {
                        int hw = (int) a.levelSize[l];
                        lv.add(new LevelOutput(s.grid.stride(l), C, s.grid.height(l), s.grid.width(l),
                                Arrays.copyOfRange(s.cls[l], b * C * hw, (b + 1) * C * hw),
                                Arrays.copyOfRange(s.dist[l], b * 4 * hw, (b + 1) * 4 * hw),
                                Arrays.copyOfRange(s.obj[l], b * hw, (b + 1) * hw)));
                    }
                    Detections want = PostProcessor.process(lv, s.metas[b], cfg);
                    String what = "batch " + a.batch + " K " + a.k + " max " + a.maxOut + " ties " + ties + " image " + b;
                    assertArrayEquals(want.labels(), got.labels(), what + " labels");
                    assertArrayEquals(want.scores(), got.scores(), what + " scores");
                    assertArrayEquals(want.boxes(), got.boxes(), what + " boxes");
                    total += want.size();
                }
                assertTrue(total > 0, "the case must keep detections");
            }
    }

    /**
     * Each launch replaced by what native/README.md says the kernel computes, on fake memory (ints and the NMS
     * mask words as float bit patterns). Probabilities use the host twin's sigmoid, so ties are exact.
     */
    static final class Contracts {
        private Contracts() {}

        static void run(Mem m, Launch l) {
            Object[] a = l.args();
            switch (l.kernel()) {
                case "aaj_level_to_points" -> layout(m, a);
                case "aa_pp_topk_levels" -> topk(m, a, l.gridX());
                case "aa_pp_decode" -> decode(m, a);
                case "aa_nms_sort" -> sort(m, a);
                case "aa_nms_mask" -> mask(m, a);
                case "aa_nms_select" -> select(m, a);
                default -> fail("no contract for " + l.kernel());
            }
        }

        private static long ptr(Object o) { return ((Ptr) o).address(); }
        private static int geti(Mem m, long addr) { return Float.floatToRawIntBits(m.get(addr)); }
        private static void seti(Mem m, long addr, int v) { m.set(addr, Float.intBitsToFloat(v)); }

        // out[(b·P + off + q)·K + k] = in[(b·K + k)·HW + q]
        private static void layout(Mem m, Object[] a) {
            long out = ptr(a[0]), in = ptr(a[1]);
            long K = (Integer) a[2], HW = (Long) a[3], P = (Long) a[4], off = (Long) a[5], n = (Long) a[6];
            for (long e = 0; e < n; e++) {
                long q = e % HW, k = (e / HW) % K, b = e / (HW * K);
                m.set(out + 4 * ((b * P + off + q) * K + k), m.get(in + 4 * e));
            }
        }

        private static void topk(Mem m, Object[] a, int levels) {
            long cls = ptr(a[0]), starts = ptr(a[2]), idx = ptr(a[5]), prob = ptr(a[6]), count = ptr(a[7]);
            int C = (Integer) a[1], K = (Integer) a[4];
            float thr = (Float) a[3];
            for (int l = 0; l < levels; l++) {
                long beg = (long) geti(m, starts + 4L * l) * C, end = (long) geti(m, starts + 4L * (l + 1)) * C;
                List<long[]> cand = new ArrayList<>();
                for (long e = beg; e < end; e++) {
                    float pr = PostProcessor.sigmoid(m.get(cls + 4 * e));
                    if (pr > thr) cand.add(new long[] {Float.floatToRawIntBits(pr), e});
                }
                cand.sort((x, y) -> x[0] != y[0] ? Long.compare(y[0], x[0]) : Long.compare(x[1], y[1]));
                int nk = Math.min(K, cand.size());
                for (int i = 0; i < nk; i++) {
                    seti(m, idx + 4L * (l * K + i), (int) cand.get(i)[1]);
                    m.set(prob + 4L * (l * K + i), Float.intBitsToFloat((int) cand.get(i)[0]));
                }
                seti(m, count + 4L * l, nk);
            }
        }

        private static float clip(float v, float hi) { return Math.min(Math.max(v, 0f), hi); }

        private static void decode(Mem m, Object[] a) {
            long idx = ptr(a[0]), prob = ptr(a[1]), count = ptr(a[2]), dist = ptr(a[6]), obj = ptr(a[7]), pts = ptr(a[8]);
            int L = (Integer) a[3], K = (Integer) a[4], C = (Integer) a[5];
            float w = (Float) a[9], h = (Float) a[10], isw = (Float) a[11], ish = (Float) a[12];
            long boxes = ptr(a[13]), scores = ptr(a[14]), labels = ptr(a[15]), valid = ptr(a[16]), counters = ptr(a[17]);
            for (int s = 0; s < L * K; s++) {
                int l = s / K, i = s % K, ok = 0;
                if (i < geti(m, count + 4L * l)) {
                    int cell = geti(m, idx + 4L * s), p = cell / C, c = cell % C;
                    float px = m.get(pts + 12L * p), py = m.get(pts + 12L * p + 4);
                    float[] b = {clip(px - m.get(dist + 16L * p), w) * isw, clip(py - m.get(dist + 16L * p + 4), h) * ish,
                            clip(px + m.get(dist + 16L * p + 8), w) * isw, clip(py + m.get(dist + 16L * p + 12), h) * ish};
                    ok = b[2] - b[0] > 0f && b[3] - b[1] > 0f ? 1 : 0;
                    for (int k = 0; k < 4; k++) m.set(boxes + 16L * s + 4L * k, b[k]);
                    m.set(scores + 4L * s, m.get(prob + 4L * s) * PostProcessor.sigmoid(m.get(obj + 4L * p)));
                    seti(m, labels + 4L * s, c);
                    if (ok == 1) {
                        seti(m, counters, geti(m, counters) + 1);
                        float mx = Math.max(Math.max(b[0], b[1]), Math.max(b[2], b[3]));
                        m.set(counters + 4, Math.max(m.get(counters + 4), mx)); // coordinates are >= 0
                    }
                }
                seti(m, valid + 4L * s, ok);
            }
        }

        private static void sort(Mem m, Object[] a) {
            long boxes = ptr(a[0]), scores = ptr(a[1]), labels = ptr(a[2]), valid = ptr(a[3]), counters = ptr(a[5]);
            int n = (Integer) a[4];
            long sboxes = ptr(a[6]), nboxes = ptr(a[7]), sscores = ptr(a[8]), slabels = ptr(a[9]);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < n; i++) if (geti(m, valid + 4L * i) != 0) order.add(i);
            order.sort((x, y) -> {
                float sx = m.get(scores + 4L * x), sy = m.get(scores + 4L * y);
                return sx != sy ? Float.compare(sy, sx) : Integer.compare(x, y);
            });
            float off1 = m.get(counters + 4) + 1f;
            for (int r = 0; r < order.size(); r++) {
                int i = order.get(r), lab = geti(m, labels + 4L * i);
                float off = lab * off1;
                for (int k = 0; k < 4; k++) {
                    float b = m.get(boxes + 16L * i + 4L * k);
                    m.set(sboxes + 16L * r + 4L * k, b);
                    m.set(nboxes + 16L * r + 4L * k, b + off);
                }
                m.set(sscores + 4L * r, m.get(scores + 4L * i));
                seti(m, slabels + 4L * r, lab);
            }
        }

        private static float iou(float[] bx, int i, int j) {
            float ax1 = bx[4 * i], ay1 = bx[4 * i + 1], ax2 = bx[4 * i + 2], ay2 = bx[4 * i + 3];
            float bx1 = bx[4 * j], by1 = bx[4 * j + 1], bx2 = bx[4 * j + 2], by2 = bx[4 * j + 3];
            float areaA = (ax2 - ax1) * (ay2 - ay1), areaB = (bx2 - bx1) * (by2 - by1);
            float iw = Math.max(0f, Math.min(ax2, bx2) - Math.max(ax1, bx1)), ih = Math.max(0f, Math.min(ay2, by2) - Math.max(ay1, by1));
            float inter = iw * ih;
            return inter / (areaA + areaB - inter);
        }

        // mask word (i, w) at mask + 8·(i·words + w): low half at +0, high half at +4
        private static void mask(Mem m, Object[] a) {
            long nboxes = ptr(a[0]), counters = ptr(a[1]), mask = ptr(a[4]);
            float thr = (Float) a[2];
            int words = (Integer) a[3], n = geti(m, counters);
            float[] bx = new float[4 * n];
            for (int i = 0; i < bx.length; i++) bx[i] = m.get(nboxes + 4L * i);
            for (int i = 0; i < n; i++)
                for (int w = i / 64; w < words; w++) {
                    long bits = 0;
                    for (int b = 0; b < 64; b++) {
                        int j = w * 64 + b;
                        if (j > i && j < n && iou(bx, i, j) > thr) bits |= 1L << b;
                    }
                    seti(m, mask + 8L * ((long) i * words + w), (int) bits);
                    seti(m, mask + 8L * ((long) i * words + w) + 4, (int) (bits >>> 32));
                }
        }

        private static void select(Mem m, Object[] a) {
            long mask = ptr(a[0]), counters = ptr(a[1]);
            int words = (Integer) a[2], maxOut = (Integer) a[3], n = geti(m, counters);
            long sboxes = ptr(a[4]), sscores = ptr(a[5]), slabels = ptr(a[6]);
            long ob = ptr(a[7]), os = ptr(a[8]), ol = ptr(a[9]), oc = ptr(a[10]);
            long[] removed = new long[words];
            int kept = 0;
            for (int i = 0; i < n && kept < maxOut; i++) {
                if ((removed[i / 64] >>> (i % 64) & 1L) != 0) continue;
                for (int k = 0; k < 4; k++) m.set(ob + 16L * kept + 4L * k, m.get(sboxes + 16L * i + 4L * k));
                m.set(os + 4L * kept, m.get(sscores + 4L * i));
                seti(m, ol + 4L * kept, geti(m, slabels + 4L * i));
                for (int w = i / 64; w < words; w++) {
                    long lo = geti(m, mask + 8L * ((long) i * words + w)) & 0xFFFFFFFFL;
                    long hi = geti(m, mask + 8L * ((long) i * words + w) + 4) & 0xFFFFFFFFL;
                    removed[w] |= lo | (hi << 32);
                }
                kept++;
            }
            seti(m, oc, kept);
        }
    }
}
