package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/**
 * {@code F.adaptive_avg_pool2d(x, 1)}: the mean over H·W of each (sample, channel) of an NCHW tensor → [N, C, 1, 1]
 * (ResNeSt's split-attention gap, the squeeze of SE layers and CSPNeXt's channel attention): x viewed as [N·C, H·W],
 * per row Σ x·(1f/(H·W)) accumulated in double ({@link Backend#rowMean}); its gradient is the output gradient spread
 * over each row times 1f/(H·W) ({@link Backend#rowBroadcast}). No full-size constant is made.
 */
public final class SpatialMean {
    private SpatialMean() {}

    public static Tensor of(Tensor x) {
        Shape.checkRank("spatialMean", "input", x.shape(), 4);
        Backend be = x.backend();
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
        int[] xs = x.shape(), ys = {n, c, 1, 1};
        if (hw == 0) throw new IllegalArgumentException("spatialMean: empty spatial size in " + Shape.str(xs));
        if (n * c == 0) return be.zeros(ys);
        Tensor y = be.rowMean(x, n * c).view(ys);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.rowBroadcast(g[0], 1f / hw, xs)});
        return y;
    }
}
