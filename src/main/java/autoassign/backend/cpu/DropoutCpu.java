package autoassign.backend.cpu;

import autoassign.backend.DropoutMath;
import autoassign.tensor.Tensor;

/** CPU twin of {@link autoassign.backend.Backend#dropout} ({@link DropoutMath} per element). */
final class DropoutCpu {
    private DropoutCpu() {}

    static Tensor forward(Tensor x, double p, long seed) {
        int thr = DropoutMath.threshold(p);
        float scale = DropoutMath.scale(p);
        Tensor y = HostArrays.empty(x.shape());
        float[] in = x.data(), out = y.data();
        Parallel.range(in.length, 1 << 13, (s, e) -> {
            for (int i = s; i < e; i++) out[i] = DropoutMath.apply(in[i], seed, i, thr, scale);
        });
        return y;
    }
}
