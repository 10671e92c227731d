package autoassign.autograd;

import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static autoassign.autograd.GradCheck.awayFromZero;
import static autoassign.autograd.GradCheck.check;
import static autoassign.autograd.GradCheck.constant;
import static autoassign.autograd.GradCheck.distinct;
import static autoassign.autograd.GradCheck.leaf;
import static autoassign.autograd.GradCheck.uniform;

/** Finite-difference gradient tests (against double-precision references) of every differentiable op in {@link F}. */
class GradientCheckTest {
    private final Random rnd = new Random(42);

    private static int n(int... s) {
        int p = 1;
        for (int d : s) p *= d;
        return p;
    }

    // ------------------------------------------------------------------ conv2d

    static Stream<Arguments> convCases() {
        return Stream.of(
                // name, x shape, w shape, stride h/w, pad h/w, dilation h/w, bias
                Arguments.of("3x3 s1 p1 bias batch2 odd", new int[] {2, 3, 7, 9}, new int[] {4, 3, 3, 3}, 1, 1, 1, 1, 1, 1, true),
                Arguments.of("3x3 s2 p1 no-bias", new int[] {1, 2, 8, 7}, new int[] {3, 2, 3, 3}, 2, 2, 1, 1, 1, 1, false),
                Arguments.of("3x3 dilation2 p2", new int[] {2, 2, 7, 6}, new int[] {3, 2, 3, 3}, 1, 1, 2, 2, 2, 2, true),
                Arguments.of("1x1 pointwise", new int[] {2, 5, 3, 4}, new int[] {3, 5, 1, 1}, 1, 1, 0, 0, 1, 1, true),
                Arguments.of("1x1 stride2", new int[] {2, 4, 5, 7}, new int[] {6, 4, 1, 1}, 2, 2, 0, 0, 1, 1, false),
                Arguments.of("1x1 pad1", new int[] {1, 2, 3, 3}, new int[] {2, 2, 1, 1}, 1, 1, 1, 1, 1, 1, true),
                Arguments.of("7x7 s2 p3 stem-like", new int[] {1, 3, 11, 9}, new int[] {2, 3, 7, 7}, 2, 2, 3, 3, 1, 1, false),
                Arguments.of("3x3 p1 on 1x1 map batch2", new int[] {2, 3, 1, 1}, new int[] {4, 3, 3, 3}, 1, 1, 1, 1, 1, 1, true),
                Arguments.of("3x3 pad3 larger than kernel", new int[] {1, 2, 4, 5}, new int[] {2, 2, 3, 3}, 1, 1, 3, 3, 1, 1, true),
                Arguments.of("5x5 s3 p2 odd", new int[] {2, 2, 11, 13}, new int[] {3, 2, 5, 5}, 3, 3, 2, 2, 1, 1, true),
                Arguments.of("asymmetric 3x2 kernel", new int[] {2, 2, 6, 7}, new int[] {3, 2, 3, 2}, 1, 2, 0, 1, 2, 1, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convCases")
    void conv2d(String name, int[] xs, int[] ws, int sh, int sw, int ph, int pw, int dh, int dw, boolean withBias) {
        ConvParams p = new ConvParams(sh, sw, ph, pw, dh, dw);
        Tensor x = leaf(uniform(rnd, n(xs)), xs);
        Tensor w = leaf(uniform(rnd, n(ws)), ws);
        Tensor b = withBias ? leaf(uniform(rnd, ws[0]), ws[0]) : null;
        check("conv2d " + name, in -> F.conv2d(in[0], in[1], in[2], p),
                d -> RefOps.conv2d(d[0], xs, d[1], ws, d[2], sh, sw, ph, pw, dh, dw), x, w, b);
    }

    static Stream<Arguments> groupedConvCases() {
        return Stream.of(
                // name, x shape, w shape [Cout, Cin/groups, kh, kw], groups, stride, pad, dilation, bias
                Arguments.of("3x3 s1 p1 groups2 bias", new int[] {2, 4, 5, 6}, new int[] {6, 2, 3, 3}, 2, 1, 1, 1, true),
                Arguments.of("3x3 s2 p1 groups2 (ResNeXt-like)", new int[] {1, 6, 7, 8}, new int[] {4, 3, 3, 3}, 2, 2, 1, 1, false),
                Arguments.of("3x3 depthwise", new int[] {2, 3, 5, 4}, new int[] {3, 1, 3, 3}, 3, 1, 1, 1, true),
                Arguments.of("3x3 depthwise x2 multiplier dilation2", new int[] {1, 2, 6, 6}, new int[] {4, 1, 3, 3}, 2, 1, 2, 2, false),
                Arguments.of("1x1 groups4", new int[] {2, 8, 3, 4}, new int[] {4, 2, 1, 1}, 4, 1, 0, 1, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("groupedConvCases")
    void groupedConv2d(String name, int[] xs, int[] ws, int groups, int stride, int pad, int dil, boolean withBias) {
        ConvParams p = ConvParams.of(stride, pad, dil).withGroups(groups);
        Tensor x = leaf(uniform(rnd, n(xs)), xs);
        Tensor w = leaf(uniform(rnd, n(ws)), ws);
        Tensor b = withBias ? leaf(uniform(rnd, ws[0]), ws[0]) : null;
        check("grouped conv2d " + name, in -> F.conv2d(in[0], in[1], in[2], p),
                d -> RefOps.conv2d(d[0], xs, d[1], ws, d[2], groups, stride, stride, pad, pad, dil, dil), x, w, b);
    }

    @Test
    void conv2dOnlyWeightRequiresGrad() {
        int[] xs = {2, 3, 5, 6}, ws = {2, 3, 3, 3};
        Tensor x = constant(uniform(rnd, n(xs)), xs);
        Tensor w = leaf(uniform(rnd, n(ws)), ws);
        Tensor b = constant(uniform(rnd, 2), 2);
        check("conv2d weight only", in -> F.conv2d(in[0], in[1], in[2], ConvParams.of(1, 1)),
                d -> RefOps.conv2d(d[0], xs, d[1], ws, d[2], 1, 1, 1, 1, 1, 1), x, w, b);
    }

    @Test
    void conv2dFrozenWeight() {
        int[] xs = {2, 3, 5, 6}, ws = {2, 3, 3, 3};
        Tensor x = leaf(uniform(rnd, n(xs)), xs);
        Tensor w = constant(uniform(rnd, n(ws)), ws);
        check("conv2d frozen weight", in -> F.conv2d(in[0], in[1], null, ConvParams.of(2, 1)),
                d -> RefOps.conv2d(d[0], xs, d[1], ws, null, 2, 2, 1, 1, 1, 1), x, w);
    }

    // ------------------------------------------------------------------ elementwise

    @Test
    void relu() {
        int[] s = {2, 3, 5, 7};
        check("relu", in -> F.relu(in[0]), d -> RefOps.clampMin(d[0], 0), leaf(awayFromZero(rnd, n(s), 0.01f), s));
    }

    @Test
    void clampMin() {
        int[] s = {2, 1, 3, 3};
        check("clampMin 0", in -> F.clampMin(in[0], 0f), d -> RefOps.clampMin(d[0], 0), leaf(awayFromZero(rnd, n(s), 0.01f), s));
        float[] v = awayFromZero(rnd, n(s), 0.01f);
        for (int i = 0; i < v.length; i++) v[i] += 0.25f;
        check("clampMin 0.25", in -> F.clampMin(in[0], 0.25f), d -> RefOps.clampMin(d[0], 0.25), leaf(v, s));
    }

    @Test
    void add() {
        int[] s = {2, 3, 4, 5};
        check("add", in -> F.add(in[0], in[1]), d -> RefOps.add(d[0], d[1]), leaf(uniform(rnd, n(s)), s), leaf(uniform(rnd, n(s)), s));
        check("add one side constant", in -> F.add(in[0], in[1]), d -> RefOps.add(d[0], d[1]),
                constant(uniform(rnd, n(s)), s), leaf(uniform(rnd, n(s)), s));
    }

    @Test
    void addSameTensorTwice() {
        int[] s = {1, 2, 3, 3};
        check("x + x", in -> F.add(in[0], in[0]), d -> RefOps.add(d[0], d[0]), leaf(uniform(rnd, n(s)), s));
    }

    @Test
    void mulScalar() {
        int[] s = {2, 2, 3, 5};
        check("mulScalar", in -> F.mulScalar(in[0], -2.5f), d -> RefOps.mul(d[0], -2.5), leaf(uniform(rnd, n(s)), s));
    }

    @Test
    void learnableScale() {
        int[] s = {2, 3, 4, 3};
        Tensor scale = Tensor.of(new float[] {1.7f}).setRequiresGrad(true); // 0-dim, as MMCV's Scale
        check("scale", in -> F.scale(in[0], in[1]), d -> RefOps.mul(d[0], d[1][0]), leaf(uniform(rnd, n(s)), s), scale);
    }

    @Test
    void sigmoid() {
        int[] s = {2, 3, 3, 5};
        float[] v = uniform(rnd, n(s));
        for (int i = 0; i < v.length; i++) v[i] *= 4;
        check("sigmoid", in -> F.sigmoid(in[0]), d -> RefOps.sigmoid(d[0]), leaf(v, s));
    }

    @Test
    void sumAndMean() {
        int[] s = {2, 3, 4, 5};
        check("sum", in -> F.sum(in[0]), d -> RefOps.sum(d[0]), leaf(uniform(rnd, n(s)), s));
        check("mean", in -> F.mean(in[0]), d -> RefOps.mean(d[0]), leaf(uniform(rnd, n(s)), s));
    }

    @Test
    void reshape() {
        int[] s = {2, 3, 4};
        check("reshape", in -> F.mulScalar(F.reshape(in[0], 6, 4), 3f), d -> RefOps.mul(d[0], 3), leaf(uniform(rnd, n(s)), s));
    }

    @Test
    void channelAffine() {
        int[] s = {2, 3, 4, 5};
        float[] sc = {0.5f, -2f, 1.5f}, sh = {0.1f, 0.2f, -0.3f};
        check("channelAffine", in -> F.channelAffine(in[0], Tensor.of(sc, 3), Tensor.of(sh, 3)),
                d -> RefOps.batchNorm(d[0], s, RefOps.toDouble(sc), RefOps.toDouble(sh), new double[3], new double[] {1, 1, 1}, 0),
                2e-4, leaf(uniform(rnd, n(s)), s));
    }

    /** BatchNorm with frozen statistics and trainable weight / bias (norm_eval with requires_grad): x, w and b get gradients. */
    @Test
    void batchNormAffine() {
        int[] s = {2, 3, 4, 5};
        double[] mean = {0.3, -0.7, 1.1}, var = {0.5, 2.0, 0.05};
        float eps = 1e-5f;
        check("batchNormAffine", in -> {
            float[] w = in[1].data(), b = in[2].data(), sc = new float[3], sh = new float[3], inv = new float[3], neg = new float[3];
            for (int c = 0; c < 3; c++) {
                inv[c] = (float) (1 / Math.sqrt(var[c] + eps));
                neg[c] = (float) -mean[c] * inv[c];
                sc[c] = w[c] * inv[c];
                sh[c] = b[c] - (float) mean[c] * sc[c];
            }
            return F.batchNormAffine(in[0], in[1], in[2], Tensor.of(sc, 3), Tensor.of(sh, 3), Tensor.of(inv, 3), Tensor.of(neg, 3));
        }, d -> RefOps.batchNorm(d[0], s, d[1], d[2], mean, var, eps), 5e-4,
                leaf(uniform(rnd, n(s)), s), leaf(uniform(rnd, 3), 3), leaf(uniform(rnd, 3), 3));
        // a frozen input x (the first layer after a frozen stage): only w and b get gradients
        check("batchNormAffine, x frozen", in -> {
            float[] inv = new float[3], neg = new float[3], sc = new float[3], sh = new float[3];
            for (int c = 0; c < 3; c++) {
                inv[c] = (float) (1 / Math.sqrt(var[c] + eps));
                neg[c] = (float) -mean[c] * inv[c];
                sc[c] = in[1].data()[c] * inv[c];
                sh[c] = in[2].data()[c] - (float) mean[c] * sc[c];
            }
            return F.batchNormAffine(in[0], in[1], in[2], Tensor.of(sc, 3), Tensor.of(sh, 3), Tensor.of(inv, 3), Tensor.of(neg, 3));
        }, d -> RefOps.batchNorm(d[0], s, d[1], d[2], mean, var, eps), 5e-4,
                constant(uniform(rnd, n(s)), s), leaf(uniform(rnd, 3), 3), leaf(uniform(rnd, 3), 3));
    }

    /** BatchNorm in train mode (norm_eval false): gradients flow through the batch mean and variance too. */
    @Test
    void batchNormTraining() {
        int[] s = {2, 3, 4, 5};
        float[] x = uniform(rnd, n(s));
        for (int i = 0; i < x.length; i++) x[i] += (i / 20 % 3) * 0.7f; // a different mean per channel
        check("batchNormTraining", in -> F.batchNormTraining(in[0], in[1], in[2], 1e-5f, null).y(),
                d -> RefOps.batchNormTraining(d[0], s, d[1], d[2], 1e-5), 5e-4,
                leaf(x, s), leaf(uniform(rnd, 3), 3), leaf(uniform(rnd, 3), 3));
        check("batchNormTraining, frozen affine", in -> F.batchNormTraining(in[0], in[1], in[2], 1e-5f, null).y(),
                d -> RefOps.batchNormTraining(d[0], s, d[1], d[2], 1e-5), 5e-4,
                leaf(uniform(rnd, n(s)), s), constant(uniform(rnd, 3), 3), constant(uniform(rnd, 3), 3));
        int[] one = {2, 2, 1, 1}; // two values per channel: the smallest batch that has a variance
        check("batchNormTraining, 2 values per channel", in -> F.batchNormTraining(in[0], in[1], in[2], 1e-5f, null).y(),
                d -> RefOps.batchNormTraining(d[0], one, d[1], d[2], 1e-5), 5e-3,
                leaf(new float[] {0.3f, -0.4f, 1.2f, 0.9f}, one), leaf(uniform(rnd, 2), 2), leaf(uniform(rnd, 2), 2));
    }

    /** The fused layer: relu(conv(x)·scale + shift + residual), with every optional part, against the unfused reference. */
    @Test
    void convAffineAct() {
        int[] xs = {2, 3, 6, 5}, ws = {4, 3, 3, 3}, ys = {2, 4, 6, 5};
        double[] sc = {0.5, -2, 1.5, 0.75}, sh = {0.1, 0.2, -0.3, 0.05};
        Tensor scale = Tensor.of(new float[] {0.5f, -2f, 1.5f, 0.75f}, 4), shift = Tensor.of(new float[] {0.1f, 0.2f, -0.3f, 0.05f}, 4);
        for (boolean relu : new boolean[] {true, false}) {
            check("convAffineAct residual relu=" + relu,
                    in -> F.convAffineAct(in[0], in[1], in[2], ConvParams.of(1, 1), scale, shift, in[3], relu),
                    d -> {
                        double[] y = RefOps.add(RefOps.batchNorm(RefOps.conv2d(d[0], xs, d[1], ws, d[2], 1, 1, 1, 1, 1, 1), ys,
                                sc, sh, new double[4], new double[] {1, 1, 1, 1}, 0), d[3]);
                        return relu ? RefOps.clampMin(y, 0) : y;
                    }, 5e-4, leaf(uniform(rnd, n(xs)), xs), leaf(uniform(rnd, n(ws)), ws), leaf(uniform(rnd, 4), 4),
                    leaf(uniform(rnd, n(ys)), ys));
        }
        check("convAffineAct no residual, stride 2", in -> F.convAffineAct(in[0], in[1], null, ConvParams.of(2, 1), scale, shift, null, true),
                d -> RefOps.clampMin(RefOps.batchNorm(RefOps.conv2d(d[0], xs, d[1], ws, null, 2, 2, 1, 1, 1, 1), new int[] {2, 4, 3, 3},
                        sc, sh, new double[4], new double[] {1, 1, 1, 1}, 0), 0), 5e-4,
                leaf(uniform(rnd, n(xs)), xs), leaf(uniform(rnd, n(ws)), ws));
        check("convAffineAct conv + residual + relu, no affine",
                in -> F.convAffineAct(in[0], in[1], null, ConvParams.of(1, 1), null, null, in[2], true),
                d -> RefOps.clampMin(RefOps.add(RefOps.conv2d(d[0], xs, d[1], ws, null, 1, 1, 1, 1, 1, 1), d[2]), 0), 5e-4,
                leaf(uniform(rnd, n(xs)), xs), constant(uniform(rnd, n(ws)), ws), leaf(uniform(rnd, n(ys)), ys));
        // a ResNeXt block's grouped 3x3 with its frozen BN and ReLU fused in
        int[] gxs = {2, 4, 5, 6}, gws = {4, 2, 3, 3};
        check("convAffineAct grouped conv, 2 groups", in -> F.convAffineAct(in[0], in[1], null, ConvParams.of(1, 1).withGroups(2),
                        scale, shift, null, true),
                d -> RefOps.clampMin(RefOps.batchNorm(RefOps.conv2d(d[0], gxs, d[1], gws, null, 2, 1, 1, 1, 1, 1, 1), ys(gxs, 4),
                        sc, sh, new double[4], new double[] {1, 1, 1, 1}, 0), 0), 5e-4,
                leaf(uniform(rnd, n(gxs)), gxs), leaf(uniform(rnd, n(gws)), gws));
    }

    private static int[] ys(int[] xs, int cout) { return new int[] {xs[0], cout, xs[2], xs[3]}; }

    @Test
    void groupNormAct() {
        int[] s = {2, 6, 4, 3};
        check("groupNormAct", in -> F.groupNormAct(in[0], in[1], in[2], 3, 1e-5f, true),
                d -> RefOps.clampMin(RefOps.groupNorm(d[0], s, d[1], d[2], 3, 1e-5), 0), 5e-4,
                leaf(uniform(rnd, n(s)), s), leaf(uniform(rnd, 6), 6), leaf(uniform(rnd, 6), 6));
    }

    // ------------------------------------------------------------------ pooling / resampling

    static Stream<Arguments> poolShapes() {
        return Stream.of(Arguments.of((Object) new int[] {2, 3, 7, 9}), Arguments.of((Object) new int[] {2, 2, 8, 8}),
                Arguments.of((Object) new int[] {1, 1, 1, 1}), Arguments.of((Object) new int[] {2, 2, 2, 3}),
                Arguments.of((Object) new int[] {1, 2, 5, 1}));
    }

    @ParameterizedTest
    @MethodSource("poolShapes")
    void maxPool3x3s2p1(int[] s) {
        check("maxPool " + java.util.Arrays.toString(s), in -> F.maxPool2d(in[0], 3, 2, 1),
                d -> RefOps.maxPool(d[0], s, 3, 2, 1), leaf(distinct(rnd, n(s)), s));
    }

    static Stream<Arguments> avgPoolCases() {
        return Stream.of(
                // x shape, kernel, stride, pad, ceil_mode, count_include_pad
                Arguments.of(new int[] {2, 3, 7, 9}, 2, 2, 0, true, false),   // avg_down: partial last row and column
                Arguments.of(new int[] {2, 2, 8, 8}, 2, 2, 0, true, false),   // avg_down on an even map
                Arguments.of(new int[] {1, 2, 7, 5}, 2, 2, 0, true, true),
                Arguments.of(new int[] {2, 2, 9, 10}, 3, 2, 1, false, true),
                Arguments.of(new int[] {2, 2, 9, 10}, 3, 2, 1, false, false),
                Arguments.of(new int[] {1, 3, 8, 11}, 3, 2, 1, true, false),
                Arguments.of(new int[] {1, 2, 5, 10}, 3, 3, 1, true, true), // ceil's extra window dropped in height
                Arguments.of(new int[] {2, 1, 5, 6}, 3, 1, 1, false, false),  // overlapping windows
                Arguments.of(new int[] {1, 1, 1, 1}, 2, 2, 0, true, false));
    }

    @ParameterizedTest
    @MethodSource("avgPoolCases")
    void avgPool(int[] s, int k, int st, int p, boolean ceil, boolean countPad) {
        var params = new autoassign.backend.AvgPool2dParams(k, st, p, ceil, countPad);
        check("avgPool " + java.util.Arrays.toString(s) + " " + params, in -> F.avgPool2d(in[0], params),
                d -> RefOps.avgPool(d[0], s, k, st, p, ceil, countPad), leaf(uniform(rnd, n(s)), s));
    }

    static Stream<Arguments> upsampleCases() {
        return Stream.of(Arguments.of(new int[] {2, 3, 3, 5}, 6, 10), Arguments.of(new int[] {2, 2, 3, 5}, 7, 11),
                Arguments.of(new int[] {1, 2, 3, 5}, 3, 5), Arguments.of(new int[] {2, 2, 1, 1}, 4, 4),
                Arguments.of(new int[] {1, 1, 5, 7}, 2, 3), Arguments.of(new int[] {1, 2, 13, 19}, 25, 38));
    }

    @ParameterizedTest
    @MethodSource("upsampleCases")
    void upsampleNearest(int[] s, int oh, int ow) {
        check("upsample " + java.util.Arrays.toString(s) + "->" + oh + "x" + ow, in -> F.upsampleNearest(in[0], oh, ow),
                d -> RefOps.upsampleNearest(d[0], s, oh, ow), leaf(uniform(rnd, n(s)), s));
    }

    // ------------------------------------------------------------------ group norm

    static Stream<Arguments> groupNormCases() {
        return Stream.of(Arguments.of(new int[] {2, 8, 3, 5}, 4, true), Arguments.of(new int[] {2, 6, 3, 3}, 1, true),
                Arguments.of(new int[] {1, 4, 3, 2}, 4, true), Arguments.of(new int[] {2, 4, 1, 1}, 2, true),
                Arguments.of(new int[] {2, 6, 5, 3}, 3, false));
    }

    @ParameterizedTest
    @MethodSource("groupNormCases")
    void groupNorm(int[] s, int groups, boolean affine) {
        int c = s[1];
        Tensor x = leaf(uniform(rnd, n(s)), s);
        Tensor g = affine ? leaf(uniform(rnd, c), c) : null;
        Tensor b = affine ? leaf(uniform(rnd, c), c) : null;
        check("groupNorm " + java.util.Arrays.toString(s) + " g" + groups, in -> F.groupNorm(in[0], in[1], in[2], groups, 1e-5f),
                d -> RefOps.groupNorm(d[0], s, d[1], d[2], groups, 1e-5), 5e-4, x, g, b);
    }

    // ------------------------------------------------------------------ composition

    @Test
    void headLikeChain() {
        int[] xs = {2, 4, 5, 6}, ws = {4, 4, 3, 3};
        Tensor x = leaf(uniform(rnd, n(xs)), xs);
        Tensor w = leaf(uniform(rnd, n(ws)), ws);
        Tensor b = leaf(uniform(rnd, 4), 4);
        Tensor gamma = leaf(uniform(rnd, 4), 4), beta = leaf(uniform(rnd, 4), 4);
        Tensor s = Tensor.of(new float[] {0.8f}).setRequiresGrad(true);
        check("conv-gn-relu-scale-sigmoid-mean", in -> F.mean(F.sigmoid(F.scale(F.relu(
                        F.groupNorm(F.conv2d(in[0], in[1], in[2], ConvParams.of(1, 1)), in[3], in[4], 2, 1e-5f)), in[5]))),
                d -> RefOps.mean(RefOps.sigmoid(RefOps.mul(RefOps.clampMin(RefOps.groupNorm(
                        RefOps.conv2d(d[0], xs, d[1], ws, d[2], 1, 1, 1, 1, 1, 1), new int[] {2, 4, 5, 6}, d[3], d[4], 2, 1e-5),
                        0), d[5][0]))), 5e-4, x, w, b, gamma, beta, s);
    }
}
