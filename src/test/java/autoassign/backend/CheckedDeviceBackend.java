package autoassign.backend;

import autoassign.tensor.Device;
import autoassign.tensor.DeviceBuffer;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in accelerator for CPU tests of device-memory management: tensors live in {@link Buf}s (pure Java
 * device buffers) and every op runs the CPU backend's math on them, so results equal the CPU path exactly.
 * Buffers count themselves (live, peak bytes, releases), register with {@link MemoryScope} like a real device
 * backend, and fail loudly — an exception, also recorded in {@link #violations()} in case a caller swallows it —
 * on any use after release or a second release. Install with {@link #install(int)} on a {@code cuda:N} device
 * index no real GPU uses; {@link #close()} uninstalls it.
 */
public final class CheckedDeviceBackend implements Backend, AutoCloseable {
    private final Device device;
    private final Backend cpu = Backends.cpu();
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicLong liveBytes = new AtomicLong(), peakBytes = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong(), releases = new AtomicLong();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    /** Live buffers (for the breakdown at the peak), and that breakdown: bytes per allocating op. */
    private final java.util.Set<Buf> liveSet = Collections.newSetFromMap(new java.util.concurrent.ConcurrentHashMap<>());
    private volatile java.util.Map<String, Long> atPeak = java.util.Map.of();
    private static final StackWalker WALKER = StackWalker.getInstance();

    private CheckedDeviceBackend(Device device) { this.device = device; }

    /** Registers a fresh checked backend as the backend of {@code cuda:index}. */
    public static CheckedDeviceBackend install(int index) {
        CheckedDeviceBackend b = new CheckedDeviceBackend(Device.cuda(index));
        Backends.register(b.device, b);
        return b;
    }

    @Override public void close() { Backends.register(device, null); }

    /** One device buffer: a host array that refuses use after release. */
    public final class Buf implements DeviceBuffer {
        private float[] data;
        private final long numel;
        /** The op that allocated it (the first frame of this backend outside its helpers). */
        final String op;
        private volatile boolean released;

        Buf(float[] data) {
            this.data = data;
            this.numel = data.length;
            this.op = WALKER.walk(f -> f.filter(x -> x.getClassName().equals(CheckedDeviceBackend.class.getName())
                    && !x.getMethodName().equals("d")).findFirst().map(StackWalker.StackFrame::getMethodName).orElse("?"));
            allocations.incrementAndGet();
            live.incrementAndGet();
            liveSet.add(this);
            long now = liveBytes.addAndGet(4L * numel);
            if (now > peakBytes.getAndAccumulate(now, Math::max)) snapshotPeak();
            MemoryScope.track(this);
        }

        float[] array(String use) {
            if (released) {
                String msg = "use after release (" + use + ") of a device buffer of " + numel + " floats";
                violations.add(msg);
                throw new IllegalStateException(msg);
            }
            return data;
        }

        @Override public Device device() { return device; }

        @Override public long numel() { return numel; }

        @Override public float[] toHost() { return array("toHost").clone(); }

        @Override public void fromHost(float[] values) {
            float[] d = array("fromHost");
            if (values.length != d.length) throw new IllegalArgumentException("fromHost: " + values.length + " into " + d.length);
            System.arraycopy(values, 0, d, 0, d.length);
        }

        /** Strict: a second release is a violation (the engine must release each buffer once). */
        @Override public synchronized void release() {
            if (released) {
                String msg = "double release of a device buffer of " + numel + " floats";
                violations.add(msg);
                throw new IllegalStateException(msg);
            }
            released = true;
            data = null; // any later read fails
            releases.incrementAndGet();
            live.decrementAndGet();
            liveSet.remove(this);
            liveBytes.addAndGet(-4L * numel);
        }

        @Override public boolean released() { return released; }
    }

    // ------------------------------------------------------------------ counters

    /** Buffers allocated and not released (unreleased garbage counts: this device has no GC reclaim). */
    public int liveBuffers() { return live.get(); }

    public long liveBytes() { return liveBytes.get(); }

    public long allocations() { return allocations.get(); }

    public long releases() { return releases.get(); }

    private volatile FusedPostProcess fusedPostProcess;

    /** Makes {@link #fusedPostProcess()} return {@code op} (null: none, the default, as on the CPU). */
    public void setFusedPostProcess(FusedPostProcess op) { fusedPostProcess = op; }

    @Override public FusedPostProcess fusedPostProcess() { return fusedPostProcess; }

    public List<String> violations() { synchronized (violations) { return new ArrayList<>(violations); } }

    @Override public long peakMemoryBytes() { return peakBytes.get(); }

    @Override public void resetPeakMemory() {
        peakBytes.set(liveBytes.get());
        snapshotPeak();
    }

    /** Bytes per allocating op (conv2d, channelAffine, ...) of the buffers live at the peak, largest first. */
    public java.util.Map<String, Long> peakBreakdown() { return atPeak; }

    private void snapshotPeak() {
        java.util.Map<String, Long> m = new java.util.HashMap<>();
        for (Buf b : liveSet) m.merge(b.op, 4L * b.numel, Long::sum);
        java.util.LinkedHashMap<String, Long> sorted = new java.util.LinkedHashMap<>();
        m.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        atPeak = sorted;
    }

    // ------------------------------------------------------------------ wrapping

    /** A CPU tensor sharing the buffer's array (in-place CPU ops write through). */
    private Tensor h(Tensor t, String op) {
        if (t == null) return null;
        if (!t.device().equals(device))
            throw new IllegalArgumentException(op + ": tensor is on " + t.device() + ", expected " + device);
        return Tensor.of(((Buf) t.buffer()).array(op), t.shape());
    }

    /** A device tensor holding a copy of a CPU result (every op returns fresh storage, as on a GPU). */
    private Tensor d(Tensor cpuResult) {
        return Tensor.ofBuffer(new Buf(cpuResult.data().clone()), cpuResult.shape());
    }

    private Tensor[] d(Tensor[] cpuResults) {
        Tensor[] out = new Tensor[cpuResults.length];
        for (int i = 0; i < out.length; i++) out[i] = cpuResults[i] == null ? null : d(cpuResults[i]);
        return out;
    }

    // ------------------------------------------------------------------ the op set

    @Override public Device device() { return device; }

    @Override public Tensor zeros(int... shape) { return d(cpu.zeros(shape)); }

    @Override public Tensor fromHost(float[] data, int... shape) { return d(cpu.fromHost(data, shape)); }

    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvParams p) {
        return d(cpu.conv2d(h(x, "conv2d"), h(w, "conv2d"), h(bias, "conv2d"), p));
    }

    @Override public Tensor conv2dBackwardInput(Tensor gradOut, Tensor w, int[] inputShape, ConvParams p) {
        return d(cpu.conv2dBackwardInput(h(gradOut, "conv2dBackwardInput"), h(w, "conv2dBackwardInput"), inputShape, p));
    }

    @Override public Tensor conv2dBackwardWeight(Tensor gradOut, Tensor x, int[] weightShape, ConvParams p) {
        return d(cpu.conv2dBackwardWeight(h(gradOut, "conv2dBackwardWeight"), h(x, "conv2dBackwardWeight"), weightShape, p));
    }

    @Override public Tensor channelSum(Tensor g) { return d(cpu.channelSum(h(g, "channelSum"))); }
    @Override public Tensor dropout(Tensor x, double p, long seed) { return d(cpu.dropout(h(x, "dropout"), p, seed)); }
    @Override public Tensor channelDot(Tensor a, Tensor b) { return d(cpu.channelDot(h(a, "channelDot"), h(b, "channelDot"))); }

    @Override public Tensor gemm(Tensor a, boolean transA, Tensor b, boolean transB) {
        return d(cpu.gemm(h(a, "gemm"), transA, h(b, "gemm"), transB));
    }

    @Override public Tensor add(Tensor a, Tensor b) { return d(cpu.add(h(a, "add"), h(b, "add"))); }

    @Override public void addInPlace(Tensor acc, Tensor b) { cpu.addInPlace(h(acc, "addInPlace"), h(b, "addInPlace")); }

    @Override public Tensor mulScalar(Tensor x, float s) { return d(cpu.mulScalar(h(x, "mulScalar"), s)); }

    @Override public Tensor mulByTensorScalar(Tensor x, Tensor s) {
        return d(cpu.mulByTensorScalar(h(x, "mulByTensorScalar"), h(s, "mulByTensorScalar")));
    }

    @Override public Tensor dot(Tensor a, Tensor b) { return d(cpu.dot(h(a, "dot"), h(b, "dot"))); }

    @Override public Tensor clampMin(Tensor x, float min) { return d(cpu.clampMin(h(x, "clampMin"), min)); }

    @Override public Tensor clampMinBackward(Tensor gradOut, Tensor x, float min) {
        return d(cpu.clampMinBackward(h(gradOut, "clampMinBackward"), h(x, "clampMinBackward"), min));
    }

    @Override public Tensor swish(Tensor x) { return d(cpu.swish(h(x, "swish"))); }

    @Override public Tensor hardsigmoid(Tensor x) { return d(cpu.hardsigmoid(h(x, "hardsigmoid"))); }

    @Override public Tensor hardsigmoidBackward(Tensor gradOut, Tensor x) {
        return d(cpu.hardsigmoidBackward(h(gradOut, "hardsigmoidBackward"), h(x, "hardsigmoidBackward")));
    }

    @Override public Tensor swishBackward(Tensor gradOut, Tensor x) {
        return d(cpu.swishBackward(h(gradOut, "swishBackward"), h(x, "swishBackward")));
    }

    @Override public Tensor spaceToDepth(Tensor x) { return d(cpu.spaceToDepth(h(x, "spaceToDepth"))); }

    @Override public Tensor spaceToDepthBackward(Tensor gradOut) {
        return d(cpu.spaceToDepthBackward(h(gradOut, "spaceToDepthBackward")));
    }

    @Override public Tensor softmax(Tensor x, int outer, int n, int inner) {
        return d(cpu.softmax(h(x, "softmax"), outer, n, inner));
    }

    @Override public Tensor softmaxBackward(Tensor gradOut, Tensor y, int outer, int n, int inner) {
        return d(cpu.softmaxBackward(h(gradOut, "softmaxBackward"), h(y, "softmaxBackward"), outer, n, inner));
    }

    @Override public Tensor rowScale(Tensor x, Tensor s) { return d(cpu.rowScale(h(x, "rowScale"), h(s, "rowScale"))); }

    @Override public Tensor rowScaleBackward(Tensor gradOut, Tensor x, Tensor s) {
        return d(cpu.rowScaleBackward(h(gradOut, "rowScaleBackward"), h(x, "rowScaleBackward"), h(s, "rowScaleBackward")));
    }

    @Override public Tensor leakyRelu(Tensor x, float slope) { return d(cpu.leakyRelu(h(x, "leakyRelu"), slope)); }

    @Override public Tensor leakyReluBackward(Tensor gradOut, Tensor x, float slope) {
        return d(cpu.leakyReluBackward(h(gradOut, "leakyReluBackward"), h(x, "leakyReluBackward"), slope));
    }

    @Override public Tensor hardtanh(Tensor x, float lo, float hi) { return d(cpu.hardtanh(h(x, "hardtanh"), lo, hi)); }

    @Override public Tensor hardtanhBackward(Tensor gradOut, Tensor x, float lo, float hi) {
        return d(cpu.hardtanhBackward(h(gradOut, "hardtanhBackward"), h(x, "hardtanhBackward"), lo, hi));
    }

    @Override public Tensor sigmoid(Tensor x) { return d(cpu.sigmoid(h(x, "sigmoid"))); }

    @Override public Tensor sigmoidBackward(Tensor gradOut, Tensor y) {
        return d(cpu.sigmoidBackward(h(gradOut, "sigmoidBackward"), h(y, "sigmoidBackward")));
    }

    @Override public Tensor channelAffine(Tensor x, Tensor scale, Tensor shift) {
        return d(cpu.channelAffine(h(x, "channelAffine"), h(scale, "channelAffine"), h(shift, "channelAffine")));
    }

    @Override public void channelAffineActInPlace(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) {
        String op = "channelAffineActInPlace";
        cpu.channelAffineActInPlace(h(x, op), h(scale, op), h(shift, op), h(residual, op), relu);
    }

    @Override public Tensor actAffineBackward(Tensor gradOut, Tensor y, Tensor scale, boolean relu) {
        String op = "actAffineBackward";
        return d(cpu.actAffineBackward(h(gradOut, op), h(y, op), h(scale, op), relu));
    }

    @Override public Tensor sum(Tensor x) { return d(cpu.sum(h(x, "sum"))); }

    @Override public Tensor broadcastScalar(Tensor s, float factor, int... shape) {
        return d(cpu.broadcastScalar(h(s, "broadcastScalar"), factor, shape));
    }

    @Override public Tensor[] groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        return d(cpu.groupNorm(h(x, "groupNorm"), h(gamma, "groupNorm"), h(beta, "groupNorm"), groups, eps));
    }

    @Override public Tensor[] groupNormBackward(Tensor gradOut, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, int groups) {
        String op = "groupNormBackward";
        return d(cpu.groupNormBackward(h(gradOut, op), h(x, op), h(mean, op), h(rstd, op), h(gamma, op), groups));
    }

    @Override public Tensor maxPool2d(Tensor x, int kernel, int stride, int pad) {
        return d(cpu.maxPool2d(h(x, "maxPool2d"), kernel, stride, pad));
    }

    @Override public Tensor avgPool2d(Tensor x, AvgPool2dParams p) {
        return d(cpu.avgPool2d(h(x, "avgPool2d"), p));
    }

    @Override public Tensor avgPool2dBackward(Tensor gradOut, int inH, int inW, AvgPool2dParams p) {
        return d(cpu.avgPool2dBackward(h(gradOut, "avgPool2dBackward"), inH, inW, p));
    }

    @Override public Tensor maxPool2dBackward(Tensor gradOut, Tensor x, int kernel, int stride, int pad) {
        return d(cpu.maxPool2dBackward(h(gradOut, "maxPool2dBackward"), h(x, "maxPool2dBackward"), kernel, stride, pad));
    }

    @Override public Tensor upsampleNearest(Tensor x, int outH, int outW) {
        return d(cpu.upsampleNearest(h(x, "upsampleNearest"), outH, outW));
    }

    @Override public Tensor upsampleNearestBackward(Tensor gradOut, int inH, int inW) {
        return d(cpu.upsampleNearestBackward(h(gradOut, "upsampleNearestBackward"), inH, inW));
    }

    @Override public void copyRange(Tensor dst, long dstOff, Tensor src, long srcOff, long n) {
        System.arraycopy(((Buf) src.buffer()).array("copyRange"), Math.toIntExact(srcOff),
                ((Buf) dst.buffer()).array("copyRange"), Math.toIntExact(dstOff), Math.toIntExact(n));
    }

    @Override public void zeroRange(Tensor dst, long off, long n) {
        java.util.Arrays.fill(((Buf) dst.buffer()).array("zeroRange"), Math.toIntExact(off), Math.toIntExact(off + n), 0f);
    }

    @Override public void sgdStep(Tensor param, Tensor grad, Tensor buf, float lr, float momentum, float wd, boolean firstStep) {
        cpu.sgdStep(h(param, "sgdStep"), h(grad, "sgdStep"), h(buf, "sgdStep"), lr, momentum, wd, firstStep);
    }

    @Override public void adamStepAll(List<AdamUpdate> updates, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps) {
        List<AdamUpdate> host = new ArrayList<>();
        for (AdamUpdate u : updates)
            host.add(new AdamUpdate(h(u.param(), "adamStep"), h(u.grad(), "adamStep"), h(u.expAvg(), "adamStep"),
                    h(u.expAvgSq(), "adamStep"), u.decay(), u.l2(), u.stepSize(), u.bc2Sqrt()));
        cpu.adamStepAll(host, oneMinusBeta1, beta2, oneMinusBeta2, eps);
    }

    @Override public String toString() { return "CheckedDeviceBackend[" + device + "]"; }
}
