package autoassign.model;

import autoassign.autograd.Graph;
import autoassign.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real R50 configuration on a COCO-sized input on the CPU (tens of seconds): run with
 * {@code -Dsurefire.excludedGroups= -Dgroups=slow}. Prints the time; it asserts only shapes and finiteness.
 */
@Tag("slow")
class R50ForwardSlowTest {
    @Test
    void forward800x1216() throws Exception {
        AutoAssignDetector m = new AutoAssignDetector(ModelTestConfigs.r50(), 0);
        Tensor x = DetectorShapeTest.randomImage(1, 800, 1216, 9);
        HeadOutputs o;
        long t0 = System.nanoTime();
        try (AutoCloseable g = Graph.noGrad()) {
            o = m.forward(x);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("R50 AutoAssign forward, 1x3x800x1216, CPU (%d cores): %.2f s%n",
                Runtime.getRuntime().availableProcessors(), s);
        int[][] sizes = {{100, 152}, {50, 76}, {25, 38}, {13, 19}, {7, 10}};
        for (int l = 0; l < 5; l++) {
            assertArrayEquals(new int[] {1, 80, sizes[l][0], sizes[l][1]}, o.clsLogits(l).shape());
            assertArrayEquals(new int[] {1, 4, sizes[l][0], sizes[l][1]}, o.distances(l).shape());
            assertArrayEquals(new int[] {1, 1, sizes[l][0], sizes[l][1]}, o.objLogits(l).shape());
            for (float v : o.clsLogits(l).toFloatArray()) assertTrue(Float.isFinite(v));
            for (float v : o.distances(l).toFloatArray()) assertTrue(v >= 0 && Float.isFinite(v));
        }
        assertEquals(20267, o.numPoints());
    }
}
