package autoassign.bench;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.tensor.Tensor;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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

/**
 * The CPU backend's GroupNorm and max-pool, forward and backward, at the default job's shapes (the tiny config,
 * batch 4 at 256×256): the stem's 3×3/2 max-pool over [4,16,128,128] and GroupNorm (8 groups) over a
 * [4,64,32,32] head map. Inputs are ReLU outputs (half zeros) as they are in the network.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
public class NormPoolBenchmark {
    @Param({"pool", "groupnorm"})
    public String op;

    Backend be;
    Tensor x, gradOut, gamma, beta, mean, rstd;

    @Setup(Level.Trial)
    public void setup() {
        be = Backends.cpu();
        int[] shape = op.equals("pool") ? new int[] {4, 16, 128, 128} : new int[] {4, 64, 32, 32};
        x = relu(shape, 1);
        if (op.equals("pool")) {
            gradOut = relu(be.maxPool2d(x, 3, 2, 1).shape(), 2);
        } else {
            gamma = relu(new int[] {shape[1]}, 3);
            beta = relu(new int[] {shape[1]}, 4);
            Tensor[] f = be.groupNorm(x, gamma, beta, 8, 1e-5f);
            mean = f[1];
            rstd = f[2];
            gradOut = relu(shape, 5);
        }
    }

    private static Tensor relu(int[] shape, long seed) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) v[i] = Math.max(0f, (float) r.nextGaussian());
        return Tensor.of(v, shape);
    }

    @Benchmark
    public Tensor forward() {
        return op.equals("pool") ? be.maxPool2d(x, 3, 2, 1) : be.groupNorm(x, gamma, beta, 8, 1e-5f)[0];
    }

    @Benchmark
    public Tensor backward() {
        return op.equals("pool") ? be.maxPool2dBackward(gradOut, x, 3, 2, 1) : be.groupNormBackward(gradOut, x, mean, rstd, gamma, 8)[0];
    }
}
