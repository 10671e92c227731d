package autoassign.backend;

/** Geometry of a 2-d convolution (same value for both spatial axes unless given separately). */
public record ConvParams(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
    public ConvParams {
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0)
            throw new IllegalArgumentException("conv2d: invalid geometry stride=" + strideH + "x" + strideW
                    + " pad=" + padH + "x" + padW + " dilation=" + dilationH + "x" + dilationW);
    }

    public static ConvParams of(int stride, int pad, int dilation) {
        return new ConvParams(stride, stride, pad, pad, dilation, dilation);
    }

    public static ConvParams of(int stride, int pad) { return of(stride, pad, 1); }

    public int outH(int inH, int kH) { return (inH + 2 * padH - dilationH * (kH - 1) - 1) / strideH + 1; }

    public int outW(int inW, int kW) { return (inW + 2 * padW - dilationW * (kW - 1) - 1) / strideW + 1; }
}
