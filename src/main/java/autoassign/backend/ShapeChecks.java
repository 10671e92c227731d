package autoassign.backend;

import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

/** Argument checks shared by every backend, so that each device rejects bad input with the same message. */
public final class ShapeChecks {
    private ShapeChecks() {}

    /**
     * The output shape [N, Cout, oH, oW] of a convolution with weight [Cout, Cin/groups, kH, kW]; throws naming
     * {@code op} and the shapes when they do not fit.
     */
    public static int[] convOutput(String op, int[] xs, int[] ws, ConvParams p) {
        Shape.checkRank(op, "input", xs, 4);
        Shape.checkRank(op, "weight", ws, 4);
        for (int d : xs) if (d < 0) throw new IllegalArgumentException(op + ": negative size in input shape " + Shape.str(xs));
        for (int d : ws) if (d <= 0) throw new IllegalArgumentException(op + ": non-positive size in weight shape " + Shape.str(ws));
        int g = p.groups();
        if (ws[0] % g != 0)
            throw new IllegalArgumentException(op + ": weight " + Shape.str(ws) + " has " + ws[0]
                    + " output channels, not divisible by groups=" + g);
        if (xs[1] != (long) ws[1] * g)
            throw new IllegalArgumentException(op + ": input " + Shape.str(xs) + " has " + xs[1]
                    + " channels but weight " + Shape.str(ws) + (g == 1 ? " expects " + ws[1]
                    : " with groups=" + g + " expects " + (long) ws[1] * g + " (weight is [Cout, Cin/groups, kH, kW])"));
        int oh = p.outH(xs[2], ws[2]), ow = p.outW(xs[3], ws[3]);
        if (oh <= 0 || ow <= 0 || xs[2] + 2 * p.padH() < p.dilationH() * (ws[2] - 1) + 1
                || xs[3] + 2 * p.padW() < p.dilationW() * (ws[3] - 1) + 1)
            throw new IllegalArgumentException(op + ": input " + Shape.str(xs) + " is too small for weight " + Shape.str(ws)
                    + " with " + p);
        return new int[] {xs[0], ws[0], oh, ow};
    }

    /** GroupNorm: NCHW input whose channels split into {@code groups}, affine tensors (nullable) of C elements. */
    public static void groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups) {
        Shape.checkRank("groupNorm", "input", x.shape(), 4);
        int c = x.dim(1);
        if (groups <= 0 || c % groups != 0)
            throw new IllegalArgumentException("groupNorm: " + c + " channels of " + Shape.str(x.shape())
                    + " cannot be split into " + groups + " groups");
        for (Tensor a : new Tensor[] {gamma, beta})
            if (a != null && a.numel() != c)
                throw new IllegalArgumentException("groupNorm: affine " + Shape.str(a.shape()) + " does not match " + c
                        + " channels of input " + Shape.str(x.shape()));
    }

    /** scale / shift (each nullable) hold one value per channel of x [N,C,H,W]. */
    public static void perChannel(String op, Tensor x, Tensor scale, Tensor shift) {
        int c = x.dim(1);
        if ((scale != null && scale.numel() != c) || (shift != null && shift.numel() != c))
            throw new IllegalArgumentException(op + ": input " + Shape.str(x.shape()) + " needs " + c + " scales/shifts, got "
                    + (scale == null ? "none" : Shape.str(scale.shape())) + (shift == null ? "" : " / " + Shape.str(shift.shape())));
    }
}
