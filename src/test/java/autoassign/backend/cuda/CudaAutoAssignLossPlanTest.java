package autoassign.backend.cuda;

import autoassign.backend.cuda.LaunchPlan.Launch;
import autoassign.backend.cuda.CudaAutoAssignLoss.Layout;
import autoassign.backend.cuda.LaunchPlan.Ptr;
import autoassign.loss.PointGrid;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The GPU loss path without a GPU: the launch plans of {@link CudaAutoAssignLoss} are checked against the kernels'
 * source (parameter count and types of every launch, native/src and backend_kernels.cu), the grids of
 * native/README.md, the pointer arithmetic (every pointer argument's extent, per the parameter's name, lies in its
 * buffer; different roles or images never overlap; the workspace carve of aa_loss.cu), and the layout launches
 * are emulated on the host (the kernels' index math) against {@link PointGrid#levelsToImages}.
 */
class CudaAutoAssignLossPlanTest {
    private static final Pattern NATIVE = Pattern.compile("AA_KERNEL\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern BACKEND = Pattern.compile("__global__\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");

    /** kernel → parameter list as {type, name}. */
    static Map<String, List<String[]>> params() throws IOException {
        Map<String, List<String[]>> out = new HashMap<>();
        Path src = Path.of("native", "src");
        assumeTrue(Files.isDirectory(src), "native/src not found from " + Path.of("").toAbsolutePath());
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".cu"))::iterator) parse(NATIVE, Files.readString(f), out);
        }
        parse(BACKEND, Files.readString(Path.of("src/main/resources/autoassign/backend/cuda/backend_kernels.cu")), out);
        return out;
    }

    private static void parse(Pattern pat, String text, Map<String, List<String[]>> out) {
        Matcher m = pat.matcher(text);
        while (m.find()) {
            List<String[]> ps = new ArrayList<>();
            for (String p : m.group(2).replaceAll("/\\*.*?\\*/", " ").replaceAll("\\s+", " ").split(",")) {
                String t = p.trim();
                if (t.isEmpty()) continue;
                int cut = Math.max(t.lastIndexOf('*'), t.lastIndexOf(' '));
                ps.add(new String[] {t.substring(0, cut + 1).replaceAll("\\s*\\*", "*").trim(), t.substring(cut + 1).trim()});
            }
            out.put(m.group(1), ps);
        }
    }

    /** Fake device memory: buffers far apart, addresses in bytes. */
    static final class Mem {
        record Buf(String name, long base, long bytes) {}
        final List<Buf> bufs = new ArrayList<>();
        final Map<Long, float[]> data = new HashMap<>();
        long next = 1L << 40;

        long alloc(String name, long bytes) {
            long base = next;
            next += 1L << 36;
            bufs.add(new Buf(name, base, bytes));
            data.put(base, new float[(int) Math.min((bytes + 3) / 4, 1 << 26)]);
            return base;
        }

        Buf find(long addr) {
            for (Buf b : bufs) if (addr >= b.base && addr <= b.base + b.bytes) return b;
            return null;
        }

        float get(long addr) { Buf b = find(addr); return data.get(b.base)[(int) ((addr - b.base) / 4)]; }

        void set(long addr, float v) { Buf b = find(addr); data.get(b.base)[(int) ((addr - b.base) / 4)] = v; }
    }

    static final int B = 2, C = 80;
    static final int[] GT = {3, 0};

    record Setup(Layout a, Mem mem, PointGrid grid, long dcls, long ddist, long dobj, long dmean, long dsigma) {}

    static Setup setup(int batch, int numClasses, int[] numGt) {
        PointGrid grid = PointGrid.forPaddedImage(128, 192, PointGrid.DEFAULT_STRIDES);
        long[] sizes = new long[grid.numLevels()];
        for (int l = 0; l < sizes.length; l++) sizes[l] = grid.levelSize(l);
        Layout a = new Layout(batch, numClasses, sizes, numGt);
        Mem m = new Mem();
        long bp = (long) batch * a.numPoints;
        a.clsIn = new long[a.levels];
        a.distIn = new long[a.levels];
        a.objIn = new long[a.levels];
        for (int l = 0; l < a.levels; l++) {
            a.clsIn[l] = m.alloc("clsIn" + l, 4L * batch * numClasses * sizes[l]);
            a.distIn[l] = m.alloc("distIn" + l, 16L * batch * sizes[l]);
            a.objIn[l] = m.alloc("objIn" + l, 4L * batch * sizes[l]);
        }
        a.mean = m.alloc("mean", 8L * numClasses);
        a.sigma = m.alloc("sigma", 8L * numClasses);
        a.cls = m.alloc("cls", 4L * bp * numClasses);
        a.dist = m.alloc("dist", 16L * bp);
        a.obj = m.alloc("obj", 4L * bp);
        a.pts = m.alloc("pts", 12L * a.numPoints);
        a.gt = m.alloc("gt", 4L * a.gtFloats);
        a.ws = m.alloc("ws", a.wsBytes);
        a.stats = m.alloc("stats", 8L * a.statsDoubles);
        return new Setup(a, m, grid, m.alloc("dcls", 4L * bp * numClasses), m.alloc("ddist", 16L * bp), m.alloc("dobj", 4L * bp),
                m.alloc("dmean", 8L * numClasses), m.alloc("dsigma", 8L * numClasses));
    }

    static List<Launch> allLaunches(Setup s) {
        List<Launch> all = new ArrayList<>(CudaAutoAssignLoss.forwardPlan(s.a));
        all.addAll(CudaAutoAssignLoss.backwardPlan(s.a, 0.5f, 0.25f, 0.125f, s.dcls, s.ddist, s.dobj, s.dmean, s.dsigma));
        for (int l = 0; l < s.a.levels; l++) {
            all.add(CudaAutoAssignLoss.toLevelsPlan(s.a, s.dcls, C, l, s.a.clsIn[l]));
            all.add(CudaAutoAssignLoss.toLevelsPlan(s.a, s.ddist, 4, l, s.a.distIn[l]));
            all.add(CudaAutoAssignLoss.toLevelsPlan(s.a, s.dobj, 1, l, s.a.objIn[l]));
        }
        return all;
    }

    @Test
    void everyLaunchMatchesTheKernelSignature() throws IOException {
        Map<String, List<String[]>> params = params();
        Setup s = setup(B, C, GT);
        for (Launch l : allLaunches(s)) {
            List<String[]> ps = params.get(l.kernel());
            assertNotNull(ps, "no kernel " + l.kernel() + " in native/src or backend_kernels.cu");
            assertEquals(ps.size(), l.args().length, "argument count of " + l.kernel());
            for (int i = 0; i < ps.size(); i++) {
                String type = ps.get(i)[0];
                Object arg = l.args()[i];
                String want = type.endsWith("*") ? "Ptr" : switch (type) {
                    case "int" -> "Integer";
                    case "long long" -> "Long";
                    case "float" -> "Float";
                    default -> "?" + type;
                };
                assertEquals(want, arg.getClass().getSimpleName(), l.kernel() + " parameter " + i + " (" + type + " " + ps.get(i)[1] + ")");
            }
            assertEquals(256, l.blockX(), "block of " + l.kernel());
            assertEquals(1, l.gridY());
        }
        // every loss kernel the op needs is bound in NATIVE_SIGNATURES (NativeKernelContractTest checks those)
        for (String k : CudaAutoAssignLoss.NATIVE_KERNELS) assertTrue(CudaBackend.NATIVE_SIGNATURES.containsKey(k), k);
    }

    @Test
    void gridsFollowTheNativeReadme() {
        Setup s = setup(B, C, GT);
        int P = s.a.numPoints, nb = (P + 7) / 8;
        for (Launch l : allLaunches(s)) {
            Object[] a = l.args();
            switch (l.kernel()) {
                case "aa_loss_fwd_maxiou" -> assertEquals((P + 255) / 256, l.gridX());
                case "aa_loss_fwd_gt" -> assertEquals(a[11], l.gridX(), "grid = G");
                case "aa_loss_bwd_gt" -> assertEquals(a[12], l.gridX(), "grid = G");
                case "aa_loss_fwd_neg", "aa_loss_bwd_point" -> assertEquals(nb, l.gridX(), l.kernel());
                case "aa_loss_fwd_finalize" -> {
                    assertEquals(1, l.gridX());
                    assertEquals(nb, a[2], "nparts = grid of aa_loss_fwd_neg");
                }
                case "aa_loss_bwd_prior" -> assertEquals((C + 255) / 256, l.gridX());
                default -> assertEquals(Kernels.grid1d((Long) a[a.length - 1]), l.gridX(), l.kernel());
            }
        }
        // G = 0: no per-GT kernels for image 1; image 0 has both
        List<Launch> f = CudaAutoAssignLoss.forwardPlan(s.a);
        assertEquals(1, f.stream().filter(l -> l.kernel().equals("aa_loss_fwd_gt")).count());
        assertEquals(2, f.stream().filter(l -> l.kernel().equals("aa_loss_fwd_neg")).count());
        List<Launch> b = CudaAutoAssignLoss.backwardPlan(s.a, 1, 1, 1, s.dcls, s.ddist, s.dobj, s.dmean, s.dsigma);
        List<Launch> prior = b.stream().filter(l -> l.kernel().equals("aa_loss_bwd_prior")).toList();
        assertEquals(0, prior.get(0).args()[6], "image 0 writes dmean/dsigma");
        assertEquals(1, prior.get(1).args()[6], "later images accumulate");
    }

    /** Bytes a loss kernel touches through a pointer parameter, by the parameter's name (native/README.md). */
    static long extent(String name, Map<String, Long> ints, int numPoints, int numClasses) {
        long P = ints.getOrDefault("P", (long) numPoints), C = ints.getOrDefault("C", (long) numClasses),
                G = ints.getOrDefault("G", 0L);
        long nb = (P + 7) / 8;
        return switch (name) {
            case "cls", "dcls" -> 4 * P * C;
            case "dist", "ddist" -> 16 * P;
            case "obj", "dobj", "m" -> 4 * P;
            case "pts" -> 12 * P;
            case "gt" -> 16 * G;
            case "labels" -> 4 * G;
            case "mean", "sigma", "dmean", "dsigma" -> 8 * C;
            case "gt_stats" -> 64 * G;
            case "gt_grad" -> 32 * G;
            case "neg_partial" -> 8 * (ints.containsKey("nparts") ? ints.get("nparts") : nb);
            case "stats" -> 64;
            case "flag" -> 8;
            default -> -1;
        };
    }

    @Test
    void pointerArgumentsStayInTheirBuffersAndNeverOverlap() throws IOException {
        Map<String, List<String[]>> params = params();
        for (int[] gts : new int[][] {GT, {0, 5}, {7}, {0}}) {
            Setup s = setup(gts.length, C, gts);
            record Range(String role, long lo, long hi) {}
            List<Range> ranges = new ArrayList<>();
            for (Launch l : allLaunches(s)) {
                List<String[]> ps = params.get(l.kernel());
                Map<String, Long> ints = new HashMap<>();
                for (int i = 0; i < ps.size(); i++)
                    if (l.args()[i] instanceof Integer v) ints.put(ps.get(i)[1], (long) v);
                    else if (l.args()[i] instanceof Long v) ints.put(ps.get(i)[1], v);
                if (l.kernel().startsWith("aa_loss")) {
                    // the sizes passed are this image's: find the image from its workspace pointers
                    int image = -1;
                    for (int i = 0; i < ps.size(); i++) {
                        if (!(l.args()[i] instanceof Ptr ptr)) continue;
                        for (int im = 0; im < gts.length; im++)
                            if ((ps.get(i)[1].equals("gt_stats") && ptr.address() == s.a.gtStatsOf(im))
                                    || (ps.get(i)[1].equals("gt_grad") && ptr.address() == s.a.gtGradOf(im))
                                    || (ps.get(i)[1].equals("m") && ptr.address() == s.a.maxIouOf(im))) image = im;
                    }
                    assertTrue(image >= 0, l.kernel() + ": no workspace pointer of any image");
                    if (ints.containsKey("P")) assertEquals((long) s.a.numPoints, (long) ints.get("P"), l.kernel() + " P");
                    assertEquals(C, ints.get("C") == null ? C : ints.get("C"), l.kernel() + " C");
                    assertEquals((long) gts[image], (long) ints.get("G"), l.kernel() + " G of image " + image);
                    if (ints.containsKey("accumulate")) assertEquals(image == 0 ? 0L : 1L, (long) ints.get("accumulate"));
                }
                for (int i = 0; i < ps.size(); i++) {
                    if (!(l.args()[i] instanceof Ptr ptr)) continue;
                    String name = ps.get(i)[1];
                    long bytes;
                    if (l.kernel().startsWith("aa_loss")) bytes = extent(name, ints, s.a.numPoints, C);
                    else if (name.equals("flag")) bytes = 8;
                    else if (name.equals("x")) bytes = 4 * ints.get("n");
                    else {
                        // layout kernels: the level side is n floats; the point side spans B images of P rows of K
                        long k = ints.get("K"), hw = ints.get("HW"), pp = ints.get("P"), off = ints.get("off"), n = ints.get("n");
                        long b = n / (k * hw);
                        boolean levelSide = l.kernel().equals("aaj_level_to_points") == name.equals("in");
                        bytes = levelSide ? 4 * n : 4 * (((b - 1) * pp + off + hw - 1) * k + k);
                    }
                    assertTrue(bytes >= 0, "no extent for " + l.kernel() + "." + name);
                    Mem.Buf buf = s.mem.find(ptr.address());
                    assertNotNull(buf, l.kernel() + "." + name + " points outside every buffer");
                    assertTrue(ptr.address() + bytes <= buf.base() + buf.bytes(), l.kernel() + "." + name + " overruns " + buf.name()
                            + " by " + (ptr.address() + bytes - buf.base() - buf.bytes()) + " bytes");
                    if (bytes > 0 && l.kernel().startsWith("aa_loss"))
                        ranges.add(new Range(name + "@" + (ptr.address() - buf.base()) + "+" + bytes, ptr.address(), ptr.address() + bytes));
                }
            }
            // distinct roles (a parameter name at a given offset) of the loss kernels never share bytes
            for (Range r1 : ranges)
                for (Range r2 : ranges)
                    if (!r1.role().equals(r2.role()) && r1.lo() < r2.hi() && r2.lo() < r1.hi())
                        fail("overlap " + r1.role() + " / " + r2.role() + " (gts " + java.util.Arrays.toString(gts) + ")");
            // the workspace carve of aa_loss.cu, from the README's formula
            for (int i = 0; i < gts.length; i++) {
                long base = s.a.gtStatsOf(i), g = gts[i], nb = (s.a.numPoints + 7) / 8;
                assertEquals(base + 64 * g, s.a.gtGradOf(i));
                assertEquals(base + 96 * g, s.a.negPartialOf(i));
                assertEquals(base + 96 * g + 8 * nb, s.a.maxIouOf(i));
                assertEquals(0, (base - s.a.ws) % 256);
                assertTrue(base + CudaAutoAssignLoss.workspaceBytes(s.a.numPoints, gts[i]) <= s.a.ws + s.a.wsBytes);
                assertEquals(96 * g + 8 * nb + 4L * s.a.numPoints, CudaAutoAssignLoss.workspaceBytes(s.a.numPoints, gts[i]));
            }
        }
    }

    @Test
    void layoutLaunchesReproducePointGrid() {
        Setup s = setup(B, C, GT);
        Layout a = s.a;
        Random r = new Random(5);
        int L = a.levels;
        float[][][] levels = new float[3][L][];
        int[] ks = {C, 4, 1};
        long[][] in = {a.clsIn, a.distIn, a.objIn};
        for (int t = 0; t < 3; t++)
            for (int l = 0; l < L; l++) {
                float[] v = new float[(int) (B * ks[t] * a.levelSize[l])];
                for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
                levels[t][l] = v;
                for (int i = 0; i < v.length; i++) s.mem.set(in[t][l] + 4L * i, v[i]);
            }
        for (Launch l : CudaAutoAssignLoss.forwardPlan(a)) if (l.kernel().startsWith("aaj_level")) emulate(s.mem, l);
        long[] im = {a.cls, a.dist, a.obj};
        float[][][] want = new float[3][][];
        for (int t = 0; t < 3; t++) {
            want[t] = s.grid.levelsToImages(levels[t], B, ks[t]);
            for (int b = 0; b < B; b++)
                for (int i = 0; i < want[t][b].length; i++)
                    assertEquals(want[t][b][i], s.mem.get(im[t] + 4L * ((long) b * a.numPoints * ks[t] + i)), "tensor " + t + " image " + b);
        }
        // and back: image-major "gradients" to levels == PointGrid.imagesToLevels
        long[] grads = {s.dcls, s.ddist, s.dobj};
        for (int t = 0; t < 3; t++) {
            for (int b = 0; b < B; b++)
                for (int i = 0; i < want[t][b].length; i++) s.mem.set(grads[t] + 4L * ((long) b * a.numPoints * ks[t] + i), -want[t][b][i]);
            float[][] back = s.grid.imagesToLevels(negate(want[t]), ks[t]);
            for (int l = 0; l < L; l++) {
                long dst = s.mem.alloc("out", 4L * back[l].length);
                emulate(s.mem, CudaAutoAssignLoss.toLevelsPlan(a, grads[t], ks[t], l, dst));
                for (int i = 0; i < back[l].length; i++) assertEquals(back[l][i], s.mem.get(dst + 4L * i));
                for (int i = 0; i < back[l].length; i++) assertEquals(-levels[t][l][i], back[l][i]);
            }
        }
    }

    private static float[][] negate(float[][] x) {
        float[][] y = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i].clone();
            for (int k = 0; k < y[i].length; k++) y[i][k] = -y[i][k];
        }
        return y;
    }

    /** The index math of aaj_level_to_points / aaj_points_to_level (backend_kernels.cu), on fake memory. */
    private static void emulate(Mem mem, Launch l) {
        Object[] a = l.args();
        long out = ((Ptr) a[0]).address(), in = ((Ptr) a[1]).address();
        long K = (Integer) a[2], HW = (Long) a[3], P = (Long) a[4], off = (Long) a[5], n = (Long) a[6];
        for (long i = 0; i < n; i++) {
            if (l.kernel().equals("aaj_level_to_points")) {
                long k = i % K, r = i / K, q = r % HW, b = r / HW;
                mem.set(out + 4 * ((b * P + off + q) * K + k), mem.get(in + 4 * ((b * K + k) * HW + q)));
            } else {
                long q = i % HW, r = i / HW, k = r % K, b = r / K;
                mem.set(out + 4 * i, mem.get(in + 4 * ((b * P + off + q) * K + k)));
            }
        }
    }
}
