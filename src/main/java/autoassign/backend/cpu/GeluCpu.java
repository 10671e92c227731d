package autoassign.backend.cpu;

import autoassign.backend.GeluMath;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** CPU twin of {@link autoassign.backend.Backend#gelu} / {@code geluBackward} ({@link GeluMath} per element). */
final class GeluCpu {
    private GeluCpu() {}

    static Tensor forward(Tensor x) {
        Tensor y = HostArrays.empty(x.shape());
        float[] in = x.data(), out = y.data();
        Parallel.range(in.length, 1 << 13, (s, e) -> {
            for (int i = s; i < e; i++) out[i] = GeluMath.gelu(in[i]);
        });
        return y;
    }

    static Tensor backward(Tensor gradOut, Tensor x) {
        Shape.checkSame("geluBackward", gradOut.shape(), x.shape());
        Tensor y = HostArrays.empty(x.shape());
        float[] g = gradOut.data(), in = x.data(), out = y.data();
        Parallel.range(in.length, 1 << 13, (s, e) -> {
            for (int i = s; i < e; i++) out[i] = GeluMath.geluBackward(g[i], in[i]);
        });
        return y;
    }
}
