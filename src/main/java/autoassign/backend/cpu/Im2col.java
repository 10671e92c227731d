package autoassign.backend.cpu;

import autoassign.backend.ConvParams;

/** Unfolds image patches into columns [Cin·kH·kW, oH·oW] and folds them back (accumulating). */
final class Im2col {
    private Im2col() {}

    static void im2col(float[] x, int xOff, int c, int h, int w, int kh, int kw, ConvParams p,
                       int oh, int ow, float[] col) {
        int rows = c * kh * kw;
        Parallel.range(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int kx = r % kw, ky = (r / kw) % kh, ch = r / (kw * kh);
                int dst = r * oh * ow, src = xOff + ch * h * w;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy * p.strideH() - p.padH() + ky * p.dilationH();
                    if (iy < 0 || iy >= h) {
                        java.util.Arrays.fill(col, dst, dst + ow, 0f);
                        dst += ow;
                        continue;
                    }
                    int rowBase = src + iy * w;
                    for (int ox = 0; ox < ow; ox++) {
                        int ix = ox * p.strideW() - p.padW() + kx * p.dilationW();
                        col[dst++] = ix >= 0 && ix < w ? x[rowBase + ix] : 0f;
                    }
                }
            }
        });
    }

    static void col2im(float[] col, int c, int h, int w, int kh, int kw, ConvParams p,
                       int oh, int ow, float[] x, int xOff) {
        // parallel over channels: each channel's kh·kw rows write only into that channel's plane
        Parallel.range(c, 1, (c0, c1) -> {
            for (int ch = c0; ch < c1; ch++) {
                int dstPlane = xOff + ch * h * w;
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        int src = ((ch * kh + ky) * kw + kx) * oh * ow;
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * p.strideH() - p.padH() + ky * p.dilationH();
                            if (iy < 0 || iy >= h) { src += ow; continue; }
                            int rowBase = dstPlane + iy * w;
                            for (int ox = 0; ox < ow; ox++, src++) {
                                int ix = ox * p.strideW() - p.padW() + kx * p.dilationW();
                                if (ix >= 0 && ix < w) x[rowBase + ix] += col[src];
                            }
                        }
                    }
                }
            }
        });
    }
}
