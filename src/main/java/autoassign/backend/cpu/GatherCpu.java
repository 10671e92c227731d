package autoassign.backend.cpu;

import autoassign.backend.GatherIndex;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** CPU twin of {@link autoassign.backend.Backend#gather} and its backward (row copies; sums in the index's order). */
final class GatherCpu {
    private GatherCpu() {}

    static Tensor forward(Tensor x, GatherIndex idx) {
        idx.checkSource("gather", x);
        int[] rows = idx.rows();
        int block = idx.block();
        Tensor outT = HostArrays.empty(idx.outShape());
        float[] in = x.data(), out = outT.data();
        Parallel.range(rows.length, Math.max(1, (1 << 14) / block), (s, e) -> {
            for (int i = s; i < e; i++) {
                int r = rows[i];
                if (r < 0) java.util.Arrays.fill(out, i * block, (i + 1) * block, 0f);
                else System.arraycopy(in, r * block, out, i * block, block);
            }
        });
        return outT;
    }

    /** Source row s gets Σ gradOut rows reading it, added in increasing output order (0 when none reads it). */
    static Tensor backward(Tensor gradOut, GatherIndex idx, int[] inputShape) {
        idx.checkBackward(gradOut.numel(), inputShape);
        int[] off = idx.inverseOffsets(), list = idx.inverseRows();
        int block = idx.block();
        Tensor outT = HostArrays.empty(inputShape);
        float[] g = gradOut.data(), out = outT.data();
        Parallel.range(idx.sourceRows(), Math.max(1, (1 << 14) / block), (s, e) -> {
            for (int r = s; r < e; r++) {
                int o = r * block, a = off[r], b = off[r + 1];
                if (a == b) {
                    java.util.Arrays.fill(out, o, o + block, 0f);
                    continue;
                }
                System.arraycopy(g, list[a] * block, out, o, block);
                for (int k = a + 1; k < b; k++) {
                    int src = list[k] * block;
                    for (int j = 0; j < block; j++) out[o + j] += g[src + j];
                }
            }
        });
        return outT;
    }
}
