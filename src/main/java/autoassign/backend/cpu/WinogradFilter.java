package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Filter gradient of a 3×3 stride-1 dilation-1 convolution by Winograd F(2×2, 3×3), the adjoint of
 * {@link WinogradConv#forward}: with the forward {@code y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A} per tile,
 * <pre>  dW = Gᵀ [ Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B) ] G</pre>
 * over the forward's tiles (dy zero past the output edge). Per block of tiles: {@code V_k[Cin, T]} by the forward's
 * input transform, {@code Ŷ_k[Cout, T] = A dy Aᵀ}, then 16 sgemm calls {@code M_k[Cout, Cin] += Ŷ_k · V_kᵀ};
 * finally {@code Gᵀ M G} per kernel.
 *
 * <p>Work is split (deterministically) either by tiles, one M per chunk whose transformed partial dW are added in
 * chunk order, or, when there are few tiles per output channel, by output channels: each chunk owns rows of M
 * (and transforms the whole input itself), nothing to add.
 */
final class WinogradFilter {
    /** Target floats of a worker's larger block buffer (V or Ŷ, {@code 16 · channels · tiles}); tests lower it. */
    static volatile int blockFloats = Integer.getInteger("autoassign.winoFilter.blockFloats", 1 << 19);
    /**
     * Least input and output channels, and least Cin + Cout, for {@link #applies}. Measured (2 threads, vs the
     * shifted-GEMM path): 64→64 and up 1.5–2.4×, 48→48, 32→64, 256→32, 32→256 1.0–1.7×; 32→32 and 40→40
     * 0.4–1.7× (below 1 on maps up to 25×38), 16→16 0.4–0.6×.
     */
    static volatile int minChannels = 32, minChannelSum = 96;
    /** Least sgemm FLOPs per parallel chunk; tests lower it. */
    static volatile long minChunkFlops = 4_000_000L;
    /** Split by output channels when tiles < this × Cout (else by tiles); tests set it to force either. */
    static volatile double channelSplitTilesPerCout = 1.0;
    static final int MIN_SPLIT_ROWS = 16;

    private WinogradFilter() {}

    /** Whether this conv's filter gradient runs here: 3×3, stride 1, dilation 1, enough channels. */
    static boolean applies(int[] xShape, int[] wShape, ConvParams p) {
        return !p.grouped() && wShape[2] == 3 && wShape[3] == 3 && p.strideH() == 1 && p.strideW() == 1 && p.dilationH() == 1
                && p.dilationW() == 1 && wShape[0] >= minChannels && wShape[1] >= minChannels
                && wShape[0] + wShape[1] >= minChannelSum && p.outH(xShape[2], 3) > 0 && p.outW(xShape[3], 3) > 0;
    }

    /** dw[cout, cin, 3, 3] = conv2d_backward_weight(x, gradOut); writes every element of {@code dw}. */
    static void backwardWeight(float[] gradOut, int[] gShape, float[] x, int[] xShape, int[] wShape, ConvParams p,
                               float[] dw) {
        int n = xShape[0], cin = xShape[1], cout = wShape[0], oh = gShape[2], ow = gShape[3];
        WinogradTiles.Geom g = WinogradTiles.geom(2, n, cin, xShape[2], xShape[3], cout, p.padH(), p.padW(), oh, ow);
        long tilesL = (long) n * g.th() * g.tw();
        if (tilesL == 0) {
            Arrays.fill(dw, 0f);
            return;
        }
        int tiles = Math.toIntExact(tilesL);
        int workers = Parallel.chunkCount(Parallel.threads(), 1);
        long perTile = 32L * cin * cout, byFlops = Math.max(1, perTile * tiles / Math.max(1, minChunkFlops));
        int rowPar = (int) Math.min(Math.min(workers, cout / MIN_SPLIT_ROWS), byFlops);
        if (rowPar > 1 && tiles < channelSplitTilesPerCout * cout) {
            // by output channels: rows of dW written once
            Parallel.range(cout, cout / rowPar, (r0, r1) -> chunk(gradOut, x, g, r0, r1, 0, tiles, dw));
            return;
        }
        int par = (int) Math.max(1, Math.min(Math.min(workers, tiles / WinogradConv.MIN_BLOCK_TILES), byFlops));
        // by tiles: chunk 0 writes dw, the others partials added in chunk order
        int minTiles = Math.max(1, tiles / par), chunks = Parallel.chunkCount(tiles, minTiles);
        float[][] partials = new float[chunks][];
        Parallel.chunks(tiles, minTiles, (c, t0, t1) -> {
            float[] out = c == 0 ? dw : HostArrays.borrow(dw.length);
            chunk(gradOut, x, g, 0, cout, t0, t1, out);
            partials[c] = out;
        });
        if (chunks > 1) {
            Parallel.range(dw.length, 1 << 15, (s, e) -> {
                for (int c = 1; c < chunks; c++) {
                    float[] part = partials[c];
                    for (int j = s; j < e; j++) dw[j] += part[j];
                }
            });
            for (int c = 1; c < chunks; c++) HostArrays.giveBack(partials[c]);
        }
    }

    /** Tiles per block: about {@link #blockFloats} in the larger of V and Ŷ, evened out over the blocks. */
    static int blockTiles(int tiles, int cin, int rows) {
        return WinogradTiles.blockTiles(tiles, 16, Math.max(cin, rows), blockFloats, WinogradConv.MIN_BLOCK_TILES, 1);
    }

    /** dW rows [r0, r1) from tiles [t0, t1) into out (indexed as dw). */
    private static void chunk(float[] gd, float[] x, WinogradTiles.Geom g, int r0, int r1, int t0, int t1, float[] out) {
        int m = r1 - r0, cin = g.cs();
        int bt = blockTiles(t1 - t0, cin, m), ld = WinogradTiles.rowStride(bt);
        OffHeap.Buf v = OffHeap.get(OffHeap.WINO_V, 16L * cin * ld);
        OffHeap.Buf y = OffHeap.get(OffHeap.WINO_M, 16L * m * ld);
        OffHeap.Buf acc = OffHeap.get(OffHeap.WINO_ACC, 16L * m * cin);
        WinogradConv.Scratch s = new WinogradConv.Scratch(ld, g.tw(),
                WinogradTiles.groupChannels(ld, Math.max(cin, m), WinogradConv.groupFloats));
        for (int b0 = t0; b0 < t1; b0 += bt) {
            int nt = Math.min(bt, t1 - b0);
            long c0 = OpProfile.start();
            WinogradConv.inputBlock(x, g, b0, nt, ld, v.buf(), s);
            gradBlock(gd, g, r0, r1, b0, nt, ld, y.buf(), s);
            long c1 = OpProfile.start();
            float beta = b0 == t0 ? 0f : 1f;
            for (int k = 0; k < 16; k++)
                Blas.sgemm(false, true, m, cin, nt, 1f, y.ptr(), (long) k * m * ld, ld, v.ptr(), (long) k * cin * ld,
                        ld, beta, acc.ptr(), (long) k * m * cin, cin);
            if (OpProfile.ENABLED) {
                OpProfile.addSpan("  (thread time) wino bwd-filter transforms", c0, c1, 0);
                OpProfile.add("  (thread time) wino bwd-filter sgemm", c1, 32L * m * cin * nt);
            }
        }
        long c2 = OpProfile.start();
        filterTransform(acc.buf(), m, cin, r0, out);
        if (OpProfile.ENABLED) OpProfile.add("  (thread time) wino bwd-filter output", c2, 0);
    }

    /**
     * Ŷ_k[o − r0, j] = (A dy Aᵀ)_k of output channels [r0, r1) and tiles [t0, t0 + nt) into native [16][r1 − r0][ld],
     * a group of channels at a time; dy is zero past the output edge.
     */
    private static void gradBlock(float[] gd, WinogradTiles.Geom g, int r0, int r1, int t0, int nt, int ld,
                                  FloatBuffer y, WinogradConv.Scratch s) {
        int plane = g.oh() * g.ow(), m = r1 - r0;
        float[][] t = s.t, h = s.h;
        float[] a = h[0], b = h[1], c = h[2], d = h[3];
        for (int o0 = r0; o0 < r1; o0 += s.group) {
            int o1 = Math.min(r1, o0 + s.group), len = (o1 - o0) * ld;
            for (int o = o0; o < o1; o++) {
                int ch = o, off = (o - o0) * ld;
                WinogradTiles.segments(g, t0, nt, (img, ty, tx0, tx1, j0) -> {
                    int oy = 2 * ty, base = (img * g.co() + ch) * plane + oy * g.ow();
                    splitRow(gd, base, tx0, tx1, g.ow(), off + j0, a, b);
                    if (oy + 1 < g.oh()) {
                        splitRow(gd, base + g.ow(), tx0, tx1, g.ow(), off + j0, c, d);
                    } else {
                        Arrays.fill(c, off + j0, off + j0 + tx1 - tx0, 0f);
                        Arrays.fill(d, off + j0, off + j0 + tx1 - tx0, 0f);
                    }
                });
            }
            // A dy: rows (a, b), (a + c, b + d), (a − c, b − d), (−c, −d); then the same on each row's 2 columns
            sumDiff(a, c, len, h[4], h[5]);
            sumDiff(b, d, len, h[6], h[7]);
            tileRow(a, b, len, t[0], t[1], t[2], t[3]);
            tileRow(h[4], h[6], len, t[4], t[5], t[6], t[7]);
            tileRow(h[5], h[7], len, t[8], t[9], t[10], t[11]);
            lastRow(c, d, len, t[12], t[13], t[14], t[15]);
            for (int k = 0; k < 16; k++) y.put((k * m + o0 - r0) * ld, t[k], 0, len);
        }
    }

    /** Columns 2tx, 2tx + 1 of one dy row into e, o at j0 + tx − tx0 (the column past an odd ow is zero). */
    static void splitRow(float[] gd, int base, int tx0, int tx1, int ow, int j0, float[] e, float[] o) {
        int full = Math.min(tx1, ow / 2);
        for (int tx = tx0; tx < full; tx++) {
            int j = j0 + tx - tx0;
            e[j] = gd[base + 2 * tx];
            o[j] = gd[base + 2 * tx + 1];
        }
        if (tx1 > full && full >= tx0) {
            int j = j0 + full - tx0;
            e[j] = gd[base + 2 * full];
            o[j] = 0f;
        }
    }

    static void sumDiff(float[] a, float[] b, int n, float[] s, float[] d) {
        for (int j = 0; j < n; j++) {
            float x = a[j], z = b[j];
            s[j] = x + z;
            d[j] = x - z;
        }
    }

    /** A on one row's columns (p, q): p, p + q, p − q, −q. */
    static void tileRow(float[] p, float[] q, int n, float[] y0, float[] y1, float[] y2, float[] y3) {
        for (int j = 0; j < n; j++) {
            float a = p[j], b = q[j];
            y0[j] = a;
            y1[j] = a + b;
            y2[j] = a - b;
            y3[j] = -b;
        }
    }

    /** {@link #tileRow} of (−c, −d). */
    static void lastRow(float[] c, float[] d, int n, float[] y0, float[] y1, float[] y2, float[] y3) {
        for (int j = 0; j < n; j++) {
            float a = c[j], b = d[j];
            y0[j] = -a;
            y1[j] = -a - b;
            y2[j] = b - a;
            y3[j] = b;
        }
    }

    /** Gᵀ on 4 values: m0 + (m1 + m2)/2, (m1 − m2)/2, (m1 + m2)/2 + m3. */
    static void gT(float[] m0, float[] m1, float[] m2, float[] m3, int n, float[] o0, float[] o1, float[] o2) {
        for (int j = 0; j < n; j++) {
            float a = m1[j], b = m2[j], s = 0.5f * (a + b);
            o0[j] = m0[j] + s;
            o1[j] = 0.5f * (a - b);
            o2[j] = s + m3[j];
        }
    }

    /** dW[r0 + r, ci] = Gᵀ M G from native M [16][m][cin] into out[((r0 + r)·cin + ci)·9 + tap]. */
    private static void filterTransform(FloatBuffer acc, int m, int cin, int r0, float[] out) {
        float[][] mk = new float[16][cin], q = new float[12][cin], wk = new float[9][cin];
        for (int r = 0; r < m; r++) {
            for (int k = 0; k < 16; k++) acc.get((k * m + r) * cin, mk[k], 0, cin);
            // Gᵀ M (per column j), then · G on each of the 3 rows
            for (int j = 0; j < 4; j++) gT(mk[j], mk[4 + j], mk[8 + j], mk[12 + j], cin, q[j], q[4 + j], q[8 + j]);
            for (int i = 0; i < 3; i++) gT(q[4 * i], q[4 * i + 1], q[4 * i + 2], q[4 * i + 3], cin, wk[3 * i], wk[3 * i + 1], wk[3 * i + 2]);
            int base = (r0 + r) * cin * 9;
            for (int ci = 0; ci < cin; ci++)
                for (int tap = 0; tap < 9; tap++) out[base + ci * 9 + tap] = wk[tap][ci];
        }
    }
}
