package autoassign.bench;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.backend.ConvParams;
import autoassign.tensor.Tensor;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * CPU conv2d forward and backward (data + filter) for the real 3×3 shapes of the model at 800×1216
 * ({@link ConvShapes}), by each path of the CPU backend ({@code path}): "winograd" (the default: F(2×2, 3×3), and
 * F(4×4, 3×3) forward / backward-data on large maps with ≥ 128 channels), "winograd2" (F(2×2) only) and "shift"
 * (the shifted GEMM, no Winograd). The "gflop" column is GFLOP/s counted as direct-conv FLOPs; compare with
 * {@link GemmBenchmark}, plain sgemm of the same M, N, K on native memory. Results: docs/performance.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ConvBenchmark {
    @Param({"res2_64", "res3_128", "res4_256", "res5_512", "p3_256"})
    public String shape;

    @Param({"winograd", "winograd2", "shift"})
    public String path;

    Backend cpu;
    Tensor x, w, gradOut;
    ConvParams params;
    ConvShapes s;

    @Setup(Level.Trial)
    public void setup() {
        // the backend reads its path switches when its conv class loads, i.e. at the first conv of this fork
        System.setProperty("autoassign.conv.noWinograd", String.valueOf(path.equals("shift")));
        System.setProperty("autoassign.conv.noWinograd4", String.valueOf(!path.equals("winograd")));
        s = ConvShapes.valueOf(shape);
        cpu = Backends.cpu();
        Random rnd = new Random(7);
        x = cpu.fromHost(randn(rnd, s.channels * s.h * s.w, 1f), 1, s.channels, s.h, s.w);
        w = cpu.fromHost(randn(rnd, s.channels * s.channels * 9, 0.01f), s.channels, s.channels, 3, 3);
        gradOut = cpu.fromHost(randn(rnd, s.channels * s.h * s.w, 1f), 1, s.channels, s.h, s.w);
        params = ConvParams.of(1, 1);
    }

    static float[] randn(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian() * scale;
        return a;
    }

    @Benchmark
    public Tensor forward(Flops f) {
        Tensor y = cpu.conv2d(x, w, null, params);
        f.gflop += s.gflop();
        return y;
    }

    /** What training runs per conv: gradient of the input and of the weight. */
    @Benchmark
    public Tensor backward(Flops f) {
        Tensor gx = cpu.conv2dBackwardInput(gradOut, w, x.shape(), params);
        Tensor gw = cpu.conv2dBackwardWeight(gradOut, x, w.shape(), params);
        f.gflop += 2 * s.gflop();
        return gx.numel() > gw.numel() ? gx : gw;
    }
}
