package autoassign.backend.cpu;

import autoassign.backend.Transpose2d;
import autoassign.tensor.Tensor;

/**
 * CPU twin of {@link autoassign.backend.Backend#transpose2d}: x [batch, rows, cols] → [batch, cols, rows], in 32 × 32
 * tiles (reads along a source row, writes along an output row within a tile), one task per run of (matrix, row
 * tile) pairs.
 */
final class TransposeCpu {
    private TransposeCpu() {}

    static final int TILE = 32;

    static Tensor forward(Tensor x, int batch, int rows, int cols) {
        int[] shape = Transpose2d.outShape(x, batch, rows, cols);
        Tensor outT = HostArrays.empty(shape);
        if (outT.numel() == 0) return outT;
        float[] in = x.data(), out = outT.data();
        int rowTiles = (rows + TILE - 1) / TILE;
        long plane = (long) rows * cols;
        int units = Math.toIntExact((long) batch * rowTiles);
        int perUnit = Math.max(1, Math.min(rows, TILE) * cols);
        Parallel.range(units, Math.max(1, (1 << 15) / perUnit), (s, e) -> {
            for (int u = s; u < e; u++) {
                int b = u / rowTiles, r0 = (u % rowTiles) * TILE, r1 = Math.min(rows, r0 + TILE);
                long base = b * plane;
                for (int c0 = 0; c0 < cols; c0 += TILE) {
                    int c1 = Math.min(cols, c0 + TILE);
                    for (int r = r0; r < r1; r++) {
                        int src = (int) (base + (long) r * cols);
                        for (int c = c0; c < c1; c++) out[(int) (base + (long) c * rows + r)] = in[src + c];
                    }
                }
            }
        });
        return outT;
    }
}
