package autoassign.backend;

import autoassign.tensor.Device;
import autoassign.tensor.Tensor;

/**
 * The op set every device implements (tinygrad habit: a small op set behind every backend).
 * Ops never modify their inputs unless the name says "InPlace"; shapes are NCHW.
 * Bad shapes throw IllegalArgumentException naming the op and the shapes.
 */
public interface Backend {
    Device device();

    // ---- memory ----
    Tensor zeros(int... shape);

    Tensor fromHost(float[] data, int... shape);

    // ---- convolution (weights [Cout, Cin/groups, kH, kW], groups in ConvParams) ----
    Tensor conv2d(Tensor x, Tensor w, Tensor bias /* nullable */, ConvParams p);

    Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int[] inputShape, ConvParams p);

    Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, int[] weightShape, ConvParams p);

    /** Sum of {@code gradOut} [N,C,H,W] over N, H, W → [C] (the bias gradient). */
    Tensor channelSum(Tensor gradOut);

    /**
     * Per-channel dot product of two [N,C,H,W] tensors over N, H, W → [C], accumulated in double (the gradient of a
     * per-channel scale: BatchNorm's weight with trainable affine).
     */
    Tensor channelDot(Tensor a, Tensor b);

    /** C = op(A)·op(B) for row-major 2-d tensors. */
    Tensor gemm(Tensor a, boolean transA, Tensor b, boolean transB);

    // ---- elementwise ----
    Tensor add(Tensor a, Tensor b);

    /** acc += b (used by the optimizer and gradient accumulation on owned buffers). */
    void addInPlace(Tensor acc, Tensor b);

    Tensor mulScalar(Tensor x, float s);

    /** x · s where s is a one-element tensor (the learnable Scale). */
    Tensor mulByTensorScalar(Tensor x, Tensor s);

    /** Σ a·b over all elements → one-element tensor. */
    Tensor dot(Tensor a, Tensor b);

    /** max(x, min). */
    Tensor clampMin(Tensor x, float min);

    /** gradOut where x &ge; min, else 0 (PyTorch's clamp backward). */
    Tensor clampMinBackward(Tensor gradOut, Tensor x, float min);

    /** min(max(x, lo), hi), NaN propagating (PyTorch's hardtanh; ReLU6 is hardtanh(x, 0, 6)). */
    Tensor hardtanh(Tensor x, float lo, float hi);

    /** gradOut where lo &lt; x &lt; hi, else 0 (PyTorch's hardtanh_backward: 0 where x &le; lo or x &ge; hi; NaN passes). */
    Tensor hardtanhBackward(Tensor gradOut, Tensor x, float lo, float hi);

    /** x &gt; 0 ? x : slope·x (PyTorch's leaky_relu; a NaN stays NaN). */
    Tensor leakyRelu(Tensor x, float slope);

    /** x &gt; 0 ? gradOut : gradOut·slope (PyTorch's leaky_relu_backward: slope at x = 0 and for a NaN x). */
    Tensor leakyReluBackward(Tensor gradOut, Tensor x, float slope);

    /** x·sigmoid(x) (MMCV's Swish, torch's SiLU), the sigmoid as {@link #sigmoid} computes it. */
    Tensor swish(Tensor x);

    /** gradOut·s·(1 + x·(1 − s)) with s = sigmoid(x) (torch's silu_backward). */
    Tensor swishBackward(Tensor gradOut, Tensor x);

    /** min(max(x + 3, 0), 6) / 6 (torch's {@code nn.Hardsigmoid}, as its CPU kernel rounds it; a NaN stays NaN). */
    Tensor hardsigmoid(Tensor x);

    /** −3 &lt; x &lt; 3 ? gradOut·(float) (1/6) : 0 (torch's hardsigmoid_backward: 0 at ±3 and for a NaN x). */
    Tensor hardsigmoidBackward(Tensor gradOut, Tensor x);

    /**
     * MMDetection's {@code Focus} slicing of [N, C, H, W] (H, W even) into [N, 4C, H/2, W/2]: channel blocks
     * {@code x[..., ::2, ::2]}, {@code x[..., 1::2, ::2]}, {@code x[..., ::2, 1::2]}, {@code x[..., 1::2, 1::2]}
     * (top-left, bottom-left, top-right, bottom-right), a permutation of the elements.
     */
    Tensor spaceToDepth(Tensor x);

    /** The inverse permutation of {@link #spaceToDepth}: [N, 4C, H, W] to [N, C, 2H, 2W] (its backward). */
    Tensor spaceToDepthBackward(Tensor gradOut);

    Tensor sigmoid(Tensor x);

    /**
     * Softmax along the middle axis of x viewed as [outer, n, inner] (outer·n·inner = x.numel()), same shape as x:
     * per line the maximum is subtracted, exp and the sum in float (torch's softmax on float tensors); a NaN in a
     * line makes the whole line NaN. ResNeSt's RSoftmax (radix axis) and attention (inner = 1).
     */
    Tensor softmax(Tensor x, int outer, int n, int inner);

    /** y · (gradOut − Σₙ gradOut·y) per line of [outer, n, inner], the sum in float (torch's softmax backward). */
    Tensor softmaxBackward(Tensor gradOut, Tensor y, int outer, int n, int inner);

    /**
     * x viewed as [s.numel(), x.numel() / s.numel()], row r multiplied by s[r]; same shape as x (split attention's
     * per-channel weights over H·W, drop path's per-sample scale).
     */
    Tensor rowScale(Tensor x, Tensor s);

    /**
     * The gradient of {@link #rowScale} with respect to s: per row the dot product of gradOut and x (accumulated in
     * double, like channelDot), shaped like s. (The gradient with respect to x is rowScale(gradOut, s).)
     */
    Tensor rowScaleBackward(Tensor gradOut, Tensor x, Tensor s);

    /**
     * x viewed as [rows, numel / rows]: per row Σ x·(1f / cols), accumulated in double → [rows] ({@code
     * adaptive_avg_pool2d(x, 1)} on [N·C, H·W]: rowScaleBackward's arithmetic against a row of 1f / cols, without it).
     */
    default Tensor rowMean(Tensor x, int rows) {
        int cols = LineViews.rowsOf("rowMean", x, rows);
        Tensor one = fromHost(new float[] {1f / cols}, 1), inv = broadcastScalar(one, 1f, x.numel()), out = zeros(rows);
        Tensor y = rowScaleBackward(x.view(x.numel()), inv, out);
        autoassign.tensor.MemoryScope.dispose(one);
        autoassign.tensor.MemoryScope.dispose(inv);
        autoassign.tensor.MemoryScope.dispose(out);
        return y;
    }

    /** A tensor of {@code shape} viewed as [s.numel(), rows of equal length]: row r = s[r]·factor (rowMean's gradient). */
    default Tensor rowBroadcast(Tensor s, float factor, int... shape) {
        Tensor one = fromHost(new float[] {factor}, 1), w = broadcastScalar(one, 1f, shape);
        Tensor y = rowScale(w, s);
        autoassign.tensor.MemoryScope.dispose(one);
        autoassign.tensor.MemoryScope.dispose(w);
        return y;
    }

    /** gradOut · y · (1 − y) with y = sigmoid(x). */
    Tensor sigmoidBackward(Tensor gradOut, Tensor y);

    /** Per-channel y = x·scale[c] + shift[c] (frozen BatchNorm); shift may be null. */
    Tensor channelAffine(Tensor x, Tensor scale, Tensor shift);

    /**
     * In place over [N,C,H,W]: x = act(x·scale[c] + shift[c] + residual), act = ReLU when {@code relu}, else the
     * identity; scale, shift and residual (same shape as x) may each be null. The fused tail of a layer (conv →
     * frozen BN (→ + identity) → ReLU, or GroupNorm → ReLU) on the fresh output of its first op: no extra tensor.
     * Rounds as the unfused ops do: (x·scale + shift) + residual, then max(·, 0) (NaN propagates).
     */
    void channelAffineActInPlace(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu);

    /**
     * The gradient reaching x of {@link #channelAffineActInPlace}, from its output y: gradOut·[y &gt; 0]·scale[c]
     * ({@code relu}: the mask; scale null: 1). y &gt; 0 exactly where ReLU's input was &gt; 0, PyTorch's rule.
     */
    Tensor actAffineBackward(Tensor gradOut, Tensor y, Tensor scale, boolean relu);

    // ---- reductions ----
    /** Σ x → one-element tensor. */
    Tensor sum(Tensor x);

    /** A tensor of {@code shape} filled with the single value of {@code s} times {@code factor}. */
    Tensor broadcastScalar(Tensor s, float factor, int... shape);

    // ---- normalisation / resampling ----
    /** Returns {y, mean [N·G], rstd [N·G]}. */
    Tensor[] groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps);

    /** Returns {gradX, gradGamma, gradBeta}. */
    Tensor[] groupNormBackward(Tensor gradOut, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, int groups);

    Tensor maxPool2d(Tensor x, int kernel, int stride, int pad);

    /** Routes each output gradient to the first maximum of its window in x. */
    Tensor maxPool2dBackward(Tensor gradOut, Tensor x, int kernel, int stride, int pad);

    /**
     * PyTorch's {@code avg_pool2d} ({@code nn.AvgPool2d} with kernel, stride, padding, ceil_mode, count_include_pad;
     * geometry and divisors in {@link AvgPool2dParams}): each output is the float sum of its window's input elements
     * in row-major order divided by the window's divisor; [N,C,H,W] → [N,C,Ho,Wo].
     */
    Tensor avgPool2d(Tensor x, AvgPool2dParams p);

    /**
     * The input gradient of {@link #avgPool2d} for an input of {@code inH × inW}: every input element gets Σ gy/divisor
     * over the windows that contain it, added in row-major order of the outputs (PyTorch's scatter order).
     */
    Tensor avgPool2dBackward(Tensor gradOut, int inH, int inW, AvgPool2dParams p);

    /** PyTorch 'nearest': src index = floor(dst · in / out). */
    Tensor upsampleNearest(Tensor x, int outH, int outW);

    Tensor upsampleNearestBackward(Tensor gradOut, int inH, int inW);

    /**
     * PyTorch's {@code upsample_bilinear2d} with align_corners=False to {@code outH × outW}, with ATen's float ratios
     * ({@link BilinearResize#ratio}: 1/scale_factor when one is given, else in/out); indices and weights in
     * {@link BilinearResize#tap}. The default runs the CPU twin on a host copy.
     */
    default Tensor upsampleBilinear(Tensor x, int outH, int outW, float ratioH, float ratioW) {
        return toThis(Backends.cpu().upsampleBilinear(x.isCpu() ? x : Tensor.of(x.toFloatArray(), x.shape()), outH, outW, ratioH, ratioW));
    }

    /**
     * The input gradient of {@link #upsampleBilinear} for an input of {@code inH × inW}: every output's gradient times
     * λh·λw added to its four corners, outputs in row-major order (PyTorch's CPU scatter order). The default runs the
     * CPU twin on a host copy.
     */
    default Tensor upsampleBilinearBackward(Tensor gradOut, int inH, int inW, float ratioH, float ratioW) {
        Tensor g = gradOut.isCpu() ? gradOut : Tensor.of(gradOut.toFloatArray(), gradOut.shape());
        return toThis(Backends.cpu().upsampleBilinearBackward(g, inH, inW, ratioH, ratioW));
    }

    // ---- window transformers (Swin): gather, batched GEMM, GELU ----
    /**
     * Row gather ({@link GatherIndex}): x viewed as [sourceRows, block], output row i = source row rows[i], or zeros
     * where rows[i] is −1; output shape {@code idx.outShape()}. The default runs the CPU twin on a host copy.
     */
    default Tensor gather(Tensor x, GatherIndex idx) {
        return toThis(Backends.cpu().gather(onHost(x), idx));
    }

    /**
     * The input gradient of {@link #gather}: source row s gets the sum of the gradient rows of the outputs that read
     * it, added in increasing output order ({@link GatherIndex#inverseRows}), zeros where none does. The default runs
     * the CPU twin on a host copy.
     */
    default Tensor gatherBackward(Tensor gradOut, GatherIndex idx, int[] inputShape) {
        return toThis(Backends.cpu().gatherBackward(onHost(gradOut), idx, inputShape));
    }

    /**
     * Batched transpose: x viewed as [batch, rows, cols] → [batch, cols, rows] (its gradient is
     * {@code transpose2d(g, batch, cols, rows)}). The default runs the CPU twin on a host copy.
     */
    default Tensor transpose2d(Tensor x, int batch, int rows, int cols) {
        return toThis(Backends.cpu().transpose2d(onHost(x), batch, rows, cols));
    }

    /**
     * Batched C[i] = op(A[i])·op(B[i]) of [batch, ·, ·] tensors (torch.bmm; op = transpose of the last two axes when
     * its flag is set) → [batch, m, n]. The default runs the CPU twin on host copies.
     */
    default Tensor bmm(Tensor a, boolean transA, Tensor b, boolean transB) {
        return toThis(Backends.cpu().bmm(onHost(a), transA, onHost(b), transB));
    }

    /** torch's exact GELU per element ({@link GeluMath}). The default runs the CPU twin on a host copy. */
    default Tensor gelu(Tensor x) {
        return toThis(Backends.cpu().gelu(onHost(x)));
    }

    /** gradOut·(Φ(x) + x·φ(x)) (torch's gelu_backward, {@link GeluMath}). The default runs the CPU twin on host copies. */
    default Tensor geluBackward(Tensor gradOut, Tensor x) {
        return toThis(Backends.cpu().geluBackward(onHost(gradOut), onHost(x)));
    }

    /**
     * Dropout with a counter-based mask ({@link DropoutMath}): element i of x times 1/(1 − p) when
     * {@code DropoutMath.bits(seed, i)} ≥ ceil(p·2^24), else times 0. Its gradient is the same op on the output
     * gradient with the same p and seed. The default runs the CPU twin on a host copy.
     */
    default Tensor dropout(Tensor x, double p, long seed) {
        return toThis(Backends.cpu().dropout(onHost(x), p, seed));
    }

    // ---- fused AutoAssign loss ----
    /**
     * The fused AutoAssign loss on this device, or null where the loss runs the CPU reference op on host
     * values (the CPU backend, whose reference op lives in {@code autoassign.loss}; a device without the kernels).
     */
    default FusedAutoAssignLoss fusedAutoAssignLoss() { return null; }

    // ---- fused post-processing ----
    /**
     * Test-time post-processing on this device (top-k, decode, NMS), or null where inference downloads the head
     * outputs and runs the CPU reference ({@code autoassign.postprocess.PostProcessor}).
     */
    default FusedPostProcess fusedPostProcess() { return null; }

    /** Peak device memory in bytes since start, or -1 where the backend does not track it (the CPU). */
    default long peakMemoryBytes() { return -1; }

    /** Starts a new peak-memory measurement (no-op where peaks are not tracked). */
    default void resetPeakMemory() {}

    /** Returns cached device memory to the driver ({@code torch.cuda.empty_cache}); a no-op without a cache (the CPU). */
    default void emptyCache() {}

    /** Waits until every op issued so far has finished (a no-op for synchronous backends). */
    default void synchronize() {}

    // ---- flat copies (gradient buckets of data-parallel training) ----
    /**
     * {@code dst[dstOff .. dstOff+n) = src[srcOff .. srcOff+n)} over the flat element order, both on this
     * backend's device (ordered with the device's other ops). The default goes through host copies; devices
     * override it with a device-to-device copy.
     */
    default void copyRange(Tensor dst, long dstOff, Tensor src, long srcOff, long n) {
        if (n == 0) return;
        if (dst.isCpu() && src.isCpu()) {
            System.arraycopy(src.data(), Math.toIntExact(srcOff), dst.data(), Math.toIntExact(dstOff), Math.toIntExact(n));
            return;
        }
        float[] d = dst.toFloatArray();
        System.arraycopy(src.toFloatArray(), Math.toIntExact(srcOff), d, Math.toIntExact(dstOff), Math.toIntExact(n));
        if (dst.isCpu()) System.arraycopy(d, 0, dst.data(), 0, d.length);
        else dst.buffer().fromHost(d);
    }

    /** {@code dst[off .. off+n) = 0} (see {@link #copyRange}). */
    default void zeroRange(Tensor dst, long off, long n) {
        if (n == 0) return;
        if (dst.isCpu()) {
            java.util.Arrays.fill(dst.data(), Math.toIntExact(off), Math.toIntExact(off + n), 0f);
            return;
        }
        float[] d = dst.toFloatArray();
        java.util.Arrays.fill(d, Math.toIntExact(off), Math.toIntExact(off + n), 0f);
        dst.buffer().fromHost(d);
    }

    // ---- optimizer ----
    /**
     * One SGD step in place, PyTorch semantics: g' = g + wd·p; buf = momentum·buf + g' (buf = g' on the first
     * step, signalled by {@code firstStep}); p -= lr·buf.
     */
    void sgdStep(Tensor param, Tensor grad, Tensor momentumBuf, float lr, float momentum, float weightDecay, boolean firstStep);

    /**
     * {@link #sgdStep} for every update of the list, in order (a device may run them as one launch: the CUDA
     * backend's {@code aa_sgd_multi}).
     */
    default void sgdStepAll(java.util.List<SgdUpdate> updates, float lr, float momentum) {
        for (SgdUpdate u : updates)
            sgdStep(u.param(), u.grad(), u.momentumBuf(), lr, momentum, u.weightDecay(), u.firstStep());
    }

    /**
     * torch.optim.SGD with {@code dampening} and {@code nesterov} as well: d = g + wd·p; buf = d on the first step,
     * else momentum·buf + (1 − dampening)·d; p −= lr·(nesterov ? d + momentum·buf : buf). Without either (or with
     * momentum 0, where torch keeps no buffer) it is {@link #sgdStepAll(java.util.List, float, float)}; else it runs
     * on the backend's elementwise ops, a few launches per tensor (the recipe's SGD never takes this path).
     */
    default void sgdStepAll(java.util.List<SgdUpdate> updates, float lr, float momentum, float dampening, boolean nesterov) {
        if (momentum == 0 || (dampening == 0 && !nesterov)) {
            sgdStepAll(updates, lr, momentum);
            return;
        }
        for (SgdUpdate u : updates) {
            Tensor p = u.param(), buf = u.momentumBuf();
            Tensor d = u.weightDecay() == 0 ? u.grad() : add(u.grad(), mulScalar(p, u.weightDecay()));
            Tensor next = u.firstStep() ? d : add(mulScalar(buf, momentum), mulScalar(d, 1 - dampening));
            zeroRange(buf, 0, buf.numel());
            addInPlace(buf, next); // buf = next, in place (the buffer outlives the step)
            Tensor step = nesterov ? add(d, mulScalar(buf, momentum)) : buf;
            addInPlace(p, mulScalar(step, -lr));
        }
    }

    /**
     * One torch.optim.Adam / AdamW step in place for every update of the list (a device may run them as one
     * launch), per element in float32 in the order of torch's formulas (torch's vectorised kernels fuse some of the
     * multiply-adds, and CUDA contracts others: last-bit differences): {@code p = p·decay; g' = g + l2·p;
     * m = lerp(m, g', 1−β₁)} (ATen's two-sided lerp: {@code m + w(g' − m)} for w &lt; 0.5, else {@code g' − (g' − m)(1 − w)});
     * {@code v = v·β₂ + (1−β₂)·g'·g'; p = p − stepSize·m / (√v / bc2Sqrt + eps)}.
     *
     * @param oneMinusBeta1 {@code (float) (1 − β₁)}, computed in double as torch does
     * @param oneMinusBeta2 {@code (float) (1 − β₂)}
     */
    void adamStepAll(java.util.List<AdamUpdate> updates, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps);

    /**
     * One step of an element-wise torch.optim rule ({@link OptimRule}: RMSprop, Adagrad, Adadelta, Adamax, NAdam,
     * RAdam, Adam with amsgrad, Rprop, ASGD) in place, for every update of the list (a device runs them as one launch: the CUDA
     * backend's {@code aaj_opt_multi}). This default runs the CPU twin ({@link OptimRule#apply}) on host copies of
     * the tensors and writes parameters and states back.
     */
    default void foreachUpdate(java.util.List<ForeachUpdate> updates) {
        for (ForeachUpdate u : updates) {
            Tensor[] t = {u.param(), u.grad(), u.s0(), u.s1(), u.s2()};
            float[][] a = new float[5][];
            for (int k = 0; k < 5; k++) {
                if (t[k] == null) continue;
                autoassign.tensor.Shape.checkSame("foreachUpdate", u.param().shape(), t[k].shape());
                a[k] = t[k].isCpu() ? t[k].data() : t[k].toFloatArray();
            }
            OptimRule.apply(u, a[0], a[1], a[2], a[3], a[4]);
            for (int k = 0; k < 5; k++)
                if (k != 1 && t[k] != null && !t[k].isCpu()) t[k].buffer().fromHost(a[k]);
        }
    }

    // ---- deformable convolution (MMCV's DCN / DCNv2) ----
    /**
     * MMCV's {@code deform_conv2d} (mask null) / {@code modulated_deform_conv2d}: every kernel tap (i, j) of output
     * (y, x) samples input channel c at (y·sH − pH + i·dH + Δy, x·sW − pW + j·dW + Δx), Δ from the offset of c's deform
     * group, bilinearly (zero outside the image: a sample counts only where −1 &lt; h &lt; H and −1 &lt; w &lt; W, and
     * each of its four corners only inside), times the mask, then the grouped GEMM with the weight (+ bias).
     * Shapes in {@link DeformConvParams}. The default runs the CPU reference on host copies.
     */
    default Tensor deformConv2d(Tensor x, Tensor offset, Tensor mask, Tensor w, Tensor bias, DeformConvParams p) {
        return toThis(Backends.cpu().deformConv2d(onHost(x), onHost(offset), onHost(mask), onHost(w), onHost(bias), p));
    }

    /**
     * The gradients of {@link #deformConv2d} for {@code gradOut} [N, Cout, Ho, Wo], as MMCV's CUDA backward computes
     * them: the columns' gradient Wᵀ·gradOut scattered back to the input through the bilinear weights (col2im), the
     * offsets' (and mask's) from the same columns and the input (col2im_coord), the weight's gradOut·colsᵀ, the bias's
     * Σ gradOut ({@code withBias}). The default runs the CPU reference on host copies.
     */
    default DeformConvGrads deformConv2dBackward(Tensor gradOut, Tensor x, Tensor offset, Tensor mask, Tensor w,
                                                 boolean withBias, DeformConvParams p) {
        DeformConvGrads g = Backends.cpu().deformConv2dBackward(onHost(gradOut), onHost(x), onHost(offset), onHost(mask),
                onHost(w), withBias, p);
        return new DeformConvGrads(toThis(g.input()), toThis(g.offset()), toThis(g.mask()), toThis(g.weight()), toThis(g.bias()));
    }

    /** A host copy of t (t itself on the CPU; null stays null): the default deformable ops' inputs. */
    private static Tensor onHost(Tensor t) {
        return t == null || t.isCpu() ? t : Tensor.of(t.toFloatArray(), t.shape());
    }

    private Tensor toThis(Tensor hostTensor) {
        return hostTensor == null ? null : fromHost(hostTensor.data(), hostTensor.shape());
    }
}
