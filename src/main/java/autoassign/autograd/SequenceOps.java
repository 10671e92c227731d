package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.GatherIndex;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/**
 * Differentiable ops of transformers on token matrices [tokens, channels] (Swin): {@code nn.Linear},
 * {@code nn.LayerNorm}, GELU, torch.bmm, a broadcast add, a batched transpose, and {@link GatherIndex} gathers for
 * every other reshuffle (pad, roll, window partition, head split). Each runs on its inputs' backend and records its backward.
 */
public final class SequenceOps {
    private SequenceOps() {}

    /**
     * {@code nn.Linear}: y [M, N] = x [M, K] · wᵀ (+ bias [N]), weight [N, K] as torch stores it. Gradients:
     * dx = g·w, dw = gᵀ·x, db = Σ_rows g.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Shape.checkRank("linear", "input", x.shape(), 2);
        Shape.checkRank("linear", "weight", w.shape(), 2);
        Backend be = x.backend();
        int m = x.dim(0), n = w.dim(0);
        Tensor y = be.gemm(x, false, w, true);
        if (bias != null) {
            if (bias.numel() != n) throw new IllegalArgumentException("linear: bias " + Shape.str(bias.shape()) + " for weight " + Shape.str(w.shape()));
            be.channelAffineActInPlace(y.view(m, n, 1, 1), null, bias.view(n), null, false);
        }
        Graph.record(new Tensor[] {x, w, bias}, y, g -> new Tensor[] {
                x.requiresGrad() ? be.gemm(g[0], false, w, false) : null,
                w.requiresGrad() ? be.gemm(g[0], true, x, false) : null,
                bias != null && bias.requiresGrad() ? be.channelSum(g[0].view(m, n, 1, 1)).view(bias.shape()) : null});
        return y;
    }

    /**
     * {@code nn.LayerNorm(C)} over the last axis of x [T, C]: GroupNorm with one group on x viewed as [T, C, 1, 1]
     * (the same statistics — per token over its C values, biased variance — and the same per-channel affine).
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Shape.checkRank("layerNorm", "input", x.shape(), 2);
        int t = x.dim(0), c = x.dim(1);
        Tensor y = F.groupNorm(F.reshape(x, t, c, 1, 1), weight, bias, 1, eps);
        return F.reshape(y, t, c);
    }

    /** torch's exact GELU ({@code nn.GELU()}). */
    public static Tensor gelu(Tensor x) {
        Backend be = x.backend();
        Tensor y = be.gelu(x);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.geluBackward(g[0], x)});
        return y;
    }

    /** torch.bmm(op(a), op(b)) of [batch, ·, ·] tensors (op: transpose of the last two axes when the flag is set). */
    public static Tensor bmm(Tensor a, boolean transA, Tensor b, boolean transB) {
        Backend be = a.backend();
        Tensor y = be.bmm(a, transA, b, transB);
        Graph.record(new Tensor[] {a, b}, y, g -> {
            Tensor gy = g[0];
            Tensor da = !a.requiresGrad() ? null
                    : !transA ? be.bmm(gy, false, b, !transB)          // A·op(B): dA = g·op(B)ᵀ
                    : be.bmm(b, transB, gy, true);                      // Aᵀ·op(B): dA = op(B)·gᵀ
            Tensor db = !b.requiresGrad() ? null
                    : !transB ? be.bmm(a, !transA, gy, false)          // op(A)·B: dB = op(A)ᵀ·g
                    : be.bmm(gy, true, a, transA);                      // op(A)·Bᵀ: dB = gᵀ·op(A)
            return new Tensor[] {da, db};
        });
        return y;
    }

    /** {@link Backend#gather}: output row i = source row idx.rows()[i] (zeros for −1); the backward sums per source row. */
    public static Tensor gather(Tensor x, GatherIndex idx) {
        Backend be = x.backend();
        Tensor y = be.gather(x, idx);
        int[] shape = x.shape();
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.gatherBackward(g[0], idx, shape)});
        return y;
    }

    /**
     * {@link Backend#transpose2d}: x viewed as [batch, rows, cols] → [batch, cols, rows], then viewed as
     * {@code outShape} (default [batch, cols, rows]). The gradient is the transpose back, in x's shape.
     */
    public static Tensor transpose2d(Tensor x, int batch, int rows, int cols, int... outShape) {
        Backend be = x.backend();
        Tensor t = be.transpose2d(x, batch, rows, cols);
        Tensor y = outShape.length == 0 ? t : t.view(outShape);
        int[] shape = x.shape();
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.transpose2d(g[0], batch, cols, rows).view(shape)});
        return y;
    }

    /**
     * x + t with t repeated over x's leading axis (x viewed as [x.numel()/t.numel(), t.numel()]): torch's broadcast
     * {@code x + t} of a [R, ...] tensor and a [...] one. Works in place on x's storage, so x must be a fresh
     * intermediate that no recorded backward reads (an attention logit from {@link #bmm}); the result is a new tensor
     * object. Gradients: x gets g, t the column sums of g.
     */
    public static Tensor addRepeated(Tensor x, Tensor t) {
        int tn = t.numel();
        if (tn == 0 || x.numel() % tn != 0)
            throw new IllegalArgumentException("addRepeated: " + Shape.str(t.shape()) + " does not tile " + Shape.str(x.shape()));
        int rows = x.numel() / tn;
        Backend be = x.backend();
        Tensor y = x.view(x.shape());
        be.channelAffineActInPlace(y.view(rows, tn, 1, 1), null, t.view(tn), null, false);
        Graph.record(new Tensor[] {x, t}, y, g -> new Tensor[] {
                x.requiresGrad() ? g[0] : null,
                t.requiresGrad() ? be.channelSum(g[0].view(rows, tn, 1, 1)).view(t.shape()) : null});
        return y;
    }
}
