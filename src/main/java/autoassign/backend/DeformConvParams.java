package autoassign.backend;

import autoassign.tensor.Shape;

/**
 * Geometry of a deformable convolution (MMCV's {@code deform_conv2d} / {@code modulated_deform_conv2d}): the
 * convolution's stride, padding, dilation and channel {@code groups} ({@link ConvParams}) and the number of
 * {@code deformGroups}, each a run of Cin/deformGroups input channels sharing one offset field (and mask).
 *
 * <p>Shapes: input x [N, Cin, H, W]; weight [Cout, Cin/groups, kH, kW]; offset [N, deformGroups·2·kH·kW, Ho, Wo],
 * per deform group and kernel position k = i·kW + j the pair (Δy at channel 2k, Δx at 2k+1); mask (DCNv2 only)
 * [N, deformGroups·kH·kW, Ho, Wo]; bias [Cout]; output [N, Cout, Ho, Wo] with Ho, Wo as for the plain conv.
 */
public record DeformConvParams(ConvParams conv, int deformGroups) {
    public DeformConvParams {
        if (conv == null) throw new IllegalArgumentException("deformConv2d: conv geometry is null");
        if (deformGroups < 1) throw new IllegalArgumentException("deformConv2d: deform_groups must be >= 1, got " + deformGroups);
    }

    public int outH(int inH, int kH) { return conv.outH(inH, kH); }

    public int outW(int inW, int kW) { return conv.outW(inW, kW); }

    /**
     * Checks the shapes of one call (IllegalArgumentException naming the op and the shapes) and returns the output
     * shape [N, Cout, Ho, Wo]. {@code mask} and {@code bias} may be null.
     */
    public int[] check(String op, int[] x, int[] offset, int[] mask, int[] w, int[] bias) {
        Shape.checkRank(op, "input", x, 4);
        Shape.checkRank(op, "weight", w, 4);
        int n = x[0], cin = x[1], cout = w[0], kh = w[2], kw = w[3], g = conv.groups();
        int ho = outH(x[2], kh), wo = outW(x[3], kw);
        String shapes = " (input " + Shape.str(x) + ", offset " + Shape.str(offset) + (mask != null ? ", mask " + Shape.str(mask) : "")
                + ", weight " + Shape.str(w) + ", groups " + g + ", deform_groups " + deformGroups + ")";
        if (cin % g != 0 || cout % g != 0 || w[1] * g != cin)
            throw new IllegalArgumentException(op + ": input channels " + cin + " and weight " + Shape.str(w) + " do not match groups " + g + shapes);
        if (cin % deformGroups != 0)
            throw new IllegalArgumentException(op + ": input channels " + cin + " are not divisible by deform_groups " + deformGroups + shapes);
        if (ho < 1 || wo < 1) throw new IllegalArgumentException(op + ": empty output " + ho + "x" + wo + shapes);
        int[] offsetShape = {n, deformGroups * 2 * kh * kw, ho, wo};
        if (!java.util.Arrays.equals(offset, offsetShape))
            throw new IllegalArgumentException(op + ": offset must be " + Shape.str(offsetShape) + shapes);
        if (mask != null && !java.util.Arrays.equals(mask, new int[] {n, deformGroups * kh * kw, ho, wo}))
            throw new IllegalArgumentException(op + ": mask must be " + Shape.str(new int[] {n, deformGroups * kh * kw, ho, wo}) + shapes);
        if (bias != null && (bias.length != 1 || bias[0] != cout))
            throw new IllegalArgumentException(op + ": bias must be [" + cout + "], got " + Shape.str(bias) + shapes);
        return new int[] {n, cout, ho, wo};
    }
}
