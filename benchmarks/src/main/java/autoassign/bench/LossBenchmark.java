package autoassign.bench;

import autoassign.loss.AutoAssignLossOp;
import autoassign.loss.GroundTruth;
import autoassign.loss.LossReducer;
import autoassign.loss.PointGrid;
import autoassign.loss.UnfusedAutoAssignLoss;
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
 * The AutoAssign loss on one realistic COCO image: padded 800×1216 → 20,267 points, 80 classes,
 * {@code numGt} GTs of COCO-like sizes. Fused op ({@link AutoAssignLossOp}) forward and
 * forward+backward next to the unfused dense reference ({@link UnfusedAutoAssignLoss}) of the same
 * math. Per-element figures: divide by P·G = 20,267·G and P·C = 1,621,360 (docs/loss.md).
 * Compare with {@link LossConvReferenceBenchmark} (one 3×3 256→256 conv forward at P3).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
public class LossBenchmark {
    public static final int HEIGHT = 800, WIDTH = 1216, CLASSES = 80;

    @Param({"7", "50"})
    public int numGt;

    AutoAssignLossOp.Batch batch;

    @Setup(Level.Trial)
    public void setup() {
        batch = cocoImage(numGt, 42);
    }

    /** One image with head outputs near their initial state and COCO-like boxes. */
    public static AutoAssignLossOp.Batch cocoImage(int numGt, long seed) {
        PointGrid grid = PointGrid.forPaddedImage(HEIGHT, WIDTH, PointGrid.DEFAULT_STRIDES);
        int nP = grid.numPoints();
        Random rnd = new Random(seed);
        float prior = (float) -Math.log((1 - 0.02) / 0.02);
        float[] cls = new float[nP * CLASSES], dist = new float[nP * 4], obj = new float[nP];
        for (int k = 0; k < cls.length; k++) cls[k] = prior + (float) rnd.nextGaussian();
        for (int p = 0; p < nP; p++) {
            obj[p] = (float) rnd.nextGaussian();
            float s = grid.pointStride(p);
            for (int k = 0; k < 4; k++) dist[4 * p + k] = s * (0.5f + 4f * rnd.nextFloat());
        }
        float[] boxes = new float[numGt * 4];
        int[] labels = new int[numGt];
        for (int g = 0; g < numGt; g++) {
            // log-uniform sides between 12 and 700 px, like COCO's spread of object sizes
            float w = (float) Math.exp(Math.log(12) + rnd.nextDouble() * Math.log(700 / 12.0));
            float h = (float) Math.min(HEIGHT - 1, w * Math.exp(rnd.nextGaussian() * 0.4));
            w = Math.min(w, WIDTH - 1);
            float x1 = rnd.nextFloat() * (WIDTH - w), y1 = rnd.nextFloat() * (HEIGHT - h);
            boxes[4 * g] = x1;
            boxes[4 * g + 1] = y1;
            boxes[4 * g + 2] = x1 + w;
            boxes[4 * g + 3] = y1 + h;
            labels[g] = rnd.nextInt(CLASSES);
        }
        float[] mean = new float[CLASSES * 2], sigma = new float[CLASSES * 2];
        java.util.Arrays.fill(sigma, 1f);
        return new AutoAssignLossOp.Batch(grid, CLASSES, new float[][] {cls}, new float[][] {dist},
                new float[][] {obj}, mean, sigma, new GroundTruth[] {new GroundTruth(boxes, labels)});
    }

    @Benchmark
    public AutoAssignLossOp.Result fusedForward() {
        return AutoAssignLossOp.forward(batch, LossReducer.IDENTITY);
    }

    @Benchmark
    public AutoAssignLossOp.Result fusedForwardBackward() {
        return AutoAssignLossOp.forwardBackward(batch, LossReducer.IDENTITY, 1, 1, 1);
    }

    @Benchmark
    public AutoAssignLossOp.Result unfusedForward() {
        return UnfusedAutoAssignLoss.forwardBackward(batch, LossReducer.IDENTITY, 1, 1, 1, false);
    }

    @Benchmark
    public AutoAssignLossOp.Result unfusedForwardBackward() {
        return UnfusedAutoAssignLoss.forwardBackward(batch, LossReducer.IDENTITY, 1, 1, 1, true);
    }
}
