package autoassign.backend.cpu;

import autoassign.backend.SpaceToDepth;
import autoassign.tensor.Tensor;

/** The CPU twin of {@link autoassign.backend.Backend#spaceToDepth} and its inverse (plain copies, exact). */
final class SpaceToDepthCpu {
    private SpaceToDepthCpu() {}

    static Tensor forward(Tensor x) {
        int[] os = SpaceToDepth.outShape("spaceToDepth", x.shape());
        Tensor r = HostArrays.empty(os);
        copy(x.data(), r.data(), x.dim(0), x.dim(1), os[2], os[3], true);
        return r;
    }

    static Tensor backward(Tensor g) {
        int[] is = SpaceToDepth.inShape("spaceToDepthBackward", g.shape());
        Tensor r = HostArrays.empty(is);
        copy(r.data(), g.data(), is[0], is[1], g.dim(2), g.dim(3), false);
        return r;
    }

    /** big [N, C, 2h, 2w] ↔ small [N, 4C, h, w]: forward copies big into small, else small into big. */
    private static void copy(float[] big, float[] small, int n, int c, int h, int w, boolean forward) {
        int bw = 2 * w;
        Parallel.range(n * 4 * c, Math.max(1, (1 << 14) / Math.max(1, h * w)), (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int b = p / (4 * c), oc = p % (4 * c), q = oc / c, ch = oc % c;
                int dy = SpaceToDepth.dy(q), dx = SpaceToDepth.dx(q);
                int sb = p * h * w, bb = (b * c + ch) * 4 * h * w;
                for (int i = 0; i < h; i++) {
                    int row = bb + (2 * i + dy) * bw + dx, so = sb + i * w;
                    if (forward) for (int j = 0; j < w; j++) small[so + j] = big[row + 2 * j];
                    else for (int j = 0; j < w; j++) big[row + 2 * j] = small[so + j];
                }
            }
        });
    }
}
