package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;

/** Differentiable ops: each runs on the inputs' backend and records its backward on the tape. */
public final class F {
    private F() {}

    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        Backend be = x.backend();
        Tensor y = be.conv2d(x, w, bias, p);
        int[] xs = x.shape(), ws = w.shape();
        Graph.record(new Tensor[] {x, w, bias}, y, g -> new Tensor[] {
                x.requiresGrad() ? be.conv2dBackwardInput(g[0], w, xs, p) : null,
                w.requiresGrad() ? be.conv2dBackwardWeight(g[0], x, ws, p) : null,
                bias != null && bias.requiresGrad() ? be.channelSum(g[0]) : null});
        return y;
    }

    public static Tensor add(Tensor a, Tensor b) {
        Backend be = a.backend();
        Tensor y = be.add(a, b);
        // the same gradient flows to both inputs; give a leaf b its own copy, so that a leaf
        // never shares its grad tensor with another (the optimizer may update grads in place)
        Graph.record(new Tensor[] {a, b}, y, g -> new Tensor[] {
                a.requiresGrad() ? g[0] : null,
                b.requiresGrad() ? (b.isLeaf() && a.requiresGrad() && a != b ? be.mulScalar(g[0], 1f) : g[0]) : null});
        return y;
    }

    /** max(x, 0); like PyTorch's ReLU the gradient passes only where x &gt; 0. */
    public static Tensor relu(Tensor x) {
        Backend be = x.backend();
        Tensor y = be.clampMin(x, 0f);
        // x >= smallest positive float  <=>  x > 0
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.clampMinBackward(g[0], x, Float.MIN_VALUE)});
        return y;
    }

    /** max(x, min); like PyTorch's clamp the gradient passes where x &ge; min. */
    public static Tensor clampMin(Tensor x, float min) {
        Backend be = x.backend();
        Tensor y = be.clampMin(x, min);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.clampMinBackward(g[0], x, min)});
        return y;
    }

    public static Tensor mulScalar(Tensor x, float s) {
        Backend be = x.backend();
        Tensor y = be.mulScalar(x, s);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.mulScalar(g[0], s)});
        return y;
    }

    /** x times a learnable one-element tensor (MMCV's Scale). */
    public static Tensor scale(Tensor x, Tensor s) {
        Backend be = x.backend();
        Tensor y = be.mulByTensorScalar(x, s);
        Graph.record(new Tensor[] {x, s}, y, g -> new Tensor[] {
                x.requiresGrad() ? be.mulByTensorScalar(g[0], s) : null,
                s.requiresGrad() ? be.dot(g[0], x).view(s.shape()) : null});
        return y;
    }

    public static Tensor sigmoid(Tensor x) {
        Backend be = x.backend();
        Tensor y = be.sigmoid(x);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.sigmoidBackward(g[0], y)});
        return y;
    }

    /** Per-channel affine with constant scale/shift (frozen BatchNorm): only x gets a gradient. */
    public static Tensor channelAffine(Tensor x, Tensor scale, Tensor shift) {
        Backend be = x.backend();
        Tensor y = be.channelAffine(x, scale, shift);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.channelAffine(g[0], scale, null)});
        return y;
    }

    public static Tensor groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        Backend be = x.backend();
        Tensor[] r = be.groupNorm(x, gamma, beta, groups, eps);
        Tensor y = r[0], mean = r[1], rstd = r[2];
        Graph.record(new Tensor[] {x, gamma, beta}, y, g -> {
            Tensor[] d = be.groupNormBackward(g[0], x, mean, rstd, gamma, groups);
            return new Tensor[] {d[0], d[1], d[2]};
        });
        return y;
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int pad) {
        Backend be = x.backend();
        Tensor y = be.maxPool2d(x, kernel, stride, pad);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.maxPool2dBackward(g[0], x, kernel, stride, pad)});
        return y;
    }

    public static Tensor upsampleNearest(Tensor x, int outH, int outW) {
        Backend be = x.backend();
        Tensor y = be.upsampleNearest(x, outH, outW);
        int h = x.dim(2), w = x.dim(3);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.upsampleNearestBackward(g[0], h, w)});
        return y;
    }

    public static Tensor sum(Tensor x) {
        Backend be = x.backend();
        Tensor y = be.sum(x);
        int[] shape = x.shape();
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.broadcastScalar(g[0], 1f, shape)});
        return y;
    }

    public static Tensor mean(Tensor x) {
        Backend be = x.backend();
        int n = x.numel();
        Tensor y = be.mulScalar(be.sum(x), 1f / n);
        int[] shape = x.shape();
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.broadcastScalar(g[0], 1f / n, shape)});
        return y;
    }

    /** The same values under another shape (shares storage). */
    public static Tensor reshape(Tensor x, int... shape) {
        Tensor y = x.view(shape);
        int[] orig = x.shape();
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {g[0].view(orig)});
        return y;
    }
}
