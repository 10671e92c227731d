package autoassign.backend.cuda;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.backend.ConvParams;
import autoassign.backend.ShapeChecks;
import autoassign.backend.FusedAutoAssignLoss;
import autoassign.backend.FusedPostProcess;
import autoassign.backend.LineViews;
import autoassign.backend.SgdUpdate;
import autoassign.tensor.Device;
import autoassign.tensor.Shape;
import autoassign.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CUDA twin of {@link autoassign.backend.cpu.CpuBackend}. Every op is enqueued on the device's single
 * compute stream and returns at once; only {@code toFloatArray()/item()} wait. Memory comes from the caching
 * allocator. Which library or kernel runs each op:
 * <ul>
 *   <li>conv2d / backward-data / backward-filter: cuDNN, grouped convs included (algorithm cached per shape and
 *       groups, shared workspace); conv bias: native {@code aa_bias_add_nchw_f32};</li>
 *   <li>gemm: cuBLAS SGEMM (row-major trick); without cuBLAS, the backend kernel {@code aaj_gemm};</li>
 *   <li>fused AutoAssign loss: the native/ loss kernels with the backend's layout kernels ({@link CudaAutoAssignLoss});</li>
 *   <li>elementwise, reductions, group norm, pooling, upsampling, SGD: the native/ kernels ({@code aa_*}) where
 *       their semantics equal the CPU twin's, the backend's own kernels ({@code aaj_*}, backend_kernels.cu)
 *       otherwise or when the native fatbin is absent. {@link #implementations()} lists the choice per op.</li>
 * </ul>
 * Inputs must live on this backend's device; a CPU tensor passed in is an error naming the op.
 */
public final class CudaBackend implements Backend {
    /**
     * The native/ kernels this backend launches and the parameter lists it passes (types only, in order), as
     * documented in native/README.md. NativeKernelContractTest compares them with native/src in CI.
     */
    public static final Map<String, String> NATIVE_SIGNATURES = Map.ofEntries(
            Map.entry("aa_add_f32", "float*, const float*, const float*, long long"),
            Map.entry("aa_scale_f32", "float*, const float*, float, long long"),
            Map.entry("aa_sigmoid_fwd_f32", "float*, const float*, long long"),
            Map.entry("aa_sigmoid_bwd_f32", "float*, const float*, const float*, long long"),
            Map.entry("aa_clamp_min_fwd_f32", "float*, const float*, float, long long"),
            Map.entry("aa_bias_add_nchw_f32", "float*, const float*, const float*, int, long long"),
            Map.entry("aa_bias_grad_nchw_f32", "float*, const float*, int, int, long long, int"),
            Map.entry("aa_gn_fwd_stats", "const float*, double*, long long"),
            Map.entry("aa_gn_fwd_norm", "float*, float*, float*, const float*, const float*, const float*, const double*, int, long long, int, float"),
            Map.entry("aa_gn_bwd_reduce", "const float*, const float*, double*, long long"),
            Map.entry("aa_gn_bwd_dx", "float*, const float*, const float*, const float*, const float*, const float*, const double*, int, long long, int"),
            Map.entry("aa_gn_bwd_params", "float*, float*, const float*, const float*, const double*, int, int, int, int"),
            Map.entry("aa_upsample_nearest_fwd_f32", "float*, const float*, int, int, int, int, int, int"),
            Map.entry("aa_upsample_nearest_bwd_f32", "float*, const float*, int, int, int, int, int, int"),
            // fused AutoAssign loss (CudaAutoAssignLoss)
            Map.entry("aa_loss_fwd_maxiou", "const float*, const float*, const float*, int, int, float*"),
            Map.entry("aa_loss_fwd_gt", "const float*, const float*, const float*, const float*, const float*, const int*, "
                    + "const float*, const float*, const float*, int, int, int, double*"),
            Map.entry("aa_loss_fwd_neg", "const float*, const float*, const float*, const float*, const int*, const float*, "
                    + "const double*, int, int, int, double*"),
            Map.entry("aa_loss_fwd_finalize", "const double*, const double*, int, int, double*"),
            Map.entry("aa_loss_bwd_gt", "const float*, const float*, const float*, const float*, const float*, const int*, "
                    + "const float*, const float*, const double*, const double*, int, int, int, float, float, double*"),
            Map.entry("aa_loss_bwd_point", "const float*, const float*, const float*, const float*, const float*, const int*, "
                    + "const float*, const float*, const float*, const double*, int, int, int, float, float, float*, float*, float*"),
            Map.entry("aa_loss_bwd_prior", "const int*, const double*, int, int, float*, float*, int"),
            Map.entry("aa_sgd_multi", "const AaSgdSeg*, int, long long, float, float"),
            // post-processing (CudaPostProcess)
            Map.entry("aa_pp_topk_levels", "const float*, int, const int*, float, int, int*, float*, int*"),
            Map.entry("aa_pp_decode", "const int*, const float*, const int*, int, int, int, const float*, const float*, "
                    + "const float*, float, float, float, float, float*, float*, int*, int*, unsigned*"),
            Map.entry("aa_nms_sort", "const float*, const float*, const int*, const int*, int, const unsigned*, float*, "
                    + "float*, float*, int*"),
            Map.entry("aa_nms_mask", "const float*, const unsigned*, float, int, unsigned long long*"),
            Map.entry("aa_nms_select", "const unsigned long long*, const unsigned*, int, int, const float*, const float*, "
                    + "const int*, float*, float*, int*, int*"));

    /** -Dautoassign.cuda.profile=true: every public op is timed through {@link #prof} ({@link CudaOpProfile}). */
    private static final boolean PROFILE = CudaOpProfile.ENABLED;

    private final CudaContext ctx;
    private final Device device;
    private final CudaOpProfile<?> prof; // null unless PROFILE

    private CudaBackend(CudaContext ctx) {
        this.ctx = ctx;
        this.device = ctx.device();
        this.prof = PROFILE ? CudaOpProfile.of(ctx) : null;
    }

    /** The backend of {@code cuda:N}; throws {@link CudaException} when CUDA is unusable or N does not exist. */
    public static CudaBackend create(Device device) {
        if (!device.isCuda()) throw new IllegalArgumentException("CudaBackend for " + device);
        return new CudaBackend(CudaContext.of(device.index()));
    }

    /** Installs this backend as the accelerator of {@link Backends} (done by DeviceSelector when CUDA is chosen). */
    public static void register() { Backends.registerAccelerator(CudaBackend::create); }

    @Override public Device device() { return device; }

    /** Waits until every op enqueued on this device has finished. */
    public void synchronize() { ctx.synchronize(); }

    public CachingAllocator.Stats memoryStats() { return ctx.allocator.stats(); }

    /** Bytes of the shared cuDNN workspace (part of the allocated memory). */
    public long workspaceBytes() { return ctx.workspaceBytes(); }

    public void resetPeakMemory() {
        ctx.allocator.resetPeaks();
        if (PROFILE) prof.reset(); // the bench calls this where its timed runs begin: the profile covers those
    }

    @Override public long peakMemoryBytes() { return ctx.allocator.stats().peakAllocatedBytes(); }

    /** Returns the cached device memory to the driver (after collecting unreachable tensors). */
    @Override
    public void emptyCache() {
        ctx.makeCurrent();
        ctx.synchronize();
        ctx.allocator.emptyCache();
    }

    /** Pinned host memory held by the staging pool (bytes). */
    public long pinnedBytes() { return ctx.pinned.pinnedBytes(); }

    /** Device buffers not yet released or collected. */
    public int liveBuffers() { return ctx.liveBuffers(); }

    public String gpuDescription() { return ctx.gpu.describe(); }

    public String kernelDescription() { return ctx.kernels.description(); }

    // ---------------------------------------------------------------- helpers

    private long ptr(Tensor t, String op, String what) {
        if (t == null) return 0L;
        if (!t.device().equals(device))
            throw new IllegalArgumentException(op + ": " + what + " " + Shape.str(t.shape()) + " is on " + t.device()
                    + ", expected " + device);
        return ((CudaBuffer) t.buffer()).address();
    }

    private Tensor empty(int... shape) {
        return Tensor.ofBuffer(ctx.allocate(Shape.numel(shape)), shape);
    }

    private boolean nat(String kernel) { return ctx.kernels.has(kernel); }

    private Kernels.Call k(String name) {
        ctx.makeCurrent();
        return ctx.call(name);
    }

    private void launch1d(Kernels.Call c, long n) {
        c.launch(ctx.stream, Kernels.grid1d(n), 1, Kernels.BLOCK, 1);
    }

    private final Map<String, String> impl = new LinkedHashMap<>();

    void used(String op, String how) {
        if (impl.size() < 64) synchronized (impl) { impl.putIfAbsent(op, how); }
    }

    /** For each op run so far, the library or kernel that ran it (for the self-check's table). */
    public Map<String, String> implementations() {
        synchronized (impl) { return new LinkedHashMap<>(impl); }
    }

    /** The multi-kernel ops that ran so far and how (bench prints it: which paths a measurement took), or "none". */
    public String fusedOpsUsed() {
        Map<String, String> m = implementations();
        java.util.StringJoiner j = new java.util.StringJoiner("; ");
        for (String op : List.of(CudaAutoAssignLoss.OP, CudaPostProcess.OP, "sgdStepAll", "adamStepAll"))
            if (m.containsKey(op)) j.add(op + ": " + m.get(op));
        return j.length() == 0 ? "none" : j.toString();
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor zeros(int... shape) {
        if (!PROFILE) return zerosImpl(shape);
        return prof.time("zeros", () -> zerosImpl(shape));
    }

    private Tensor zerosImpl(int... shape) {
        Tensor t = empty(shape);
        ctx.memsetZero(ptr(t, "zeros", "output"), 4L * t.numel());
        return t;
    }

    @Override
    public Tensor fromHost(float[] data, int... shape) {
        if (!PROFILE) return fromHostImpl(data, shape);
        return prof.time("fromHost", () -> fromHostImpl(data, shape));
    }

    private Tensor fromHostImpl(float[] data, int... shape) {
        if (data.length != Shape.numel(shape))
            throw new IllegalArgumentException("fromHost: " + data.length + " values do not fill shape " + Shape.str(shape));
        Tensor t = empty(shape);
        ctx.upload(ptr(t, "fromHost", "output"), data);
        return t;
    }

    // ---------------------------------------------------------------- convolution


    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        if (!PROFILE) return conv2dImpl(x, w, bias, p);
        return prof.time(CudaOpProfile.convKey("conv fwd", x.shape(), w.shape(), p),
                () -> conv2dImpl(x, w, bias, p));
    }

    private Tensor conv2dImpl(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        int[] xs = x.shape(), ws = w.shape(), os = ShapeChecks.convOutput("conv2d", xs, ws, p);
        if (bias != null && bias.numel() != ws[0])
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias.shape()) + " does not match weight "
                    + Shape.str(ws) + " (" + ws[0] + " output channels)");
        long xp = ptr(x, "conv2d", "input"), wp = ptr(w, "conv2d", "weight"), bp = ptr(bias, "conv2d", "bias");
        Tensor y = empty(os);
        if (y.numel() == 0) return y;
        ctx.makeCurrent();
        ctx.conv.forward(xp, xs, wp, ws, ptr(y, "conv2d", "output"), p, CudaOptions.tf32());
        used("conv2d", "cuDNN forward");
        if (bias != null) addChannelBias(y, bp);
        return y;
    }

    /** y[n,c,:] += bias[c] in place. */
    private void addChannelBias(Tensor y, long bp) {
        long yp = ptr(y, "conv2d", "output"), hw = (long) y.dim(2) * y.dim(3);
        int n = y.dim(0), c = y.dim(1);
        if ((long) n * c <= MAX_GRID_Y && nat("aa_bias_add_nchw_f32")) { // its planes are gridDim.y
            k("aa_bias_add_nchw_f32").ptr(yp).ptr(yp).ptr(bp).i32(c).i64(hw)
                    .launch(ctx.stream, (int) Math.min((hw + 255) / 256, 1024), n * c, Kernels.BLOCK, 1);
            used("conv2d bias", "aa_bias_add_nchw_f32");
        } else {
            launch1d(k("aaj_channel_affine").ptr(yp).ptr(yp).ptr(0).ptr(bp).i32(c).i64(hw).i64(y.numel()), y.numel());
            used("conv2d bias", "aaj_channel_affine");
        }
    }

    @Override
    public Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int[] inputShape, ConvParams p) {
        if (!PROFILE) return conv2dBackwardInputImpl(gradOut, w, inputShape, p);
        return prof.time(CudaOpProfile.convKey("conv bwd-data", inputShape, w.shape(), p),
                () -> conv2dBackwardInputImpl(gradOut, w, inputShape, p));
    }

    private Tensor conv2dBackwardInputImpl(Tensor gradOut, Tensor w, int[] inputShape, ConvParams p) {
        int[] ws = w.shape(), os = ShapeChecks.convOutput("conv2dBackwardInput", inputShape, ws, p);
        Shape.checkSame("conv2dBackwardInput", gradOut.shape(), os);
        long gp = ptr(gradOut, "conv2dBackwardInput", "gradOut"), wp = ptr(w, "conv2dBackwardInput", "weight");
        Tensor dx = empty(inputShape);
        if (dx.numel() == 0) return dx;
        ctx.makeCurrent();
        ctx.conv.backwardData(gp, wp, ws, ptr(dx, "conv2dBackwardInput", "output"), inputShape, p, CudaOptions.tf32());
        used("conv2dBackwardInput", "cuDNN backward data");
        return dx;
    }

    @Override
    public Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, int[] weightShape, ConvParams p) {
        if (!PROFILE) return conv2dBackwardWeightImpl(gradOut, x, weightShape, p);
        return prof.time(CudaOpProfile.convKey("conv bwd-filter", x.shape(), weightShape, p),
                () -> conv2dBackwardWeightImpl(gradOut, x, weightShape, p));
    }

    private Tensor conv2dBackwardWeightImpl(Tensor gradOut, Tensor x, int[] weightShape, ConvParams p) {
        int[] xs = x.shape(), os = ShapeChecks.convOutput("conv2dBackwardWeight", xs, weightShape, p);
        Shape.checkSame("conv2dBackwardWeight", gradOut.shape(), os);
        long gp = ptr(gradOut, "conv2dBackwardWeight", "gradOut"), xp = ptr(x, "conv2dBackwardWeight", "input");
        Tensor dw = xs[0] == 0 ? zeros(weightShape) : empty(weightShape);
        if (xs[0] == 0) return dw;
        ctx.makeCurrent();
        ctx.conv.backwardFilter(gp, xp, xs, ptr(dw, "conv2dBackwardWeight", "output"), weightShape, p, CudaOptions.tf32());
        used("conv2dBackwardWeight", "cuDNN backward filter");
        return dw;
    }

    @Override
    public Tensor channelSum(Tensor g) {
        if (!PROFILE) return channelSumImpl(g);
        return prof.time("channelSum", () -> channelSumImpl(g));
    }

    private Tensor channelSumImpl(Tensor g) {
        Shape.checkRank("channelSum", "input", g.shape(), 4);
        int n = g.dim(0), c = g.dim(1);
        long hw = (long) g.dim(2) * g.dim(3), gp = ptr(g, "channelSum", "input");
        Tensor out = empty(c);
        if (c == 0) return out;
        long op = ptr(out, "channelSum", "output");
        if (nat("aa_bias_grad_nchw_f32")) {
            k("aa_bias_grad_nchw_f32").ptr(op).ptr(gp).i32(n).i32(c).i64(hw).i32(0).launch(ctx.stream, c, 1, Kernels.BLOCK, 1);
            used("channelSum", "aa_bias_grad_nchw_f32");
        } else {
            k("aaj_channel_sum").ptr(op).ptr(gp).i32(n).i32(c).i64(hw).launch(ctx.stream, c, 1, Kernels.BLOCK, 1);
            used("channelSum", "aaj_channel_sum");
        }
        return out;
    }

    @Override
    public Tensor channelDot(Tensor a, Tensor b) {
        if (!PROFILE) return channelDotImpl(a, b);
        return prof.time("channelDot", () -> channelDotImpl(a, b));
    }

    private Tensor channelDotImpl(Tensor a, Tensor b) {
        Shape.checkRank("channelDot", "a", a.shape(), 4);
        Shape.checkSame("channelDot", a.shape(), b.shape());
        int n = a.dim(0), c = a.dim(1);
        long hw = (long) a.dim(2) * a.dim(3), ap = ptr(a, "channelDot", "a"), bp = ptr(b, "channelDot", "b");
        Tensor out = empty(c);
        if (c == 0) return out;
        long op = ptr(out, "channelDot", "output");
        k("aaj_channel_dot").ptr(op).ptr(ap).ptr(bp).i32(n).i32(c).i64(hw).launch(ctx.stream, c, 1, Kernels.BLOCK, 1);
        used("channelDot", "aaj_channel_dot");
        return out;
    }

    @Override
    public Tensor gemm(Tensor a, boolean transA, Tensor b, boolean transB) {
        if (!PROFILE) return gemmImpl(a, transA, b, transB);
        return prof.time("gemm", () -> gemmImpl(a, transA, b, transB));
    }

    private Tensor gemmImpl(Tensor a, boolean transA, Tensor b, boolean transB) {
        Shape.checkRank("gemm", "A", a.shape(), 2);
        Shape.checkRank("gemm", "B", b.shape(), 2);
        int m = transA ? a.dim(1) : a.dim(0), kk = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0), n = transB ? b.dim(0) : b.dim(1);
        if (kk != kb) throw new IllegalArgumentException("gemm: inner dimensions differ, A" + Shape.str(a.shape())
                + (transA ? "ᵀ" : "") + " · B" + Shape.str(b.shape()) + (transB ? "ᵀ" : ""));
        long ap = ptr(a, "gemm", "A"), bp = ptr(b, "gemm", "B");
        if (m == 0 || n == 0) return empty(m, n);
        if (kk == 0) return zeros(m, n);
        Tensor c = empty(m, n);
        long cp = ptr(c, "gemm", "C");
        ctx.makeCurrent();
        if (ctx.cublas != null) {
            ctx.cublas.sgemm(transA, transB, m, n, kk, ap, a.dim(1), bp, b.dim(1), cp, CudaOptions.tf32());
            used("gemm", "cuBLAS SGEMM");
        } else {
            k("aaj_gemm").ptr(cp).ptr(ap).ptr(bp).i32(m).i32(n).i32(kk).i32(a.dim(1)).i32(b.dim(1))
                    .i32(transA ? 1 : 0).i32(transB ? 1 : 0).launch(ctx.stream, (n + 15) / 16, (m + 15) / 16, 16, 16);
            used("gemm", "aaj_gemm (no cuBLAS)");
        }
        return c;
    }

    // ---------------------------------------------------------------- elementwise

    /** Launches a 1-D kernel y = f(inputs) over n elements: native name if loaded, else the backend's. */
    private Tensor unary(String op, String nativeKernel, String backendKernel, Tensor x, Float scalar, Tensor... more) {
        long n = x.numel();
        long xp = ptr(x, op, "input");
        long[] mp = new long[more.length];
        for (int i = 0; i < more.length; i++) mp[i] = ptr(more[i], op, "input " + (i + 2));
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        String name = nativeKernel != null && nat(nativeKernel) ? nativeKernel : backendKernel;
        Kernels.Call c = k(name).ptr(ptr(y, op, "output")).ptr(xp);
        for (long p : mp) c.ptr(p);
        if (scalar != null) c.f32(scalar);
        launch1d(c.i64(n), n);
        used(op, name);
        return y;
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        if (!PROFILE) return addImpl(a, b);
        return prof.time("add", () -> addImpl(a, b));
    }

    private Tensor addImpl(Tensor a, Tensor b) {
        Shape.checkSame("add", a.shape(), b.shape());
        return unary("add", "aa_add_f32", "aaj_add", a, null, b);
    }

    @Override
    public void addInPlace(Tensor acc, Tensor b) {
        if (PROFILE) prof.run("addInPlace", () -> addInPlaceImpl(acc, b));
        else addInPlaceImpl(acc, b);
    }

    private void addInPlaceImpl(Tensor acc, Tensor b) {
        if (acc.numel() != b.numel()) throw new IllegalArgumentException("addInPlace: shape mismatch "
                + Shape.str(acc.shape()) + " vs " + Shape.str(b.shape()));
        long ap = ptr(acc, "addInPlace", "acc"), bp = ptr(b, "addInPlace", "b"), n = acc.numel();
        if (n == 0) return;
        String name = nat("aa_add_f32") ? "aa_add_f32" : "aaj_add"; // out may alias an input
        launch1d(k(name).ptr(ap).ptr(ap).ptr(bp).i64(n), n);
        used("addInPlace", name);
    }

    @Override
    public Tensor mulScalar(Tensor x, float s) {
        if (!PROFILE) return mulScalarImpl(x, s);
        return prof.time("mulScalar", () -> mulScalarImpl(x, s));
    }

    private Tensor mulScalarImpl(Tensor x, float s) {
        return unary("mulScalar", "aa_scale_f32", "aaj_mul_scalar", x, s);
    }

    @Override
    public Tensor mulByTensorScalar(Tensor x, Tensor s) {
        if (!PROFILE) return mulByTensorScalarImpl(x, s);
        return prof.time("mulByTensorScalar", () -> mulByTensorScalarImpl(x, s));
    }

    private Tensor mulByTensorScalarImpl(Tensor x, Tensor s) {
        if (s.numel() != 1) throw new IllegalArgumentException("mulByTensorScalar: scale must have one element, got " + Shape.str(s.shape()));
        return unary("mulByTensorScalar", null, "aaj_mul_dev_scalar", x, null, s);
    }

    @Override
    public Tensor dot(Tensor a, Tensor b) {
        if (!PROFILE) return dotImpl(a, b);
        return prof.time("dot", () -> dotImpl(a, b));
    }

    private Tensor dotImpl(Tensor a, Tensor b) {
        if (a.numel() != b.numel()) throw new IllegalArgumentException("dot: shape mismatch "
                + Shape.str(a.shape()) + " vs " + Shape.str(b.shape()));
        return reduce("dot", ptr(a, "dot", "a"), ptr(b, "dot", "b"), a.numel());
    }

    /** Σ a (· b): per-block double partials, then one block sums them in fixed order (deterministic). */
    private Tensor reduce(String op, long ap, long bp, long n) {
        Tensor out = empty(1);
        long op0 = ptr(out, op, "output");
        if (n == 0) {
            ctx.memsetZero(op0, 4);
            return out;
        }
        int blocks = Math.min(Kernels.grid1d(n), 1024);
        CachingAllocator.Block partial = ctx.scratch(8L * blocks);
        try {
            k("aaj_reduce_partial").ptr(partial.address).ptr(ap).ptr(bp).i64(n).launch(ctx.stream, blocks, 1, Kernels.BLOCK, 1);
            k("aaj_reduce_final").ptr(op0).ptr(partial.address).i32(blocks).launch(ctx.stream, 1, 1, Kernels.BLOCK, 1);
        } finally {
            ctx.free(partial); // stream-ordered reuse is safe
        }
        used(op, "aaj_reduce_partial + aaj_reduce_final");
        return out;
    }

    @Override
    public Tensor clampMin(Tensor x, float min) {
        if (!PROFILE) return clampMinImpl(x, min);
        return prof.time("clampMin", () -> clampMinImpl(x, min));
    }

    private Tensor clampMinImpl(Tensor x, float min) {
        return unary("clampMin", "aa_clamp_min_fwd_f32", "aaj_clamp_min", x, min);
    }

    @Override
    public Tensor clampMinBackward(Tensor gradOut, Tensor x, float min) {
        if (!PROFILE) return clampMinBackwardImpl(gradOut, x, min);
        return prof.time("clampMinBackward", () -> clampMinBackwardImpl(gradOut, x, min));
    }

    private Tensor clampMinBackwardImpl(Tensor gradOut, Tensor x, float min) {
        Shape.checkSame("clampMinBackward", gradOut.shape(), x.shape());
        // PyTorch clamp semantics, as the CPU twin: the gradient passes where x >= min
        return unary("clampMinBackward", "aa_clamp_min_bwd_f32", "aaj_clamp_min_backward", gradOut, min, x);
    }

    @Override
    public Tensor hardtanh(Tensor x, float lo, float hi) {
        if (!PROFILE) return hardtanhImpl(x, lo, hi);
        return prof.time("hardtanh", () -> hardtanhImpl(x, lo, hi));
    }

    private Tensor hardtanhImpl(Tensor x, float lo, float hi) {
        long n = x.numel(), xp = ptr(x, "hardtanh", "input");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_hardtanh").ptr(ptr(y, "hardtanh", "output")).ptr(xp).f32(lo).f32(hi).i64(n), n);
        used("hardtanh", "aaj_hardtanh");
        return y;
    }

    @Override
    public Tensor hardtanhBackward(Tensor gradOut, Tensor x, float lo, float hi) {
        if (!PROFILE) return hardtanhBackwardImpl(gradOut, x, lo, hi);
        return prof.time("hardtanhBackward", () -> hardtanhBackwardImpl(gradOut, x, lo, hi));
    }

    private Tensor hardtanhBackwardImpl(Tensor gradOut, Tensor x, float lo, float hi) {
        Shape.checkSame("hardtanhBackward", gradOut.shape(), x.shape());
        long n = x.numel(), gp = ptr(gradOut, "hardtanhBackward", "input"), xp = ptr(x, "hardtanhBackward", "input 2");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_hardtanh_backward").ptr(ptr(y, "hardtanhBackward", "output")).ptr(gp).ptr(xp).f32(lo).f32(hi).i64(n), n);
        used("hardtanhBackward", "aaj_hardtanh_backward");
        return y;
    }

    @Override
    public Tensor leakyRelu(Tensor x, float slope) {
        if (!PROFILE) return leakyReluImpl(x, slope);
        return prof.time("leakyRelu", () -> leakyReluImpl(x, slope));
    }

    private Tensor leakyReluImpl(Tensor x, float slope) {
        long n = x.numel(), xp = ptr(x, "leakyRelu", "input");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_leaky_relu").ptr(ptr(y, "leakyRelu", "output")).ptr(xp).f32(slope).i64(n), n);
        used("leakyRelu", "aaj_leaky_relu");
        return y;
    }

    @Override
    public Tensor leakyReluBackward(Tensor gradOut, Tensor x, float slope) {
        if (!PROFILE) return leakyReluBackwardImpl(gradOut, x, slope);
        return prof.time("leakyReluBackward", () -> leakyReluBackwardImpl(gradOut, x, slope));
    }

    private Tensor leakyReluBackwardImpl(Tensor gradOut, Tensor x, float slope) {
        Shape.checkSame("leakyReluBackward", gradOut.shape(), x.shape());
        long n = x.numel(), gp = ptr(gradOut, "leakyReluBackward", "input"), xp = ptr(x, "leakyReluBackward", "input 2");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_leaky_relu_backward").ptr(ptr(y, "leakyReluBackward", "output")).ptr(gp).ptr(xp).f32(slope).i64(n), n);
        used("leakyReluBackward", "aaj_leaky_relu_backward");
        return y;
    }

    @Override
    public Tensor swish(Tensor x) {
        if (!PROFILE) return swishImpl(x);
        return prof.time("swish", () -> swishImpl(x));
    }

    private Tensor swishImpl(Tensor x) {
        long n = x.numel(), xp = ptr(x, "swish", "input");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_swish").ptr(ptr(y, "swish", "output")).ptr(xp).i64(n), n);
        used("swish", "aaj_swish");
        return y;
    }

    @Override
    public Tensor swishBackward(Tensor gradOut, Tensor x) {
        if (!PROFILE) return swishBackwardImpl(gradOut, x);
        return prof.time("swishBackward", () -> swishBackwardImpl(gradOut, x));
    }

    private Tensor swishBackwardImpl(Tensor gradOut, Tensor x) {
        Shape.checkSame("swishBackward", gradOut.shape(), x.shape());
        long n = x.numel(), gp = ptr(gradOut, "swishBackward", "input"), xp = ptr(x, "swishBackward", "input 2");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_swish_backward").ptr(ptr(y, "swishBackward", "output")).ptr(gp).ptr(xp).i64(n), n);
        used("swishBackward", "aaj_swish_backward");
        return y;
    }

    @Override
    public Tensor hardsigmoid(Tensor x) {
        if (!PROFILE) return hardsigmoidImpl(x);
        return prof.time("hardsigmoid", () -> hardsigmoidImpl(x));
    }

    private Tensor hardsigmoidImpl(Tensor x) {
        long n = x.numel(), xp = ptr(x, "hardsigmoid", "input");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_hardsigmoid").ptr(ptr(y, "hardsigmoid", "output")).ptr(xp).i64(n), n);
        used("hardsigmoid", "aaj_hardsigmoid");
        return y;
    }

    @Override
    public Tensor hardsigmoidBackward(Tensor gradOut, Tensor x) {
        if (!PROFILE) return hardsigmoidBackwardImpl(gradOut, x);
        return prof.time("hardsigmoidBackward", () -> hardsigmoidBackwardImpl(gradOut, x));
    }

    private Tensor hardsigmoidBackwardImpl(Tensor gradOut, Tensor x) {
        Shape.checkSame("hardsigmoidBackward", gradOut.shape(), x.shape());
        long n = x.numel(), gp = ptr(gradOut, "hardsigmoidBackward", "input"), xp = ptr(x, "hardsigmoidBackward", "input 2");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_hardsigmoid_backward").ptr(ptr(y, "hardsigmoidBackward", "output")).ptr(gp).ptr(xp).i64(n), n);
        used("hardsigmoidBackward", "aaj_hardsigmoid_backward");
        return y;
    }

    @Override
    public Tensor spaceToDepth(Tensor x) {
        if (!PROFILE) return spaceToDepthImpl(x);
        return prof.time("spaceToDepth", () -> spaceToDepthImpl(x));
    }

    private Tensor spaceToDepthImpl(Tensor x) {
        int[] os = autoassign.backend.SpaceToDepth.outShape("spaceToDepth", x.shape());
        long xp = ptr(x, "spaceToDepth", "input");
        Tensor y = empty(os);
        long total = y.numel();
        if (total == 0) return y;
        launch1d(k("aaj_space_to_depth").ptr(ptr(y, "spaceToDepth", "output")).ptr(xp).i32(x.dim(1)).i32(os[2]).i32(os[3])
                .i64(total), total);
        used("spaceToDepth", "aaj_space_to_depth");
        return y;
    }

    @Override
    public Tensor spaceToDepthBackward(Tensor gradOut) {
        if (!PROFILE) return spaceToDepthBackwardImpl(gradOut);
        return prof.time("spaceToDepthBackward", () -> spaceToDepthBackwardImpl(gradOut));
    }

    private Tensor spaceToDepthBackwardImpl(Tensor gradOut) {
        int[] is = autoassign.backend.SpaceToDepth.inShape("spaceToDepthBackward", gradOut.shape());
        long gp = ptr(gradOut, "spaceToDepthBackward", "gradOut");
        Tensor y = empty(is);
        long total = y.numel();
        if (total == 0) return y;
        launch1d(k("aaj_space_to_depth_backward").ptr(ptr(y, "spaceToDepthBackward", "output")).ptr(gp).i32(is[1])
                .i32(gradOut.dim(2)).i32(gradOut.dim(3)).i64(total), total);
        used("spaceToDepthBackward", "aaj_space_to_depth_backward");
        return y;
    }

    private Tensor unaryWith2(String op, String nativeKernel, String backendKernel, Tensor first, Tensor second, Float s) {
        return unary(op, nativeKernel, backendKernel, first, s, second);
    }

    @Override
    public Tensor sigmoid(Tensor x) {
        if (!PROFILE) return sigmoidImpl(x);
        return prof.time("sigmoid", () -> sigmoidImpl(x));
    }

    private Tensor sigmoidImpl(Tensor x) {
        return unary("sigmoid", "aa_sigmoid_fwd_f32", "aaj_sigmoid", x, null);
    }

    @Override
    public Tensor sigmoidBackward(Tensor gradOut, Tensor y) {
        if (!PROFILE) return sigmoidBackwardImpl(gradOut, y);
        return prof.time("sigmoidBackward", () -> sigmoidBackwardImpl(gradOut, y));
    }

    private Tensor sigmoidBackwardImpl(Tensor gradOut, Tensor y) {
        Shape.checkSame("sigmoidBackward", gradOut.shape(), y.shape());
        return unaryWith2("sigmoidBackward", "aa_sigmoid_bwd_f32", "aaj_sigmoid_backward", gradOut, y, null);
    }

    @Override
    public Tensor softmax(Tensor x, int outer, int n, int inner) {
        if (!PROFILE) return softmaxImpl(x, outer, n, inner);
        return prof.time("softmax", () -> softmaxImpl(x, outer, n, inner));
    }

    private Tensor softmaxImpl(Tensor x, int outer, int n, int inner) {
        LineViews.softmax("softmax", x, null, outer, n, inner);
        long xp = ptr(x, "softmax", "input"), lines = (long) outer * inner;
        Tensor y = empty(x.shape());
        if (y.numel() == 0) return y;
        launch1d(k("aaj_softmax").ptr(ptr(y, "softmax", "output")).ptr(xp).i32(n).i64(inner).i64(lines), lines);
        used("softmax", "aaj_softmax");
        return y;
    }

    @Override
    public Tensor softmaxBackward(Tensor gradOut, Tensor y, int outer, int n, int inner) {
        if (!PROFILE) return softmaxBackwardImpl(gradOut, y, outer, n, inner);
        return prof.time("softmaxBackward", () -> softmaxBackwardImpl(gradOut, y, outer, n, inner));
    }

    private Tensor softmaxBackwardImpl(Tensor gradOut, Tensor y, int outer, int n, int inner) {
        LineViews.softmax("softmaxBackward", y, gradOut, outer, n, inner);
        long gp = ptr(gradOut, "softmaxBackward", "gradOut"), yp = ptr(y, "softmaxBackward", "output"), lines = (long) outer * inner;
        Tensor gx = empty(y.shape());
        if (gx.numel() == 0) return gx;
        launch1d(k("aaj_softmax_backward").ptr(ptr(gx, "softmaxBackward", "result")).ptr(gp).ptr(yp).i32(n).i64(inner).i64(lines), lines);
        used("softmaxBackward", "aaj_softmax_backward");
        return gx;
    }

    @Override
    public Tensor rowScale(Tensor x, Tensor s) {
        if (!PROFILE) return rowScaleImpl(x, s);
        return prof.time("rowScale", () -> rowScaleImpl(x, s));
    }

    private Tensor rowScaleImpl(Tensor x, Tensor s) {
        long cols = LineViews.rowLength("rowScale", x, s, null);
        long xp = ptr(x, "rowScale", "input"), sp = ptr(s, "rowScale", "scale"), n = x.numel();
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_row_scale").ptr(ptr(y, "rowScale", "output")).ptr(xp).ptr(sp).i64(cols).i64(n), n);
        used("rowScale", "aaj_row_scale");
        return y;
    }

    @Override
    public Tensor rowScaleBackward(Tensor gradOut, Tensor x, Tensor s) {
        if (!PROFILE) return rowScaleBackwardImpl(gradOut, x, s);
        return prof.time("rowScaleBackward", () -> rowScaleBackwardImpl(gradOut, x, s));
    }

    /** Per row Σ gradOut·x in double: aaj_channel_dot with N = 1, C = rows, hw = the row length (one block per row). */
    private Tensor rowScaleBackwardImpl(Tensor gradOut, Tensor x, Tensor s) {
        long cols = LineViews.rowLength("rowScaleBackward", x, s, gradOut);
        long gp = ptr(gradOut, "rowScaleBackward", "gradOut"), xp = ptr(x, "rowScaleBackward", "input");
        ptr(s, "rowScaleBackward", "scale");
        int rows = s.numel();
        Tensor out = empty(s.shape());
        if (rows == 0) return out;
        k("aaj_channel_dot").ptr(ptr(out, "rowScaleBackward", "output")).ptr(gp).ptr(xp).i32(1).i32(rows).i64(cols)
                .launch(ctx.stream, rows, 1, Kernels.BLOCK, 1);
        used("rowScaleBackward", "aaj_channel_dot");
        return out;
    }

    @Override
    public Tensor rowMean(Tensor x, int rows) {
        if (!PROFILE) return rowMeanImpl(x, rows);
        return prof.time("rowMean", () -> rowMeanImpl(x, rows));
    }

    /** One block per row: Σ (double) x·(double) (1f / cols), as CpuLineOps.rowMean. */
    private Tensor rowMeanImpl(Tensor x, int rows) {
        int cols = autoassign.backend.LineViews.rowsOf("rowMean", x, rows);
        long xp = ptr(x, "rowMean", "input");
        Tensor out = empty(rows);
        k("aaj_row_mean").ptr(ptr(out, "rowMean", "output")).ptr(xp).i64(cols).f32(1f / cols).launch(ctx.stream, rows, 1, Kernels.BLOCK, 1);
        used("rowMean", "aaj_row_mean");
        return out;
    }

    @Override
    public Tensor rowBroadcast(Tensor s, float factor, int... shape) {
        if (!PROFILE) return rowBroadcastImpl(s, factor, shape);
        return prof.time("rowBroadcast", () -> rowBroadcastImpl(s, factor, shape));
    }

    private Tensor rowBroadcastImpl(Tensor s, float factor, int[] shape) {
        Tensor y = empty(shape);
        int cols = autoassign.backend.LineViews.rowsOf("rowBroadcast", y, s.numel());
        long sp = ptr(s, "rowBroadcast", "input"), n = y.numel();
        launch1d(k("aaj_row_broadcast").ptr(ptr(y, "rowBroadcast", "output")).ptr(sp).f32(factor).i64(cols).i64(n), n);
        used("rowBroadcast", "aaj_row_broadcast");
        return y;
    }

    // ---------------------------------------------------------------- window transformers (Swin)

    /** Device copies of the gathers' indices (uploaded once, kept). */
    private final GatherIndexCache gatherIndices = new GatherIndexCache(v -> fromHost(v, v.length).keep());

    @Override
    public Tensor gather(Tensor x, autoassign.backend.GatherIndex idx) {
        if (!PROFILE) return gatherImpl(x, idx);
        return prof.time("gather", () -> gatherImpl(x, idx));
    }

    private Tensor gatherImpl(Tensor x, autoassign.backend.GatherIndex idx) {
        idx.checkSource("gather", x);
        long xp = ptr(x, "gather", "input"), n = (long) idx.outRows() * idx.block();
        Tensor y = empty(idx.outShape());
        if (n == 0) return y;
        long rp = ptr(gatherIndices.rows(idx), "gather", "index");
        launch1d(k("aaj_gather").ptr(ptr(y, "gather", "output")).ptr(xp).ptr(rp).i64(idx.block()).i64(n), n);
        used("gather", "aaj_gather");
        return y;
    }

    @Override
    public Tensor gatherBackward(Tensor gradOut, autoassign.backend.GatherIndex idx, int[] inputShape) {
        if (!PROFILE) return gatherBackwardImpl(gradOut, idx, inputShape);
        return prof.time("gatherBackward", () -> gatherBackwardImpl(gradOut, idx, inputShape));
    }

    private Tensor gatherBackwardImpl(Tensor gradOut, autoassign.backend.GatherIndex idx, int[] inputShape) {
        idx.checkBackward(gradOut.numel(), inputShape);
        long gp = ptr(gradOut, "gatherBackward", "input"), n = idx.sourceNumel();
        Tensor y = empty(inputShape);
        if (n == 0) return y;
        Tensor[] inv = gatherIndices.inverse(idx);
        long op = ptr(inv[0], "gatherBackward", "offsets"), lp = ptr(inv[1], "gatherBackward", "list");
        launch1d(k("aaj_gather_backward").ptr(ptr(y, "gatherBackward", "output")).ptr(gp).ptr(op).ptr(lp).i64(idx.block()).i64(n), n);
        used("gatherBackward", "aaj_gather_backward");
        return y;
    }

    @Override
    public Tensor transpose2d(Tensor x, int batch, int rows, int cols) {
        if (!PROFILE) return transpose2dImpl(x, batch, rows, cols);
        return prof.time("transpose2d", () -> transpose2dImpl(x, batch, rows, cols));
    }

    private Tensor transpose2dImpl(Tensor x, int batch, int rows, int cols) {
        int[] shape = autoassign.backend.Transpose2d.outShape(x, batch, rows, cols);
        long xp = ptr(x, "transpose2d", "input");
        Tensor y = empty(shape);
        if (y.numel() == 0) return y;
        int gx = (cols + 31) / 32, gy = (int) Math.min((rows + 31) / 32, MAX_GRID_Y), gz = Math.min(batch, MAX_GRID_Y);
        k("aaj_transpose2d").ptr(ptr(y, "transpose2d", "output")).ptr(xp).i32(rows).i32(cols).i64(batch)
                .launch3(ctx.stream, gx, gy, gz, 32, 8);
        used("transpose2d", "aaj_transpose2d");
        return y;
    }

    @Override
    public Tensor bmm(Tensor a, boolean transA, Tensor b, boolean transB) {
        if (!PROFILE) return bmmImpl(a, transA, b, transB);
        return prof.time("bmm", () -> bmmImpl(a, transA, b, transB));
    }

    private Tensor bmmImpl(Tensor a, boolean transA, Tensor b, boolean transB) {
        Shape.checkRank("bmm", "A", a.shape(), 3);
        Shape.checkRank("bmm", "B", b.shape(), 3);
        int batch = a.dim(0), m = transA ? a.dim(2) : a.dim(1), kk = transA ? a.dim(1) : a.dim(2);
        int kb = transB ? b.dim(2) : b.dim(1), n = transB ? b.dim(1) : b.dim(2);
        if (b.dim(0) != batch || kk != kb)
            throw new IllegalArgumentException("bmm: A" + Shape.str(a.shape()) + (transA ? "ᵀ" : "") + " · B" + Shape.str(b.shape())
                    + (transB ? "ᵀ" : "") + " do not fit");
        long ap = ptr(a, "bmm", "A"), bp = ptr(b, "bmm", "B");
        if (batch == 0 || m == 0 || n == 0) return empty(batch, m, n);
        if (kk == 0) return zeros(batch, m, n);
        Tensor c = empty(batch, m, n);
        long cp = ptr(c, "bmm", "C");
        ctx.makeCurrent();
        if (ctx.cublas != null) {
            ctx.cublas.sgemmStridedBatched(transA, transB, m, n, kk, ap, a.dim(2), (long) m * kk, bp, b.dim(2), (long) kk * n,
                    cp, (long) m * n, batch, CudaOptions.tf32());
            used("bmm", "cuBLAS SGEMM strided batched");
        } else {
            for (int z0 = 0; z0 < batch; z0 += MAX_GRID_Y) { // grid z holds at most 65535 batch entries
                int nz = Math.min(MAX_GRID_Y, batch - z0);
                k("aaj_bmm").ptr(cp + 4L * z0 * m * n).ptr(ap + 4L * z0 * m * kk).ptr(bp + 4L * z0 * kk * n).i32(m).i32(n).i32(kk)
                        .i32(a.dim(2)).i32(b.dim(2)).i32(transA ? 1 : 0).i32(transB ? 1 : 0).i64((long) m * kk).i64((long) kk * n)
                        .i64((long) m * n).launch3(ctx.stream, (n + 15) / 16, (m + 15) / 16, nz, 16, 16);
            }
            used("bmm", "aaj_bmm (no cuBLAS)");
        }
        return c;
    }

    @Override
    public Tensor gelu(Tensor x) {
        if (!PROFILE) return geluImpl(x);
        return prof.time("gelu", () -> geluImpl(x));
    }

    private Tensor geluImpl(Tensor x) {
        long n = x.numel(), xp = ptr(x, "gelu", "input");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_gelu").ptr(ptr(y, "gelu", "output")).ptr(xp).i64(n), n);
        used("gelu", "aaj_gelu");
        return y;
    }

    @Override
    public Tensor geluBackward(Tensor gradOut, Tensor x) {
        if (!PROFILE) return geluBackwardImpl(gradOut, x);
        return prof.time("geluBackward", () -> geluBackwardImpl(gradOut, x));
    }

    private Tensor geluBackwardImpl(Tensor gradOut, Tensor x) {
        Shape.checkSame("geluBackward", gradOut.shape(), x.shape());
        long n = x.numel(), gp = ptr(gradOut, "geluBackward", "input"), xp = ptr(x, "geluBackward", "input 2");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_gelu_backward").ptr(ptr(y, "geluBackward", "output")).ptr(gp).ptr(xp).i64(n), n);
        used("geluBackward", "aaj_gelu_backward");
        return y;
    }

    @Override
    public Tensor dropout(Tensor x, double p, long seed) {
        if (!PROFILE) return dropoutImpl(x, p, seed);
        return prof.time("dropout", () -> dropoutImpl(x, p, seed));
    }

    private Tensor dropoutImpl(Tensor x, double p, long seed) {
        int threshold = autoassign.backend.DropoutMath.threshold(p);
        float scale = autoassign.backend.DropoutMath.scale(p);
        long n = x.numel(), xp = ptr(x, "dropout", "input");
        Tensor y = empty(x.shape());
        if (n == 0) return y;
        launch1d(k("aaj_dropout").ptr(ptr(y, "dropout", "output")).ptr(xp).i64(seed).i32(threshold).f32(scale).i64(n), n);
        used("dropout", "aaj_dropout");
        return y;
    }

    @Override
    public Tensor channelAffine(Tensor x, Tensor scale, Tensor shift) {
        if (!PROFILE) return channelAffineImpl(x, scale, shift);
        return prof.time("channelAffine", () -> channelAffineImpl(x, scale, shift));
    }

    private Tensor channelAffineImpl(Tensor x, Tensor scale, Tensor shift) {
        Shape.checkRank("channelAffine", "input", x.shape(), 4);
        int c = x.dim(1);
        ShapeChecks.perChannel("channelAffine", x, scale, shift);
        long xp = ptr(x, "channelAffine", "input"), sp = ptr(scale, "channelAffine", "scale"), hp = ptr(shift, "channelAffine", "shift");
        Tensor y = empty(x.shape());
        long n = y.numel();
        if (n == 0) return y;
        launch1d(k("aaj_channel_affine").ptr(ptr(y, "channelAffine", "output")).ptr(xp).ptr(sp).ptr(hp).i32(c)
                .i64((long) x.dim(2) * x.dim(3)).i64(n), n);
        used("channelAffine", "aaj_channel_affine");
        return y;
    }

    @Override
    public void channelAffineActInPlace(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        if (PROFILE) prof.run("channelAffineActInPlace", () -> channelAffineActInPlaceImpl(x, scale, shift, residual, relu));
        else channelAffineActInPlaceImpl(x, scale, shift, residual, relu);
    }

    private void channelAffineActInPlaceImpl(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        String op = "channelAffineActInPlace";
        Shape.checkRank(op, "input", x.shape(), 4);
        ShapeChecks.perChannel(op, x, scale, shift);
        if (residual != null) Shape.checkSame(op, x.shape(), residual.shape());
        long xp = ptr(x, op, "input"), sp = ptr(scale, op, "scale"), hp = ptr(shift, op, "shift"), rp = ptr(residual, op, "residual");
        if (x.numel() == 0) return;
        long hw = (long) x.dim(2) * x.dim(3), planes = (long) x.dim(0) * x.dim(1);
        if (hw == 1 && residual == null && !relu && (scale != null || shift != null)) { // rows of a token matrix ([M, N, 1, 1]: a Linear's bias): one thread per
            long n = x.numel();                      // element, not a block per one-element plane; the same x·k + b
            launch1d(k("aaj_channel_affine").ptr(xp).ptr(xp).ptr(sp).ptr(hp).i32(x.dim(1)).i64(1L).i64(n), n);
            used(op + " (hw 1)", "aaj_channel_affine");
            return;
        }
        launchPlanes(k("aaj_affine_act").ptr(xp).ptr(sp).ptr(hp).ptr(rp).i32(relu ? 1 : 0).i32(x.dim(1)).i64(hw).i64(planes), hw, planes);
        used(op, "aaj_affine_act");
    }

    @Override
    public Tensor actAffineBackward(Tensor gradOut, Tensor y, Tensor scale, boolean relu) {
        if (!PROFILE) return actAffineBackwardImpl(gradOut, y, scale, relu);
        return prof.time("actAffineBackward", () -> actAffineBackwardImpl(gradOut, y, scale, relu));
    }

    private Tensor actAffineBackwardImpl(Tensor gradOut, Tensor y, Tensor scale, boolean relu) {
        String op = "actAffineBackward";
        Shape.checkRank(op, "output", y.shape(), 4);
        Shape.checkSame(op, gradOut.shape(), y.shape());
        ShapeChecks.perChannel(op, y, scale, null);
        long gp = ptr(gradOut, op, "gradOut"), yp = ptr(y, op, "output"), sp = ptr(scale, op, "scale");
        Tensor out = empty(y.shape());
        if (out.numel() == 0) return out;
        long hw = (long) y.dim(2) * y.dim(3), planes = (long) y.dim(0) * y.dim(1);
        launchPlanes(k("aaj_act_affine_backward").ptr(ptr(out, op, "output")).ptr(gp).ptr(yp).ptr(sp).i32(relu ? 1 : 0)
                .i32(y.dim(1)).i64(hw).i64(planes), hw, planes);
        used(op, "aaj_act_affine_backward");
        return out;
    }

    /**
     * Kernels over (n, c) planes: x covers a plane's hw elements, one thread per float4 where the kernels vectorise
     * (hw % 4 == 0), else per element (≤ 1024 blocks); y the planes (≤ 65535, then loops).
     */
    private void launchPlanes(Kernels.Call c, long hw, long planes) {
        c.launch(ctx.stream, planeBlocks(hw, 1024), (int) Math.min(planes, MAX_GRID_Y), Kernels.BLOCK, 1);
    }

    /**
     * Blocks along one (n, c) plane of {@code hw} floats, at least one and at most {@code cap}: one thread per float4
     * where the plane kernels vectorise (hw % 4 == 0), else per float.
     */
    static int planeBlocks(long hw, int cap) {
        long items = hw % 4 == 0 ? hw / 4 : hw;
        return (int) Math.max(1, Math.min((items + Kernels.BLOCK - 1) / Kernels.BLOCK, cap));
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor sum(Tensor x) {
        if (!PROFILE) return sumImpl(x);
        return prof.time("sum", () -> sumImpl(x));
    }

    private Tensor sumImpl(Tensor x) { return reduce("sum", ptr(x, "sum", "input"), 0L, x.numel()); }

    @Override
    public Tensor broadcastScalar(Tensor s, float factor, int... shape) {
        if (!PROFILE) return broadcastScalarImpl(s, factor, shape);
        return prof.time("broadcastScalar", () -> broadcastScalarImpl(s, factor, shape));
    }

    private Tensor broadcastScalarImpl(Tensor s, float factor, int... shape) {
        if (s.numel() != 1) throw new IllegalArgumentException("broadcastScalar: needs one element, got " + Shape.str(s.shape()));
        long sp = ptr(s, "broadcastScalar", "input");
        Tensor y = empty(shape);
        long n = y.numel();
        if (n == 0) return y;
        launch1d(k("aaj_broadcast_scalar").ptr(ptr(y, "broadcastScalar", "output")).ptr(sp).f32(factor).i64(n), n);
        used("broadcastScalar", "aaj_broadcast_scalar");
        return y;
    }

    // ---------------------------------------------------------------- normalisation / resampling


    /** Blocks per (n, c) plane of aa_gn_fwd_norm / aa_gn_bwd_dx: ≤ 64 (their loops stride over the plane, so any count is correct). */
    static int gnPlaneBlocks(long hw) { return planeBlocks(hw, 64); }

    /**
     * Native group norm needs gamma and beta (it has no null path documented); the backend kernel takes nulls. Its
     * kernels put the (n, c) planes in gridDim.y, so they serve at most {@link #MAX_GRID_Y} planes: LayerNorm as
     * GroupNorm(1) on [tokens, C, 1, 1] has far more (the backend kernel's grid is n * groups in x).
     */
    private boolean nativeGroupNorm(Tensor gamma, Tensor beta, long planes) {
        return gamma != null && beta != null && planes <= MAX_GRID_Y && nat("aa_gn_fwd_stats") && nat("aa_gn_fwd_norm")
                && nat("aa_gn_bwd_reduce") && nat("aa_gn_bwd_dx") && nat("aa_gn_bwd_params");
    }

    /** CUDA's limit on gridDim.y and gridDim.z (a launch beyond it fails with CUDA_ERROR_INVALID_VALUE). */
    static final int MAX_GRID_Y = 65535;

    @Override
    public Tensor[] groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        if (!PROFILE) return groupNormImpl(x, gamma, beta, groups, eps);
        return prof.time("groupNorm", () -> groupNormImpl(x, gamma, beta, groups, eps));
    }

    private Tensor[] groupNormImpl(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        ShapeChecks.groupNorm(x, gamma, beta, groups);
        int n = x.dim(0), c = x.dim(1);
        long hw = (long) x.dim(2) * x.dim(3);
        long xp = ptr(x, "groupNorm", "input"), gp = ptr(gamma, "groupNorm", "gamma"), bp = ptr(beta, "groupNorm", "beta");
        Tensor y = empty(x.shape()), mean = empty(n * groups), rstd = empty(n * groups);
        if (n == 0) return new Tensor[] {y, mean, rstd};
        long yp = ptr(y, "groupNorm", "output"), mp = ptr(mean, "groupNorm", "mean"), rp = ptr(rstd, "groupNorm", "rstd");
        if (hw > 0 && nativeGroupNorm(gamma, beta, (long) n * c)) {
            CachingAllocator.Block ws = ctx.scratch(16L * n * c);
            try {
                k("aa_gn_fwd_stats").ptr(xp).ptr(ws.address).i64(hw).launch(ctx.stream, n * c, 1, Kernels.BLOCK, 1);
                k("aa_gn_fwd_norm").ptr(yp).ptr(mp).ptr(rp).ptr(xp).ptr(gp).ptr(bp).ptr(ws.address).i32(c).i64(hw).i32(groups)
                        .f32(eps).launch(ctx.stream, gnPlaneBlocks(hw), n * c, Kernels.BLOCK, 1);
            } finally {
                ctx.free(ws);
            }
            used("groupNorm", "aa_gn_fwd_stats + aa_gn_fwd_norm");
        } else {
            k("aaj_group_norm_fwd").ptr(yp).ptr(mp).ptr(rp).ptr(xp).ptr(gp).ptr(bp).i32(c).i32(groups).i64(hw).f32(eps)
                    .launch(ctx.stream, n * groups, 1, Kernels.BLOCK, 1);
            used("groupNorm", "aaj_group_norm_fwd");
        }
        return new Tensor[] {y, mean, rstd};
    }

    @Override
    public Tensor[] groupNormBackward(Tensor gradOut, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, int groups) {
        if (!PROFILE) return groupNormBackwardImpl(gradOut, x, mean, rstd, gamma, groups);
        return prof.time("groupNormBackward", () -> groupNormBackwardImpl(gradOut, x, mean, rstd, gamma, groups));
    }

    private Tensor[] groupNormBackwardImpl(Tensor gradOut, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, int groups) {
        ShapeChecks.groupNorm(x, gamma, null, groups);
        Shape.checkSame("groupNormBackward", gradOut.shape(), x.shape());
        int n = x.dim(0), c = x.dim(1);
        long hw = (long) x.dim(2) * x.dim(3);
        long gyp = ptr(gradOut, "groupNormBackward", "gradOut"), xp = ptr(x, "groupNormBackward", "input");
        long mp = ptr(mean, "groupNormBackward", "mean"), rp = ptr(rstd, "groupNormBackward", "rstd");
        long gmp = ptr(gamma, "groupNormBackward", "gamma");
        Tensor gx = empty(x.shape()), gg = empty(c), gb = empty(c);
        long gxp = ptr(gx, "groupNormBackward", "gradX"), ggp = ptr(gg, "groupNormBackward", "gradGamma"),
                gbp = ptr(gb, "groupNormBackward", "gradBeta");
        if (n == 0 || hw == 0) {
            ctx.memsetZero(ggp, 4L * c);
            ctx.memsetZero(gbp, 4L * c);
            return new Tensor[] {gx, gg, gb};
        }
        CachingAllocator.Block ws = ctx.scratch(16L * n * c);
        try {
            if (nativeGroupNorm(gamma, gamma, (long) n * c)) {
                k("aa_gn_bwd_reduce").ptr(gyp).ptr(xp).ptr(ws.address).i64(hw).launch(ctx.stream, n * c, 1, Kernels.BLOCK, 1);
                k("aa_gn_bwd_dx").ptr(gxp).ptr(gyp).ptr(xp).ptr(mp).ptr(rp).ptr(gmp).ptr(ws.address).i32(c).i64(hw).i32(groups)
                        .launch(ctx.stream, gnPlaneBlocks(hw), n * c, Kernels.BLOCK, 1);
                k("aa_gn_bwd_params").ptr(ggp).ptr(gbp).ptr(mp).ptr(rp).ptr(ws.address).i32(n).i32(c).i32(groups).i32(0)
                        .launch(ctx.stream, (c + 255) / 256, 1, Kernels.BLOCK, 1);
                used("groupNormBackward", "aa_gn_bwd_reduce + aa_gn_bwd_dx + aa_gn_bwd_params");
            } else {
                long dgp = ws.address, dbp = ws.address + 8L * n * c;
                k("aaj_group_norm_bwd").ptr(gxp).ptr(dgp).ptr(dbp).ptr(gyp).ptr(xp).ptr(mp).ptr(rp).ptr(gmp).i32(c)
                        .i32(groups).i64(hw).launch(ctx.stream, n * groups, 1, Kernels.BLOCK, 1);
                k("aaj_group_norm_affine_grad").ptr(ggp).ptr(gbp).ptr(dgp).ptr(dbp).i32(n).i32(c)
                        .launch(ctx.stream, (c + 255) / 256, 1, Kernels.BLOCK, 1);
                used("groupNormBackward", "aaj_group_norm_bwd + aaj_group_norm_affine_grad");
            }
        } finally {
            ctx.free(ws);
        }
        return new Tensor[] {gx, gg, gb};
    }

    private static int pooledSize(String op, int in, int kernel, int stride, int pad) {
        if (kernel < 1 || stride < 1 || pad < 0 || 2 * pad > kernel)
            throw new IllegalArgumentException(op + ": invalid kernel=" + kernel + " stride=" + stride + " pad=" + pad);
        int out = (in + 2 * pad - kernel) / stride + 1;
        if (out <= 0) throw new IllegalArgumentException(op + ": input size " + in + " too small for kernel " + kernel);
        return out;
    }

    @Override
    public Tensor maxPool2d(Tensor x, int kernel, int stride, int pad) {
        if (!PROFILE) return maxPool2dImpl(x, kernel, stride, pad);
        return prof.time("maxPool2d", () -> maxPool2dImpl(x, kernel, stride, pad));
    }

    private Tensor maxPool2dImpl(Tensor x, int kernel, int stride, int pad) {
        Shape.checkRank("maxPool2d", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int oh = pooledSize("maxPool2d", h, kernel, stride, pad), ow = pooledSize("maxPool2d", w, kernel, stride, pad);
        long xp = ptr(x, "maxPool2d", "input");
        Tensor y = empty(n, c, oh, ow);
        long total = y.numel();
        if (total == 0) return y;
        launch1d(k("aaj_max_pool_fwd").ptr(ptr(y, "maxPool2d", "output")).ptr(xp).i32(h).i32(w).i32(oh).i32(ow)
                .i32(kernel).i32(stride).i32(pad).i64(total), total);
        used("maxPool2d", "aaj_max_pool_fwd");
        return y;
    }

    @Override
    public Tensor maxPool2dBackward(Tensor gradOut, Tensor x, int kernel, int stride, int pad) {
        if (!PROFILE) return maxPool2dBackwardImpl(gradOut, x, kernel, stride, pad);
        return prof.time("maxPool2dBackward", () -> maxPool2dBackwardImpl(gradOut, x, kernel, stride, pad));
    }

    private Tensor maxPool2dBackwardImpl(Tensor gradOut, Tensor x, int kernel, int stride, int pad) {
        Shape.checkRank("maxPool2dBackward", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int oh = pooledSize("maxPool2dBackward", h, kernel, stride, pad), ow = pooledSize("maxPool2dBackward", w, kernel, stride, pad);
        Shape.checkSame("maxPool2dBackward", gradOut.shape(), new int[] {n, c, oh, ow});
        long gp = ptr(gradOut, "maxPool2dBackward", "gradOut"), xp = ptr(x, "maxPool2dBackward", "input");
        Tensor gx = zeros(x.shape());
        long total = gradOut.numel();
        if (total == 0) return gx;
        launch1d(k("aaj_max_pool_bwd").ptr(ptr(gx, "maxPool2dBackward", "output")).ptr(gp).ptr(xp).i32(h).i32(w).i32(oh)
                .i32(ow).i32(kernel).i32(stride).i32(pad).i64(total), total);
        used("maxPool2dBackward", "aaj_max_pool_bwd");
        return gx;
    }

    @Override
    public Tensor avgPool2d(Tensor x, autoassign.backend.AvgPool2dParams p) {
        if (!PROFILE) return avgPool2dImpl(x, p);
        return prof.time("avgPool2d", () -> avgPool2dImpl(x, p));
    }

    private Tensor avgPool2dImpl(Tensor x, autoassign.backend.AvgPool2dParams p) {
        Shape.checkRank("avgPool2d", "input", x.shape(), 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int oh = p.outSize("avgPool2d", x.shape(), h), ow = p.outSize("avgPool2d", x.shape(), w);
        long xp = ptr(x, "avgPool2d", "input");
        Tensor y = empty(n, c, oh, ow);
        long total = y.numel();
        if (total == 0) return y;
        launch1d(k("aaj_avg_pool_fwd").ptr(ptr(y, "avgPool2d", "output")).ptr(xp).i32(h).i32(w).i32(oh).i32(ow)
                .i32(p.kernel()).i32(p.stride()).i32(p.pad()).i32(p.countIncludePad() ? 1 : 0).i64(total), total);
        used("avgPool2d", "aaj_avg_pool_fwd");
        return y;
    }

    @Override
    public Tensor avgPool2dBackward(Tensor gradOut, int inH, int inW, autoassign.backend.AvgPool2dParams p) {
        if (!PROFILE) return avgPool2dBackwardImpl(gradOut, inH, inW, p);
        return prof.time("avgPool2dBackward", () -> avgPool2dBackwardImpl(gradOut, inH, inW, p));
    }

    private Tensor avgPool2dBackwardImpl(Tensor gradOut, int h, int w, autoassign.backend.AvgPool2dParams p) {
        Shape.checkRank("avgPool2dBackward", "gradOut", gradOut.shape(), 4);
        int n = gradOut.dim(0), c = gradOut.dim(1);
        int[] inShape = {n, c, h, w};
        if (h < 1 || w < 1) throw new IllegalArgumentException("avgPool2dBackward: invalid input size " + h + "x" + w);
        int oh = p.outSize("avgPool2dBackward", inShape, h), ow = p.outSize("avgPool2dBackward", inShape, w);
        Shape.checkSame("avgPool2dBackward", gradOut.shape(), new int[] {n, c, oh, ow});
        long gp = ptr(gradOut, "avgPool2dBackward", "gradOut");
        Tensor gx = empty(n, c, h, w);
        long total = gx.numel();
        if (total == 0) return gx;
        launch1d(k("aaj_avg_pool_bwd").ptr(ptr(gx, "avgPool2dBackward", "output")).ptr(gp).i32(h).i32(w).i32(oh).i32(ow)
                .i32(p.kernel()).i32(p.stride()).i32(p.pad()).i32(p.countIncludePad() ? 1 : 0).i64(total), total);
        used("avgPool2dBackward", "aaj_avg_pool_bwd");
        return gx;
    }

    /**
     * The native upsample kernels compute src = ⌊dst·in/out⌋ in integers; the CPU twin (PyTorch) uses a float
     * scale, which can differ by one at rare sizes. For exact 2× (every FPN step on inputs padded to 32) both are
     * exact, so the native (gather, atomic-free) kernels run there and the backend's float-scale kernels elsewhere.
     */
    private static boolean exactDouble(int inH, int inW, int outH, int outW) {
        return outH == 2 * inH && outW == 2 * inW;
    }

    @Override
    public Tensor upsampleNearest(Tensor x, int outH, int outW) {
        if (!PROFILE) return upsampleNearestImpl(x, outH, outW);
        return prof.time("upsampleNearest", () -> upsampleNearestImpl(x, outH, outW));
    }

    private Tensor upsampleNearestImpl(Tensor x, int outH, int outW) {
        Shape.checkRank("upsampleNearest", "input", x.shape(), 4);
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("upsampleNearest: invalid output size " + outH + "x" + outW);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        long xp = ptr(x, "upsampleNearest", "input");
        Tensor y = empty(n, c, outH, outW);
        long total = y.numel(), yp = ptr(y, "upsampleNearest", "output");
        if (total == 0) return y;
        if (exactDouble(h, w, outH, outW) && nat("aa_upsample_nearest_fwd_f32")) {
            launch1d(k("aa_upsample_nearest_fwd_f32").ptr(yp).ptr(xp).i32(n * c).i32(h).i32(w).i32(outH).i32(outW).i32(0), total);
            used("upsampleNearest", "aa_upsample_nearest_fwd_f32");
        } else {
            launch1d(k("aaj_upsample_nearest_fwd").ptr(yp).ptr(xp).i32(h).i32(w).i32(outH).i32(outW).i64(total), total);
            used("upsampleNearest", "aaj_upsample_nearest_fwd");
        }
        return y;
    }

    @Override
    public Tensor upsampleNearestBackward(Tensor gradOut, int inH, int inW) {
        if (!PROFILE) return upsampleNearestBackwardImpl(gradOut, inH, inW);
        return prof.time("upsampleNearestBackward", () -> upsampleNearestBackwardImpl(gradOut, inH, inW));
    }

    private Tensor upsampleNearestBackwardImpl(Tensor gradOut, int inH, int inW) {
        Shape.checkRank("upsampleNearestBackward", "gradOut", gradOut.shape(), 4);
        if (inH <= 0 || inW <= 0) throw new IllegalArgumentException("upsampleNearestBackward: invalid input size " + inH + "x" + inW);
        int n = gradOut.dim(0), c = gradOut.dim(1), oh = gradOut.dim(2), ow = gradOut.dim(3);
        long gp = ptr(gradOut, "upsampleNearestBackward", "gradOut");
        if (exactDouble(inH, inW, oh, ow) && nat("aa_upsample_nearest_bwd_f32")) {
            Tensor gx = empty(n, c, inH, inW);
            long total = gx.numel();
            if (total == 0) return gx;
            launch1d(k("aa_upsample_nearest_bwd_f32").ptr(ptr(gx, "upsampleNearestBackward", "output")).ptr(gp).i32(n * c)
                    .i32(inH).i32(inW).i32(oh).i32(ow).i32(0), total);
            used("upsampleNearestBackward", "aa_upsample_nearest_bwd_f32");
            return gx;
        }
        Tensor gx = zeros(n, c, inH, inW);
        long total = gradOut.numel();
        if (total == 0) return gx;
        launch1d(k("aaj_upsample_nearest_bwd").ptr(ptr(gx, "upsampleNearestBackward", "output")).ptr(gp).i32(inH).i32(inW)
                .i32(oh).i32(ow).i64(total), total);
        used("upsampleNearestBackward", "aaj_upsample_nearest_bwd");
        return gx;
    }

    @Override
    public Tensor upsampleBilinear(Tensor x, int outH, int outW, float ratioH, float ratioW) {
        if (!PROFILE) return upsampleBilinearImpl(x, outH, outW, ratioH, ratioW);
        return prof.time("upsampleBilinear", () -> upsampleBilinearImpl(x, outH, outW, ratioH, ratioW));
    }

    private Tensor upsampleBilinearImpl(Tensor x, int outH, int outW, float ratioH, float ratioW) {
        Shape.checkRank("upsampleBilinear", "input", x.shape(), 4);
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("upsampleBilinear: invalid output size " + outH + "x" + outW);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        long xp = ptr(x, "upsampleBilinear", "input");
        Tensor y = empty(n, c, outH, outW);
        long total = y.numel();
        if (total == 0) return y;
        launch1d(k("aaj_upsample_bilinear_fwd").ptr(ptr(y, "upsampleBilinear", "output")).ptr(xp).i32(h).i32(w).i32(outH).i32(outW)
                .f32(ratioH).f32(ratioW).i64(total), total);
        used("upsampleBilinear", "aaj_upsample_bilinear_fwd");
        return y;
    }

    @Override
    public Tensor upsampleBilinearBackward(Tensor gradOut, int inH, int inW, float ratioH, float ratioW) {
        if (!PROFILE) return upsampleBilinearBackwardImpl(gradOut, inH, inW, ratioH, ratioW);
        return prof.time("upsampleBilinearBackward", () -> upsampleBilinearBackwardImpl(gradOut, inH, inW, ratioH, ratioW));
    }

    private Tensor upsampleBilinearBackwardImpl(Tensor gradOut, int inH, int inW, float ratioH, float ratioW) {
        Shape.checkRank("upsampleBilinearBackward", "gradOut", gradOut.shape(), 4);
        if (inH <= 0 || inW <= 0) throw new IllegalArgumentException("upsampleBilinearBackward: invalid input size " + inH + "x" + inW);
        int n = gradOut.dim(0), c = gradOut.dim(1), oh = gradOut.dim(2), ow = gradOut.dim(3);
        long gp = ptr(gradOut, "upsampleBilinearBackward", "gradOut");
        Tensor gx = empty(n, c, inH, inW);
        long total = gx.numel();
        if (total == 0) return gx;
        launch1d(k("aaj_upsample_bilinear_bwd").ptr(ptr(gx, "upsampleBilinearBackward", "output")).ptr(gp).i32(inH).i32(inW)
                .i32(oh).i32(ow).f32(ratioH).f32(ratioW).i64(total), total);
        used("upsampleBilinearBackward", "aaj_upsample_bilinear_bwd");
        return gx;
    }

    // ---------------------------------------------------------------- fused AutoAssign loss

    private volatile CudaAutoAssignLoss fusedLoss;

    /**
     * The native loss kernels ({@link CudaAutoAssignLoss}) when the native fatbin is loaded and
     * {@link CudaOptions#fusedLoss()} is on; else null (the loss copies to the host and runs the CPU op).
     */
    @Override
    public FusedAutoAssignLoss fusedAutoAssignLoss() {
        FusedAutoAssignLoss f = fusedAutoAssignLossImpl();
        return PROFILE && f != null ? prof.timed(f) : f;
    }

    private FusedAutoAssignLoss fusedAutoAssignLossImpl() {
        if (!CudaOptions.fusedLoss()) return null;
        CudaAutoAssignLoss f = fusedLoss;
        if (f == null) {
            ctx.makeCurrent();
            if (!CudaAutoAssignLoss.available(ctx.kernels)) return null;
            fusedLoss = f = new CudaAutoAssignLoss(this, ctx);
        }
        return f;
    }

    // ---------------------------------------------------------------- fused post-processing

    private volatile CudaPostProcess fusedPostProcess;

    /**
     * The native post-processing kernels ({@link CudaPostProcess}) when the native fatbin is loaded and
     * {@link CudaOptions#fusedPostprocess()} is on; else null (inference downloads the head outputs).
     */
    @Override
    public FusedPostProcess fusedPostProcess() {
        FusedPostProcess f = fusedPostProcessImpl();
        return PROFILE && f != null ? prof.timed(f) : f;
    }

    private FusedPostProcess fusedPostProcessImpl() {
        if (!CudaOptions.fusedPostprocess()) return null;
        CudaPostProcess f = fusedPostProcess;
        if (f == null) {
            ctx.makeCurrent();
            if (!CudaPostProcess.available(ctx.kernels)) return null;
            fusedPostProcess = f = new CudaPostProcess(this, ctx);
        }
        return f;
    }

    // ---------------------------------------------------------------- flat copies

    @Override
    public void copyRange(Tensor dst, long dstOff, Tensor src, long srcOff, long n) {
        if (PROFILE) prof.run("copyRange", () -> copyRangeImpl(dst, dstOff, src, srcOff, n));
        else copyRangeImpl(dst, dstOff, src, srcOff, n);
    }

    private void copyRangeImpl(Tensor dst, long dstOff, Tensor src, long srcOff, long n) {
        checkRange("copyRange", dst, dstOff, n);
        checkRange("copyRange", src, srcOff, n);
        long dp = ptr(dst, "copyRange", "dst"), sp = ptr(src, "copyRange", "src");
        if (n == 0) return;
        ctx.makeCurrent();
        ctx.copyDeviceToDevice(dp + 4L * dstOff, sp + 4L * srcOff, 4L * n);
    }

    @Override
    public void zeroRange(Tensor dst, long off, long n) {
        if (PROFILE) prof.run("zeroRange", () -> zeroRangeImpl(dst, off, n));
        else zeroRangeImpl(dst, off, n);
    }

    private void zeroRangeImpl(Tensor dst, long off, long n) {
        checkRange("zeroRange", dst, off, n);
        long dp = ptr(dst, "zeroRange", "dst");
        if (n == 0) return;
        ctx.makeCurrent();
        ctx.memsetZero(dp + 4L * off, 4L * n);
    }

    private static void checkRange(String op, Tensor t, long off, long n) {
        if (off < 0 || n < 0 || off + n > t.numel())
            throw new IllegalArgumentException(op + ": range [" + off + ", " + (off + n) + ") outside " + Shape.str(t.shape()));
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor buf, float lr, float momentum, float wd, boolean firstStep) {
        if (PROFILE) prof.run("sgdStep", () -> sgdStepImpl(param, grad, buf, lr, momentum, wd, firstStep));
        else sgdStepImpl(param, grad, buf, lr, momentum, wd, firstStep);
    }

    private void sgdStepImpl(Tensor param, Tensor grad, Tensor buf, float lr, float momentum, float wd, boolean firstStep) {
        Shape.checkSame("sgdStep", param.shape(), grad.shape());
        Shape.checkSame("sgdStep", param.shape(), buf.shape());
        long pp = ptr(param, "sgdStep", "param"), gp = ptr(grad, "sgdStep", "grad"), bp = ptr(buf, "sgdStep", "momentum buffer");
        long n = param.numel();
        if (n == 0) return;
        launch1d(k("aaj_sgd_step").ptr(pp).ptr(gp).ptr(bp).f32(lr).f32(momentum).f32(wd).i32(firstStep ? 1 : 0).i64(n), n);
        used("sgdStep", "aaj_sgd_step");
    }

    /** Elements per block of aa_sgd_multi (AA_BLOCK threads × AA_SGD_EPT). */
    static final int SGD_TILE = Kernels.BLOCK * 8;

    /**
     * The native {@code aa_sgd_multi}: every tensor in one launch over a table of {@code AaSgdSeg} records
     * ({@link #sgdSegments}, uploaded with the step); without the native kernel, {@code aaj_sgd_step} per tensor.
     */
    @Override
    public void sgdStepAll(List<SgdUpdate> updates, float lr, float momentum) {
        if (PROFILE) prof.run("sgdStepAll", () -> sgdStepAllImpl(updates, lr, momentum));
        else sgdStepAllImpl(updates, lr, momentum);
    }

    private void sgdStepAllImpl(List<SgdUpdate> updates, float lr, float momentum) {
        if (!nat("aa_sgd_multi")) {
            for (SgdUpdate u : updates)
                sgdStepImpl(u.param(), u.grad(), u.momentumBuf(), lr, momentum, u.weightDecay(), u.firstStep());
            return;
        }
        List<SgdUpdate> live = new java.util.ArrayList<>(updates.size());
        for (SgdUpdate u : updates) {
            Shape.checkSame("sgdStep", u.param().shape(), u.grad().shape());
            Shape.checkSame("sgdStep", u.param().shape(), u.momentumBuf().shape());
            if (u.param().numel() > 0) live.add(u);
        }
        if (live.isEmpty()) return;
        int nseg = live.size();
        long[] p = new long[nseg], g = new long[nseg], b = new long[nseg], n = new long[nseg];
        float[] wd = new float[nseg];
        boolean[] first = new boolean[nseg];
        long total = 0;
        for (int i = 0; i < nseg; i++) {
            SgdUpdate u = live.get(i);
            p[i] = ptr(u.param(), "sgdStep", "param");
            g[i] = ptr(u.grad(), "sgdStep", "grad");
            b[i] = ptr(u.momentumBuf(), "sgdStep", "momentum buffer");
            n[i] = u.param().numel();
            wd[i] = u.weightDecay();
            first[i] = u.firstStep();
            total += n[i];
        }
        long[] table = sgdSegments(p, g, b, n, wd, first);
        ctx.makeCurrent();
        CachingAllocator.Block segs = ctx.scratch(8L * table.length);
        try {
            ctx.uploadLongs(segs.address, table);
            k("aa_sgd_multi").ptr(segs.address).i32(nseg).i64(total).f32(lr).f32(momentum)
                    .launch(ctx.stream, (int) ((total + SGD_TILE - 1) / SGD_TILE), 1, Kernels.BLOCK, 1);
        } finally {
            ctx.free(segs); // stream-ordered: reused only by work enqueued after the launch
        }
        used("sgdStepAll", "aa_sgd_multi (native, one launch)");
    }

    /**
     * Adam / AdamW over every tensor in one launch of {@code aaj_adam_multi} (backend_kernels.cu), over a table of
     * {@code AajAdamSeg} records ({@link #adamSegments}) uploaded with the step.
     */
    @Override
    public void adamStepAll(List<autoassign.backend.AdamUpdate> updates, float oneMinusBeta1, float beta2,
                            float oneMinusBeta2, float eps) {
        if (PROFILE) prof.run("adamStepAll", () -> adamStepAllImpl(updates, oneMinusBeta1, beta2, oneMinusBeta2, eps));
        else adamStepAllImpl(updates, oneMinusBeta1, beta2, oneMinusBeta2, eps);
    }

    private void adamStepAllImpl(List<autoassign.backend.AdamUpdate> updates, float omb1, float b2, float omb2, float eps) {
        List<autoassign.backend.AdamUpdate> live = new java.util.ArrayList<>(updates.size());
        for (autoassign.backend.AdamUpdate u : updates) {
            Shape.checkSame("adamStep", u.param().shape(), u.grad().shape());
            Shape.checkSame("adamStep", u.param().shape(), u.expAvg().shape());
            Shape.checkSame("adamStep", u.param().shape(), u.expAvgSq().shape());
            if (u.param().numel() > 0) live.add(u);
        }
        if (live.isEmpty()) return;
        long[][] ptrs = new long[live.size()][];
        long[] n = new long[live.size()];
        float[][] factors = new float[live.size()][];
        long total = 0;
        for (int i = 0; i < ptrs.length; i++) {
            autoassign.backend.AdamUpdate u = live.get(i);
            ptrs[i] = new long[] {ptr(u.param(), "adamStep", "param"), ptr(u.grad(), "adamStep", "grad"),
                    ptr(u.expAvg(), "adamStep", "exp_avg"), ptr(u.expAvgSq(), "adamStep", "exp_avg_sq")};
            n[i] = u.param().numel();
            factors[i] = new float[] {u.decay(), u.l2(), u.stepSize(), u.bc2Sqrt()};
            total += n[i];
        }
        long[] table = adamSegments(ptrs, n, factors);
        ctx.makeCurrent();
        CachingAllocator.Block segs = ctx.scratch(8L * table.length);
        try {
            ctx.uploadLongs(segs.address, table);
            launch1d(k("aaj_adam_multi").ptr(segs.address).i32(ptrs.length).i64(total).f32(omb1).f32(b2).f32(omb2).f32(eps), total);
        } finally {
            ctx.free(segs); // stream-ordered: reused only by work enqueued after the launch
        }
        used("adamStepAll", "aaj_adam_multi (one launch)");
    }

    /**
     * The {@code AajAdamSeg} table of aaj_adam_multi (backend_kernels.cu), 8 longs (64 bytes) per tensor,
     * little-endian: p, g, m, v, start (dense prefix offsets), n, then the float pairs (decay, l2) and
     * (stepSize, bc2Sqrt), the first of each pair in the low half.
     */
    static long[] adamSegments(long[][] ptrs, long[] n, float[][] factors) {
        long[] t = new long[8 * n.length];
        long start = 0;
        for (int i = 0; i < n.length; i++) {
            System.arraycopy(ptrs[i], 0, t, 8 * i, 4);
            t[8 * i + 4] = start;
            t[8 * i + 5] = n[i];
            t[8 * i + 6] = floatPair(factors[i][0], factors[i][1]);
            t[8 * i + 7] = floatPair(factors[i][2], factors[i][3]);
            start += n[i];
        }
        return t;
    }

    private static long floatPair(float low, float high) {
        return (Float.floatToRawIntBits(low) & 0xFFFFFFFFL) | ((long) Float.floatToRawIntBits(high) << 32);
    }

    /**
     * The element-wise torch.optim rules ({@link autoassign.backend.OptimRule}) over every tensor in one launch of
     * {@code aaj_opt_multi} (backend_kernels.cu), over a table of {@code AajOptSeg} records ({@link #optSegments})
     * uploaded with the step.
     */
    @Override
    public void foreachUpdate(List<autoassign.backend.ForeachUpdate> updates) {
        if (PROFILE) prof.run("foreachUpdate", () -> foreachUpdateImpl(updates));
        else foreachUpdateImpl(updates);
    }

    private void foreachUpdateImpl(List<autoassign.backend.ForeachUpdate> updates) {
        List<autoassign.backend.ForeachUpdate> live = new java.util.ArrayList<>(updates.size());
        for (autoassign.backend.ForeachUpdate u : updates) {
            for (Tensor x : new Tensor[] {u.grad(), u.s0(), u.s1(), u.s2()})
                if (x != null) Shape.checkSame("foreachUpdate", u.param().shape(), x.shape());
            if (u.param().numel() > 0) live.add(u);
        }
        if (live.isEmpty()) return;
        long[][] ptrs = new long[live.size()][];
        long[] n = new long[live.size()];
        int[][] ruleFlags = new int[live.size()][];
        float[][] scalars = new float[live.size()][];
        long total = 0;
        for (int i = 0; i < ptrs.length; i++) {
            autoassign.backend.ForeachUpdate u = live.get(i);
            ptrs[i] = new long[] {ptr(u.param(), "foreachUpdate", "param"), ptr(u.grad(), "foreachUpdate", "grad"),
                    u.s0() == null ? 0 : ptr(u.s0(), "foreachUpdate", "state 0"),
                    u.s1() == null ? 0 : ptr(u.s1(), "foreachUpdate", "state 1"),
                    u.s2() == null ? 0 : ptr(u.s2(), "foreachUpdate", "state 2")};
            n[i] = u.param().numel();
            ruleFlags[i] = new int[] {u.rule().code(), u.flags()};
            scalars[i] = u.c();
            total += n[i];
        }
        long[] table = optSegments(ptrs, n, ruleFlags, scalars);
        ctx.makeCurrent();
        CachingAllocator.Block segs = ctx.scratch(8L * table.length);
        try {
            ctx.uploadLongs(segs.address, table);
            launch1d(k("aaj_opt_multi").ptr(segs.address).i32(ptrs.length).i64(total), total);
        } finally {
            ctx.free(segs); // stream-ordered: reused only by work enqueued after the launch
        }
        used("foreachUpdate", "aaj_opt_multi (one launch)");
    }

    /**
     * The {@code AajOptSeg} table of aaj_opt_multi (backend_kernels.cu), 16 longs (128 bytes) per tensor,
     * little-endian: p, g, s0, s1, s2 (0 for an absent state), start (dense prefix offsets), n, then rule (low half)
     * and flags (high half), then the 16 scalars in pairs, the first of each pair in the low half.
     */
    static long[] optSegments(long[][] ptrs, long[] n, int[][] ruleFlags, float[][] scalars) {
        long[] t = new long[16 * n.length];
        long start = 0;
        for (int i = 0; i < n.length; i++) {
            System.arraycopy(ptrs[i], 0, t, 16 * i, 5);
            t[16 * i + 5] = start;
            t[16 * i + 6] = n[i];
            t[16 * i + 7] = (ruleFlags[i][0] & 0xFFFFFFFFL) | ((long) ruleFlags[i][1] << 32);
            for (int k = 0; k < autoassign.backend.OptimRule.SCALARS / 2; k++)
                t[16 * i + 8 + k] = floatPair(scalars[i][2 * k], scalars[i][2 * k + 1]);
            start += n[i];
        }
        return t;
    }

    /**
     * The {@code AaSgdSeg} table of aa_sgd_multi (native/include/aa_kernels.h), 6 longs (48 bytes) per tensor,
     * little-endian: p, g, buf, start (dense prefix offsets), n, then {@code wd} (float bits) in the low half and
     * {@code first} in the high half of the last word (byte offsets 40 and 44).
     */
    static long[] sgdSegments(long[] p, long[] g, long[] buf, long[] n, float[] wd, boolean[] first) {
        long[] t = new long[6 * p.length];
        long start = 0;
        for (int i = 0; i < p.length; i++) {
            t[6 * i] = p[i];
            t[6 * i + 1] = g[i];
            t[6 * i + 2] = buf[i];
            t[6 * i + 3] = start;
            t[6 * i + 4] = n[i];
            t[6 * i + 5] = (Float.floatToRawIntBits(wd[i]) & 0xFFFFFFFFL) | ((first[i] ? 1L : 0L) << 32);
            start += n[i];
        }
        return t;
    }

    @Override public String toString() { return "CudaBackend[" + device + ": " + ctx.gpu.describe() + "; kernels: " + ctx.kernels.description() + "]"; }

    // ---------------------------------------------------------------- deformable convolution (MMCV DCN / DCNv2)

    @Override
    public Tensor deformConv2d(Tensor x, Tensor offset, Tensor mask, Tensor w, Tensor bias, autoassign.backend.DeformConvParams p) {
        if (!PROFILE) return deformConv2dImpl(x, offset, mask, w, bias, p);
        return prof.time("deformConv2d fwd " + Shape.str(x.shape()), () -> deformConv2dImpl(x, offset, mask, w, bias, p));
    }

    @Override
    public autoassign.backend.DeformConvGrads deformConv2dBackward(Tensor gradOut, Tensor x, Tensor offset, Tensor mask, Tensor w,
                                                                   boolean withBias, autoassign.backend.DeformConvParams p) {
        if (!PROFILE) return deformConv2dBackwardImpl(gradOut, x, offset, mask, w, withBias, p);
        return prof.time("deformConv2d bwd " + Shape.str(x.shape()), () -> deformConv2dBackwardImpl(gradOut, x, offset, mask, w, withBias, p));
    }

    /** One image's geometry and device addresses for the aaj_dcn_* kernels (the CPU twin's per-image loop). */
    private record DeformGeo(int n, int cin, int h, int w, int cout, int kh, int kw, int ho, int wo, int groups, int dg,
                             autoassign.backend.ConvParams c) {
        static DeformGeo of(int[] xs, int[] ws, autoassign.backend.DeformConvParams p) {
            return new DeformGeo(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], p.outH(xs[2], ws[2]), p.outW(xs[3], ws[3]),
                    p.conv().groups(), p.deformGroups(), p.conv());
        }

        int kk() { return kh * kw; }

        long hw() { return (long) ho * wo; }

        /** The GEMM's K: rows of the columns per channel group. */
        int k() { return cin / groups * kk(); }

        long imageBytes() { return 4L * cin * h * w; }

        long offsetBytes() { return 4L * dg * 2 * kk() * hw(); }

        long maskBytes() { return 4L * dg * kk() * hw(); }
    }

    private void deformIm2col(DeformGeo g, long col, long x, long off, long mask) {
        long n = (long) g.cin() * g.hw();
        // the geometry written out at each launch, so that KernelCallArgsTest checks every argument against the kernel
        launch1d(k("aaj_dcn_im2col").ptr(col).ptr(x).ptr(off).ptr(mask).i32(mask != 0 ? 1 : 0)
                .i32(g.h()).i32(g.w()).i32(g.kh()).i32(g.kw()).i32(g.c().padH()).i32(g.c().padW())
                .i32(g.c().strideH()).i32(g.c().strideW()).i32(g.c().dilationH()).i32(g.c().dilationW()).i32(g.cin() / g.dg())
                .i32(g.ho()).i32(g.wo()).i64(n), n);
    }

    /**
     * Row-major C[m,n] = op(A)·op(B) at raw device addresses (lda, ldb: row lengths as stored; C dense): cuBLAS, or
     * the aaj_gemm fallback where cuBLAS cannot be loaded.
     */
    private void gemmAt(boolean transA, boolean transB, int m, int n, int kk, long a, int lda, long b, int ldb, long c) {
        ctx.makeCurrent();
        if (ctx.cublas != null) {
            ctx.cublas.sgemm(transA, transB, m, n, kk, a, lda, b, ldb, c, CudaOptions.tf32());
        } else {
            k("aaj_gemm").ptr(c).ptr(a).ptr(b).i32(m).i32(n).i32(kk).i32(lda).i32(ldb).i32(transA ? 1 : 0).i32(transB ? 1 : 0)
                    .launch(ctx.stream, (n + 15) / 16, (m + 15) / 16, 16, 16);
        }
    }

    private Tensor deformConv2dImpl(Tensor x, Tensor offset, Tensor mask, Tensor w, Tensor bias, autoassign.backend.DeformConvParams p) {
        int[] ys = p.check("deformConv2d", x.shape(), offset.shape(), mask == null ? null : mask.shape(), w.shape(),
                bias == null ? null : bias.shape());
        DeformGeo g = DeformGeo.of(x.shape(), w.shape(), p);
        long xp = ptr(x, "deformConv2d", "input"), op = ptr(offset, "deformConv2d", "offset"), mp = ptr(mask, "deformConv2d", "mask");
        long wp = ptr(w, "deformConv2d", "weight");
        Tensor y = empty(ys);
        long yp = ptr(y, "deformConv2d", "output");
        Tensor col = empty(g.cin() * g.kk(), Math.toIntExact(g.hw()));
        long cp = ptr(col, "deformConv2d", "columns");
        int k = g.k(), coutG = g.cout() / g.groups(), hw = Math.toIntExact(g.hw());
        for (int img = 0; img < g.n(); img++) {
            deformIm2col(g, cp, xp + img * g.imageBytes(), op + img * g.offsetBytes(), mp == 0 ? 0 : mp + img * g.maskBytes());
            for (int gi = 0; gi < g.groups(); gi++) // out[g] = W[g] · col[g]
                gemmAt(false, false, coutG, hw, k, wp + 4L * gi * coutG * k, k, cp + 4L * gi * k * hw, hw,
                        yp + 4L * ((long) img * g.cout() + (long) gi * coutG) * hw);
        }
        if (bias != null) channelAffineActInPlace(y, null, bias, null, false);
        autoassign.tensor.MemoryScope.dispose(col);
        used("deformConv2d", "aaj_dcn_im2col + " + (ctx.cublas != null ? "cuBLAS SGEMM" : "aaj_gemm"));
        return y;
    }

    private autoassign.backend.DeformConvGrads deformConv2dBackwardImpl(Tensor gradOut, Tensor x, Tensor offset, Tensor mask,
                                                                       Tensor w, boolean withBias, autoassign.backend.DeformConvParams p) {
        int[] ys = p.check("deformConv2dBackward", x.shape(), offset.shape(), mask == null ? null : mask.shape(), w.shape(), null);
        Shape.checkSame("deformConv2dBackward", gradOut.shape(), ys);
        DeformGeo g = DeformGeo.of(x.shape(), w.shape(), p);
        String op = "deformConv2dBackward";
        long xp = ptr(x, op, "input"), offp = ptr(offset, op, "offset"), mp = ptr(mask, op, "mask"), wp = ptr(w, op, "weight");
        long gyp = ptr(gradOut, op, "gradOut");
        Tensor gx = zeros(x.shape()), gOff = empty(offset.shape()), gMask = mask == null ? null : empty(mask.shape());
        Tensor gw = zeros(w.shape()), gwImage = empty(w.shape());
        int k = g.k(), coutG = g.cout() / g.groups(), hw = Math.toIntExact(g.hw());
        Tensor col = empty(g.cin() * g.kk(), hw), gcol = empty(g.cin() * g.kk(), hw);
        long cp = ptr(col, op, "columns"), gcp = ptr(gcol, op, "column gradient"), gwi = ptr(gwImage, op, "weight gradient");
        long gxp = ptr(gx, op, "input gradient"), gop = ptr(gOff, op, "offset gradient"), gmp = ptr(gMask, op, "mask gradient");
        long nCol = (long) g.cin() * g.kk() * hw, nCoord = (long) g.dg() * 2 * g.kk() * hw;
        for (int img = 0; img < g.n(); img++) {
            long xi = xp + img * g.imageBytes(), oi = offp + img * g.offsetBytes(), mi = mp == 0 ? 0 : mp + img * g.maskBytes();
            long gyi = gyp + 4L * img * g.cout() * hw;
            for (int gi = 0; gi < g.groups(); gi++) // gcol[g] = W[g]ᵀ · gradOut[g]
                gemmAt(true, false, k, hw, coutG, wp + 4L * gi * coutG * k, k, gyi + 4L * gi * coutG * hw, hw, gcp + 4L * gi * k * hw);
            launch1d(k("aaj_dcn_col2im_coord").ptr(gop + img * g.offsetBytes()).ptr(gmp == 0 ? 0 : gmp + img * g.maskBytes())
                    .ptr(gcp).ptr(xi).ptr(oi).ptr(mi).i32(mi != 0 ? 1 : 0)
                    .i32(g.h()).i32(g.w()).i32(g.kh()).i32(g.kw()).i32(g.c().padH()).i32(g.c().padW())
                    .i32(g.c().strideH()).i32(g.c().strideW()).i32(g.c().dilationH()).i32(g.c().dilationW()).i32(g.cin() / g.dg())
                    .i32(g.ho()).i32(g.wo()).i64(nCoord), nCoord);
            launch1d(k("aaj_dcn_col2im").ptr(gxp + img * g.imageBytes()).ptr(gcp).ptr(oi).ptr(mi).i32(mi != 0 ? 1 : 0)
                    .i32(g.h()).i32(g.w()).i32(g.kh()).i32(g.kw()).i32(g.c().padH()).i32(g.c().padW())
                    .i32(g.c().strideH()).i32(g.c().strideW()).i32(g.c().dilationH()).i32(g.c().dilationW()).i32(g.cin() / g.dg())
                    .i32(g.ho()).i32(g.wo()).i64(nCol), nCol);
            deformIm2col(g, cp, xi, oi, mi);
            for (int gi = 0; gi < g.groups(); gi++) // gW[g] (this image's) = gradOut[g] · col[g]ᵀ
                gemmAt(false, true, coutG, k, hw, gyi + 4L * gi * coutG * hw, hw, cp + 4L * gi * k * hw, hw, gwi + 4L * gi * coutG * k);
            addInPlace(gw, gwImage);
        }
        Tensor gb = withBias ? channelSum(gradOut) : null;
        for (Tensor t : new Tensor[] {col, gcol, gwImage}) autoassign.tensor.MemoryScope.dispose(t);
        used(op, "aaj_dcn_col2im_coord + aaj_dcn_col2im + aaj_dcn_im2col + " + (ctx.cublas != null ? "cuBLAS SGEMM" : "aaj_gemm"));
        return new autoassign.backend.DeformConvGrads(gx, gOff, gMask, gw, gb);
    }
}
