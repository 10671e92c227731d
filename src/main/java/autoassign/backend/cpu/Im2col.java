package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Unfolds image patches into columns [Cin·kH·kW, oH·oW] (row r = (c, ky, kx)) and folds them back,
 * accumulating. The column matrix lives in native memory (the sgemm operand); each row is assembled in a
 * small Java array and moved with one bulk copy.
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

    /** Builds row r = (ch, ky, kx) of the column matrix of the image at {@code x[xOff..]} into {@code row}. */
    static void buildRow(float[] x, int xOff, int r, int h, int w, int kh, int kw, ConvParams p, int oh, int ow, float[] row) {
        int kx = r % kw, ky = (r / kw) % kh, ch = r / (kw * kh);
        int sh = p.strideH(), sw = p.strideW(), offX = kx * p.dilationW(), offY = ky * p.dilationH();
        int lo = firstValid(p.padW(), offX, sw, ow), hi = endValid(w, p.padW(), offX, sw, ow, lo);
        int src = xOff + ch * h * w;
        for (int oy = 0, dst = 0; oy < oh; oy++, dst += ow) {
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

    /** Column matrix of one image into native memory {@code col} (row-major, leading dimension oH·oW). */
    static void im2col(float[] x, int xOff, int c, int h, int w, int kh, int kw, ConvParams p,
                       int oh, int ow, FloatBuffer col) {
        int rows = c * kh * kw, ohw = oh * ow;
        Parallel.range(rows, Math.max(1, 4096 / Math.max(1, ohw)), (r0, r1) -> {
            float[] row = new float[ohw];
            for (int r = r0; r < r1; r++) {
                buildRow(x, xOff, r, h, w, kh, kw, p, oh, ow, row);
                col.put(r * ohw, row, 0, ohw);
            }
        });
    }

    /** Adds the column matrix {@code col} (native) back into the image planes at {@code x[xOff..]}. */
    static void col2im(FloatBuffer col, int c, int h, int w, int kh, int kw, ConvParams p,
                       int oh, int ow, float[] x, int xOff) {
        int ohw = oh * ow;
        // parallel over channels: the kh·kw rows of a channel write only into that channel's plane
        Parallel.range(c, 1, (c0, c1) -> {
            float[] row = new float[ohw];
            for (int ch = c0; ch < c1; ch++) {
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        col.get(((ch * kh + ky) * kw + kx) * ohw, row, 0, ohw);
                        addRow(row, ch, ky, kx, h, w, p, oh, ow, x, xOff);
                    }
                }
            }
        });
    }

    private static void addRow(float[] row, int ch, int ky, int kx, int h, int w, ConvParams p, int oh, int ow,
                               float[] x, int xOff) {
        int sh = p.strideH(), sw = p.strideW(), offX = kx * p.dilationW(), offY = ky * p.dilationH();
        int lo = firstValid(p.padW(), offX, sw, ow), hi = endValid(w, p.padW(), offX, sw, ow, lo);
        if (lo == hi) return;
        int plane = xOff + ch * h * w;
        for (int oy = 0, src = 0; oy < oh; oy++, src += ow) {
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
