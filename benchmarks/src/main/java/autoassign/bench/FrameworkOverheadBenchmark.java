package autoassign.bench;

import autoassign.autograd.Graph;
import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.backend.ConvParams;
import autoassign.backend.ShapeChecks;
import autoassign.config.ConfigLoader;
import autoassign.model.AutoAssignDetector;
import autoassign.model.HeadOutputs;
import autoassign.tensor.Device;
import autoassign.tensor.DeviceBuffer;
import autoassign.tensor.MemoryScope;
import autoassign.tensor.Tensor;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's own host cost per op, without any arithmetic: the R50 forward at 2×3×800×1216 (with and without
 * the autograd tape) on a stand-in device whose ops only compute output shapes. What is left is what Java adds on
 * top of each kernel launch on a GPU — model code, tensor objects, memory-scope tracking, tape recording — so it
 * tells whether a step can be launch-bound on the Java side (compare with the GPU step's tens of ms). The JNI
 * launch, the caching allocator and cuDNN's own host work are not included. Prints the op count once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class FrameworkOverheadBenchmark {
    /** Record the tape during {@link #forward} (forwardBackward always does). */
    @Param({"false", "true"})
    public boolean tape;

    static final Device DEVICE = Device.cuda(97);
    ShapeOnlyBackend be;
    AutoAssignDetector model;
    Tensor images;

    @Setup(Level.Trial)
    public void setup() {
        be = new ShapeOnlyBackend();
        Backends.register(DEVICE, be);
        model = new AutoAssignDetector(ConfigLoader.load(Path.of(configDir(), "autoassign_r50-caffe_fpn_1x_coco.yaml")).model(), 0);
        model.to(DEVICE);
        images = be.zeros(2, 3, 800, 1216);
        be.ops.reset();
        forward();
        System.out.println("\nops per forward (tape=" + tape + "): " + be.ops.sum());
    }

    /** configs/ of the repository (benchmarks run from benchmarks/ or the repository root). */
    static String configDir() {
        return Path.of("configs").toFile().isDirectory() ? "configs" : "../configs";
    }

    @TearDown(Level.Trial)
    public void tearDown() { Backends.register(DEVICE, null); }

    @Benchmark
    public HeadOutputs forward() {
        try (MemoryScope s = MemoryScope.open()) {
            if (tape) {
                HeadOutputs o = model.forward(images);
                Graph.clear();
                return o;
            }
            try (Graph.Scope g = Graph.noGrad()) {
                return model.forward(images);
            }
        }
    }

    /** Forward with the tape, then the backward from every head output (seeded with shape-only gradients). */
    @Benchmark
    public int forwardBackward() {
        try (MemoryScope s = MemoryScope.open()) {
            HeadOutputs o = model.forward(images);
            java.util.List<Tensor> roots = new java.util.ArrayList<>();
            for (int l = 0; l < o.numLevels(); l++) {
                roots.add(o.clsLogits(l));
                roots.add(o.distances(l));
                roots.add(o.objLogits(l));
            }
            Tensor[] r = roots.toArray(new Tensor[0]), seeds = new Tensor[r.length];
            for (int i = 0; i < r.length; i++) seeds[i] = be.zeros(r[i].shape());
            Graph.backward(r, seeds);
            return r.length;
        }
    }

    /** A buffer with a size and no contents (small host copies for the frozen BN's statistics). */
    static final class ShapeBuf implements DeviceBuffer {
        final long numel;
        boolean released;

        ShapeBuf(long numel) { this.numel = numel; MemoryScope.track(this); }

        @Override public Device device() { return DEVICE; }
        @Override public long numel() { return numel; }
        @Override public float[] toHost() { return new float[Math.toIntExact(numel)]; }
        @Override public void fromHost(float[] data) {}
        @Override public void release() { released = true; }
        @Override public boolean released() { return released; }
    }

    /** Every op returns fresh shape-only tensors of the right shapes; nothing is computed. */
    static final class ShapeOnlyBackend implements Backend {
        final LongAdder ops = new LongAdder();

        Tensor t(int... shape) {
            ops.increment();
            long n = 1;
            for (int d : shape) n *= d;
            return Tensor.ofBuffer(new ShapeBuf(n), shape);
        }

        @Override public Device device() { return DEVICE; }
        @Override public Tensor zeros(int... shape) { return t(shape); }
        @Override public Tensor fromHost(float[] data, int... shape) { return t(shape); }
        @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, ConvParams p) {
            return t(ShapeChecks.convOutput("conv2d", x.shape(), w.shape(), p));
        }
        @Override public Tensor conv2dBackwardInput(Tensor g, Tensor w, int[] inputShape, ConvParams p) { return t(inputShape); }
        @Override public Tensor conv2dBackwardWeight(Tensor g, Tensor x, int[] weightShape, ConvParams p) { return t(weightShape); }
        @Override public Tensor channelSum(Tensor g) { return t(g.dim(1)); }
        @Override public Tensor channelDot(Tensor a, Tensor b) { return t(a.dim(1)); }
        @Override public Tensor gemm(Tensor a, boolean ta, Tensor b, boolean tb) { return t(ta ? a.dim(1) : a.dim(0), tb ? b.dim(0) : b.dim(1)); }
        @Override public Tensor add(Tensor a, Tensor b) { return t(a.shape()); }
        @Override public void addInPlace(Tensor acc, Tensor b) { ops.increment(); }
        @Override public Tensor mulScalar(Tensor x, float s) { return t(x.shape()); }
        @Override public Tensor mulByTensorScalar(Tensor x, Tensor s) { return t(x.shape()); }
        @Override public Tensor dot(Tensor a, Tensor b) { return t(1); }
        @Override public Tensor clampMin(Tensor x, float min) { return t(x.shape()); }
        @Override public Tensor clampMinBackward(Tensor g, Tensor x, float min) { return t(x.shape()); }
        @Override public Tensor hardtanh(Tensor x, float lo, float hi) { return t(x.shape()); }
        @Override public Tensor hardtanhBackward(Tensor g, Tensor x, float lo, float hi) { return t(x.shape()); }
        @Override public Tensor leakyRelu(Tensor x, float slope) { return t(x.shape()); }
        @Override public Tensor swish(Tensor x) { return t(x.shape()); }
        @Override public Tensor swishBackward(Tensor g, Tensor x) { return t(x.shape()); }
        @Override public Tensor dropout(Tensor x, double p, long seed) { return t(x.shape()); }
        @Override public Tensor hardsigmoid(Tensor x) { return t(x.shape()); }
        @Override public Tensor hardsigmoidBackward(Tensor g, Tensor x) { return t(x.shape()); }
        @Override public Tensor spaceToDepth(Tensor x) { return t(autoassign.backend.SpaceToDepth.outShape("spaceToDepth", x.shape())); }
        @Override public Tensor spaceToDepthBackward(Tensor g) { return t(autoassign.backend.SpaceToDepth.inShape("spaceToDepthBackward", g.shape())); }
        @Override public Tensor softmax(Tensor x, int outer, int n, int inner) { return t(x.shape()); }
        @Override public Tensor softmaxBackward(Tensor g, Tensor y, int outer, int n, int inner) { return t(y.shape()); }
        @Override public Tensor rowScale(Tensor x, Tensor s) { return t(x.shape()); }
        @Override public Tensor rowScaleBackward(Tensor g, Tensor x, Tensor s) { return t(s.shape()); }
        @Override public Tensor leakyReluBackward(Tensor g, Tensor x, float slope) { return t(x.shape()); }
        @Override public Tensor sigmoid(Tensor x) { return t(x.shape()); }
        @Override public Tensor sigmoidBackward(Tensor g, Tensor y) { return t(y.shape()); }
        @Override public Tensor channelAffine(Tensor x, Tensor scale, Tensor shift) { return t(x.shape()); }
        @Override public void channelAffineActInPlace(Tensor x, Tensor scale, Tensor shift, Tensor residual, boolean relu) { ops.increment(); }
        @Override public Tensor actAffineBackward(Tensor g, Tensor y, Tensor scale, boolean relu) { return t(y.shape()); }
        @Override public Tensor sum(Tensor x) { return t(1); }
        @Override public Tensor broadcastScalar(Tensor s, float factor, int... shape) { return t(shape); }
        @Override public Tensor[] groupNorm(Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
            return new Tensor[] {t(x.shape()), t(x.dim(0) * groups), t(x.dim(0) * groups)};
        }
        @Override public Tensor[] groupNormBackward(Tensor g, Tensor x, Tensor mean, Tensor rstd, Tensor gamma, int groups) {
            return new Tensor[] {t(x.shape()), gamma == null ? null : t(gamma.shape()), gamma == null ? null : t(gamma.shape())};
        }
        @Override public Tensor maxPool2d(Tensor x, int k, int s, int p) {
            return t(x.dim(0), x.dim(1), (x.dim(2) + 2 * p - k) / s + 1, (x.dim(3) + 2 * p - k) / s + 1);
        }
        @Override public Tensor maxPool2dBackward(Tensor g, Tensor x, int k, int s, int p) { return t(x.shape()); }
        @Override public Tensor avgPool2d(Tensor x, autoassign.backend.AvgPool2dParams p) {
            return t(x.dim(0), x.dim(1), p.outSize(x.dim(2)), p.outSize(x.dim(3)));
        }
        @Override public Tensor avgPool2dBackward(Tensor g, int h, int w, autoassign.backend.AvgPool2dParams p) {
            return t(g.dim(0), g.dim(1), h, w);
        }
        @Override public Tensor upsampleNearest(Tensor x, int outH, int outW) { return t(x.dim(0), x.dim(1), outH, outW); }
        @Override public Tensor upsampleNearestBackward(Tensor g, int inH, int inW) { return t(g.dim(0), g.dim(1), inH, inW); }
        @Override public void sgdStep(Tensor p, Tensor g, Tensor buf, float lr, float m, float wd, boolean first) { ops.increment(); }
        @Override public void adamStepAll(java.util.List<autoassign.backend.AdamUpdate> u, float omb1, float b2, float omb2, float eps) { ops.increment(); }
    }
}
