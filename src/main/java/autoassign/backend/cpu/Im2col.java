package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Unfolds image patches into a column block and folds one back (accumulating). A column block covers the
 * output rows [oy0, oy1) of one image: row r = (c, ky, kx) of the [Cin·kH·kW, (oy1−oy0)·oW] matrix, row-major
 * with leading dimension nb = (oy1−oy0)·oW, in native memory (the sgemm operand). Each row is assembled in a
 * small Java array and moved with one bulk copy; 1×1 stride-1 unpadded convs copy the image rows directly
 * (no unfolding).
 */
final class Im2col {
    private Im2col() {}

    /** First output index ox with a valid input column ix = ox·s − pad + off (clamped to [0, out]). */
    static int firstValid(int pad, int off, int s, int out) {
        int num = pad - off; // need ox·s ≥ num
        int lo = num <= 0 ? 0 : (num + s - 1) / s;
        return Math.min(lo, out);
    }

    /** One past the last output index ox with ix = ox·s − pad + off &lt; in (clamped to [lo, out]). */
    static int endValid(int in, int pad, int off, int s, int out, int lo) {
        int num = in - 1 + pad - off; // need ox·s ≤ num
        int hi = num < 0 ? 0 : num / s + 1;
        return Math.max(lo, Math.min(hi, out));
    }

    static boolean isPointwise(int kh, int kw, ConvParams p) {
        return kh == 1 && kw == 1 && p.strideH() == 1 && p.strideW() == 1 && p.padH() == 0 && p.padW() == 0;
    }

    /** Builds row r = (ch, ky, kx) of the column block for output rows [oy0, oy1) into {@code row}. */
    static void buildRow(float[] x, int xOff, int r, int h, int w, int kh, int kw, ConvParams p,
                         int oy0, int oy1, int ow, float[] row) {
        int kx = r % kw, ky = (r / kw) % kh, ch = r / (kw * kh);
        int sh = p.strideH(), sw = p.strideW(), offX = kx * p.dilationW(), offY = ky * p.dilationH();
        int lo = firstValid(p.padW(), offX, sw, ow), hi = endValid(w, p.padW(), offX, sw, ow, lo);
        int src = xOff + ch * h * w;
        for (int oy = oy0, dst = 0; oy < oy1; oy++, dst += ow) {
            int iy = oy * sh - p.padH() + offY;
            if (iy < 0 || iy >= h || lo == hi) {
                Arrays.fill(row, dst, dst + ow, 0f);
                continue;
            }
            if (lo > 0) Arrays.fill(row, dst, dst + lo, 0f);
            if (hi < ow) Arrays.fill(row, dst + hi, dst + ow, 0f);
            int base = src + iy * w - p.padW() + offX;
            if (sw == 1) {
                System.arraycopy(x, base + lo, row, dst + lo, hi - lo);
            } else {
                for (int ox = lo; ox < hi; ox++) row[dst + ox] = x[base + ox * sw];
            }
        }
    }

    /** Column block of output rows [oy0, oy1) of the image at {@code x[xOff..]} into native {@code col}. */
    static void im2colBlock(float[] x, int xOff, int c, int h, int w, int kh, int kw, ConvParams p,
                            int oy0, int oy1, int ow, FloatBuffer col, float[] row) {
        int rows = c * kh * kw, nb = (oy1 - oy0) * ow;
        if (isPointwise(kh, kw, p)) { // the image itself is the column matrix: copy its columns [oy0·w, oy1·w)
            for (int r = 0; r < rows; r++) col.put(r * nb, x, xOff + r * h * w + oy0 * w, nb);
            return;
        }
        for (int r = 0; r < rows; r++) {
            buildRow(x, xOff, r, h, w, kh, kw, p, oy0, oy1, ow, row);
            col.put(r * nb, row, 0, nb);
        }
    }

    /**
     * The input of a strided conv split into its stride phases: plane (ch, py, px) of image i holds
     * {@code x[i, ch, y·sH + py, x·sW + px]} for y &lt; phH = ⌈H/sH⌉, x &lt; phW = ⌈W/sW⌉ (zero past the image).
     * On these planes every im2col row of a strided conv is a set of contiguous row copies, like stride 1, instead
     * of a strided gather per element. Only the phases some kernel tap reads are filled.
     */
    record Phased(float[] data, int sH, int sW, int phH, int phW, boolean[] used) {
        int plane() { return phH * phW; }

        int imageStride(int c) { return c * sH * sW * plane(); }
    }

    static boolean strided(ConvParams p) { return p.strideH() > 1 || p.strideW() > 1; }

    static Phased phaseSplit(float[] x, int n, int c, int h, int w, int kh, int kw, ConvParams p) {
        int sH = p.strideH(), sW = p.strideW(), phH = (h + sH - 1) / sH, phW = (w + sW - 1) / sW;
        boolean[] used = new boolean[sH * sW];
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
                used[Math.floorMod(ky * p.dilationH() - p.padH(), sH) * sW + Math.floorMod(kx * p.dilationW() - p.padW(), sW)] = true;
        // a temporary of the calling conv (which gives it back): unused phases are never read
        Phased ph = new Phased(HostArrays.borrow(Math.toIntExact((long) n * c * sH * sW * phH * phW)), sH, sW, phH, phW, used);
        float[] d = ph.data;
        int plane = ph.plane();
        Parallel.range(n * c, Math.max(1, (1 << 15) / Math.max(1, h * w)), (a, e) -> {
            for (int nc = a; nc < e; nc++) {
                int src = nc * h * w;
                for (int py = 0; py < sH; py++)
                    for (int px = 0; px < sW; px++) {
                        if (!used[py * sW + px]) continue;
                        int dst = (nc * sH * sW + py * sW + px) * plane;
                        for (int y = 0; y < phH; y++) {
                            int iy = y * sH + py, o = dst + y * phW;
                            if (iy >= h) { java.util.Arrays.fill(d, o, o + phW, 0f); continue; } // past the image: zero
                            int rowSrc = src + iy * w + px, cnt = Math.min(phW, (w - px + sW - 1) / sW);
                            for (int xx = 0; xx < cnt; xx++) d[o + xx] = x[rowSrc + xx * sW];
                            java.util.Arrays.fill(d, o + cnt, o + phW, 0f);
                        }
                    }
            }
        });
        return ph;
    }

    /** {@link #im2colBlock} for a strided conv, reading image {@code img} of the phase planes. */
    static void im2colBlockPhased(Phased xp, int img, int c, int kh, int kw, ConvParams p,
                                  int oy0, int oy1, int ow, FloatBuffer col, float[] row) {
        int rows = c * kh * kw, nb = (oy1 - oy0) * ow, sH = xp.sH, sW = xp.sW, phH = xp.phH, phW = xp.phW;
        float[] d = xp.data;
        int base = img * xp.imageStride(c);
        for (int r = 0; r < rows; r++) {
            int kx = r % kw, ky = (r / kw) % kh, ch = r / (kw * kh);
            int a = ky * p.dilationH() - p.padH(), b = kx * p.dilationW() - p.padW();
            int py = Math.floorMod(a, sH), dy = Math.floorDiv(a, sH), px = Math.floorMod(b, sW), dx = Math.floorDiv(b, sW);
            int plane = base + (ch * sH * sW + py * sW + px) * xp.plane();
            int lo = Math.min(ow, Math.max(0, -dx)), hi = Math.max(lo, Math.min(ow, phW - dx));
            for (int oy = oy0, dst = 0; oy < oy1; oy++, dst += ow) {
                int rr = oy + dy;
                if (rr < 0 || rr >= phH || lo == hi) {
                    Arrays.fill(row, dst, dst + ow, 0f);
                    continue;
                }
                if (lo > 0) Arrays.fill(row, dst, dst + lo, 0f);
                if (hi < ow) Arrays.fill(row, dst + hi, dst + ow, 0f);
                System.arraycopy(d, plane + rr * phW + lo + dx, row, dst + lo, hi - lo);
            }
            col.put(r * nb, row, 0, nb);
        }
    }

    /** Adds the column block of output rows [oy0, oy1) (native {@code col}) back into the image at {@code x[xOff..]}. */
    static void col2imBlock(FloatBuffer col, int c, int h, int w, int kh, int kw, ConvParams p,
                            int oy0, int oy1, int ow, float[] x, int xOff, float[] row) {
        int nb = (oy1 - oy0) * ow;
        boolean pointwise = isPointwise(kh, kw, p);
        for (int ch = 0; ch < c; ch++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    col.get(((ch * kh + ky) * kw + kx) * nb, row, 0, nb);
                    if (pointwise) {
                        int d = xOff + ch * h * w + oy0 * w;
                        for (int j = 0; j < nb; j++) x[d + j] += row[j];
                    } else {
                        addRow(row, ch, ky, kx, h, w, p, oy0, oy1, ow, x, xOff);
                    }
                }
            }
        }
    }

    private static void addRow(float[] row, int ch, int ky, int kx, int h, int w, ConvParams p, int oy0, int oy1, int ow,
                               float[] x, int xOff) {
        int sh = p.strideH(), sw = p.strideW(), offX = kx * p.dilationW(), offY = ky * p.dilationH();
        int lo = firstValid(p.padW(), offX, sw, ow), hi = endValid(w, p.padW(), offX, sw, ow, lo);
        if (lo == hi) return;
        int plane = xOff + ch * h * w;
        for (int oy = oy0, src = 0; oy < oy1; oy++, src += ow) {
            int iy = oy * sh - p.padH() + offY;
            if (iy < 0 || iy >= h) continue;
            int base = plane + iy * w - p.padW() + offX;
            if (sw == 1) {
                int d = base + lo, s = src + lo, len = hi - lo;
                for (int j = 0; j < len; j++) x[d + j] += row[s + j];
            } else {
                for (int ox = lo; ox < hi; ox++) x[base + ox * sw] += row[src + ox];
            }
        }
    }
}
