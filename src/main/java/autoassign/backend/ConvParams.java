package autoassign.backend;

/**
 * Geometry of a 2-d convolution (same value for both spatial axes unless given separately) and its channel
 * {@code groups} (PyTorch's {@code groups}: input and output channels split into that many independent convolutions,
 * weight {@code [Cout, Cin/groups, kH, kW]}; 1 is the ordinary dense convolution).
 */
public record ConvParams(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
    public ConvParams {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0)
            throw new IllegalArgumentException("conv2d: invalid geometry stride=" + strideH + "x" + strideW
                    + " pad=" + padH + "x" + padW + " dilation=" + dilationH + "x" + dilationW);
        if (groups < 1) throw new IllegalArgumentException("conv2d: groups must be >= 1, got " + groups);
    }

    /** A dense (groups = 1) convolution. */
    public ConvParams(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
        this(strideH, strideW, padH, padW, dilationH, dilationW, 1);
    }

    public static ConvParams of(int stride, int pad, int dilation) {
        return new ConvParams(stride, stride, pad, pad, dilation, dilation);
    }

    public static ConvParams of(int stride, int pad) { return of(stride, pad, 1); }

    /** The same geometry with {@code groups} channel groups. */
    public ConvParams withGroups(int groups) {
        return new ConvParams(strideH, strideW, padH, padW, dilationH, dilationW, groups);
    }

    public boolean grouped() { return groups > 1; }

    public int outH(int inH, int kH) { return (inH + 2 * padH - dilationH * (kH - 1) - 1) / strideH + 1; }

    public int outW(int inW, int kW) { return (inW + 2 * padW - dilationW * (kW - 1) - 1) / strideW + 1; }
}
