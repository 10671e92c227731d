package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/**
 * {@code F.adaptive_avg_pool2d(x, 1)}: the mean over H·W of each (sample, channel) of an NCHW tensor → [N, C, 1, 1]
 * (ResNeSt's split-attention gap), composed of the row ops: x viewed as [N·C, H·W] dotted row by row with a tensor
 * of 1/(H·W) ({@link Backend#rowScaleBackward}, accumulated in double), and its gradient that tensor's rows scaled by
 * the output gradient ({@link Backend#rowScale}). The constant is made on the device for each call and released.
 */
public final class SpatialMean {
    private SpatialMean() {}

    public static Tensor of(Tensor x) {
        Shape.checkRank("spatialMean", "input", x.shape(), 4);
        Backend be = x.backend();
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
        int[] xs = x.shape(), ys = {n, c, 1, 1};
        if (hw == 0) throw new IllegalArgumentException("spatialMean: empty spatial size in " + Shape.str(xs));
        Tensor out = be.zeros(ys);
        Tensor inv = filled(be, xs, 1f / hw);
        Tensor y = be.rowScaleBackward(x, inv, out);
        MemoryScope.dispose(inv);
        MemoryScope.dispose(out);
        Graph.record(new Tensor[] {x}, y, g -> {
            Tensor w = filled(be, xs, 1f / hw);
            Tensor gx = be.rowScale(w, g[0]);
            MemoryScope.dispose(w);
            return new Tensor[] {gx};
        });
        return y;
    }

    /** A tensor of {@code shape} filled with v, on the backend's device. */
    private static Tensor filled(Backend be, int[] shape, float v) {
        Tensor one = be.fromHost(new float[] {v}, 1);
        Tensor t = be.broadcastScalar(one, 1f, shape);
        MemoryScope.dispose(one);
        return t;
    }
}
