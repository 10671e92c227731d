package autoassign.bench;

/**
 * The 3×3 convolutions of AutoAssign R50-FPN at an 800×1216 input (batch 1): the 3×3 conv of each ResNet-50
 * stage (caffe style: the stride sits on the 1×1 conv, so every 3×3 conv is stride 1, pad 1) and the 256→256
 * 3×3 conv at P3 (stride 8, 100×152), which is both the FPN output conv and each head tower conv (the head's
 * has no bias; the gemm is the same).
 */
enum ConvShapes {
    res2_64(64, 200, 304),
    res3_128(128, 100, 152),
    res4_256(256, 50, 76),
    res5_512(512, 25, 38),
    p3_256(256, 100, 152);

    final int channels, h, w;

    ConvShapes(int channels, int h, int w) {
        this.channels = channels;
        this.h = h;
        this.w = w;
    }

    /** GEMM sizes of the forward: M = Cout, N = oH·oW, K = Cin·3·3. */
    int m() { return channels; }

    int n() { return h * w; }

    int k() { return channels * 9; }

    /** Multiply-adds ×2 of one forward GEMM (backward = data + filter GEMMs = twice this). */
    double gflop() { return 2.0 * m() * n() * k() / 1e9; }
}
