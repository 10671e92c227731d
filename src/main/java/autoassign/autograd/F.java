package autoassign.autograd;

import autoassign.backend.Backend;
import autoassign.backend.ConvParams;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.function.UnaryOperator;

/** Differentiable ops: each runs on the inputs' backend and records its backward on the tape. */
public final class F {
    private F() {}

    /** conv2d with weight [Cout, Cin/groups, kH, kW] ({@code p.groups()}); x, w and bias get gradients. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        return convAffineAct(x, w, bias, p, null, null, null, false);
    }

    /**
     * One layer as one taped op: conv (+ bias) → per-channel affine (frozen BatchNorm: constant scale/shift, each
     * nullable) → + residual (nullable, same shape) → ReLU when {@code relu}. The tail runs in place on the conv's
     * output, so the layer keeps one activation where the unfused ops keep up to four, with the same values; the
     * backward reads only x, w and the output (ReLU's mask is where the output is &gt; 0). x, w, bias and residual
     * get gradients. Grouped convs ({@code p.groups() > 1}) take the same path: the backend's conv ops read the groups
     * from {@code p}.
     */
    public static Tensor convAffineAct(Tensor x, Tensor w, Tensor bias, ConvParams p, Tensor scale, Tensor shift,
                                       Tensor residual, boolean relu) {
        Backend be = x.backend();
        Tensor y = be.conv2d(x, w, bias, p);
        if (scale != null || shift != null || residual != null || relu) be.channelAffineActInPlace(y, scale, shift, residual, relu);
        int[] xs = x.shape(), ws = w.shape();
        Graph.record(new Tensor[] {x, w, bias, residual}, y, g -> {
            boolean residualGrad = residual != null && residual.requiresGrad();
            // gradient of the sum (before ReLU) and of the conv's output (after the affine's scale)
            Tensor gSum = residualGrad && relu ? be.actAffineBackward(g[0], y, null, true) : g[0];
            Tensor gConv = residualGrad ? (scale == null ? gSum : be.channelAffine(gSum, scale, null))
                    : (relu || scale != null ? be.actAffineBackward(g[0], y, scale, relu) : g[0]);
            Tensor[] d = {
                    x.requiresGrad() ? be.conv2dBackwardInput(gConv, w, xs, p) : null,
                    w.requiresGrad() ? be.conv2dBackwardWeight(gConv, x, ws, p) : null,
                    bias != null && bias.requiresGrad() ? be.channelSum(gConv) : null,
                    residualGrad ? gSum : null};
            if (gConv != g[0] && gConv != gSum) MemoryScope.dispose(gConv); // a temporary of this backward step
            return d;
        });
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

    /** min(max(x, 0), 6) (PyTorch's ReLU6, i.e. hardtanh(x, 0, 6)): the gradient is 0 where x &le; 0 or x &ge; 6. */
    public static Tensor relu6(Tensor x) { return hardtanh(x, 0f, 6f); }

    /** min(max(x, lo), hi); like PyTorch's hardtanh the gradient passes only where lo &lt; x &lt; hi. */
    public static Tensor hardtanh(Tensor x, float lo, float hi) {
        Backend be = x.backend();
        Tensor y = be.hardtanh(x, lo, hi);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.hardtanhBackward(g[0], x, lo, hi)});
        return y;
    }

    /** x &gt; 0 ? x : slope·x (PyTorch's leaky_relu); the gradient is slope where x &le; 0, as torch's backward. */
    public static Tensor leakyRelu(Tensor x, float slope) {
        Backend be = x.backend();
        Tensor y = be.leakyRelu(x, slope);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.leakyReluBackward(g[0], x, slope)});
        return y;
    }

    /** x·sigmoid(x) (MMCV's Swish = torch's SiLU); the gradient is torch's silu_backward. */
    public static Tensor swish(Tensor x) {
        Backend be = x.backend();
        Tensor y = be.swish(x);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.swishBackward(g[0], x)});
        return y;
    }

    /**
     * min(max(x + 3, 0), 6) / 6 (torch's {@code nn.Hardsigmoid}, MMDetection's ChannelAttention gate); the gradient is
     * torch's hardsigmoid_backward (g / 6 strictly inside (−3, 3), 0 elsewhere).
     */
    public static Tensor hardsigmoid(Tensor x) {
        Backend be = x.backend();
        Tensor y = be.hardsigmoid(x);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.hardsigmoidBackward(g[0], x)});
        return y;
    }

    /**
     * MMDetection's {@code Focus} slicing: [N, C, H, W] (H, W even) to [N, 4C, H/2, W/2], channel blocks top-left,
     * bottom-left, top-right, bottom-right ({@link autoassign.backend.SpaceToDepth}); the gradient is the inverse
     * permutation.
     */
    public static Tensor spaceToDepth(Tensor x) {
        Backend be = x.backend();
        Tensor y = be.spaceToDepth(x);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.spaceToDepthBackward(g[0])});
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

    /**
     * Softmax along the middle axis of x viewed as [outer, n, inner] (torch's softmax over one dim: outer = the
     * product of the dims before it, inner = of those after); same shape as x.
     */
    public static Tensor softmax(Tensor x, int outer, int n, int inner) {
        Backend be = x.backend();
        Tensor y = be.softmax(x, outer, n, inner);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.softmaxBackward(g[0], y, outer, n, inner)});
        return y;
    }

    /**
     * x viewed as [s.numel(), x.numel() / s.numel()], each row times its entry of s (a per-(sample, channel) weight over
     * H·W, a per-sample scale); gradients for x and, when it requires one, for s.
     */
    public static Tensor rowScale(Tensor x, Tensor s) {
        Backend be = x.backend();
        Tensor y = be.rowScale(x, s);
        Graph.record(new Tensor[] {x, s}, y, g -> new Tensor[] {
                x.requiresGrad() ? be.rowScale(g[0], s) : null,
                s.requiresGrad() ? be.rowScaleBackward(g[0], x, s) : null});
        return y;
    }

    /** Per-channel affine with constant scale/shift (frozen BatchNorm): only x gets a gradient. */
    public static Tensor channelAffine(Tensor x, Tensor scale, Tensor shift) {
        Backend be = x.backend();
        Tensor y = be.channelAffine(x, scale, shift);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.channelAffine(g[0], scale, null)});
        return y;
    }

    /**
     * BatchNorm with frozen statistics and a trainable affine (MMDetection's {@code norm_eval=True} with
     * {@code requires_grad=True}): {@code y = x·scale + shift}, scale = w/√(var+ε), shift = b − mean·scale, computed
     * by the caller from w and b; gradients dx = g·scale, dw = Σ g·x̂ with x̂ = x·invStd + negMeanInvStd, db = Σ g
     * (sums over N, H, W).
     */
    public static Tensor batchNormAffine(Tensor x, Tensor w, Tensor b, Tensor scale, Tensor shift, Tensor invStd,
                                         Tensor negMeanInvStd) {
        Backend be = x.backend();
        Tensor y = be.channelAffine(x, scale, shift);
        Graph.record(new Tensor[] {x, w, b}, y, g -> {
            Tensor dw = null;
            if (w.requiresGrad()) {
                Tensor xhat = be.channelAffine(x, invStd, negMeanInvStd);
                dw = be.channelDot(g[0], xhat);
                MemoryScope.dispose(xhat);
            }
            return new Tensor[] {x.requiresGrad() ? be.channelAffine(g[0], scale, null) : null, dw,
                    b.requiresGrad() ? be.channelSum(g[0]) : null};
        });
        return y;
    }

    /**
     * The output of {@link #batchNormTraining} and the batch statistics its caller folds into the running ones: the
     * per-channel mean and biased variance over {@code count} values per channel (all workers' with SyncBN).
     */
    public record BatchNormResult(Tensor y, double[] mean, double[] biasedVar, long count) {}

    /**
     * BatchNorm in train mode (PyTorch's {@code F.batch_norm(training=True)}): per channel c over N, H, W (M values),
     * mean μ = Σx/M, biased variance σ² = Σ(x−μ)²/M (two passes: the centred sum does not cancel), and
     * y = x̂·w + b with x̂ = (x−μ)/√(σ²+ε), applied as one per-channel affine. Backward (w, b nullable-grad):
     * db = Σg, dw = Σg·x̂, dx = (w/√(σ²+ε))·(g − db/M − x̂·dw/M). Composed from the backends' per-channel ops; the
     * per-channel scalars are formed on the host in double (a device sync per layer and direction).
     *
     * @param acrossWorkers null: this worker's batch alone; else SyncBN (torch's {@code SyncBatchNorm}): the sum of
     *                      host values over every data-parallel worker, called the same number of times on each, so
     *                      that M, μ, σ² and the Σg, Σg·x̂ of dx span the whole batch; dw and db stay this worker's
     *                      (the gradient all-reduce adds them up as for any parameter)
     */
    public static BatchNormResult batchNormTraining(Tensor x, Tensor w, Tensor b, float eps, UnaryOperator<double[]> acrossWorkers) {
        Backend be = x.backend();
        int c = x.dim(1);
        double[] sums = new double[c + 1]; // Σx per channel, then the count M
        float[] sum = be.channelSum(x).toFloatArray(); // each sum accumulated in double by the backend
        for (int i = 0; i < c; i++) sums[i] = sum[i];
        sums[c] = (double) x.dim(0) * x.dim(2) * x.dim(3);
        if (acrossWorkers != null) sums = acrossWorkers.apply(sums);
        long m = (long) sums[c];
        if (m < 2)
            throw new IllegalArgumentException("batchNormTraining: expected more than 1 value per channel when training, got input "
                    + autoassign.tensor.Shape.str(x.shape()) + (acrossWorkers != null ? " over all workers" : ""));
        double[] mean = new double[c];
        float[] one = new float[c], negMean = new float[c];
        for (int i = 0; i < c; i++) {
            mean[i] = sums[i] / m;
            one[i] = 1f;
            negMean[i] = (float) -mean[i];
        }
        Tensor centred = be.channelAffine(x, be.fromHost(one, c), be.fromHost(negMean, c));
        double[] squares = widen(be.channelDot(centred, centred).toFloatArray());
        // Σ(x − float(μ)) = M·(μ − float(μ)) with μ exact: the float sums' and the centring's rounding, corrected below
        double[] residual = widen(be.channelSum(centred).toFloatArray());
        if (acrossWorkers != null) { // one collective for both, as before the residual was added
            double[] both = new double[2 * c];
            System.arraycopy(squares, 0, both, 0, c);
            System.arraycopy(residual, 0, both, c, c);
            both = acrossWorkers.apply(both);
            squares = java.util.Arrays.copyOfRange(both, 0, c);
            residual = java.util.Arrays.copyOfRange(both, c, 2 * c);
        }
        float[] wv = w.toFloatArray(), bv = b.toFloatArray();
        double[] var = new double[c];
        float[] scale = new float[c], shift = new float[c], invStd = new float[c], deltaInvStd = new float[c];
        for (int i = 0; i < c; i++) {
            // y = (x − μ)·w/σ + b applied to the centred x − float(μ), as torch normalises the centred value: x·(w/σ)
            // + (b − μ·w/σ) would cancel catastrophically where |μ| ≫ σ (BN over two samples of a [N, C, 1, 1] input)
            double delta = residual[i] / m; // μ − float(μ)
            mean[i] = (float) mean[i] + delta;
            var[i] = Math.max(0, squares[i] / m - delta * delta);
            double inv = 1 / Math.sqrt(var[i] + eps);
            invStd[i] = (float) inv;
            deltaInvStd[i] = (float) (-delta * inv);
            scale[i] = (float) (wv[i] * inv);
            shift[i] = (float) (bv[i] - delta * wv[i] * inv);
        }
        // in place: the centred copy becomes y (the same x·k + b per element), so the forward holds one activation beyond x
        be.channelAffineActInPlace(centred, be.fromHost(scale, c), be.fromHost(shift, c), null, false);
        Tensor y = centred;
        Graph.record(new Tensor[] {x, w, b}, y, g -> {
            Tensor xhat = be.channelAffine(x, be.fromHost(one, c), be.fromHost(negMean, c)); // x̂ = (x − μ)/σ, centred first
            be.channelAffineActInPlace(xhat, be.fromHost(invStd, c), be.fromHost(deltaInvStd, c), null, false);
            float[] db = be.channelSum(g[0]).toFloatArray(), dw = be.channelDot(g[0], xhat).toFloatArray();
            Tensor dx = null;
            if (x.requiresGrad()) {
                double[] both = new double[2 * c]; // Σg, Σg·x̂: the whole batch's with SyncBN
                for (int i = 0; i < c; i++) {
                    both[i] = db[i];
                    both[c + i] = dw[i];
                }
                if (acrossWorkers != null) both = acrossWorkers.apply(both);
                float[] k = new float[c], a = new float[c], s0 = new float[c];
                for (int i = 0; i < c; i++) {
                    k[i] = (float) (wv[i] * (double) invStd[i]);
                    a[i] = (float) (-both[c + i] / m);
                    s0[i] = (float) (-both[i] / m);
                }
                // k·(g − Σg/M − x̂·Σgx̂/M): the difference first, then the scale k = w/σ (as torch), so that a large k
                // (σ small) does not turn the cancellation of g against its mean into large rounding errors
                be.channelAffineActInPlace(xhat, be.fromHost(a, c), be.fromHost(s0, c), g[0], false);
                dx = be.channelAffine(xhat, be.fromHost(k, c), null);
            }
            MemoryScope.dispose(xhat);
            return new Tensor[] {dx, w.requiresGrad() ? be.fromHost(dw, c) : null, b.requiresGrad() ? be.fromHost(db, c) : null};
        });
        return new BatchNormResult(y, mean, var, m);
    }

    private static double[] widen(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    public static Tensor groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        return groupNormAct(x, gamma, beta, groups, eps, false);
    }

    /** GroupNorm, then ReLU in place on its output when {@code relu} (one activation, GN's backward reads x). */
    public static Tensor groupNormAct(Tensor x, Tensor gamma, Tensor beta, int groups, float eps, boolean relu) {
        Backend be = x.backend();
        Tensor[] r = be.groupNorm(x, gamma, beta, groups, eps);
        Tensor y = r[0], mean = r[1], rstd = r[2];
        if (relu) be.channelAffineActInPlace(y, null, null, null, true);
        Graph.record(new Tensor[] {x, gamma, beta}, y, g -> {
            Tensor gn = relu ? be.actAffineBackward(g[0], y, null, true) : g[0];
            Tensor[] d = be.groupNormBackward(gn, x, mean, rstd, gamma, groups);
            if (gn != g[0]) MemoryScope.dispose(gn);
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

    /** PyTorch's {@code avg_pool2d} ({@link autoassign.backend.AvgPool2dParams}); the backward needs only the input's size. */
    public static Tensor avgPool2d(Tensor x, autoassign.backend.AvgPool2dParams p) {
        Backend be = x.backend();
        Tensor y = be.avgPool2d(x, p);
        int h = x.dim(2), w = x.dim(3);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.avgPool2dBackward(g[0], h, w, p)});
        return y;
    }

    public static Tensor upsampleNearest(Tensor x, int outH, int outW) {
        Backend be = x.backend();
        Tensor y = be.upsampleNearest(x, outH, outW);
        int h = x.dim(2), w = x.dim(3);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.upsampleNearestBackward(g[0], h, w)});
        return y;
    }

    /**
     * {@code F.interpolate(x, scale_factor=(scaleH, scaleW), mode='bilinear', align_corners=False)}: output size
     * ⌊in·scale⌋ and ATen's ratio 1/scale ({@link autoassign.backend.BilinearResize}).
     */
    public static Tensor upsampleBilinear(Tensor x, double scaleH, double scaleW) {
        autoassign.tensor.Shape.checkRank("upsampleBilinear", "input", x.shape(), 4);
        int h = x.dim(2), w = x.dim(3);
        int oh = autoassign.backend.BilinearResize.outSize(h, scaleH), ow = autoassign.backend.BilinearResize.outSize(w, scaleW);
        if (oh < 1 || ow < 1)
            throw new IllegalArgumentException("upsampleBilinear: input " + autoassign.tensor.Shape.str(x.shape()) + " with scale factors "
                    + scaleH + ", " + scaleW + " gives an empty output " + oh + "x" + ow);
        float rh = autoassign.backend.BilinearResize.ratio(h, oh, scaleH), rw = autoassign.backend.BilinearResize.ratio(w, ow, scaleW);
        Backend be = x.backend();
        Tensor y = be.upsampleBilinear(x, oh, ow, rh, rw);
        Graph.record(new Tensor[] {x}, y, g -> new Tensor[] {be.upsampleBilinearBackward(g[0], h, w, rh, rw)});
        return y;
    }

    /**
     * {@code torch.cat(xs, dim=1)} of NCHW tensors with equal N, H, W, on the backend's {@link Backend#copyRange}
     * (one copy per image and input); each input's gradient is its channel slice of the output's.
     */
    public static Tensor concatChannels(java.util.List<Tensor> xs) {
        if (xs.isEmpty()) throw new IllegalArgumentException("concatChannels: no inputs");
        Tensor first = xs.get(0);
        autoassign.tensor.Shape.checkRank("concatChannels", "input 0", first.shape(), 4);
        int n = first.dim(0), h = first.dim(2), w = first.dim(3), total = 0;
        for (int i = 0; i < xs.size(); i++) {
            Tensor x = xs.get(i);
            int[] s = x.shape();
            if (s.length != 4 || s[0] != n || s[2] != h || s[3] != w)
                throw new IllegalArgumentException("concatChannels: input " + i + " " + autoassign.tensor.Shape.str(s)
                        + " does not match input 0 " + autoassign.tensor.Shape.str(first.shape()) + " outside the channels");
            if (!x.device().equals(first.device()))
                throw new IllegalArgumentException("concatChannels: input " + i + " on " + x.device() + ", input 0 on " + first.device());
            total += s[1];
        }
        Backend be = first.backend();
        long hw = (long) h * w;
        int ctot = total;
        Tensor y = be.zeros(n, ctot, h, w);
        long[] offsets = new long[xs.size()];
        long off = 0;
        for (int i = 0; i < xs.size(); i++) {
            offsets[i] = off;
            off += xs.get(i).dim(1);
        }
        for (int i = 0; i < xs.size(); i++) {
            long block = xs.get(i).dim(1) * hw;
            for (int b = 0; b < n; b++) be.copyRange(y, (b * ctot + offsets[i]) * hw, xs.get(i), b * block, block);
        }
        Graph.record(xs.toArray(new Tensor[0]), y, g -> {
            Tensor[] d = new Tensor[xs.size()];
            for (int i = 0; i < xs.size(); i++) {
                Tensor x = xs.get(i);
                if (!x.requiresGrad()) continue;
                long block = x.dim(1) * hw;
                d[i] = be.zeros(x.shape());
                for (int b = 0; b < n; b++) be.copyRange(d[i], b * block, g[0], (b * ctot + offsets[i]) * hw, block);
            }
            return d;
        });
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
