package autoassign.bench;

import autoassign.backend.cpu.Blas;
import autoassign.backend.cpu.Parallel;
import org.bytedeco.javacpp.FloatPointer;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Plain OpenBLAS sgemm (row-major, operands already in native memory, no copies) with the M, N, K of each
 * conv in {@link ConvBenchmark}: the ceiling the convolution is measured against. {@code forward} is
 * C[M,N] = W[M,K]·col[K,N]; {@code backward} is the data GEMM col[K,N] = Wᵀ·G plus the filter GEMM
 * dW[M,K] = G·colᵀ, the two products of the conv backward. One sgemm call each, multithreaded by OpenBLAS
 * itself over {@code blasThreads} threads (0 = all cores), i.e. plain sgemm at its best on this machine.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class GemmBenchmark {
    @Param({"res2_64", "res3_128", "res4_256", "res5_512", "p3_256"})
    public String shape;

    /** OpenBLAS threads for the plain sgemm (0: one per core, as {@link Parallel#threads()}). */
    @Param({"0"})
    public int blasThreads;

    int m, n, k, previousThreads;
    double gflop;
    FloatPointer a, b, c, gradCol, gradW;

    @Setup(Level.Trial)
    public void setup() {
        ConvShapes s = ConvShapes.valueOf(shape);
        previousThreads = Blas.setThreads(blasThreads > 0 ? blasThreads : Parallel.threads());
        m = s.m();
        n = s.n();
        k = s.k();
        gflop = s.gflop();
        Random rnd = new Random(7);
        a = new FloatPointer(ConvBenchmark.randn(rnd, m * k, 0.01f));
        b = new FloatPointer(ConvBenchmark.randn(rnd, k * n, 1f));
        c = new FloatPointer(ConvBenchmark.randn(rnd, m * n, 1f));
        gradCol = new FloatPointer((long) k * n);
        gradW = new FloatPointer((long) m * k);
    }

    @TearDown(Level.Trial)
    public void free() {
        Blas.setThreads(previousThreads);
        a.close();
        b.close();
        c.close();
        gradCol.close();
        gradW.close();
    }

    @Benchmark
    public FloatPointer forward(Flops f) {
        Blas.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        f.gflop += gflop;
        return c;
    }

    @Benchmark
    public FloatPointer backward(Flops f) {
        Blas.sgemm(true, false, k, n, m, 1f, a, 0, k, c, 0, n, 0f, gradCol, 0, n);
        Blas.sgemm(false, true, m, k, n, 1f, c, 0, n, b, 0, n, 0f, gradW, 0, k);
        f.gflop += 2 * gflop;
        return gradW;
    }
}
