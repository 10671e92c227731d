package autoassign.bench;

import autoassign.backend.Backend;
import autoassign.backend.Backends;
import autoassign.backend.ConvParams;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The yardstick of {@link LossBenchmark}: one 3×3 256→256 conv forward (pad 1) at P3 of a padded
 * 800×1216 image ([1,256,100,152]) on the CPU backend — one of the head's eight tower convs at its
 * largest level. The fused loss forward+backward should take less than this.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
public class LossConvReferenceBenchmark {
    Backend cpu;
    Tensor x, w;
    ConvParams params;

    @Setup(Level.Trial)
    public void setup() {
        cpu = Backends.cpu();
        Random rnd = new Random(7);
        float[] xd = new float[256 * 100 * 152], wd = new float[256 * 256 * 9];
        for (int i = 0; i < xd.length; i++) xd[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < wd.length; i++) wd[i] = (float) (rnd.nextGaussian() * 0.01);
        x = cpu.fromHost(xd, 1, 256, 100, 152);
        w = cpu.fromHost(wd, 256, 256, 3, 3);
        params = ConvParams.of(1, 1);
    }

    @Benchmark
    public Tensor conv3x3P3Forward() {
        return cpu.conv2d(x, w, null, params);
    }
}
